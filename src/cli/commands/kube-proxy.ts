// `kubewire kube-proxy ...`: kube-proxy (iptables mode) as a standalone tool.
//   kube-proxy rules  — the iptables-restore input of one full sync for a node, byte for byte.
//   kube-proxy trace  — a packet through those rules, every outcome (kube-proxy-trace.ts).
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { KubewireError } from '../../errors.ts';
import type { V1Node } from '../../k8s/types.ts';
import { resolveConfig, type ProxyConfig } from '../../kube-proxy/config.ts';
import { parseKubeProxyConfiguration, parseProxyInputs, type ProxyInputs } from '../../kube-proxy/inputs.ts';
import { parseIpSloppy } from '../../kube-proxy/ip.ts';
import { applyKubeProxySync } from '../../kube-proxy/proxy.ts';
import { syncRules } from '../../kube-proxy/rules.ts';
import { iptablesSave } from '../../netfilter/save.ts';
import { emptyNetfilter } from '../../netfilter/types.ts';
import { readInputs } from '../io.ts';
import { emit, parseIntOpt, type CommandResult } from './_common.ts';
import { traceCommand } from './kube-proxy-trace.ts';

export interface KubeProxyRulesOptions {
  filename: string[];
  nodeName?: string;
  nodeIp?: string[];
  nodeAddress?: string[];
  clusterCidr?: string;
  detectLocalMode?: string;
  masqueradeAll?: boolean;
  masqueradeBit?: number;
  markLiteral?: string;
  nodeportAddresses?: string;
  localhostNodeports?: boolean;
  ipFamily?: string;
  randomFully?: boolean;
  nfacctCounters?: string;
  conntrackTcpBeLiberal?: boolean;
  config?: string;
  format?: string;
}

function parseBool(name: string) {
  return (v: string): boolean => {
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw new KubewireError(`invalid value for ${name}: "${v}" (must be true or false)`);
  };
}

/** The Node's IPs as kube-proxy takes them (first InternalIP, else ExternalIP, of each family). */
function nodeIPsFromNode(node: V1Node): string[] {
  const out: string[] = [];
  for (const fam of ['IPv4', 'IPv6'] as const) {
    for (const type of ['InternalIP', 'ExternalIP']) {
      const a = (node.status?.addresses ?? []).find((x) => x.type === type && parseIpSloppy(x.address)?.family === fam);
      if (a) {
        out.push(a.address);
        break;
      }
    }
  }
  return out;
}

/** Reads the inputs and options, and generates one full sync: the config kube-proxy ends up with and its restore input. */
export function buildSync(o: KubeProxyRulesOptions, readFile: (p: string) => string): { config: ProxyConfig; text: string } {
  let fileCfg: Partial<ProxyConfig> = {};
  if (o.config) {
    let text: string;
    try {
      text = readFile(o.config);
    } catch {
      throw new KubewireError(`cannot read --config file "${o.config}"`);
    }
    fileCfg = parseKubeProxyConfiguration(text, o.config);
  }
  const inputs: ProxyInputs = { services: [], slices: [], nodes: [], ignored: 0 };
  for (const f of readInputs(o.filename)) parseProxyInputs(f.text, f.file, inputs);

  const nodeName = (o.nodeName ?? fileCfg.nodeName ?? '').trim();
  if (nodeName === '') throw new KubewireError('--node-name is required (the Node kube-proxy runs on)');
  const node = inputs.nodes.find((n) => n.metadata?.name === nodeName);

  let nodeIPs = o.nodeIp ?? [];
  for (const ip of nodeIPs) if (!parseIpSloppy(ip)) throw new KubewireError(`invalid --node-ip "${ip}": not an IP address`);
  if (nodeIPs.length === 0 && node) nodeIPs = nodeIPsFromNode(node);
  // kube-proxy falls back to loopback when it cannot find the node's IPs.
  if (nodeIPs.length === 0) nodeIPs = ['127.0.0.1', '::1'];

  let ipFamily = o.ipFamily;
  if (ipFamily !== undefined && ipFamily !== 'IPv4' && ipFamily !== 'IPv6') {
    throw new KubewireError(`invalid --ip-family "${ipFamily}" (must be IPv4 or IPv6)`);
  }
  ipFamily ??= parseIpSloppy(nodeIPs[0])!.family;

  let nfacct: string[] | undefined;
  if (o.nfacctCounters !== undefined) {
    nfacct = o.nfacctCounters === 'none' ? [] : o.nfacctCounters.split(',').map((s) => s.trim()).filter(Boolean);
  }
  const cfg: Partial<ProxyConfig> = {
    ...fileCfg,
    nodeName,
    nodeIPs,
    ipFamily: ipFamily as 'IPv4' | 'IPv6',
    nodeLabels: (node?.metadata?.labels as Record<string, string> | undefined) ?? {},
    podCIDRs: node?.spec?.podCIDRs ?? (node?.spec?.podCIDR ? [node.spec.podCIDR] : []),
  };
  if (o.nodeAddress !== undefined) {
    for (const a of o.nodeAddress) if (!parseIpSloppy(a.split('/')[0])) throw new KubewireError(`invalid --node-address "${a}": not an IP address`);
    cfg.nodeAddresses = o.nodeAddress;
  }
  if (o.clusterCidr !== undefined) cfg.clusterCIDR = o.clusterCidr;
  if (o.detectLocalMode !== undefined) cfg.detectLocalMode = o.detectLocalMode as ProxyConfig['detectLocalMode'];
  if (o.masqueradeAll !== undefined) cfg.masqueradeAll = o.masqueradeAll;
  if (o.masqueradeBit !== undefined) cfg.masqueradeBit = o.masqueradeBit;
  if (o.markLiteral !== undefined) cfg.masqueradeMark = o.markLiteral;
  if (o.nodeportAddresses !== undefined) cfg.nodePortAddresses = o.nodeportAddresses.split(',').map((s) => s.trim()).filter(Boolean);
  if (o.localhostNodeports !== undefined) cfg.localhostNodePorts = o.localhostNodeports;
  if (o.randomFully !== undefined) cfg.randomFully = o.randomFully;
  if (nfacct !== undefined) cfg.nfacctCounters = nfacct;
  if (o.conntrackTcpBeLiberal !== undefined) cfg.conntrackTCPBeLiberal = o.conntrackTcpBeLiberal;
  if (
    cfg.detectLocalMode !== undefined &&
    !['ClusterCIDR', 'NodeCIDR', 'BridgeInterface', 'InterfaceNamePrefix'].includes(cfg.detectLocalMode)
  ) {
    throw new KubewireError(`invalid --detect-local-mode "${cfg.detectLocalMode}"`);
  }
  const config = resolveConfig(cfg);
  const text = syncRules({ services: inputs.services, slices: inputs.slices, config });
  return { config, text };
}

export function kubeProxyRulesCommand(o: KubeProxyRulesOptions, readFile: (p: string) => string = (p) => readFileSync(p, 'utf8')): CommandResult {
  const format = o.format ?? 'restore';
  if (format !== 'restore' && format !== 'save') throw new KubewireError(`invalid --format "${format}" (must be restore or save)`);
  const { config, text } = buildSync(o, readFile);
  if (format === 'save') {
    // What `iptables-save` shows on a node whose tables held nothing but kube-proxy's work.
    const family = config.ipFamily === 'IPv6' ? 6 : 4;
    const state = applyKubeProxySync(emptyNetfilter(), text, family);
    return { stdout: iptablesSave(state, { family }), stderr: '', exitCode: 0 };
  }
  return { stdout: text, stderr: '', exitCode: 0 };
}

/** The options shared by `rules` and `trace`: the inputs and kube-proxy's own flags. */
function syncOptions(c: Command): Command {
  return c
    .requiredOption('-f, --filename <file...>', 'YAML/JSON file(s) with Services, EndpointSlices (and optionally the Node); "-" for stdin')
    .option('--node-name <name>', 'the node kube-proxy runs on (endpoints with this nodeName are local)')
    .option('--node-ip <ip>', 'node IP (repeatable; default: the Node object\'s InternalIPs)', (v: string, prev: string[] = []) => [...prev, v])
    .option(
      '--node-address <ip>',
      'an address configured on the node, for --nodeport-addresses matching (repeatable; default: node IPs, 127.0.0.1, ::1)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--cluster-cidr <cidr>', 'pod CIDR(s), comma-separated; drives local-traffic detection (default: none)')
    .option('--detect-local-mode <mode>', 'ClusterCIDR (default), NodeCIDR, BridgeInterface or InterfaceNamePrefix')
    .option('--masquerade-all', 'SNAT all traffic sent via Service cluster IPs')
    .option('--masquerade-bit <n>', 'fwmark bit for packets needing SNAT (default 14)', parseIntOpt('--masquerade-bit', 0, 31))
    .option('--mark-literal <text>', 'write the mark as this literal instead of Go %#08x (upstream unit tests use 0x4000)')
    .option('--nodeport-addresses <cidrs>', 'CIDR[,CIDR] of node addresses that accept NodePorts, or "primary"')
    .option('--localhost-nodeports <bool>', 'allow NodePorts on 127.0.0.1 (default true)', parseBool('--localhost-nodeports'))
    .option('--ip-family <family>', 'IPv4 (iptables) or IPv6 (ip6tables); default: family of the first node IP')
    .option('--random-fully <bool>', 'iptables supports MASQUERADE --random-fully (default true)', parseBool('--random-fully'))
    .option('--nfacct-counters <names>', 'nfacct counters that exist: NAME[,NAME] or none (default: both kube-proxy counters)')
    .option('--conntrack-tcp-be-liberal', 'net.netfilter.nf_conntrack_tcp_be_liberal is set (no INVALID drop rule)')
    .option('--config <file>', 'a KubeProxyConfiguration file (flags override it)');
}

export function register(program: Command): void {
  const kp = program.command('kube-proxy').description('kube-proxy in iptables mode: the rules it writes on a node');
  syncOptions(
    kp
      .command('rules')
      .description(
        'Print the iptables-restore input of one full kube-proxy sync (filter table, then nat table) for a node, ' +
          'from Services and EndpointSlices read as given (no API defaulting)',
      ),
  )
    .option(
      '--format <format>',
      'restore: the iptables-restore input kube-proxy writes (default); save: what iptables-save then shows on an ' +
        'otherwise empty node (canary chains and built-in-chain jump rules included)',
    )
    .action((o: KubeProxyRulesOptions) => emit(kubeProxyRulesCommand(o)));

  syncOptions(
    kp
      .command('trace')
      .description(
        'Run a packet arriving at the node through the rules of one kube-proxy sync and print every outcome: ' +
          'probability, DNAT destination, masquerade mark, verdict and the rules it matched',
      ),
  )
    .requiredOption('--src <ip>', 'source IP of the packet')
    .requiredOption('--dst <ip>', 'destination IP (a ClusterIP, node IP for NodePorts, external or LB IP)')
    .requiredOption('--dport <port>', 'destination port', parseIntOpt('--dport', 1, 65535))
    .option('--protocol <proto>', 'TCP, UDP or SCTP', 'TCP')
    .option('--iif <dev>', 'interface the packet arrives on', 'eth0')
    .option('-o, --output <format>', 'text (default) or json')
    .action((o: KubeProxyRulesOptions & { src: string; dst: string; dport: number; protocol: string; iif: string; output?: string }) => {
      const { config, text } = buildSync(o, (p) => readFileSync(p, 'utf8'));
      emit(traceCommand(config, text, { src: o.src, dst: o.dst, dport: o.dport, protocol: o.protocol, iif: o.iif }, o.output));
    });
}
