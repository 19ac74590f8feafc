// Kernel vs simulator for one flow (pure, browser-safe). The kernel's side is what the client saw
// (connected, refused, unreachable, timeout) and the flow's packets captured on every interface of
// the paths the simulator predicted; the simulator's side is the trace with every branch
// (Service endpoint choices). The flow agrees when one branch matches the kernel entirely: the
// outcome, and on every captured interface the request's and the reply's headers (addresses,
// ports, protocol, ICMP type, VXLAN VNI and inner headers, TTL, IP total length), including
// where the request was last seen, which is where it was dropped or delivered (so a policy drop
// is compared like any other). The endpoint the kernel chose is the branch that matched.

import type { Trace, TraceBranch } from '../../engine/index.ts';
import type { CapturedFlowPacket } from './decode.ts';
import { branchEvents, ifaceKey, type ExpectOptions, type Headers, type WireEvent, type WirePacket } from './expect.ts';

export type KernelOutcome = 'connected' | 'refused' | 'unreachable' | 'timeout' | 'error';

export interface KernelObservation {
  outcome: KernelOutcome;
  /** What the client reported ("connected", "[Errno 111] Connection refused", ...). */
  detail: string;
  /** Decoded captures by interface key ("node|netns|iface"); an interface missing here was not captured. */
  captures: Record<string, CapturedFlowPacket[]>;
}

export interface IfaceRef {
  node: string;
  netns: string;
  iface: string;
}

export interface BranchComparison {
  branch: number;
  probability: number;
  /** The namespace that received the request on this branch ("node|netns"), when delivered. */
  endpoint?: string;
  expected: KernelOutcome[];
  mismatches: string[];
}

export interface FlowComparison {
  agree: boolean;
  /** The branch that matched, or the closest one. */
  best: BranchComparison;
  branches: BranchComparison[];
  /** Interfaces where the kernel saw the request, in capture order of first sight. */
  kernelPath: string[];
  /** Namespaces among the branches' endpoints where the kernel's request arrived. */
  kernelEndpoints: string[];
}

/** What the client sees for a branch, as the kernel would make it. */
export function expectedOutcomes(b: TraceBranch): KernelOutcome[] {
  const d = b.forward.disposition;
  switch (d.code) {
    case 'delivered':
    case 'accepted':
      if (!b.reply) return ['connected'];
      return b.reply.disposition.code === 'delivered' || b.reply.disposition.code === 'accepted' ? ['connected'] : dropOutcome(b.reply.disposition.code, b.reply.disposition.signal);
    default:
      return dropOutcome(d.code, d.signal);
  }
}

function dropOutcome(code: string, signal: string | undefined): KernelOutcome[] {
  switch (code) {
    case 'port-closed':
      return ['refused'];
    case 'rejected':
      // REJECT --reject-with: tcp-reset and icmp-port-unreachable refuse; the others are hard
      // unreachable errors for the client.
      return !signal || signal === 'icmp-port-unreachable' || signal === 'tcp-reset' ? ['refused'] : ['unreachable'];
    case 'no-route':
    case 'unreachable':
      return signal ? ['unreachable'] : ['unreachable', 'timeout'];
    case 'null-routed':
      // blackhole: the local sender gets EINVAL, a forwarder drops silently.
      return signal ? ['error'] : ['timeout'];
    case 'neighbour-unreachable':
    case 'ttl-exceeded':
      // The ICMP error (or the local EHOSTUNREACH) comes only after ARP gives up (about 3 s).
      return ['timeout', 'unreachable'];
    case 'exits-vpc':
      // Beyond the VPC nothing answers in the lab: its fabric has no route out and answers
      // ICMP net unreachable (docs/lab.md).
      return ['unreachable', 'timeout'];
    case 'insufficient-info':
      return [];
    default:
      // denied, source-dest-check, martian, forwarding-disabled, wrong-mac, loop: silent drops.
      return ['timeout'];
  }
}

function endpointOf(b: TraceBranch): string | undefined {
  const d = b.forward.disposition;
  return d.code === 'delivered' || d.code === 'accepted' ? `${d.node}|${d.netns}` : undefined;
}

function sig(p: WirePacket): string {
  const inner = p.vxlan ? ` vni ${p.vxlan.vni} [${sig(p.vxlan.inner)}]` : '';
  return `${p.proto} ${p.src}:${p.sport ?? ''} > ${p.dst}:${p.dport ?? ''} t${p.icmpType ?? ''} ttl ${p.ttl} len ${p.length ?? ''}${inner}`;
}

/** Distinct packets in order (retransmissions of the same headers count once). */
function distinct<T extends WirePacket>(xs: T[]): T[] {
  const seen = new Set<string>();
  return xs.filter((x) => {
    const s = sig(x);
    if (seen.has(s)) return false;
    seen.add(s);
    return true;
  });
}

/** Human form of a packet's headers (tcpdump-like). */
export function describePacket(p: WirePacket | Headers): string {
  const proto = p.proto === 6 ? 'TCP' : p.proto === 17 ? 'UDP' : p.proto === 1 ? 'ICMP' : `proto ${p.proto}`;
  const ports = p.proto === 6 || p.proto === 17 ? `${p.src}.${p.sport} > ${p.dst}.${p.dport}` : `${p.src} > ${p.dst}`;
  const icmp = p.proto === 1 ? ` type ${p.icmpType ?? '?'} code ${p.icmpCode ?? '?'}` : '';
  const w = p as WirePacket;
  const inner = w.vxlan ? ` VXLAN vni ${w.vxlan.vni}: ${describePacket(w.vxlan.inner)}` : '';
  return `${proto} ${ports}${icmp} ttl ${p.ttl}${p.length !== undefined ? ` length ${p.length}` : ''}${inner}`;
}

function fieldDiffs(exp: WirePacket, got: WirePacket, free: WireEvent['free'] = [], prefix = ''): string[] {
  const out: string[] = [];
  const cmp = (name: string, a: unknown, b: unknown) => {
    if (a !== undefined && b !== undefined && a !== b) out.push(`${prefix}${name} kernel ${String(b)}, simulator ${String(a)}`);
  };
  cmp('protocol', exp.proto, got.proto);
  cmp('source', exp.src, got.src);
  cmp('destination', exp.dst, got.dst);
  if (!free.includes('sport')) cmp('source port', exp.sport, got.sport);
  if (!free.includes('dport')) cmp('destination port', exp.dport, got.dport);
  cmp('ICMP type', exp.icmpType, got.icmpType);
  cmp('ICMP code', exp.icmpCode, got.icmpCode);
  cmp('TTL', exp.ttl, got.ttl);
  cmp('IP total length', exp.length, got.length);
  if (!!exp.vxlan !== !!got.vxlan) out.push(`${prefix}encapsulation kernel ${got.vxlan ? `VXLAN vni ${got.vxlan.vni}` : 'none'}, simulator ${exp.vxlan ? `VXLAN vni ${exp.vxlan.vni}` : 'none'}`);
  else if (exp.vxlan && got.vxlan) {
    cmp('VXLAN VNI', exp.vxlan.vni, got.vxlan.vni);
    const innerFree = free.flatMap((f) => (f === 'innerSport' ? ['sport' as const] : f === 'innerDport' ? ['dport' as const] : []));
    out.push(...fieldDiffs(exp.vxlan.inner, got.vxlan.inner, innerFree, `${prefix}inner `));
  }
  return out;
}

export interface CompareOptions extends ExpectOptions {
  /** Names an interface for messages (default "node netns iface"). */
  label?: (r: IfaceRef) => string;
}

function compareBranch(b: TraceBranch, i: number, k: KernelObservation, opts: CompareOptions): BranchComparison {
  const label = opts.label ?? ((r: IfaceRef) => `${r.node} ${r.netns} ${r.iface}`);
  const events = branchEvents(b, opts);
  const expected = expectedOutcomes(b);
  const mismatches: string[] = [];
  const d = b.forward.disposition;
  if (!expected.length) mismatches.push(`the simulator cannot decide: ${d.code} at ${d.node} ${d.netns}: ${d.reason}`);
  else if (!expected.includes(k.outcome)) {
    const sim = `${d.code.toUpperCase()} at ${label({ node: d.node, netns: d.netns, iface: d.iface ?? '' }).trim()} (${d.reason})${b.reply ? `, reply ${b.reply.disposition.code}` : ''}`;
    mismatches.push(`outcome: kernel ${k.outcome} (${k.detail}), simulator ${expected.join(' or ')}: ${sim}`);
  }
  // No answer anywhere while the simulator has one: one line, not one per interface.
  const answers = (ps: CapturedFlowPacket[]) => ps.filter((p) => p.leg === 'reply' && p.replyKind === 'answer');
  const replyIfaces = new Set(events.filter((e) => e.leg === 'reply' && ifaceKey(e) in k.captures).map(ifaceKey));
  const noReplyAtAll = !!b.reply && replyIfaces.size > 0 && Object.values(k.captures).every((ps) => answers(ps).length === 0);
  if (noReplyAtAll) mismatches.push(`the simulator's reply passes ${replyIfaces.size} captured interfaces; the kernel sent no answer on any`);
  for (const [key, got] of Object.entries(k.captures)) {
    const [node, netns, iface] = key.split('|');
    const where = label({ node, netns, iface });
    for (const leg of ['request', 'reply'] as const) {
      // Replies are compared where the simulator walked one (a refusal's RST or ICMP error is not in the trace).
      if (leg === 'reply' && (!b.reply || noReplyAtAll)) continue;
      const exp = distinctEvents(events.filter((e) => ifaceKey(e) === key && e.leg === leg));
      const seen = distinct(got.filter((p) => p.leg === leg && (leg === 'request' || p.replyKind === 'answer')));
      const n = Math.max(exp.length, seen.length);
      for (let j = 0; j < n; j++) {
        const e = exp[j];
        const g = seen[j];
        if (e && !g) mismatches.push(`${where}: simulator has the ${leg} here (${describePacket(e.pkt)}), the kernel did not see it`);
        else if (g && !e) mismatches.push(`${where}: kernel saw the ${leg} here (${describePacket(g)}), the simulator does not pass it here`);
        else if (e && g) for (const f of fieldDiffs(e.pkt, g, e.free)) mismatches.push(`${where} ${leg}: ${f}`);
      }
    }
  }
  return { branch: i, probability: b.probability, endpoint: endpointOf(b), expected, mismatches };
}

function distinctEvents(es: WireEvent[]): WireEvent[] {
  const seen = new Set<string>();
  return es.filter((e) => {
    const s = sig(e.pkt);
    if (seen.has(s)) return false;
    seen.add(s);
    return true;
  });
}

/** Compares the kernel's run of a flow with every branch of the simulator's trace. */
export function compareFlow(trace: Trace, k: KernelObservation, opts: CompareOptions = {}): FlowComparison {
  const branches = trace.branches.map((b, i) => compareBranch(b, i, k, opts));
  const seenAt: Array<{ key: string; t: number }> = [];
  for (const [key, got] of Object.entries(k.captures)) {
    const req = got.filter((p) => p.leg === 'request');
    if (req.length) seenAt.push({ key, t: Math.min(...req.map((p) => p.timeUs)) });
  }
  seenAt.sort((a, b) => a.t - b.t);
  const kernelPath = seenAt.map((s) => s.key);
  // The kernel's endpoint: a branch's receiving namespace whose arrival interface saw the
  // request addressed as it arrives there (the source namespace also sees the request, leaving).
  const kernelEndpoints: string[] = [];
  trace.branches.forEach((b, i) => {
    const ep = branches[i].endpoint;
    if (!ep || kernelEndpoints.includes(ep)) return;
    const arrivals = branchEvents(b, opts).filter((e) => e.leg === 'request' && e.dir === 'in' && `${e.node}|${e.netns}` === ep);
    const last = arrivals[arrivals.length - 1];
    if (last && (k.captures[ifaceKey(last)] ?? []).some((p) => p.leg === 'request' && p.dst === last.pkt.dst)) kernelEndpoints.push(ep);
  });
  const agreeing = branches.find((b) => b.mismatches.length === 0);
  const best =
    agreeing ??
    [...branches].sort((a, b) => {
      const ea = a.endpoint && kernelEndpoints.includes(a.endpoint) ? 0 : 1;
      const eb = b.endpoint && kernelEndpoints.includes(b.endpoint) ? 0 : 1;
      return ea - eb || a.mismatches.length - b.mismatches.length || a.branch - b.branch;
    })[0];
  return { agree: !!agreeing, best, branches, kernelPath, kernelEndpoints };
}
