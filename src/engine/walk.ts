// The packet walk through hosts: out of a namespace (route, OUTPUT, POSTROUTING, neighbour), over a
// veth to its peer namespace or out of an ENI into the VPC fabric, into the next namespace
// (PREROUTING, routing decision with rp_filter and ip_forward, INPUT or FORWARD with the TTL
// decrement, POSTROUTING) and so on until the packet is delivered to a socket or dropped.
// Every step is a plain record (STYLE.md §3) and the walk ends in a coded disposition.
// Probabilistic netfilter branches (Service endpoints) are enumerated with their probabilities,
// or one is chosen with the caller's seeded RNG.

import { ROOT_NS, type Host, type NetNs } from '../node-state/types.ts';
import type { VpcState, Eni } from '../aws/types.ts';
import type { TableName } from '../netfilter/types.ts';
import { evalTable, type CtMatchView, type IpSet, type NfEnv, type RecentTables } from './netfilter/eval.ts';
import type { Hook, NfChoice, NfDecider, NfOutcome, NfRuleRef } from './netfilter/types.ts';
import { type Packet, inPrefix4, packetSummary } from './packet.ts';
import { fibErrorText, fibLookup, routeInput, routeOutput, selectSourceAddress, type FibResult } from './route.ts';
import { arpResponds, resolveNeighbour, type ArpAnswer } from './neigh.ts';
import { flowHash } from '../wire/vxlan.ts';
import { udpFlowSrcPort } from '../wire/udp.ts';
import {
  conntrackLine,
  ctApplyNat,
  ctBindNat,
  ctConfirm,
  ctHasNat,
  ctLookup,
  ctUpdate,
  ctView,
  newCtTable,
  type CtResult,
  type CtTable,
} from './conntrack.ts';

export type StepKind = 'originate' | 'hook' | 'conntrack' | 'nat' | 'route' | 'forward' | 'neigh' | 'device' | 'encap' | 'decap' | 'fabric' | 'deliver' | 'drop';

export type DecidedBy =
  | NfDecider
  | { kind: 'route'; table: number; route: string; rule?: { priority: number; text: string } }
  | { kind: 'no-route'; error: string; rule?: { priority: number; text: string } }
  | { kind: 'neigh'; dev: string; ip: string; lladdr?: string; state?: string; answeredBy?: string }
  | { kind: 'conntrack'; id: number; state: string; dir: 'ORIGINAL' | 'REPLY'; entry: string }
  | { kind: 'nat'; type: string; from: string; to: string; rule?: NfRuleRef }
  | { kind: 'sysctl'; key: string; value: string }
  | { kind: 'eni'; eniId: string; check?: 'source' | 'destination' }
  | { kind: 'link'; dev: string; state: string }
  | { kind: 'fdb'; dev: string; mac: string; dst?: string }
  | { kind: 'socket'; proto: string; port: number; listening: boolean | 'assumed' }
  | ({ kind: 'netpol' } & PolicyDecision);

/** A NetworkPolicy verdict of the CNI's enforcement, in the trace's words. */
export interface PolicyDecision {
  /** Who enforced it ("calico", "aws-network-policy-agent"). */
  enforcer: string;
  direction: 'ingress' | 'egress';
  /** The pod whose policies decided ("namespace/name"). */
  pod: string;
  allowed: boolean;
  /** The policy and rule (0-based index into spec.ingress / spec.egress) that allowed it. */
  policy?: { namespace: string; name: string };
  rule?: number;
  /** Policies selecting the pod for this direction (for a denial: none of them allowed it). */
  selectedBy: string[];
  /** One line: "allowed by x/web spec.ingress[0]", "denied: no policy allowed it (selected by x/deny)". */
  text: string;
}

export interface Step {
  node: string;
  netns: string;
  iface?: string;
  kind: StepKind;
  /** Short description ("nat PREROUTING", "route lookup", "veth → cni-…/eth0"). */
  what: string;
  hook?: Hook;
  table?: TableName;
  verdict?: string;
  decidedBy?: DecidedBy;
  /** Netfilter rules whose matches held on the way (for hook steps). */
  matched?: NfRuleRef[];
  /** Probabilistic choices taken in this step. */
  choices?: NfChoice[];
  detail?: string;
  /** Headers after the step. */
  packet: Packet;
  /** NetworkPolicy verdicts the step's rules stand for (Calico's policy chains). */
  policy?: PolicyDecision[];
  /** Frames this step puts on or takes off a device, as a capture there shows them (src/capture). */
  wire?: WireFrame[];
}

/** A frame on a device as `tcpdump -i dev` sees it: the link addresses, the IP headers, and the
 *  frames tunnelled inside (VXLAN), outermost first. Sent frames are seen after POSTROUTING,
 *  received ones before PREROUTING. */
export interface WireFrame {
  node: string;
  netns: string;
  dev: string;
  dir: 'out' | 'in';
  srcMac: string;
  dstMac: string;
  packet: Packet;
  inner?: Array<{ vni: number; srcMac: string; dstMac: string; packet: Packet }>;
}

export type DispositionCode =
  | 'delivered'
  | 'accepted'
  | 'denied'
  | 'rejected'
  | 'no-route'
  | 'null-routed'
  | 'unreachable'
  | 'neighbour-unreachable'
  | 'source-dest-check'
  | 'ttl-exceeded'
  | 'port-closed'
  | 'insufficient-info'
  | 'loop'
  | 'martian'
  | 'forwarding-disabled'
  | 'link-down'
  | 'exits-vpc'
  | 'wrong-mac';

export interface Disposition {
  code: DispositionCode;
  node: string;
  netns: string;
  iface?: string;
  reason: string;
  decidedBy?: DecidedBy;
  /** What the sender would see (ICMP type, TCP RST, socket error). */
  signal?: string;
}

export interface Branch {
  probability: number;
  choices: NfChoice[];
  steps: Step[];
  disposition: Disposition;
  /** The packet as it was when the walk ended. */
  final: Packet;
  /** Where the conntrack state of this branch ended (for the reply walk and `conntrack -L`). */
  state: WalkState;
}

/** Everything the walk mutates: per-namespace conntrack tables and match state. Cloned per branch. */
export interface WalkState {
  /** Keyed "<node>/<netns>". */
  conntrack: Record<string, CtTable>;
  recent: Record<string, RecentTables>;
  nth: Record<string, Record<string, number>>;
  /** Entries of first packets not yet confirmed, by "<node>/<netns>". */
  pending: Record<string, import('./conntrack.ts').CtEntry>;
}

export function newWalkState(): WalkState {
  return { conntrack: {}, recent: {}, nth: {}, pending: {} };
}

export interface WalkWorld {
  hosts: Record<string, Host>;
  vpc?: VpcState;
  /** EC2 instance id → node (host) name, to follow an ENI to the host it is attached to. */
  instanceNode?: Record<string, string>;
  /**
   * Is something listening on proto/port in this namespace? true / false, or undefined when
   * unknown (the walk then assumes a listener and says so).
   */
  listening?: (node: string, netns: string, proto: number, port: number) => boolean | undefined;
  /** ipsets by namespace, for `-m set`. */
  ipsets?: (node: string, netns: string) => Record<string, IpSet> | undefined;
  /**
   * A network policy agent at a pod's host-side veth (the VPC CNI's eBPF agent): its verdict on a
   * packet leaving the pod (egress, tc ingress of the host veth) or entering it (ingress, tc egress).
   * `established`: the flow is known to the host's conntrack (replies pass). undefined: not enforced.
   */
  policyAt?: (at: { node: string; podNs: string; hostIf: string; direction: 'ingress' | 'egress'; pkt: Packet; established: boolean }) => PolicyDecision | undefined;
}

export interface WalkOptions {
  /** Enumerate every probabilistic branch (default) or pick one with `rng`. */
  enumerate?: boolean;
  rng?: () => number;
  now?: number;
  maxHops?: number;
}

interface Cursor {
  steps: Step[];
  probability: number;
  choices: NfChoice[];
  pkt: Packet;
  state: WalkState;
  hops: number;
  seen: string[];
  /** Packets inside tunnels, innermost last: popped when the outer packet is decapsulated. */
  encap: Array<{ inner: Packet; innerSrcMac: string; innerDstMac: string; vni: number; port: number }>;
}

interface Ctx {
  world: WalkWorld;
  opts: WalkOptions;
}

function cloneCursor(c: Cursor): Cursor {
  return {
    steps: [...c.steps],
    probability: c.probability,
    choices: [...c.choices],
    pkt: { ...c.pkt },
    state: structuredClone(c.state),
    hops: c.hops,
    seen: [...c.seen],
    encap: c.encap.map((e) => ({ ...e, inner: { ...e.inner } })),
  };
}

function nsOf(ctx: Ctx, node: string, netns: string): NetNs {
  const h = ctx.world.hosts[node];
  const ns = h?.namespaces[netns];
  if (!ns) throw new Error(`walk: no namespace ${netns} on ${node}`);
  return ns;
}

function ctTable(cur: Cursor, node: string, netns: string): CtTable {
  const k = `${node}/${netns}`;
  return (cur.state.conntrack[k] ??= newCtTable());
}

const PASSED = new Set<DispositionCode>(['delivered', 'accepted', 'exits-vpc']);

function end(cur: Cursor, d: Disposition): Branch[] {
  // A drop is a step too (Batfish's last hop step): where, why, and what decided it.
  if (!PASSED.has(d.code)) step(cur, { node: d.node, netns: d.netns, iface: d.iface, kind: 'drop', what: `${d.code}: ${d.reason}`, verdict: 'DROP', decidedBy: d.decidedBy });
  return [{ probability: cur.probability, choices: cur.choices, steps: cur.steps, disposition: d, final: cur.pkt, state: cur.state }];
}

function step(cur: Cursor, s: Omit<Step, 'packet'>): void {
  cur.steps.push({ ...s, packet: { ...cur.pkt } });
}

/** Pick the branches to follow from a netfilter result. */
function branches(ctx: Ctx, cur: Cursor, outs: NfOutcome[]): Array<[Cursor, NfOutcome]> {
  if (outs.length === 1) return [[cur, outs[0]]];
  if (ctx.opts.enumerate === false) {
    const u = (ctx.opts.rng ?? Math.random)();
    let acc = 0;
    let pick = outs[outs.length - 1];
    for (const o of outs) {
      acc += o.probability;
      if (u < acc) {
        pick = o;
        break;
      }
    }
    // The run records what it chose and how likely that choice was.
    cur.probability *= pick.probability;
    cur.choices.push(...pick.choices);
    return [[cur, pick]];
  }
  return outs.map((o, i) => {
    const c = i === outs.length - 1 ? cur : cloneCursor(cur);
    c.probability *= o.probability;
    c.choices.push(...o.choices);
    return [c, o];
  });
}

interface HookCtx {
  node: string;
  netns: string;
  iif?: string;
  oif?: string;
  ct?: CtResult;
  /** POSTROUTING: the next hop (MASQUERADE picks its address by it). */
  nexthop?: string;
}

/** Traverse one table at a hook; continue with `next` for each non-final outcome. */
function table(ctx: Ctx, cur: Cursor, h: HookCtx, tbl: TableName, hook: Hook, next: (c: Cursor, o: NfOutcome) => Branch[]): Branch[] {
  const ns = nsOf(ctx, h.node, h.netns);
  const key = `${h.node}/${h.netns}`;
  const env: NfEnv = {
    ns,
    hook,
    iif: h.iif,
    oif: h.oif,
    ct: h.ct ? ctView(h.ct) : undefined,
    ipsets: ctx.world.ipsets?.(h.node, h.netns),
    recent: (cur.state.recent[key] ??= {}),
    nth: (cur.state.nth[key] ??= {}),
    now: ctx.opts.now ?? 0,
  };
  const outs = evalTable(ns.netfilter, tbl, hook, cur.pkt, env, h.ct?.entry?.mark);
  const out: Branch[] = [];
  for (const [c, o] of branches(ctx, cur, outs)) {
    const hc = resolveHook(c, h);
    c.pkt = { ...o.packet };
    if (o.recent) c.state.recent[key] = o.recent;
    if (o.nth) c.state.nth[key] = o.nth;
    if (hc.ct?.entry && o.ctmark !== undefined) hc.ct.entry.mark = o.ctmark;
    if (o.decidedBy.kind !== 'no-table') {
      step(c, {
        node: h.node,
        netns: h.netns,
        iface: h.iif ?? h.oif,
        kind: 'hook',
        what: `${tbl} ${hook}`,
        hook,
        table: tbl,
        verdict: o.verdict,
        decidedBy: o.decidedBy,
        matched: o.matched,
        choices: o.choices.length ? o.choices : undefined,
        detail: o.logs.length ? o.logs.map((l) => `${l.target}${l.prefix ? ` "${l.prefix}"` : ''} (rule ${l.rule.chain}#${l.rule.rule})`).join('; ') : undefined,
      });
    }
    if (o.verdict === 'DROP') {
      out.push(...end(c, { code: 'denied', node: h.node, netns: h.netns, iface: h.iif ?? h.oif, reason: `dropped by ${tbl} ${hook}`, decidedBy: o.decidedBy }));
      continue;
    }
    if (o.verdict === 'REJECT') {
      out.push(...end(c, { code: 'rejected', node: h.node, netns: h.netns, iface: h.iif ?? h.oif, reason: `rejected by ${tbl} ${hook}`, decidedBy: o.decidedBy, signal: o.rejectWith }));
      continue;
    }
    if (o.verdict === 'INSUFFICIENT') {
      out.push(...end(c, { code: 'insufficient-info', node: h.node, netns: h.netns, reason: o.insufficient?.reason ?? 'not modelled', decidedBy: o.decidedBy }));
      continue;
    }
    out.push(...next(c, o));
  }
  return out;
}

/** The hook context with its conntrack entry taken from this cursor's own (possibly cloned) state. */
function resolveHook(c: Cursor, h: HookCtx): HookCtx {
  if (!h.ct?.entry) return h;
  const k = `${h.node}/${h.netns}`;
  const id = h.ct.entry.id;
  const e = c.state.conntrack[k]?.entries.find((x) => x.id === id) ?? (c.state.pending[k]?.id === id ? c.state.pending[k] : undefined);
  return { ...h, ct: { ...h.ct, entry: e ?? h.ct.entry } };
}

/** Run tables in sequence, each continuing into the next. */
function tables(ctx: Ctx, cur: Cursor, h: HookCtx, list: TableName[], hook: Hook, done: (c: Cursor, h: HookCtx) => Branch[]): Branch[] {
  if (list.length === 0) return done(cur, h);
  const [first, ...rest] = list;
  if (first === 'nat') return natHook(ctx, cur, h, hook, (c, hh) => tables(ctx, c, hh, rest, hook, done));
  return table(ctx, cur, h, first, hook, (c) => tables(ctx, c, resolveHook(c, h), rest, hook, done));
}

/** The nat hook: the nat table for a connection's first packet, else the connection's binding. */
function natHook(ctx: Ctx, cur: Cursor, h: HookCtx, hook: Hook, next: (c: Cursor, h: HookCtx) => Branch[]): Branch[] {
  const manip: 'src' | 'dst' = hook === 'PREROUTING' || hook === 'OUTPUT' ? 'dst' : 'src';
  const ct = h.ct;
  if (!ct?.entry) return next(cur, h);
  const e = ct.entry;
  const done = manip === 'dst' ? e.natDstDone : e.natSrcDone;
  if ((ct.state === 'NEW' || ct.state === 'RELATED') && !done) {
    return table(ctx, cur, h, 'nat', hook, (c, o) => {
      const hh = resolveHook(c, h);
      const entry = hh.ct!.entry!;
      if (!o.nat) {
        if (manip === 'dst') entry.natDstDone = true;
        else entry.natSrcDone = true;
        return next(c, hh);
      }
      const ns = nsOf(ctx, h.node, h.netns);
      const natCtx = {
        table: ctTable(c, h.node, h.netns),
        masqueradeAddr: h.oif ? selectSourceAddress(ns, h.oif, h.nexthop ?? c.pkt.dst, 0) : undefined,
        redirectAddr: hook === 'OUTPUT' ? '127.0.0.1' : ns.addresses.find((a) => a.family === 4 && a.dev === h.iif && !a.flags.includes('secondary'))?.local,
        rng: ctx.opts.rng,
      };
      const b = ctBindNat(entry, o.nat, natCtx);
      if ('error' in b) {
        return end(c, { code: 'denied', node: h.node, netns: h.netns, reason: b.error, decidedBy: { kind: 'rule', ...o.nat.rule } });
      }
      c.pkt = ctApplyNat(entry, hh.ct!.dir, manip, c.pkt);
      step(c, {
        node: h.node,
        netns: h.netns,
        iface: h.iif ?? h.oif,
        kind: 'nat',
        what: `${o.nat.kind} ${b.from.addr}${b.from.port !== undefined ? `:${b.from.port}` : ''} → ${b.to.addr}${b.to.port !== undefined ? `:${b.to.port}` : ''}`,
        decidedBy: { kind: 'nat', type: o.nat.kind, from: `${b.from.addr}${b.from.port !== undefined ? `:${b.from.port}` : ''}`, to: `${b.to.addr}${b.to.port !== undefined ? `:${b.to.port}` : ''}`, rule: o.nat.rule },
        detail: b.note,
      });
      return next(c, hh);
    });
  }
  // Established (or already bound): apply the binding for this direction.
  const applies = ct.dir === 'ORIGINAL' ? ctHasNat(e, manip) : ctHasNat(e, manip === 'dst' ? 'src' : 'dst');
  if (applies) {
    const before = cur.pkt;
    cur.pkt = ctApplyNat(e, ct.dir, manip, cur.pkt);
    const from = manip === 'dst' ? `${before.dst}:${before.dport ?? ''}` : `${before.src}:${before.sport ?? ''}`;
    const to = manip === 'dst' ? `${cur.pkt.dst}:${cur.pkt.dport ?? ''}` : `${cur.pkt.src}:${cur.pkt.sport ?? ''}`;
    step(cur, {
      node: h.node,
      netns: h.netns,
      iface: h.iif ?? h.oif,
      kind: 'nat',
      what: `conntrack ${ct.dir === 'REPLY' ? 'un-NAT' : 'NAT'} (${manip === 'dst' ? 'destination' : 'source'}) ${from} → ${to}`,
      decidedBy: { kind: 'conntrack', id: e.id, state: ct.state, dir: ct.dir, entry: conntrackLine(e) },
    });
  }
  return next(cur, h);
}

/** Conntrack entry for the packet at PREROUTING/OUTPUT (after raw). */
function ctIn(cur: Cursor, node: string, netns: string, notrack: boolean, iface?: string): CtResult {
  const tbl = ctTable(cur, node, netns);
  const r = ctLookup(tbl, cur.pkt, { notrack });
  if (r.entry && !r.fresh) ctUpdate(r.entry, r.dir, cur.pkt);
  if (r.entry && r.fresh) cur.state.pending[`${node}/${netns}`] = r.entry;
  step(cur, {
    node,
    netns,
    iface,
    kind: 'conntrack',
    what: r.entry ? `conntrack ${r.state}${r.fresh ? ' (new entry)' : ''}, ${r.dir.toLowerCase()} direction` : `conntrack ${r.state}`,
    decidedBy: r.entry ? { kind: 'conntrack', id: r.entry.id, state: r.state, dir: r.dir, entry: conntrackLine(r.entry) } : undefined,
    detail: r.reason,
  });
  return r;
}

function confirm(cur: Cursor, h: HookCtx): void {
  const e = h.ct?.entry;
  if (!e || e.confirmed) return;
  ctConfirm(ctTable(cur, h.node, h.netns), e);
  delete cur.state.pending[`${h.node}/${h.netns}`];
}

function routeDecider(f: FibResult): DecidedBy {
  if (f.ok) return { kind: 'route', table: f.table, route: f.ref.text, rule: f.rule };
  if (f.ref) return { kind: 'route', table: f.table ?? 0, route: f.ref.text, rule: f.rule };
  return { kind: 'no-route', error: fibErrorText(f.error), rule: f.rule };
}

function routeFailure(error: string): DispositionCode {
  switch (error) {
    case 'EINVAL':
      return 'null-routed';
    case 'EHOSTUNREACH':
    case 'EACCES':
      return 'unreachable';
    default:
      return 'no-route';
  }
}

// ---------------------------------------------------------------------------------------------
// Phases

/** A socket in `netns` sends `cur.pkt` (src may be "" to let routing choose). */
function localOut(ctx: Ctx, cur: Cursor, node: string, netns: string, oif?: string): Branch[] {
  const ns = nsOf(ctx, node, netns);
  const r = routeOutput(ns, { dst: cur.pkt.dst, src: cur.pkt.src || undefined, mark: cur.pkt.mark, oif });
  if (!r.ok) {
    step(cur, { node, netns, kind: 'route', what: 'route lookup (output)', verdict: r.error, decidedBy: routeDecider(r.fib), detail: r.reason });
    return end(cur, { code: routeFailure(r.error), node, netns, reason: `${fibErrorText(r.error)}: ${r.reason}`, decidedBy: routeDecider(r.fib), signal: `connect(): ${fibErrorText(r.error)}` });
  }
  if (!cur.pkt.src) cur.pkt.src = r.src;
  step(cur, { node, netns, iface: r.dev, kind: 'route', what: `route lookup (output): ${r.kind} via ${r.dev}${r.nexthop !== cur.pkt.dst ? ` gw ${r.nexthop}` : ''}`, decidedBy: routeDecider(r.fib) });
  const h: HookCtx = { node, netns, oif: r.dev };
  return table(ctx, cur, h, 'raw', 'OUTPUT', (c, raw) => {
    const ct = ctIn(c, node, netns, raw.notrack, r.dev);
    const hh: HookCtx = { node, netns, oif: r.dev, ct };
    const before = { dst: c.pkt.dst, mark: c.pkt.mark };
    return tables(ctx, c, hh, ['mangle', 'nat', 'filter', 'security'], 'OUTPUT', (c2, h2) => {
      let dev = r.dev;
      let nexthop = r.nexthop;
      if (c2.pkt.dst !== before.dst || c2.pkt.mark !== before.mark) {
        // ip_route_me_harder: the destination or mark changed, route again.
        const rr = routeOutput(ns, { dst: c2.pkt.dst, src: c2.pkt.src, mark: c2.pkt.mark, oif });
        if (!rr.ok) {
          step(c2, { node, netns, kind: 'route', what: 'reroute (output)', verdict: rr.error, decidedBy: routeDecider(rr.fib) });
          return end(c2, { code: routeFailure(rr.error), node, netns, reason: fibErrorText(rr.error), decidedBy: routeDecider(rr.fib) });
        }
        step(c2, { node, netns, iface: rr.dev, kind: 'route', what: `reroute (output): ${rr.kind} via ${rr.dev}`, decidedBy: routeDecider(rr.fib) });
        dev = rr.dev;
        nexthop = rr.nexthop;
      }
      return postrouting(ctx, c2, { ...h2, oif: dev, iif: undefined }, dev, nexthop);
    });
  });
}

function postrouting(ctx: Ctx, cur: Cursor, h: HookCtx, dev: string, nexthop: string): Branch[] {
  const hh: HookCtx = { ...h, oif: dev, nexthop };
  return tables(ctx, cur, hh, ['mangle', 'nat'], 'POSTROUTING', (c, h2) => {
    confirm(c, h2);
    return transmit(ctx, c, h.node, h.netns, dev, nexthop);
  });
}

function transmit(ctx: Ctx, cur: Cursor, node: string, netns: string, dev: string, nexthop: string): Branch[] {
  const ns = nsOf(ctx, node, netns);
  const link = ns.links.find((l) => l.name === dev);
  if (!link || !link.up) {
    return end(cur, { code: 'link-down', node, netns, iface: dev, reason: `${dev} is down`, decidedBy: { kind: 'link', dev, state: 'DOWN' } });
  }
  if (link.kind === 'loopback') {
    step(cur, { node, netns, iface: 'lo', kind: 'device', what: 'loopback' });
    return ingress(ctx, cur, node, netns, 'lo');
  }
  const host = ctx.world.hosts[node];
  const ask = (tip: string, sip: string): ArpAnswer | undefined => {
    if (link.veth) {
      const peerNs = host.namespaces[link.veth.peerNs];
      const peer = peerNs?.links.find((l) => l.name === link.veth!.peerName);
      if (!peerNs || !peer) return undefined;
      const a = arpResponds(peerNs, peer.name, tip, sip);
      return a.answer ? { mac: peer.mac, who: `${link.veth.peerNs}/${peer.name}`, why: a.why } : undefined;
    }
    if (link.eniId) return fabricArp(ctx, link.eniId, tip);
    return undefined;
  };
  const n = resolveNeighbour(ns, dev, nexthop, ask, cur.pkt.src);
  if (!n.ok) {
    step(cur, { node, netns, iface: dev, kind: 'neigh', what: `ARP ${nexthop} on ${dev}: no answer`, verdict: 'FAILED', decidedBy: { kind: 'neigh', dev, ip: nexthop, state: 'FAILED' } });
    return end(cur, { code: 'neighbour-unreachable', node, netns, iface: dev, reason: n.reason, decidedBy: { kind: 'neigh', dev, ip: nexthop, state: 'FAILED' }, signal: 'ICMP host unreachable (after ARP timeout)' });
  }
  // The frame as it leaves `dev` (a NOARP device such as a pointopoint link has no link addresses).
  const lladdr = n.lladdr ?? '00:00:00:00:00:00';
  const out: WireFrame = { node, netns, dev, dir: 'out', srcMac: link.mac ?? '00:00:00:00:00:00', dstMac: lladdr, packet: { ...cur.pkt }, inner: wireInner(cur) };
  step(cur, {
    node,
    netns,
    iface: dev,
    kind: 'neigh',
    wire: [out],
    what: n.via === 'cache' ? `neighbour ${nexthop} lladdr ${n.lladdr} ${n.entry?.state}` : n.via === 'arp' ? `ARP ${nexthop} is-at ${n.lladdr} (${n.answer?.who})` : 'no ARP on this device',
    decidedBy: { kind: 'neigh', dev, ip: nexthop, lladdr: n.lladdr, state: n.via === 'cache' ? n.entry?.state : n.via === 'arp' ? 'REACHABLE' : 'NOARP', answeredBy: n.via === 'arp' ? n.answer?.who : undefined },
  });
  if (link.veth) {
    const peerNsName = link.veth.peerNs;
    const peerNs = host.namespaces[peerNsName];
    const peer = peerNs?.links.find((l) => l.name === link.veth!.peerName);
    if (!peerNs || !peer || !peer.up) {
      return end(cur, { code: 'link-down', node, netns, iface: dev, reason: `veth peer ${peerNsName}/${link.veth.peerName} is down`, decidedBy: { kind: 'link', dev, state: 'NO-CARRIER' } });
    }
    const sent = cur.steps[cur.steps.length - 1];
    step(cur, { node, netns, iface: dev, kind: 'device', what: `veth ${dev} → ${peerNsName}/${peer.name}`, wire: [{ ...out, netns: peerNsName, dev: peer.name, dir: 'in' }] });
    const crossed = cur.steps[cur.steps.length - 1];
    if (n.lladdr !== peer.mac && n.lladdr !== 'ff:ff:ff:ff:ff:ff') {
      return end(cur, { code: 'wrong-mac', node, netns: peerNsName, iface: peer.name, reason: `destination MAC ${n.lladdr} is not ${peer.name}'s ${peer.mac} (PACKET_OTHERHOST, dropped by ip_rcv)` });
    }
    const denied = vethPolicy(ctx, cur, node, netns, dev, peerNsName, peer.name);
    if (denied) {
      // Into the pod the agent sits at tc egress of the host veth, which runs before packet taps:
      // a packet it drops is on neither end of the veth. (Out of the pod it sits at tc ingress,
      // after the taps: tcpdump on both ends sees the packet.)
      if (netns === ROOT_NS) {
        delete sent.wire;
        delete crossed.wire;
      }
      return denied;
    }
    // dev_forward_skb scrubs the skb when it changes namespace: the mark does not cross.
    cur.pkt = { ...cur.pkt, mark: 0 };
    return ingress(ctx, cur, node, peerNsName, peer.name);
  }
  if (link.eniId) return fabric(ctx, cur, node, netns, dev, link.eniId, n.lladdr);
  if (link.kind === 'vxlan' && link.vxlan) return vxlanEncap(ctx, cur, node, netns, link, n.lladdr);
  step(cur, { node, netns, iface: dev, kind: 'device', what: `${link.kind} ${dev}` });
  return end(cur, { code: 'insufficient-info', node, netns, iface: dev, reason: `transmission over a ${link.kind} device is not modelled by the walk` });
}

/** The network policy agent's tc hook on a pod's host veth, when the packet crosses it; a denial ends the walk. */
function vethPolicy(ctx: Ctx, cur: Cursor, node: string, from: string, dev: string, to: string, peerDev: string): Branch[] | undefined {
  const at = ctx.world.policyAt;
  if (!at || (from === ROOT_NS) === (to === ROOT_NS)) return undefined;
  const direction = from === ROOT_NS ? 'ingress' : 'egress';
  const hostIf = from === ROOT_NS ? dev : peerDev;
  const ct = ctLookup(ctTable(cur, node, ROOT_NS), cur.pkt);
  const established = !ct.fresh && (ct.dir === 'REPLY' || ct.state === 'ESTABLISHED' || ct.state === 'RELATED');
  const d = at({ node, podNs: from === ROOT_NS ? to : from, hostIf, direction, pkt: cur.pkt, established });
  if (!d) return undefined;
  const decidedBy: DecidedBy = { kind: 'netpol', ...d };
  step(cur, { node, netns: ROOT_NS, iface: hostIf, kind: 'hook', what: `${d.enforcer} (tc ${direction === 'egress' ? 'ingress' : 'egress'} on ${hostIf}): ${d.text}`, verdict: d.allowed ? 'ACCEPT' : 'DROP', decidedBy, policy: [d] });
  if (d.allowed) return undefined;
  return end(cur, { code: 'denied', node, netns: ROOT_NS, iface: hostIf, reason: `${direction} of ${d.pod} ${d.text}`, decidedBy });
}

/** The frames inside the current packet's tunnels, outermost first (the encap stack is innermost last). */
function wireInner(cur: Cursor): WireFrame['inner'] {
  if (!cur.encap.length) return undefined;
  return [...cur.encap].reverse().map((e) => ({ vni: e.vni, srcMac: e.innerSrcMac, dstMac: e.innerDstMac, packet: { ...e.inner } }));
}

function eniOwns(e: Eni, ip: string): boolean {
  return e.primaryIp === ip || e.secondaryIps.includes(ip) || e.prefixes.some((p) => inPrefix4(ip, p));
}

function ownerEni(vpc: VpcState, ip: string): Eni | undefined {
  return vpc.enis.find((e) => eniOwns(e, ip));
}

function subnetOf(vpc: VpcState, eni: Eni) {
  return vpc.subnets.find((s) => s.id === eni.subnetId);
}

/** The VPC router's MAC as instances see it (one per subnet; kubewire derives it from the subnet id). */
export function vpcRouterMac(subnetId: string): string {
  let h = 0x811c9dc5;
  for (const ch of subnetId) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  const b = [(h >>> 24) & 255, (h >>> 16) & 255, (h >>> 8) & 255, h & 255].map((x) => x.toString(16).padStart(2, '0'));
  return `0a:${b.join(':')}:01`.slice(0, 17);
}

function gatewayOf(cidr: string): string {
  const [net] = cidr.split('/');
  const parts = net.split('.').map(Number);
  parts[3] += 1;
  return parts.join('.');
}

/** Who answers ARP on an ENI's link: the VPC (for the subnet router and the subnet's assigned addresses). */
function fabricArp(ctx: Ctx, eniId: string, tip: string): ArpAnswer | undefined {
  const vpc = ctx.world.vpc;
  if (!vpc) return undefined;
  const eni = vpc.enis.find((e) => e.id === eniId);
  const subnet = eni && subnetOf(vpc, eni);
  if (!eni || !subnet) return undefined;
  if (!inPrefix4(tip, subnet.cidr)) return undefined;
  const gw = gatewayOf(subnet.cidr);
  const dns = gatewayOf(`${gw}/32`);
  if (tip === gw || tip === dns) return { mac: vpcRouterMac(subnet.id), who: `VPC router of ${subnet.id}`, why: tip === gw ? 'subnet gateway' : 'VPC DNS resolver' };
  const owner = ownerEni(vpc, tip);
  if (owner && owner.subnetId === subnet.id && owner.instanceId) return { mac: owner.mac, who: `${owner.id}`, why: `${tip} is assigned to ${owner.id}` };
  return undefined;
}

function fabric(ctx: Ctx, cur: Cursor, node: string, netns: string, dev: string, eniId: string, lladdr: string): Branch[] {
  const vpc = ctx.world.vpc;
  if (!vpc) return end(cur, { code: 'insufficient-info', node, netns, iface: dev, reason: 'no VPC model to carry the packet' });
  const src = vpc.enis.find((e) => e.id === eniId);
  if (!src) return end(cur, { code: 'insufficient-info', node, netns, iface: dev, reason: `ENI ${eniId} is not in the VPC model` });
  if (src.sourceDestCheck && !eniOwns(src, cur.pkt.src)) {
    step(cur, { node, netns, iface: dev, kind: 'fabric', what: `VPC: ${eniId} source/dest check`, verdict: 'DROP', decidedBy: { kind: 'eni', eniId, check: 'source' } });
    return end(cur, { code: 'source-dest-check', node, netns, iface: dev, reason: `source ${cur.pkt.src} is not an address of ${eniId} and its source/dest check is on`, decidedBy: { kind: 'eni', eniId, check: 'source' } });
  }
  const subnet = subnetOf(vpc, src);
  const routerMac = subnet ? vpcRouterMac(subnet.id) : undefined;
  // Frames addressed to another ENI's MAC go to that ENI; frames to the router are routed by IP.
  let dst: Eni | undefined;
  if (lladdr !== routerMac) dst = vpc.enis.find((e) => e.mac === lladdr);
  if (!dst) {
    if (!inPrefix4(cur.pkt.dst, vpc.cidr)) {
      step(cur, { node, netns, iface: dev, kind: 'fabric', what: `VPC: ${cur.pkt.dst} is outside ${vpc.cidr}` });
      return end(cur, { code: 'exits-vpc', node, netns, iface: dev, reason: `${cur.pkt.dst} is outside the VPC (${vpc.cidr}); internet/NAT gateways are not modelled`, decidedBy: { kind: 'eni', eniId } });
    }
    dst = ownerEni(vpc, cur.pkt.dst);
    if (!dst) {
      step(cur, { node, netns, iface: dev, kind: 'fabric', what: `VPC: no ENI owns ${cur.pkt.dst}`, verdict: 'DROP' });
      return end(cur, { code: 'unreachable', node, netns, iface: dev, reason: `no ENI in the VPC owns ${cur.pkt.dst}`, decidedBy: { kind: 'eni', eniId } });
    }
  }
  if (dst.sourceDestCheck && !eniOwns(dst, cur.pkt.dst)) {
    step(cur, { node, netns, iface: dev, kind: 'fabric', what: `VPC: ${dst.id} source/dest check`, verdict: 'DROP', decidedBy: { kind: 'eni', eniId: dst.id, check: 'destination' } });
    return end(cur, { code: 'source-dest-check', node, netns, iface: dev, reason: `destination ${cur.pkt.dst} is not an address of ${dst.id} and its source/dest check is on`, decidedBy: { kind: 'eni', eniId: dst.id, check: 'destination' } });
  }
  const targetNode = dst.instanceId ? ctx.world.instanceNode?.[dst.instanceId] : undefined;
  const host = targetNode ? ctx.world.hosts[targetNode] : undefined;
  if (!host) return end(cur, { code: 'unreachable', node, netns, iface: dev, reason: `${dst.id} is not attached to a modelled instance`, decidedBy: { kind: 'eni', eniId: dst.id } });
  for (const [nsName, ns] of Object.entries(host.namespaces)) {
    const l = ns.links.find((x) => x.eniId === dst!.id);
    if (!l) continue;
    // The receiver sees the sender's MAC when the frame was switched to it within the subnet, else
    // the MAC of its own subnet's router. The VPC does not decrement the TTL.
    const dstSubnet = subnetOf(vpc, dst);
    const inSrc = lladdr === routerMac ? (dstSubnet ? vpcRouterMac(dstSubnet.id) : lladdr) : src.mac;
    const arrive: WireFrame = { node: targetNode!, netns: nsName, dev: l.name, dir: 'in', srcMac: inSrc, dstMac: l.mac ?? dst.mac, packet: { ...cur.pkt }, inner: wireInner(cur) };
    step(cur, { node, netns, iface: dev, kind: 'fabric', what: `VPC: ${eniId} → ${dst.id} (${targetNode}/${l.name}) owner of ${cur.pkt.dst}`, decidedBy: { kind: 'eni', eniId: dst.id }, wire: [arrive] });
    if (!l.up) return end(cur, { code: 'link-down', node: targetNode!, netns: nsName, iface: l.name, reason: `${l.name} is down` });
    cur.pkt = { ...cur.pkt, mark: 0 };
    return ingress(ctx, cur, targetNode!, nsName, l.name);
  }
  return end(cur, { code: 'unreachable', node, netns, iface: dev, reason: `${dst.id} has no interface on ${targetNode}` });
}

/** A packet arrives on `dev` of `netns`. */
function ingress(ctx: Ctx, cur: Cursor, node: string, netns: string, dev: string): Branch[] {
  const ns = nsOf(ctx, node, netns);
  const p = cur.pkt;
  const key = `${node}/${netns}/${dev}/${p.src}/${p.dst}/${p.sport}/${p.dport}/${p.proto}`;
  if (cur.seen.includes(key)) {
    return end(cur, { code: 'loop', node, netns, iface: dev, reason: `the packet came back to ${node}/${netns} on ${dev} unchanged (the kernel would drop it when its TTL runs out)` });
  }
  cur.seen.push(key);
  if (++cur.hops > (ctx.opts.maxHops ?? 64)) return end(cur, { code: 'loop', node, netns, iface: dev, reason: 'too many hops' });
  const h0: HookCtx = { node, netns, iif: dev };
  return table(ctx, cur, h0, 'raw', 'PREROUTING', (c, raw) => {
    const ct = ctIn(c, node, netns, raw.notrack, dev);
    const h: HookCtx = { node, netns, iif: dev, ct };
    return tables(ctx, c, h, ['mangle', 'nat'], 'PREROUTING', (c2, h2) => routeAndDeliver(ctx, c2, h2, ns, dev));
  });
}

function routeAndDeliver(ctx: Ctx, cur: Cursor, h: HookCtx, ns: NetNs, dev: string): Branch[] {
  const { node, netns } = h;
  // Looped-back packets keep the route the output lookup gave them (ip_rcv_finish skips the input
  // lookup when the skb has a valid dst), so there is no source validation on lo.
  let r = routeInput(ns, cur.pkt, dev);
  if (dev === 'lo') {
    const fib = fibLookup(ns, { dst: cur.pkt.dst, src: cur.pkt.src, iif: 'lo', mark: cur.pkt.mark });
    if (fib.ok && fib.route.type === 'local') r = { ok: true, kind: 'local', fib };
  }
  if (!r.ok) {
    const d: DecidedBy = r.kind === 'forwarding-disabled' ? { kind: 'sysctl', key: `net.ipv4.conf.${dev}.forwarding`, value: '0' } : r.fib ? routeDecider(r.fib) : { kind: 'no-route', error: r.reason };
    step(cur, { node, netns, iface: dev, kind: 'route', what: `route lookup (input): ${r.kind}`, verdict: 'DROP', decidedBy: d, detail: r.reason });
    const code: DispositionCode =
      r.kind === 'martian-source' || r.kind === 'martian-destination' ? 'martian' : r.kind === 'forwarding-disabled' ? 'forwarding-disabled' : routeFailure(r.error ?? 'ENETUNREACH');
    return end(cur, { code, node, netns, iface: dev, reason: r.reason, decidedBy: d, signal: r.kind === 'no-route' && r.icmp ? `ICMP ${r.icmp}` : undefined });
  }
  if (r.kind === 'broadcast') return end(cur, { code: 'accepted', node, netns, iface: dev, reason: 'broadcast' });
  if (r.kind === 'local') {
    step(cur, { node, netns, iface: dev, kind: 'route', what: `route lookup (input): local`, decidedBy: routeDecider(r.fib) });
    const hi: HookCtx = { ...h, iif: dev, oif: undefined };
    return tables(ctx, cur, hi, ['mangle', 'filter', 'security', 'nat'], 'INPUT', (c, h2) => {
      confirm(c, h2);
      return deliver(ctx, c, h2, dev);
    });
  }
  // Forward.
  step(cur, { node, netns, iface: dev, kind: 'route', what: `route lookup (input): forward via ${r.dev}${r.nexthop !== cur.pkt.dst ? ` gw ${r.nexthop}` : ''}`, decidedBy: routeDecider(r.fib) });
  if (cur.pkt.ttl <= 1) {
    step(cur, { node, netns, iface: dev, kind: 'forward', what: 'TTL exceeded', verdict: 'DROP' });
    return end(cur, { code: 'ttl-exceeded', node, netns, iface: dev, reason: `TTL ${cur.pkt.ttl} cannot be forwarded`, signal: 'ICMP time exceeded' });
  }
  cur.pkt = { ...cur.pkt, ttl: cur.pkt.ttl - 1 };
  step(cur, { node, netns, iface: dev, kind: 'forward', what: `forward ${dev} → ${r.dev}, TTL ${cur.pkt.ttl}` });
  const hf: HookCtx = { ...h, iif: dev, oif: r.dev };
  return tables(ctx, cur, hf, ['mangle', 'filter', 'security'], 'FORWARD', (c, h2) => postrouting(ctx, c, h2, r.dev, r.nexthop));
}

function deliver(ctx: Ctx, cur: Cursor, h: HookCtx, dev: string): Branch[] {
  const { node, netns } = h;
  const decap = vxlanDecap(ctx, cur, node, netns, dev);
  if (decap) return decap;
  const p = cur.pkt;
  if (h.ct?.dir === 'REPLY') {
    step(cur, { node, netns, iface: dev, kind: 'deliver', what: 'delivered to the connection\'s socket (reply)' });
    return end(cur, { code: 'delivered', node, netns, iface: dev, reason: 'reply delivered to the socket that opened the connection' });
  }
  if (p.proto === 1) {
    step(cur, { node, netns, iface: dev, kind: 'deliver', what: 'ICMP handled by the kernel' });
    return end(cur, { code: netns === 'root' ? 'accepted' : 'delivered', node, netns, iface: dev, reason: 'ICMP echo answered by the kernel' });
  }
  const port = p.dport ?? 0;
  const l = ctx.world.listening?.(node, netns, p.proto, port);
  const proto = p.proto === 6 ? 'tcp' : p.proto === 17 ? 'udp' : String(p.proto);
  if (l === false) {
    step(cur, { node, netns, iface: dev, kind: 'deliver', what: `no socket on ${proto}/${port}`, verdict: 'CLOSED', decidedBy: { kind: 'socket', proto, port, listening: false } });
    return end(cur, { code: 'port-closed', node, netns, iface: dev, reason: `nothing listens on ${proto} port ${port}`, decidedBy: { kind: 'socket', proto, port, listening: false }, signal: p.proto === 6 ? 'TCP RST' : 'ICMP port unreachable' });
  }
  const listening = l === undefined ? 'assumed' : true;
  step(cur, { node, netns, iface: dev, kind: 'deliver', what: `${proto}/${port} socket${l === undefined ? ' (listener assumed)' : ''}`, decidedBy: { kind: 'socket', proto, port, listening } });
  return end(cur, {
    code: netns === 'root' ? 'accepted' : 'delivered',
    node,
    netns,
    iface: dev,
    reason: netns === 'root' ? `accepted by the host stack on ${proto}/${port}` : `delivered to ${proto}/${port}${l === undefined ? ' (listener assumed)' : ''}`,
    decidedBy: { kind: 'socket', proto, port, listening },
  });
}

// ---------------------------------------------------------------------------------------------
// VXLAN (drivers/net/vxlan): the inner frame goes to the VTEP its destination MAC's FDB entry names,
// inside UDP from the device's local address; the outer packet is locally generated, so it takes
// the namespace's OUTPUT path. The receiving namespace's UDP socket on the VXLAN port hands the
// inner packet to its vxlan device, where it arrives like on any other link.

function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (const ch of s) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

function vxlanEncap(ctx: Ctx, cur: Cursor, node: string, netns: string, link: import('../node-state/types.ts').Link, lladdr: string): Branch[] {
  const ns = nsOf(ctx, node, netns);
  const vx = link.vxlan!;
  const fdb = ns.fdb.find((f) => f.dev === link.name && f.mac === lladdr) ?? ns.fdb.find((f) => f.dev === link.name && f.mac === '00:00:00:00:00:00');
  if (!fdb?.dst) {
    step(cur, { node, netns, iface: link.name, kind: 'encap', what: `no FDB entry for ${lladdr} on ${link.name}`, verdict: 'DROP' });
    return end(cur, { code: 'neighbour-unreachable', node, netns, iface: link.name, reason: `vxlan ${link.name}: no FDB entry for ${lladdr} (learning ${vx.learning ? 'on' : 'off'})`, decidedBy: { kind: 'fdb', dev: link.name, mac: lladdr } });
  }
  const inner = cur.pkt;
  const range: [number, number] = vx.srcPortMin && vx.srcPortMax ? [vx.srcPortMin, vx.srcPortMax] : [32768, 60999];
  // skb_get_hash uses a per-boot secret; kubewire keys the stand-in hash on the node name.
  const hash = flowHash({ src: inner.src, dst: inner.dst, protocol: inner.proto, srcPort: inner.sport, dstPort: inner.dport }, fnv(node));
  const sport = udpFlowSrcPort(hash, range);
  const local = vx.local ?? (vx.dev ? selectSourceAddress(ns, vx.dev, fdb.dst, 0) : undefined) ?? '';
  cur.encap.push({ inner: { ...inner }, innerSrcMac: link.mac ?? '00:00:00:00:00:00', innerDstMac: lladdr, vni: fdb.vni ?? vx.vni, port: vx.port });
  cur.pkt = { family: 4, src: local, dst: fdb.dst, proto: 17, sport, dport: fdb.port ?? vx.port, ttl: vx.ttl || 64, mark: inner.mark };
  step(cur, {
    node,
    netns,
    iface: link.name,
    kind: 'encap',
    what: `VXLAN VNI ${fdb.vni ?? vx.vni}: ${lladdr} → VTEP ${fdb.dst}`,
    decidedBy: { kind: 'fdb', dev: link.name, mac: lladdr, dst: fdb.dst },
  });
  return localOut(ctx, cur, node, netns, vx.dev);
}

/** A UDP packet delivered locally: is it VXLAN for one of this namespace's vxlan devices? */
function vxlanDecap(ctx: Ctx, cur: Cursor, node: string, netns: string, dev: string): Branch[] | undefined {
  const top = cur.encap[cur.encap.length - 1];
  if (!top || cur.pkt.proto !== 17) return undefined;
  const ns = nsOf(ctx, node, netns);
  const vdev = ns.links.find((l) => l.kind === 'vxlan' && l.vxlan && l.vxlan.port === cur.pkt.dport && l.vxlan.vni === top.vni && l.up);
  if (!vdev) return undefined;
  cur.encap.pop();
  cur.pkt = { ...top.inner, mark: 0 };
  const arrive: WireFrame = { node, netns, dev: vdev.name, dir: 'in', srcMac: top.innerSrcMac, dstMac: top.innerDstMac, packet: { ...cur.pkt }, inner: wireInner(cur) };
  step(cur, { node, netns, iface: dev, kind: 'decap', what: `VXLAN VNI ${top.vni} → ${vdev.name}`, wire: [arrive] });
  if (top.innerDstMac !== vdev.mac) {
    return end(cur, { code: 'wrong-mac', node, netns, iface: vdev.name, reason: `inner destination MAC ${top.innerDstMac} is not ${vdev.name}'s ${vdev.mac}` });
  }
  return ingress(ctx, cur, node, netns, vdev.name);
}

// ---------------------------------------------------------------------------------------------
// Entry points

export interface Origin {
  node: string;
  netns: string;
}

/** Walk a packet sent by a socket in `from`. `pkt.src` may be "" (chosen by routing). */
export function walkFrom(world: WalkWorld, from: Origin, pkt: Packet, opts: WalkOptions = {}, state: WalkState = newWalkState()): Branch[] {
  const ctx: Ctx = { world, opts };
  const cur: Cursor = { steps: [], probability: 1, choices: [], pkt: { ...pkt }, state, hops: 0, seen: [], encap: [] };
  step(cur, { node: from.node, netns: from.netns, kind: 'originate', what: `send ${packetSummary(pkt)}` });
  return localOut(ctx, cur, from.node, from.netns);
}

/** Walk a packet arriving on `dev` of a namespace (from outside the model). */
export function walkArriving(world: WalkWorld, at: Origin & { dev: string }, pkt: Packet, opts: WalkOptions = {}, state: WalkState = newWalkState()): Branch[] {
  const ctx: Ctx = { world, opts };
  const cur: Cursor = { steps: [], probability: 1, choices: [], pkt: { ...pkt }, state, hops: 0, seen: [], encap: [] };
  step(cur, { node: at.node, netns: at.netns, iface: at.dev, kind: 'originate', what: `arrives on ${at.dev}: ${packetSummary(pkt)}` });
  return ingress(ctx, cur, at.node, at.netns, at.dev);
}

/** The answer a delivered packet provokes (SYN → SYN/ACK, echo request → echo reply, UDP → UDP). */
export function replyPacket(delivered: Packet): Packet {
  const r: Packet = { family: 4, src: delivered.dst, dst: delivered.src, proto: delivered.proto, ttl: 64, mark: 0 };
  if (delivered.proto === 1) {
    r.icmpType = delivered.icmpType === 8 ? 0 : delivered.icmpType;
    r.icmpCode = 0;
    r.icmpId = delivered.icmpId;
  } else {
    r.sport = delivered.dport;
    r.dport = delivered.sport;
  }
  if (delivered.proto === 6) r.tcpFlags = (delivered.tcpFlags ?? 0) & 0x02 ? 0x12 : 0x10;
  return r;
}

export type { CtMatchView };
