// The engine façade: trace a packet through a simulated cluster, from a pod or a node, to an
// address and port — every Service endpoint branch with its probability (or one chosen with a
// seed) — and the reply back through conntrack. Returns plain records; renderTraceText prints them.

import type { ClusterState } from '../control-plane/types.ts';
import { podSandbox } from '../control-plane/kubelet.ts';
import { findNode, findPodNetns } from '../k8s/lookup.ts';
import { ROOT_NS } from '../node-state/types.ts';
import { type L4Proto, type Packet, PROTO_NUM, packetSummary, seededRng } from './packet.ts';
import type { NfChoice } from './netfilter/types.ts';
import { renderConntrack } from './conntrack.ts';
import { replyPacket, walkFrom, type Branch, type DecidedBy, type Disposition, type Step, type WalkWorld } from './walk.ts';
import { networkPolicyEnabled, vpcPolicyAgent } from '../cni/vpc-cni/policy-agent.ts';
import { calicoPolicyExplainer } from '../cni/calico/policy-trace.ts';
import { podListeners, type Container } from './apps/workloads.ts';

export interface Probe {
  from: { pod: string; namespace: string } | { node: string };
  dst: string;
  dport: number;
  protocol: 'TCP' | 'UDP' | 'ICMP';
  sport?: number;
}

export interface TraceLeg {
  steps: Step[];
  disposition: Disposition;
}

export interface TraceBranch {
  probability: number;
  /** Probabilistic rules decided on this branch (Service endpoint choices). */
  choices: NfChoice[];
  forward: TraceLeg;
  /** The answer from the receiving socket, walked back (present when the request was delivered). */
  reply?: TraceLeg;
  /** `conntrack -L` of every namespace that tracked the flow, after forward and reply. */
  conntrack: Record<string, string>;
}

export interface Trace {
  probe: Probe;
  source: { node: string; netns: string; label: string };
  mode: 'enumerate' | 'concrete';
  seed?: number;
  branches: TraceBranch[];
  /** What the reader should know about the cluster (e.g. NetworkPolicies that nothing enforces). */
  notes?: string[];
}

/** The walk's view of a cluster: hosts, VPC, which instance is which node, who listens where. */
export function clusterWorld(state: ClusterState): WalkWorld {
  const instanceNode: Record<string, string> = {};
  for (const n of state.nodes) instanceNode[n.instanceId] = n.name;
  // What each pod's programs listen on: podListeners (its images, else its declared ports), the
  // same decision the lab's workloads serve.
  const ports = new Map<string, { known: boolean; list: Array<{ proto: number; port: number }> }>();
  for (const [key, obj] of Object.entries(state.objects)) {
    if (!key.startsWith('Pod/')) continue;
    const pod = obj as unknown as { metadata: { namespace?: string; name: string }; spec?: { nodeName?: string; hostNetwork?: boolean; containers?: Container[] } };
    const node = pod.spec?.nodeName;
    if (!node) continue;
    let netns: string | undefined;
    if (pod.spec?.hostNetwork) netns = ROOT_NS;
    else netns = podSandbox(state, pod.metadata.namespace ?? 'default', pod.metadata.name)?.netns;
    if (!netns) continue;
    const entry = ports.get(`${node}/${netns}`) ?? { known: false, list: [] };
    const { listeners, known } = podListeners({ containers: pod.spec?.containers ?? [] });
    entry.known ||= known;
    for (const l of listeners) entry.list.push({ proto: PROTO_NUM[l.proto.toUpperCase() as L4Proto] ?? 6, port: l.port });
    ports.set(`${node}/${netns}`, entry);
  }
  return {
    hosts: state.hosts,
    vpc: state.vpc,
    instanceNode,
    // The VPC CNI's network policy agent at the pods' host veths (Calico enforces in its iptables chains).
    policyAt: vpcPolicyAgent(state),
    listening(node, netns, proto, port) {
      const entry = ports.get(`${node}/${netns}`);
      if (entry?.list.some((p) => p.proto === proto && p.port === port)) return true;
      // A pod whose programs are known listens on those only; a node (other programs may listen
      // there) or a pod of an unknown image without declared ports: unknown.
      if (netns !== ROOT_NS && entry?.known) return false;
      return undefined;
    },
  };
}

function sourceOf(state: ClusterState, probe: Probe): { node: string; netns: string; label: string } {
  if ('pod' in probe.from) {
    const { node, netns } = findPodNetns(state, probe.from.namespace, probe.from.pod);
    return { node, netns, label: `pod ${probe.from.namespace}/${probe.from.pod}` };
  }
  const n = findNode(state, probe.from.node);
  return { node: n.name, netns: ROOT_NS, label: `node ${n.name}` };
}

function conntrackDump(b: Branch): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, t] of Object.entries(b.state.conntrack)) {
    const r = renderConntrack(t);
    if (r.stdout) out[k] = r.stdout;
  }
  return out;
}

/**
 * Trace a packet. With `enumerate` (the default) every probabilistic branch is followed; with
 * `enumerate: false` one branch is chosen by a PRNG seeded with `seed` (default 1).
 */
export interface TraceOptions {
  seed?: number;
  enumerate?: boolean;
  /** Kernel ipsets by node and namespace (kept by the CNI agent, e.g. Calico's Felix) for `-m set`. */
  ipsets?: WalkWorld['ipsets'];
}

export function tracePacket(cluster: ClusterState, probe: Probe, opts: TraceOptions = {}): Trace {
  const source = sourceOf(cluster, probe);
  const world: WalkWorld = { ...clusterWorld(cluster), ipsets: opts.ipsets };
  const enumerate = opts.enumerate ?? true;
  const seed = opts.seed ?? 1;
  const rng = seededRng(seed);
  const proto = PROTO_NUM[probe.protocol];
  const pkt: Packet = { family: 4, src: '', dst: probe.dst, proto, ttl: 64, mark: 0 };
  if (probe.protocol === 'ICMP') {
    pkt.icmpType = 8;
    pkt.icmpCode = 0;
    pkt.icmpId = probe.sport ?? 1;
  } else {
    pkt.sport = probe.sport ?? 43512;
    pkt.dport = probe.dport;
    if (probe.protocol === 'TCP') pkt.tcpFlags = 0x02;
  }
  const walkOpts = { enumerate, rng };
  const fwd = walkFrom(world, { node: source.node, netns: source.netns }, pkt, walkOpts);
  // Felix's policy chains read back as the policies and rules they render.
  const explain = cluster.spec.cni.type === 'calico-vxlan' ? calicoPolicyExplainer(cluster) : undefined;
  const branches: TraceBranch[] = [];
  for (const b of fwd) {
    const d = b.disposition;
    explain?.(b.steps, b.disposition);
    if (d.code === 'delivered' || d.code === 'accepted') {
      const rp = replyPacket(b.final);
      const replies = walkFrom(world, { node: d.node, netns: d.netns }, rp, walkOpts, b.state);
      for (const r of replies) {
        explain?.(r.steps, r.disposition);
        branches.push({
          probability: b.probability * r.probability,
          choices: [...b.choices, ...r.choices],
          forward: { steps: b.steps, disposition: b.disposition },
          reply: { steps: r.steps, disposition: r.disposition },
          conntrack: conntrackDump(r),
        });
      }
    } else {
      branches.push({ probability: b.probability, choices: b.choices, forward: { steps: b.steps, disposition: b.disposition }, conntrack: conntrackDump(b) });
    }
  }
  const trace: Trace = { probe, source, mode: enumerate ? 'enumerate' : 'concrete', seed: enumerate ? undefined : seed, branches };
  // The VPC CNI alone does not enforce NetworkPolicies: say so rather than let a delivery look like consent.
  if (cluster.spec.cni.type === 'vpc-cni' && !networkPolicyEnabled(cluster.spec) && Object.keys(cluster.objects).some((k) => k.startsWith('NetworkPolicy/')))
    trace.notes = ['NetworkPolicies exist, but nothing enforces them: the Amazon VPC CNI runs without its network policy agent (vpc-cni enableNetworkPolicy is not "true"); see `kubewire policy explain`'];
  return trace;
}

function decidedText(d: DecidedBy | undefined): string {
  if (!d) return '';
  switch (d.kind) {
    case 'rule':
      return `${d.table} ${d.chain} #${d.rule}: ${d.text}`;
    case 'policy':
      return `${d.table} ${d.chain} policy ${d.policy}`;
    case 'no-table':
      return `no ${d.table} table`;
    case 'route':
      return `${d.rule ? `rule "${d.rule.text.replace('\t', ' ')}" → ` : ''}route "${d.route}"`;
    case 'no-route':
      return `${d.error}${d.rule ? ` (rule "${d.rule.text.replace('\t', ' ')}")` : ''}`;
    case 'neigh':
      return `neigh ${d.ip} dev ${d.dev}${d.lladdr ? ` lladdr ${d.lladdr}` : ''}${d.state ? ` ${d.state}` : ''}${d.answeredBy ? ` (answered by ${d.answeredBy})` : ''}`;
    case 'conntrack':
      return `conntrack #${d.id} ${d.state} ${d.dir}: ${d.entry}`;
    case 'nat':
      return `${d.type} ${d.from} → ${d.to}${d.rule ? ` by ${d.rule.table} ${d.rule.chain} #${d.rule.rule}: ${d.rule.text}` : ''}`;
    case 'sysctl':
      return `${d.key} = ${d.value}`;
    case 'eni':
      return `${d.eniId}${d.check ? ` (${d.check} check)` : ''}`;
    case 'link':
      return `${d.dev} ${d.state}`;
    case 'fdb':
      return `bridge fdb ${d.mac} dev ${d.dev}${d.dst ? ` dst ${d.dst}` : ' (none)'}`;
    case 'socket':
      return `${d.proto}/${d.port} ${d.listening === true ? 'listening' : d.listening === 'assumed' ? 'listener assumed' : 'closed'}`;
    case 'netpol':
      return `${d.enforcer}: ${d.direction} of ${d.pod} ${d.text}`;
  }
}

function legText(leg: TraceLeg, indent: string): string {
  let s = '';
  let where = '';
  for (const st of leg.steps) {
    // The drop step repeats the disposition, printed below.
    if (st.kind === 'drop') continue;
    const w = `${st.node} ${st.netns}`;
    if (w !== where) {
      s += `${indent}[${w}]\n`;
      where = w;
    }
    let line = `${indent}  ${st.kind.padEnd(9)} ${st.iface ? `${st.iface}: ` : ''}${st.what}`;
    if (st.verdict) line += ` → ${st.verdict}`;
    s += `${line}\n`;
    const dec = decidedText(st.decidedBy);
    if (dec && st.kind !== 'conntrack') s += `${indent}            by ${dec}\n`;
    if (st.kind === 'hook' && st.matched) {
      for (const m of st.matched) {
        if (st.decidedBy?.kind === 'rule' && st.decidedBy.chain === m.chain && st.decidedBy.rule === m.rule) continue;
        s += `${indent}            matched ${m.chain} #${m.rule}: ${m.text}\n`;
      }
    }
    if (st.kind === 'hook' && st.decidedBy?.kind !== 'netpol') for (const p of st.policy ?? []) s += `${indent}            policy: ${p.direction} of ${p.pod} ${p.text}\n`;
    if (st.detail) s += `${indent}            (${st.detail})\n`;
    if (st.kind === 'nat' || st.kind === 'forward' || st.kind === 'originate') s += `${indent}            packet ${packetSummary(st.packet)}\n`;
  }
  const d = leg.disposition;
  s += `${indent}=> ${d.code.toUpperCase()} at ${d.node} ${d.netns}${d.iface ? ` ${d.iface}` : ''}: ${d.reason}${d.signal ? ` [${d.signal}]` : ''}\n`;
  if (d.decidedBy && d.decidedBy.kind !== 'socket') s += `${indent}   by ${decidedText(d.decidedBy)}\n`;
  return s;
}

/** Text rendering of a trace (the CLI's default output). */
export function renderTraceText(trace: Trace): string {
  const p = trace.probe;
  let s = `trace ${p.protocol} to ${p.dst}${p.protocol === 'ICMP' ? '' : `:${p.dport}`} from ${trace.source.label} (${trace.source.node}, netns ${trace.source.netns})\n`;
  s += trace.mode === 'enumerate' ? `${trace.branches.length} outcome(s)\n` : `one run, seed ${trace.seed}\n`;
  for (const n of trace.notes ?? []) s += `note: ${n}\n`;
  trace.branches.forEach((b, i) => {
    s += `\n--- outcome ${i + 1}: probability ${b.probability.toFixed(4)}`;
    if (b.choices.length) s += ` (${b.choices.map((c) => `${c.rule.chain} #${c.rule.rule} ${c.matched ? 'taken' : 'skipped'}`).join(', ')})`;
    s += `: ${b.forward.disposition.code}${b.reply ? `, reply ${b.reply.disposition.code}` : ''}\n`;
    s += legText(b.forward, '  ');
    if (b.reply) {
      s += '  reply:\n';
      s += legText(b.reply, '  ');
    }
    const ct = Object.entries(b.conntrack);
    if (ct.length) {
      s += '  conntrack -L:\n';
      for (const [k, v] of ct) s += `    [${k}]\n${v.split('\n').filter(Boolean).map((l) => `      ${l}\n`).join('')}`;
    }
  });
  return s;
}

export { walkFrom, walkArriving, replyPacket, newWalkState } from './walk.ts';
export type { Branch, Step, Disposition, DispositionCode, DecidedBy, PolicyDecision, WalkWorld, WalkOptions, WalkState } from './walk.ts';
export { evalTable, HOOK_TABLES } from './netfilter/eval.ts';
export { renderConntrack } from './conntrack.ts';
export { traceNodeIngress, renderNodeIngressText } from './netfilter/node-ingress.ts';
export type { NodeIngressOutcome, NodeIngressOptions, NodeIngressStep } from './netfilter/node-ingress.ts';
export type { NfOutcome, NfRuleRef, NfDecider, NfChoice, NatRequest, Hook, WalkedRange } from './netfilter/types.ts';
export type { NfEnv, IpSet, RecentTables, CtMatchView, CtState } from './netfilter/eval.ts';
export { routeOutput, routeInput, fibLookup, addrType, selectSourceAddress, validateSource } from './route.ts';
export { resolveNeighbour, arpResponds } from './neigh.ts';
export { ctLookup, ctConfirm, ctUpdate, ctBindNat, ctApplyNat, newCtTable, conntrackLine } from './conntrack.ts';
export type { CtTable, CtEntry, CtTuple } from './conntrack.ts';
export type { Packet } from './packet.ts';
