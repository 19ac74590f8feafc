// `kubewire lab verify` (Node only, root): runs flows for real in a live lab and compares each with
// the simulator's trace of the same flow, after diffing every namespace's node state. For each
// flow: tcpdump on every interface of every path the simulator allows (and the destination's),
// a server wherever the simulator delivers and nothing listens yet, one bounded client probe, then
// captures decoded and compared per interface (src/lab/verify/compare.ts).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterState } from '../../control-plane/types.ts';
import { podSandbox } from '../../control-plane/kubelet.ts';
import { ipsetsOf } from '../../cni/index.ts';
import { tracePacket, type Trace } from '../../engine/index.ts';
import { PROTO_NUM } from '../../engine/packet.ts';
import { KubewireError } from '../../errors.ts';
import { ROOT_NS } from '../../node-state/types.ts';
import { emitTcp } from '../../wire/tcp.ts';
import { linuxSynOptions } from '../../wire/tcp.ts';
import { DNS_A, dnsQuery, emitDns, parseDns } from '../../wire/dns.ts';
import { clusterDns, coreDnsAnswer } from '../dns-records.ts';
import { stateHash, type LabRecord } from '../lab.node.ts';
import { compareFlow, describePacket, type FlowComparison, type IfaceRef, type KernelObservation } from './compare.ts';
import { decodeFlowCapture, UDP_REPLY_MARK, UDP_REQUEST_MARK } from './decode.ts';
import { ifaceKey, traceInterfaces } from './expect.ts';
import { generateFlows, type Flow, type SkippedCategory } from './flows.ts';
import { captureFile, listening, runClient, startCapture, startServer, type Capture, type Server } from './probe.node.ts';
import { verifyStateDiff, type StateDiffResult } from './state-diff.node.ts';

export interface VerifyOptions {
  seed?: number;
  /** How many flows (default: one per category the cluster allows). */
  flows?: number;
  /** Seconds the client waits for an answer (default 2). */
  timeoutSec?: number;
  /** Skip the node-state diff. */
  skipState?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface FlowReport {
  id: number;
  category: string;
  source: string;
  target: string;
  protocol: string;
  dst: string;
  dport: number;
  sport: number;
  agree: boolean;
  kernel: {
    outcome: string;
    detail: string;
    /** Interfaces where the request was seen, in order. */
    path: string[];
    /** The namespace (pod or node) that received the request, among those the simulator allows. */
    endpoint?: string;
    /** DNS answers the client got (pod-dns). */
    dnsAnswers?: string[];
  };
  simulator: {
    branches: Array<{ probability: number; outcome: string; endpoint?: string; where: string }>;
    /** The branch that matched the kernel (or the closest, on a disagreement). */
    matched: number;
  };
  /** What differs (empty when the flow agrees). */
  mismatches: string[];
  /** Interfaces the run could not capture on (with why). */
  notCaptured: string[];
}

export interface VerifyReport {
  lab: string;
  seed: number;
  flows: FlowReport[];
  skipped: SkippedCategory[];
  agreeing: number;
  state?: {
    compared: number;
    differ: number;
    orderOnly: number;
    learnedNeighbours: number;
    diffs: Array<{ node: string; ns: string; command: string; lines: string[] }>;
    orderOnlyDiffs: Array<{ node: string; ns: string; command: string }>;
  };
  /** Flow disagreements plus node-state differences. */
  disagreements: number;
}

/** Who a namespace is, for people: the pod in it, or the node. */
function nsLabeler(state: ClusterState): (node: string, netns: string) => string {
  const byNs = new Map<string, string>();
  for (const key of Object.keys(state.objects)) {
    if (!key.startsWith('Pod/')) continue;
    const [, ns, name] = key.split('/');
    const sb = podSandbox(state, ns, name);
    if (sb?.netns) byNs.set(`${sb.node}|${sb.netns}`, `${ns}/${name}`);
  }
  return (node, netns) => (netns === ROOT_NS ? node.split('.')[0] : byNs.get(`${node}|${netns}`) ?? `${node.split('.')[0]} ${netns}`);
}

/** IP total length of a Linux SYN (or SYN-ACK) offering MSS, SACK, timestamps and window scaling: the kernel's defaults. */
function linuxSynLength(): number {
  const tcp = emitTcp({ srcPort: 1, dstPort: 1, seq: 0, ack: 0, flags: 0x02, window: 0, urgent: 0, options: linuxSynOptions({ mss: 1460, timestamps: { tsval: 0, tsecr: 0 } }), checksum: 0 });
  return 20 + tcp.length;
}

const ICMP_PAYLOAD = 56;

function payloadOf(flow: Flow): Uint8Array {
  if (flow.probe.protocol === 'TCP') return new TextEncoder().encode('GET / HTTP/1.0\r\nHost: kubewire-verify\r\n\r\n');
  if (flow.probe.protocol === 'UDP') {
    if (flow.dnsName) return emitDns(dnsQuery(flow.probe.sport & 0xffff, flow.dnsName, DNS_A));
    return new TextEncoder().encode(`${UDP_REQUEST_MARK} flow ${flow.id}`);
  }
  const b = new Uint8Array(ICMP_PAYLOAD);
  for (let i = 0; i < b.length; i++) b[i] = 0x10 + i;
  return b;
}

/** Interfaces holding the destination address (a pod's eth0, a node's ENI). */
function destinationIfaces(state: ClusterState, dst: string): IfaceRef[] {
  const out: IfaceRef[] = [];
  for (const [node, host] of Object.entries(state.hosts)) {
    for (const [netns, ns] of Object.entries(host.namespaces)) {
      for (const a of ns.addresses) if (a.family === 4 && a.local === dst && a.dev !== 'lo') out.push({ node, netns, iface: a.dev });
    }
  }
  return out;
}

function vxlanPorts(state: ClusterState): number[] {
  const ports = new Set<number>([4789]);
  for (const h of Object.values(state.hosts)) for (const ns of Object.values(h.namespaces)) for (const l of ns.links) if (l.kind === 'vxlan' && l.vxlan?.port) ports.add(l.vxlan.port);
  return [...ports];
}

const MAX_CAPTURES = 32;

async function runFlow(state: ClusterState, rec: LabRecord, flow: Flow, trace: Trace, o: { dir: string; timeoutSec: number; label: (r: IfaceRef) => string; nsLabel: (n: string, ns: string) => string }): Promise<{ cmp: FlowComparison; report: FlowReport }> {
  const realOf = (node: string, netns: string): string => {
    const r = rec.nodes.find((n) => n.node === node)?.ns[netns];
    if (!r) throw new KubewireError(`lab ${rec.id} has no namespace for ${node} ${netns}; the cluster changed since lab up (lab down && lab up)`);
    return r;
  };
  const proto = flow.probe.protocol;
  const ifaces = new Map<string, IfaceRef>();
  for (const r of [...traceInterfaces(trace.branches), ...destinationIfaces(state, flow.probe.dst)]) ifaces.set(ifaceKey(r), r);
  const notCaptured: string[] = [];
  // A capture that did not start leaves that interface uncompared: the flow cannot agree.
  const failed: string[] = [];
  const targets = [...ifaces.entries()].slice(0, MAX_CAPTURES);
  for (const [, r] of [...ifaces.entries()].slice(MAX_CAPTURES)) notCaptured.push(`${o.label(r)} (more than ${MAX_CAPTURES} interfaces)`);

  // Servers wherever the simulator delivers to a socket and nothing listens yet (the lab's own
  // workloads, when running, already serve their pods' declared ports).
  const servers: Server[] = [];
  const captures: Capture[] = [];
  let ownServer = false;
  try {
    if (proto !== 'ICMP') {
      const wanted = new Map<string, { real: string; port: number }>();
      for (const b of trace.branches) {
        const d = b.forward.disposition;
        if ((d.code === 'delivered' || d.code === 'accepted') && d.decidedBy?.kind === 'socket' && d.decidedBy.listening !== false) {
          const real = realOf(d.node, d.netns);
          wanted.set(`${real}:${d.decidedBy.port}`, { real, port: d.decidedBy.port });
        }
      }
      for (const w of wanted.values()) {
        if (listening(w.real, proto, w.port)) continue;
        servers.push(await startServer(w.real, proto, w.port, proto === 'UDP' ? UDP_REPLY_MARK : 'kubewire-verify', o.timeoutSec + 20));
        ownServer = true;
      }
    }
    const started = await Promise.allSettled(targets.map(([key, r], n) => startCapture(key, realOf(r.node, r.netns), r.iface, captureFile(o.dir, flow.id, n), (o.timeoutSec + 30) * 1000)));
    started.forEach((s, n) => {
      if (s.status === 'fulfilled') captures.push(s.value);
      else failed.push(`${o.label(targets[n][1])}: ${String((s.reason as Error)?.message ?? s.reason).split('\n')[0]}`);
    });
    const payload = payloadOf(flow);
    const client = await runClient(realOf(flow.src.node, flow.src.netns), proto, flow.probe.dst, flow.probe.dport, flow.probe.sport, payload, o.timeoutSec);
    // Let the last packets (a late reply on the far interfaces) land before stopping.
    await new Promise((r) => setTimeout(r, 250));
    const kernel: KernelObservation = { outcome: client.outcome, detail: client.detail, captures: {} };
    for (const c of captures) kernel.captures[c.key] = decodeFlowCapture(await c.stop(), PROTO_NUM[proto], vxlanPorts(state));
    captures.length = 0;

    const synLen = linuxSynLength();
    const requestLength = proto === 'TCP' ? synLen : 28 + payload.length;
    // Replies: a Linux SYN-ACK to a SYN with every option; our own UDP server echoes the request's size; an echo reply mirrors the request.
    const replyLength = proto === 'TCP' ? synLen : proto === 'ICMP' ? requestLength : ownServer && !flow.dnsName ? requestLength : undefined;
    const cmp = compareFlow(trace, kernel, { requestLength, replyLength, label: o.label });
    if (failed.length) {
      cmp.agree = false;
      cmp.best.mismatches.push(...failed.map((f) => `no capture on ${f}`));
    }

    let dnsAnswers: string[] | undefined;
    if (flow.dnsName && client.outcome === 'connected' && client.data.length >= 12 && (client.data[2] & 0x80) !== 0) {
      try {
        const m = parseDns(client.data);
        dnsAnswers = m.answers.filter((a) => a.type === DNS_A).map((a) => String((a.data as { address?: string }).address ?? JSON.stringify(a.data)));
        const want = coreDnsAnswer(clusterDns(state), flow.dnsName, DNS_A);
        const wantAddrs = want.forward ? [] : want.answers.filter((a) => a.type === DNS_A).map((a) => String((a.data as { address?: string }).address ?? JSON.stringify(a.data)));
        if ([...dnsAnswers].sort().join(',') !== [...wantAddrs].sort().join(',')) {
          cmp.best.mismatches.push(`DNS answer for ${flow.dnsName}: kernel's server answered ${dnsAnswers.join(', ') || 'nothing'}, CoreDNS (simulator) answers ${wantAddrs.join(', ') || 'nothing'}`);
          cmp.agree = false;
        }
      } catch (e) {
        cmp.best.mismatches.push(`DNS answer could not be read: ${(e as Error).message}`);
        cmp.agree = false;
      }
    }
    const endpoint = cmp.kernelEndpoints.length ? cmp.kernelEndpoints.map((e) => o.nsLabel(...(e.split('|') as [string, string]))).join(', ') : undefined;
    const report: FlowReport = {
      id: flow.id,
      category: flow.category,
      source: flow.src.label,
      target: flow.target,
      protocol: proto,
      dst: flow.probe.dst,
      dport: flow.probe.dport,
      sport: flow.probe.sport,
      agree: cmp.agree,
      kernel: { outcome: client.outcome, detail: client.detail, path: cmp.kernelPath.map((k) => { const [node, netns, iface] = k.split('|'); return o.label({ node, netns, iface }); }), endpoint, ...(dnsAnswers ? { dnsAnswers } : {}) },
      simulator: {
        branches: trace.branches.map((b, i) => {
          const d = b.forward.disposition;
          return {
            probability: b.probability,
            outcome: cmp.branches[i].expected.join('|') || 'undecided',
            endpoint: cmp.branches[i].endpoint ? o.nsLabel(d.node, d.netns) : undefined,
            where: `${d.code} at ${o.nsLabel(d.node, d.netns)}${d.iface ? ` ${d.iface}` : ''}${b.reply ? `, reply ${b.reply.disposition.code}` : ''}`,
          };
        }),
        matched: cmp.best.branch,
      },
      mismatches: cmp.agree ? [] : cmp.best.mismatches,
      notCaptured,
    };
    return { cmp, report };
  } finally {
    for (const c of captures) await c.stop().catch(() => undefined);
    for (const s of servers) s.stop();
  }
}

/**
 * Verifies lab `rec` (built from `state`): the node-state diff first (before any traffic teaches
 * the kernel neighbours), then every flow in turn.
 */
export async function labVerify(state: ClusterState, rec: LabRecord, opts: VerifyOptions = {}): Promise<VerifyReport> {
  if (!rec.complete) throw new KubewireError(`lab ${rec.id} did not finish coming up; run \`kubewire lab down\` and \`kubewire lab up\` again`);
  if (rec.stateHash !== stateHash(state)) throw new KubewireError(`the cluster changed since lab ${rec.id} came up; verify compares the same state on both sides (lab down && lab up)`);
  const log = opts.log ?? (() => {});
  const seed = opts.seed ?? 1;
  const timeoutSec = opts.timeoutSec ?? 2;
  const report: VerifyReport = { lab: rec.id, seed, flows: [], skipped: [], agreeing: 0, disagreements: 0 };
  if (!opts.skipState) {
    log('node state: ip route, ip rule, ip neigh, bridge fdb, iptables-save in every namespace');
    const s: StateDiffResult = verifyStateDiff(state, rec);
    report.state = {
      compared: s.compared,
      differ: s.diffs.length,
      orderOnly: s.orderOnly.length,
      learnedNeighbours: s.learnedNeighbours,
      diffs: s.diffs.map((d) => ({ node: d.node, ns: d.ns, command: d.command, lines: d.lines.filter((l) => l.startsWith('-') || l.startsWith('+')) })),
      orderOnlyDiffs: s.orderOnly.map((d) => ({ node: d.node, ns: d.ns, command: d.command })),
    };
  }
  const plan = generateFlows(state, { seed, max: opts.flows });
  report.skipped = plan.skipped;
  const nsLabel = nsLabeler(state);
  const label = (r: IfaceRef) => `${nsLabel(r.node, r.netns)} ${r.iface}`;
  const ipsets = ipsetsOf(state);
  const dir = mkdtempSync(join(tmpdir(), 'kw-verify-'));
  try {
    for (const flow of plan.flows) {
      log(`flow ${flow.id}/${plan.flows.length}: ${flow.category} ${flow.src.label} → ${flow.target}`);
      const trace = tracePacket(state, flow.probe, { enumerate: true, ipsets });
      const { report: fr } = await runFlow(state, rec, flow, trace, { dir, timeoutSec, label, nsLabel });
      report.flows.push(fr);
      if (fr.agree) report.agreeing++;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  report.disagreements = report.flows.length - report.agreeing + (report.state?.differ ?? 0);
  return report;
}

/** The report as text: one line per flow, the details of each disagreement, then `N/M flows agree`. */
export function formatVerify(r: VerifyReport): string {
  const out: string[] = [];
  out.push(`lab ${r.lab}, seed ${r.seed}: ${r.flows.length} flows`);
  for (const s of r.skipped) out.push(`  skipped ${s.category}: ${s.reason}`);
  for (const f of r.flows) {
    const what = `${f.protocol} ${f.dst}${f.protocol === 'ICMP' ? '' : `:${f.dport}`}`;
    out.push(`${f.agree ? 'ok  ' : 'FAIL'} ${String(f.id).padStart(2)} ${f.category}: ${f.source} → ${f.target} (${what}): kernel ${f.kernel.outcome}${f.kernel.endpoint ? ` at ${f.kernel.endpoint}` : ''}`);
    if (f.agree) continue;
    out.push(`       kernel:    ${f.kernel.outcome} (${f.kernel.detail}); request seen on ${f.kernel.path.join(' → ') || 'no captured interface'}`);
    f.simulator.branches.forEach((b, i) => out.push(`       simulator${i === f.simulator.matched ? '*' : ' '}: ${b.outcome}: ${b.where} (p=${b.probability.toFixed(3)})`));
    for (const m of f.mismatches) out.push(`         - ${m}`);
    for (const n of f.notCaptured) out.push(`         (not captured: ${n})`);
  }
  if (r.state) {
    const s = r.state;
    out.push(`node state: ${s.compared} outputs compared, ${s.differ} differ${s.orderOnly ? `, ${s.orderOnly} equal up to line order (${s.orderOnlyDiffs.map((d) => `${d.node.split('.')[0]} ${d.ns}: ${d.command}`).join('; ')})` : ''}${s.learnedNeighbours ? `, ${s.learnedNeighbours} learned neighbour entries left out` : ''}`);
    for (const d of s.diffs) {
      out.push(`--- kernel   ${d.node} ${d.ns}: ${d.command}`, `+++ kubewire ${d.node} ${d.ns}: ${d.command}`, ...d.lines);
    }
  }
  out.push(`${r.agreeing}/${r.flows.length} flows agree`);
  return out.join('\n') + '\n';
}

export { describePacket };
