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
import { clusterWorld, tracePacket, type Trace } from '../../engine/index.ts';
import type { WalkWorld } from '../../engine/walk.ts';
import { PROTO_NUM } from '../../engine/packet.ts';
import { KubewireError } from '../../errors.ts';
import { ROOT_NS } from '../../node-state/types.ts';
import { emitTcp, linuxSynOptions } from '../../wire/tcp.ts';
import { DNS_A, dnsQuery, emitDns, parseDns } from '../../wire/dns.ts';
import { clusterDns, coreDnsRecords, upstreamOf } from '../../engine/apps/coredns.ts';
import { stateHash, type LabRecord } from '../lab.node.ts';
import { compareFlow, type FlowComparison, type IfaceRef, type KernelObservation } from './compare.ts';
import { decodeFlowCapture, UDP_REPLY_MARK, UDP_REQUEST_MARK } from './decode.ts';
import { ifaceKey, traceInterfaces } from './expect.ts';
import { generateFlows, type Flow, type SkippedCategory } from './flows.ts';
import { captureFile, listening, runClient, settleCaptures, startCapture, startServer, type Capture, type ClientResult, type Server } from './probe.node.ts';
import { verifyStateDiff, type StateDiffResult } from './state-diff.node.ts';
import { formatPolicy, probePolicyPairs, type PolicyReport } from './policy.node.ts';

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
  /** Policy section: at most this many ordered pod pairs (default 64); 0 skips the section. */
  policyPairs?: number;
  /** Policy section: connect to this TCP port instead of each destination's first listening TCP port. */
  policyPort?: number;
  /** Only the policy section (no flows, no node-state diff). */
  policyOnly?: boolean;
}

/** The kernel's run of one probe against the simulator's trace of it. */
export interface PartReport {
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
  };
  simulator: {
    branches: Array<{ probability: number; outcome: string; endpoint?: string; where: string }>;
    /** The branch that matched the kernel (or the closest, on a disagreement). */
    matched: number;
  };
  /** What differs (empty when it agrees). */
  mismatches: string[];
}

export interface FlowReport extends PartReport {
  id: number;
  category: string;
  source: string;
  target: string;
  kernel: PartReport['kernel'] & {
    /** pod-dns: the A records the client got. */
    dnsAnswers?: string[];
  };
  /** pod-dns: the connection to the answered address. */
  connect?: PartReport;
  /** Interfaces the run did not capture on (more than the cap). */
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
  /** NetworkPolicy pairs: the matrix, the engine and a real connect (when the cluster has NetworkPolicies). */
  policy?: PolicyReport;
  /** Flow disagreements plus node-state differences plus policy pairs that disagree. */
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

const TCP_PAYLOAD = new TextEncoder().encode('GET / HTTP/1.0\r\nHost: kubewire-verify\r\n\r\n');

function payloadOf(flow: Flow): Uint8Array {
  if (flow.probe.protocol === 'TCP') return TCP_PAYLOAD;
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

const MAX_CAPTURES = 64;

/** One probe of a flow and the simulator's trace of it (a DNS flow has two: the query, then the connect). */
interface Part {
  probe: Flow['probe'];
  trace: Trace;
  payload: Uint8Array;
}

interface PartResult {
  part: Part;
  client: ClientResult;
  cmp: FlowComparison;
}

function partReport(r: PartResult, o: { label: (r: IfaceRef) => string; nsLabel: (n: string, ns: string) => string }): PartReport {
  const { cmp, client, part } = r;
  return {
    protocol: part.probe.protocol,
    dst: part.probe.dst,
    dport: part.probe.dport,
    sport: part.probe.sport,
    agree: cmp.agree,
    kernel: {
      outcome: client.outcome,
      detail: client.detail,
      path: cmp.kernelPath.map((k) => {
        const [node, netns, iface] = k.split('|');
        return o.label({ node, netns, iface });
      }),
      endpoint: cmp.kernelEndpoints.length ? cmp.kernelEndpoints.map((e) => o.nsLabel(...(e.split('|') as [string, string]))).join(', ') : undefined,
    },
    simulator: {
      branches: part.trace.branches.map((b, i) => {
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
  };
}

const aRecords = (m: { answers: Array<{ type: number; data: unknown }> }): string[] => m.answers.filter((a) => a.type === DNS_A).map((a) => (a.data as { address: string }).address);

async function runFlow(state: ClusterState, rec: LabRecord, flow: Flow, o: { dir: string; timeoutSec: number; label: (r: IfaceRef) => string; nsLabel: (n: string, ns: string) => string; ipsets: ReturnType<typeof ipsetsOf> }): Promise<FlowReport> {
  const realOf = (node: string, netns: string): string => {
    const r = rec.nodes.find((n) => n.node === node)?.ns[netns];
    if (!r) throw new KubewireError(`lab ${rec.id} has no namespace for ${node} ${netns}; the cluster changed since lab up (lab down && lab up)`);
    return r;
  };
  const trace = (probe: Flow['probe']) => tracePacket(state, probe, { enumerate: true, ipsets: o.ipsets });
  const parts: Part[] = [{ probe: flow.probe, trace: trace(flow.probe), payload: payloadOf(flow) }];
  // pod-dns: the address CoreDNS gives for the name is where the simulator's client connects next.
  const mismatches: string[] = [];
  let simAddrs: string[] = [];
  if (flow.dnsName && flow.connect) {
    const dns = clusterDns(state);
    const want = coreDnsRecords(dns, flow.dnsName, DNS_A, upstreamOf(dns));
    simAddrs = want.forward ? [] : aRecords(want);
    if (simAddrs.length) {
      const probe = { from: flow.probe.from, dst: simAddrs[0], dport: flow.connect.dport, protocol: 'TCP' as const, sport: flow.connect.sport };
      parts.push({ probe, trace: trace(probe), payload: TCP_PAYLOAD });
    } else mismatches.push(`the simulator's CoreDNS has no A record for ${flow.dnsName}`);
  }

  const ifaces = new Map<string, IfaceRef>();
  for (const p of parts) for (const r of [...traceInterfaces(p.trace.branches), ...destinationIfaces(state, p.probe.dst)]) ifaces.set(ifaceKey(r), r);
  const notCaptured: string[] = [];
  // A capture that did not start leaves that interface uncompared: the flow cannot agree.
  const failed: string[] = [];
  const targets = [...ifaces.entries()].slice(0, MAX_CAPTURES);
  for (const [, r] of [...ifaces.entries()].slice(MAX_CAPTURES)) notCaptured.push(`${o.label(r)} (more than ${MAX_CAPTURES} interfaces)`);

  const servers: Server[] = [];
  const captures: Capture[] = [];
  let ownUdpServer = false;
  try {
    // Servers wherever the simulator delivers to a socket and nothing listens yet (the lab's own
    // workloads already serve their pods' declared ports).
    const wanted = new Map<string, { real: string; port: number; proto: 'TCP' | 'UDP' }>();
    for (const p of parts) {
      if (p.probe.protocol === 'ICMP') continue;
      for (const b of p.trace.branches) {
        const d = b.forward.disposition;
        if ((d.code === 'delivered' || d.code === 'accepted') && d.decidedBy?.kind === 'socket' && d.decidedBy.listening !== false) {
          const real = realOf(d.node, d.netns);
          wanted.set(`${real}:${p.probe.protocol}:${d.decidedBy.port}`, { real, port: d.decidedBy.port, proto: p.probe.protocol });
        }
      }
    }
    for (const w of wanted.values()) {
      if (listening(w.real, w.proto, w.port)) continue;
      servers.push(await startServer(w.real, w.proto, w.port, w.proto === 'UDP' ? UDP_REPLY_MARK : 'kubewire-verify', o.timeoutSec * parts.length + 20));
      if (w.proto === 'UDP') ownUdpServer = true;
    }
    const started = await Promise.allSettled(targets.map(([key, r], n) => startCapture(key, realOf(r.node, r.netns), r.iface, captureFile(o.dir, flow.id, n), (o.timeoutSec * parts.length + 30) * 1000)));
    started.forEach((st, n) => {
      if (st.status === 'fulfilled') captures.push(st.value);
      else failed.push(`${o.label(targets[n][1])}: ${String((st.reason as Error)?.message ?? st.reason).split('\n')[0]}`);
    });

    const src = realOf(flow.src.node, flow.src.netns);
    const clients: ClientResult[] = [];
    let dnsAnswers: string[] | undefined;
    for (const [i, p] of parts.entries()) {
      let dst = p.probe.dst;
      if (i === 1 && dnsAnswers?.length) dst = dnsAnswers[0];
      clients.push(await runClient(src, p.probe.protocol, dst, p.probe.dport, p.probe.sport, p.payload, o.timeoutSec));
      const c = clients[i];
      if (i === 0 && flow.dnsName && c.outcome === 'connected' && c.data.length >= 12 && (c.data[2] & 0x80) !== 0) {
        try {
          dnsAnswers = aRecords(parseDns(c.data));
          if ([...dnsAnswers].sort().join(',') !== [...simAddrs].sort().join(',')) {
            mismatches.push(`DNS answer for ${flow.dnsName}: the kernel's resolver got ${dnsAnswers.join(', ') || 'no address'}, CoreDNS (simulator) answers ${simAddrs.join(', ') || 'no address'}`);
          }
        } catch (e) {
          mismatches.push(`DNS answer could not be read: ${(e as Error).message}`);
        }
      }
    }
    // Let the last packets (a late reply on the far interfaces) land before stopping.
    await settleCaptures(captures);
    const files = new Map<string, Uint8Array>();
    for (const c of captures) files.set(c.key, await c.stop());
    captures.length = 0;

    const synLen = linuxSynLength();
    const results: PartResult[] = parts.map((p, i) => {
      const proto = p.probe.protocol;
      const kernel: KernelObservation = { outcome: clients[i].outcome, detail: clients[i].detail, captures: {} };
      for (const [key, bytes] of files) kernel.captures[key] = decodeFlowCapture(bytes, PROTO_NUM[proto], vxlanPorts(state));
      const requestLength = proto === 'TCP' ? synLen : 28 + p.payload.length;
      // Replies: a Linux SYN-ACK to a SYN with every option; verify's own UDP server echoes the
      // request's size (a DNS server's answer size is not predicted); an echo reply mirrors the request.
      const replyLength = proto === 'TCP' ? synLen : proto === 'ICMP' ? requestLength : ownUdpServer && !flow.dnsName ? requestLength : undefined;
      return { part: p, client: clients[i], cmp: compareFlow(p.trace, kernel, { requestLength, replyLength, label: o.label }) };
    });
    const main = partReport(results[0], o);
    const connect = results[1] ? partReport(results[1], o) : undefined;
    const extra = [...mismatches, ...failed.map((f) => `no capture on ${f}`)];
    const agree = results.every((r) => r.cmp.agree) && extra.length === 0;
    return {
      id: flow.id,
      category: flow.category,
      source: flow.src.label,
      target: flow.target,
      ...main,
      agree,
      kernel: { ...main.kernel, ...(dnsAnswers ? { dnsAnswers } : {}) },
      mismatches: agree ? [] : [...(results[0].cmp.agree ? [] : results[0].cmp.best.mismatches), ...extra],
      ...(connect ? { connect } : {}),
      notCaptured,
    };
  } finally {
    for (const c of captures) await c.stop().catch(() => undefined);
    for (const sv of servers) sv.stop();
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
  if (!opts.skipState && !opts.policyOnly) {
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
  const plan = opts.policyOnly ? { flows: [] as Flow[], skipped: [] as SkippedCategory[] } : generateFlows(state, { seed, max: opts.flows });
  report.skipped = plan.skipped;
  const nsLabel = nsLabeler(state);
  const label = (r: IfaceRef) => `${nsLabel(r.node, r.netns)} ${r.iface}`;
  const ipsets = ipsetsOf(state);
  const dir = mkdtempSync(join(tmpdir(), 'kw-verify-'));
  try {
    for (const flow of plan.flows) {
      log(`flow ${flow.id}/${plan.flows.length}: ${flow.category} ${flow.src.label} → ${flow.target}`);
      const fr = await runFlow(state, rec, flow, { dir, timeoutSec, label, nsLabel, ipsets });
      report.flows.push(fr);
      if (fr.agree) report.agreeing++;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const hasPolicies = Object.keys(state.objects).some((k) => k.startsWith('NetworkPolicy/'));
  if (hasPolicies && opts.policyPairs !== 0) {
    log('policy: matrix, engine and a real TCP connect for each pod pair the NetworkPolicies touch');
    report.policy = await probePolicyPairs(state, rec, { seed, maxPairs: opts.policyPairs, port: opts.policyPort, timeoutSec, log, world: { ...clusterWorld(state), ipsets } as WalkWorld });
  }
  report.disagreements = report.flows.length - report.agreeing + (report.state?.differ ?? 0) + (report.policy ? report.policy.pairs.length - report.policy.agreeing : 0);
  return report;
}

/** The report as text: one line per flow, the details of each disagreement, the policy section, then `N/M flows agree` and `N/M policy pairs agree`. */
export function formatVerify(r: VerifyReport): string {
  const out: string[] = [];
  out.push(`lab ${r.lab}, seed ${r.seed}: ${r.flows.length} flows`);
  for (const s of r.skipped) out.push(`  skipped ${s.category}: ${s.reason}`);
  for (const f of r.flows) {
    const what = `${f.protocol} ${f.dst}${f.protocol === 'ICMP' ? '' : `:${f.dport}`}`;
    out.push(`${f.agree ? 'ok  ' : 'FAIL'} ${String(f.id).padStart(2)} ${f.category}: ${f.source} → ${f.target} (${what}): kernel ${f.kernel.outcome}${f.kernel.endpoint ? ` at ${f.kernel.endpoint}` : ''}`);
    if (f.connect) out.push(`       then ${f.connect.protocol} ${f.connect.dst}:${f.connect.dport}${f.kernel.dnsAnswers ? ` (answered ${f.kernel.dnsAnswers.join(', ') || 'nothing'})` : ''}: kernel ${f.connect.kernel.outcome}${f.connect.kernel.endpoint ? ` at ${f.connect.kernel.endpoint}` : ''}`);
    if (f.agree) continue;
    const detail = (p: PartReport, indent: string) => {
      out.push(`${indent}kernel:    ${p.kernel.outcome} (${p.kernel.detail}); request seen on ${p.kernel.path.join(' → ') || 'no captured interface'}`);
      p.simulator.branches.forEach((b, i) => out.push(`${indent}simulator${i === p.simulator.matched ? '*' : ' '}: ${b.outcome}: ${b.where} (p=${b.probability.toFixed(3)})`));
    };
    detail(f, '       ');
    for (const m of f.mismatches) out.push(`         - ${m}`);
    if (f.connect && !f.connect.agree) {
      out.push('       then:');
      detail(f.connect, '         ');
      for (const m of f.connect.mismatches) out.push(`           - ${m}`);
    }
    for (const n of f.notCaptured) out.push(`         (not captured: ${n})`);
  }
  if (r.state) {
    const s = r.state;
    out.push(`node state: ${s.compared} outputs compared, ${s.differ} differ${s.orderOnly ? `, ${s.orderOnly} equal up to line order (${s.orderOnlyDiffs.map((d) => `${d.node.split('.')[0]} ${d.ns}: ${d.command}`).join('; ')})` : ''}${s.learnedNeighbours ? `, ${s.learnedNeighbours} learned neighbour entries left out` : ''}`);
    for (const d of s.diffs) {
      out.push(`--- kernel   ${d.node} ${d.ns}: ${d.command}`, `+++ kubewire ${d.node} ${d.ns}: ${d.command}`, ...d.lines);
    }
  }
  if (r.policy) out.push(...formatPolicy(r.policy));
  // Only the policy section ran (--policy-only): no flow count to give.
  if (!(r.policy && r.flows.length === 0 && r.skipped.length === 0)) out.push(`${r.agreeing}/${r.flows.length} flows agree`);
  if (r.policy) out.push(`${r.policy.agreeing}/${r.policy.pairs.length} policy pairs agree`);
  return out.join('\n') + '\n';
}

