// `kubewire kube-proxy trace`: a packet arriving at a node, run through the rules one kube-proxy
// sync writes, by the packet engine's netfilter interpreter. Every probabilistic branch (Service
// endpoint choice) is one outcome.
import { KubewireError } from '../../errors.ts';
import type { ProxyConfig } from '../../kube-proxy/config.ts';
import { applyKubeProxySync, applyKubeletIptables } from '../../kube-proxy/proxy.ts';
import { addAddress, addLink, addRoute, newHost, setLinkUp, setSysctl } from '../../node-state/ops.ts';
import { ROOT_NS, type NetNs } from '../../node-state/types.ts';
import { renderNodeIngressText, traceNodeIngress, type NodeIngressOutcome } from '../../engine/netfilter/node-ingress.ts';
import type { Packet } from '../../engine/packet.ts';
import { parseIpSloppy } from '../../kube-proxy/ip.ts';
import type { CommandResult } from './_common.ts';

export interface TraceProbe {
  src: string;
  dst: string;
  dport: number;
  protocol: string;
  iif: string;
}

const PROTOCOLS: Record<string, number> = { TCP: 6, UDP: 17, SCTP: 132 };

/**
 * The node kube-proxy ran on, as far as the trace needs it: its IPs on the ingress interface,
 * a route out for forwarded packets, forwarding on, kubelet's and kube-proxy's tables.
 */
function nodeNamespace(config: ProxyConfig, restoreText: string, iif: string): NetNs {
  const host = newHost(config.nodeName);
  const ns = host.namespaces[ROOT_NS];
  addLink(ns, { name: iif, kind: 'device' });
  setLinkUp(host, ROOT_NS, iif);
  for (const ip of config.nodeIPs) {
    if (parseIpSloppy(ip)?.family !== 'IPv4' || ip.startsWith('127.')) continue;
    addAddress(ns, iif, `${ip}/32`);
  }
  addRoute(ns, { dst: 'default', dev: iif, scope: 'link' });
  setSysctl(ns, 'net.ipv4.ip_forward', '1');
  applyKubeletIptables(ns, 4);
  ns.netfilter = applyKubeProxySync(ns.netfilter, restoreText, 4);
  return ns;
}

function probePacket(p: TraceProbe): Packet {
  const proto = PROTOCOLS[p.protocol.toUpperCase()];
  if (proto === undefined) throw new KubewireError(`invalid --protocol "${p.protocol}" (must be TCP, UDP or SCTP)`);
  for (const [flag, ip] of [['--src', p.src], ['--dst', p.dst]] as const) {
    const parsed = parseIpSloppy(ip);
    if (!parsed) throw new KubewireError(`invalid ${flag} "${ip}": not an IP address`);
    if (parsed.family !== 'IPv4') throw new KubewireError(`${flag} ${ip}: kube-proxy trace handles IPv4 only for now`);
  }
  // A connection's first packet: for TCP a SYN, which is what Service NAT is decided on.
  return { family: 4, src: p.src, dst: p.dst, proto, sport: 40000, dport: p.dport, tcpFlags: proto === 6 ? 0x02 : undefined, ttl: 64, mark: 0 };
}

interface JsonOutcome {
  probability: number;
  dnat: string | null;
  masquerade: boolean;
  verdict: string;
  decidedBy: string;
  rules: Array<{ table: string; chain: string; index: number; rule: string }>;
}

function toJson(o: NodeIngressOutcome): JsonOutcome {
  return {
    probability: o.probability,
    dnat: o.dnat?.to ?? null,
    masquerade: o.masqueradeMarked,
    verdict: o.verdict,
    decidedBy: o.decidedBy.kind === 'rule' || o.decidedBy.kind === 'policy' ? o.decidedBy.kind : o.decidedBy.kind === 'routing' ? 'routing' : 'policy',
    rules: o.matched.map((m) => ({ table: m.table, chain: m.chain, index: m.rule, rule: m.text })),
  };
}

export function traceCommand(config: ProxyConfig, restoreText: string, probe: TraceProbe, output: string | undefined): CommandResult {
  if (output !== undefined && output !== 'json' && output !== 'text') throw new KubewireError(`invalid -o "${output}" (must be json or text)`);
  if (config.ipFamily === 'IPv6') throw new KubewireError('kube-proxy trace handles IPv4 only for now');
  const ns = nodeNamespace(config, restoreText, probe.iif);
  const outcomes = traceNodeIngress(ns, probePacket(probe), { iif: probe.iif, masqueradeMark: 1 << config.masqueradeBit });
  if (output === 'json') return { stdout: JSON.stringify({ outcomes: outcomes.map(toJson) }, null, 2) + '\n', stderr: '', exitCode: 0 };
  const head = `${probe.protocol.toUpperCase()} ${probe.src} -> ${probe.dst}:${probe.dport} arriving on ${config.nodeName} ${probe.iif}: ${outcomes.length} outcome(s)\n`;
  return { stdout: head + renderNodeIngressText(outcomes), stderr: '', exitCode: 0 };
}
