// Connection tracking as nf_conntrack keeps it, for one network namespace: tuples in both
// directions, the state a packet gets (NEW / ESTABLISHED / RELATED / INVALID / UNTRACKED), NAT
// bindings decided on the first packet (nf_nat_setup_info) and applied to every later packet in
// either direction (nf_nat_packet), the connection mark, and `conntrack -L` text.
//
// Simplifications (documented, deliberate):
// - TCP follows the handshake only far enough for the states a trace shows: SYN → SYN_SENT,
//   SYN/ACK reply → SYN_RECV, ACK → ESTABLISHED (ASSURED); FIN/RST close; no window tracking.
//   A first packet that is SYN/ACK, FIN, RST or has no flags is INVALID (tcp_new refuses it);
//   a bare ACK is picked up mid-stream (nf_conntrack_tcp_loose=1) as ESTABLISHED with ctinfo NEW.
// - RELATED needs an ICMP error's embedded tuple; packets carry none here, so RELATED is only
//   reported for entries created with `expected` (helpers are not modelled).
// - NAT port choice: a source NAT keeps the original port when the resulting tuple is unused (as the
//   kernel does); with --random-fully (or when the port is taken) the port comes from the caller's
//   RNG inside the range the kernel would use, instead of the kernel's prandom.
// - Address ranges in --to-destination/--to-source use their first address (the kernel hashes).
// - Timeouts are the kernel defaults at the moment of the last packet; time does not pass.

import type { CtMatchView, CtState } from './netfilter/eval.ts';
import type { NatRequest } from './netfilter/types.ts';
import type { Packet } from './packet.ts';

export interface CtTuple {
  src: string;
  dst: string;
  proto: number;
  sport?: number;
  dport?: number;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
}

export interface CtEntry {
  id: number;
  orig: CtTuple;
  reply: CtTuple;
  mark: number;
  seenReply: boolean;
  assured: boolean;
  confirmed: boolean;
  expected: boolean;
  /** Seconds left. */
  timeout: number;
  /** TCP state name as conntrack prints it. */
  tcpState?: string;
  zone?: number;
  use: number;
  /** NAT bindings set up (nf_nat_initialized per manip type). */
  natSrcDone: boolean;
  natDstDone: boolean;
}

export interface CtTable {
  entries: CtEntry[];
  nextId: number;
}

export function newCtTable(): CtTable {
  return { entries: [], nextId: 1 };
}

export function packetTuple(p: Packet): CtTuple {
  const t: CtTuple = { src: p.src, dst: p.dst, proto: p.proto };
  if (p.proto === 1) {
    t.icmpType = p.icmpType ?? 8;
    t.icmpCode = p.icmpCode ?? 0;
    t.icmpId = p.icmpId ?? 0;
  } else if (p.sport !== undefined || p.dport !== undefined) {
    t.sport = p.sport ?? 0;
    t.dport = p.dport ?? 0;
  }
  return t;
}

const ICMP_REPLY: Record<number, number> = { 8: 0, 13: 14, 15: 16, 17: 18, 0: 8, 14: 13, 16: 15, 18: 17 };

/** nf_ct_invert_tuple. */
export function invertTuple(t: CtTuple): CtTuple {
  const r: CtTuple = { src: t.dst, dst: t.src, proto: t.proto };
  if (t.proto === 1) {
    r.icmpType = ICMP_REPLY[t.icmpType ?? 8] ?? t.icmpType;
    r.icmpCode = 0;
    r.icmpId = t.icmpId;
  } else if (t.sport !== undefined) {
    r.sport = t.dport;
    r.dport = t.sport;
  }
  return r;
}

function sameTuple(a: CtTuple, b: CtTuple): boolean {
  return (
    a.src === b.src &&
    a.dst === b.dst &&
    a.proto === b.proto &&
    a.sport === b.sport &&
    a.dport === b.dport &&
    (a.proto !== 1 || (a.icmpType === b.icmpType && a.icmpId === b.icmpId))
  );
}

export interface CtResult {
  state: CtState;
  dir: 'ORIGINAL' | 'REPLY';
  /** The entry (a fresh, unconfirmed one for the first packet); absent for INVALID / UNTRACKED. */
  entry?: CtEntry;
  fresh: boolean;
  reason?: string;
}

const TIMEOUT = {
  tcpSynSent: 120,
  tcpSynRecv: 60,
  tcpEstablished: 432000,
  tcpFinWait: 120,
  tcpClose: 10,
  udp: 30,
  udpStream: 120,
  icmp: 30,
  generic: 600,
};

/** nf_conntrack_in: find the packet's connection or start one (unconfirmed until ctConfirm). */
export function ctLookup(table: CtTable, p: Packet, opts: { notrack?: boolean } = {}): CtResult {
  if (opts.notrack) return { state: 'UNTRACKED', dir: 'ORIGINAL', fresh: false };
  const t = packetTuple(p);
  for (const e of table.entries) {
    if (sameTuple(e.orig, t)) return { state: e.expected ? 'RELATED' : e.seenReply ? 'ESTABLISHED' : 'NEW', dir: 'ORIGINAL', entry: e, fresh: false };
    if (sameTuple(e.reply, t)) return { state: 'ESTABLISHED', dir: 'REPLY', entry: e, fresh: false };
  }
  if (p.proto === 6) {
    const f = p.tcpFlags ?? 0x02;
    const syn = f & 0x02;
    const ack = f & 0x10;
    if ((syn && ack) || f & 0x04 || f & 0x01 || f === 0) {
      return { state: 'INVALID', dir: 'ORIGINAL', fresh: false, reason: 'tcp_new: not a valid first packet (SYN/ACK, FIN, RST or no flags)' };
    }
  }
  const e: CtEntry = {
    id: table.nextId++,
    orig: t,
    reply: invertTuple(t),
    mark: 0,
    seenReply: false,
    assured: false,
    confirmed: false,
    expected: false,
    timeout: 0,
    use: 1,
    natSrcDone: false,
    natDstDone: false,
  };
  if (p.proto === 6) {
    const f = p.tcpFlags ?? 0x02;
    e.tcpState = f & 0x02 ? 'SYN_SENT' : 'ESTABLISHED';
    e.timeout = f & 0x02 ? TIMEOUT.tcpSynSent : TIMEOUT.tcpEstablished;
  } else if (p.proto === 17) e.timeout = TIMEOUT.udp;
  else if (p.proto === 1) e.timeout = TIMEOUT.icmp;
  else e.timeout = TIMEOUT.generic;
  return { state: 'NEW', dir: 'ORIGINAL', entry: e, fresh: true };
}

/** What the conntrack/state/connmark matches see. */
export function ctView(r: CtResult): CtMatchView {
  if (!r.entry) return { state: r.state };
  const e = r.entry;
  return {
    state: r.state,
    entry: {
      orig: e.orig,
      reply: e.reply,
      dir: r.dir,
      mark: e.mark,
      seenReply: e.seenReply,
      assured: e.assured,
      confirmed: e.confirmed,
      expected: e.expected,
      timeout: e.timeout,
    },
  };
}

/** The protocol tracker's update for a packet of an existing entry (state, SEEN_REPLY, ASSURED, timeout). */
export function ctUpdate(e: CtEntry, dir: 'ORIGINAL' | 'REPLY', p: Packet): void {
  if (dir === 'REPLY') e.seenReply = true;
  if (p.proto === 6) {
    const f = p.tcpFlags ?? 0;
    if (f & 0x04) {
      e.tcpState = 'CLOSE';
      e.timeout = TIMEOUT.tcpClose;
    } else if (f & 0x01) {
      e.tcpState = e.tcpState === 'FIN_WAIT' ? 'TIME_WAIT' : 'FIN_WAIT';
      e.timeout = TIMEOUT.tcpFinWait;
    } else if (dir === 'REPLY' && f & 0x02 && f & 0x10 && e.tcpState === 'SYN_SENT') {
      e.tcpState = 'SYN_RECV';
      e.timeout = TIMEOUT.tcpSynRecv;
    } else if (dir === 'ORIGINAL' && f & 0x10 && !(f & 0x02) && e.tcpState === 'SYN_RECV') {
      e.tcpState = 'ESTABLISHED';
      e.assured = true;
      e.timeout = TIMEOUT.tcpEstablished;
    }
  } else if (p.proto === 17) {
    e.timeout = TIMEOUT.udp;
  } else if (p.proto === 1) {
    e.timeout = TIMEOUT.icmp;
  }
}

/** __nf_conntrack_confirm: the entry joins the table (first packet leaving the last hook). */
export function ctConfirm(table: CtTable, e: CtEntry): void {
  if (e.confirmed) return;
  e.confirmed = true;
  table.entries.push(e);
}

function tupleInUse(table: CtTable, self: CtEntry, reply: CtTuple): boolean {
  return table.entries.some((x) => x !== self && sameTuple(x.reply, reply));
}

export interface NatContext {
  table: CtTable;
  /** MASQUERADE: inet_select_addr(out, nexthop, universe). */
  masqueradeAddr?: string;
  /** REDIRECT: the input device's first address (PREROUTING) or 127.0.0.1 (OUTPUT). */
  redirectAddr?: string;
  rng?: () => number;
}

export interface NatBinding {
  manip: 'src' | 'dst';
  from: { addr: string; port?: number };
  to: { addr: string; port?: number };
  request: NatRequest;
  note?: string;
}

/** nf_nat_setup_info for one manip type: rewrites the entry's reply tuple. */
export function ctBindNat(e: CtEntry, req: NatRequest, ctx: NatContext): NatBinding | { error: string } {
  const manip: 'src' | 'dst' = req.kind === 'DNAT' || req.kind === 'REDIRECT' ? 'dst' : 'src';
  const cur = manip === 'dst' ? { addr: e.reply.src, port: e.reply.sport } : { addr: e.reply.dst, port: e.reply.dport };
  let addr: string | undefined;
  if (req.kind === 'MASQUERADE') addr = ctx.masqueradeAddr;
  else if (req.kind === 'REDIRECT') addr = ctx.redirectAddr;
  else addr = req.minAddr ?? cur.addr;
  if (!addr) return { error: `${req.kind}: no address to translate to` };
  let note: string | undefined;
  if (req.minAddr && req.maxAddr && req.minAddr !== req.maxAddr) note = `address range ${req.minAddr}-${req.maxAddr}: kubewire takes the first address`;
  let port = cur.port;
  const hasPorts = e.orig.sport !== undefined;
  const reply = { ...e.reply };
  const setReply = (a: string, p: number | undefined) => {
    if (manip === 'dst') {
      reply.src = a;
      if (hasPorts) reply.sport = p;
    } else {
      reply.dst = a;
      if (hasPorts) reply.dport = p;
    }
  };
  if (hasPorts) {
    if (req.minPort !== undefined) {
      const lo = req.minPort;
      const hi = req.maxPort ?? lo;
      if (port === undefined || port < lo || port > hi || req.randomFully) port = lo + Math.floor((ctx.rng?.() ?? 0) * (hi - lo + 1));
    } else if (manip === 'src' && req.randomFully && ctx.rng) {
      const lo = (port ?? 0) < 1024 ? 1 : 1024;
      const hi = (port ?? 0) < 1024 ? 1023 : 65535;
      port = lo + Math.floor(ctx.rng() * (hi - lo + 1));
      note = 'port from --random-fully (kubewire RNG stands in for the kernel prandom)';
    }
    setReply(addr, port);
    // nf_nat_used_tuple: another connection already owns this reply tuple → pick another port.
    if (manip === 'src' && tupleInUse(ctx.table, e, reply)) {
      const lo = (port ?? 0) < 1024 ? 1 : 1024;
      for (let i = 0; i < 65536 && tupleInUse(ctx.table, e, reply); i++) {
        port = lo + (((port ?? lo) - lo + 1) % (65536 - lo));
        setReply(addr, port);
      }
      note = 'original port in use: another port chosen';
    }
  } else setReply(addr, undefined);
  e.reply = reply;
  if (manip === 'dst') e.natDstDone = true;
  else e.natSrcDone = true;
  return { manip, from: cur, to: { addr, port: hasPorts ? port : undefined }, request: req, note };
}

/** nf_nat_packet: rewrite one packet of the connection for the given manip type. */
export function ctApplyNat(e: CtEntry, dir: 'ORIGINAL' | 'REPLY', manip: 'src' | 'dst', p: Packet): Packet {
  // The packet must end up as the inverse of the other direction's tuple.
  const target = dir === 'ORIGINAL' ? invertTuple(e.reply) : invertTuple(e.orig);
  const q = { ...p };
  if (manip === 'dst') {
    q.dst = target.dst;
    if (q.dport !== undefined && target.dport !== undefined) q.dport = target.dport;
  } else {
    q.src = target.src;
    if (q.sport !== undefined && target.sport !== undefined) q.sport = target.sport;
  }
  return q;
}

/** Does the entry translate this manip type at all (IPS_SRC_NAT / IPS_DST_NAT)? */
export function ctHasNat(e: CtEntry, manip: 'src' | 'dst'): boolean {
  if (manip === 'dst') return e.orig.dst !== e.reply.src || e.orig.dport !== e.reply.sport;
  return e.orig.src !== e.reply.dst || e.orig.sport !== e.reply.dport;
}

const PROTO_NAME: Record<number, string> = { 6: 'tcp', 17: 'udp', 1: 'icmp', 132: 'sctp', 33: 'dccp', 136: 'udplite', 47: 'gre' };

function tupleText(t: CtTuple): string {
  let s = `src=${t.src} dst=${t.dst} `;
  if (t.proto === 1) s += `type=${t.icmpType ?? 0} code=${t.icmpCode ?? 0} id=${t.icmpId ?? 0} `;
  else if (t.sport !== undefined) s += `sport=${t.sport} dport=${t.dport} `;
  return s;
}

/** One line as `conntrack -L` (conntrack-tools 1.4.7, libnetfilter_conntrack default format) prints it. */
export function conntrackLine(e: CtEntry): string {
  const name = PROTO_NAME[e.orig.proto] ?? 'unknown';
  let s = `${name.padEnd(8)} ${e.orig.proto} ${e.timeout} `;
  if (e.orig.proto === 6 && e.tcpState) s += `${e.tcpState} `;
  s += tupleText(e.orig);
  if (!e.seenReply) s += '[UNREPLIED] ';
  s += tupleText(e.reply);
  if (e.assured) s += '[ASSURED] ';
  s += `mark=${e.mark} `;
  if (e.zone) s += `zone=${e.zone} `;
  s += `use=${e.use}`;
  return s;
}

/**
 * `conntrack -L`: the confirmed entries (stdout), one per line, and the summary line conntrack
 * writes to stderr. The kernel lists by hash bucket; kubewire lists in creation order.
 */
export function renderConntrack(table: CtTable): { stdout: string; stderr: string } {
  const lines = table.entries.filter((e) => e.confirmed).map(conntrackLine);
  return {
    stdout: lines.map((l) => `${l}\n`).join(''),
    stderr: `conntrack v1.4.7 (conntrack-tools): ${lines.length} flow entries have been shown.\n`,
  };
}

