// What the simulator says each interface carries for one trace branch: the request's first packet
// and the reply's first packet as they pass every interface of the path, read off the trace steps
// (each step holds the headers after it). Pure (browser-safe).
//
// A packet is on the wire of `dev` when it leaves (the veth/ENI/vxlan device step, after
// POSTROUTING and the neighbour lookup) and when it arrives on the peer (before PREROUTING, same
// headers). Inside VXLAN the outer packet carries the inner one: the ENIs between encap and decap
// see the outer headers with the VNI and the inner headers.
//
// The lab's VPC fabric is a Linux router, so it decrements the TTL of what crosses it; the real
// VPC does not (docs/lab.md). `fabricTtl` (default 1) says by how much the kernel's packets after
// a fabric crossing are expected to be lower than the simulator's.

import type { TraceBranch, TraceLeg, Step, Packet } from '../../engine/index.ts';

/** The header fields compared per interface (request: SYN; reply: SYN-ACK; length = IP total length when known). */
export type Headers = Pick<Packet, 'src' | 'dst' | 'proto' | 'sport' | 'dport' | 'tcpFlags' | 'icmpType' | 'icmpCode' | 'ttl' | 'length'>;

export interface WirePacket extends Headers {
  /** VXLAN: the VNI and the inner packet. */
  vxlan?: { vni: number; inner: Headers };
}

export interface WireEvent {
  node: string;
  netns: string;
  iface: string;
  dir: 'out' | 'in';
  leg: 'request' | 'reply';
  pkt: WirePacket;
  /** Which fields the kernel chooses by itself and cannot be predicted (e.g. a --random-fully port). */
  free?: Array<'sport' | 'dport' | 'innerSport' | 'innerDport'>;
}

/** Interface key "node|netns|iface". */
export const ifaceKey = (e: { node: string; netns: string; iface: string }): string => `${e.node}|${e.netns}|${e.iface}`;

function headers(p: Packet): Headers {
  const h: Headers = { src: p.src, dst: p.dst, proto: p.proto, ttl: p.ttl };
  if (p.sport !== undefined) h.sport = p.sport;
  if (p.dport !== undefined) h.dport = p.dport;
  if (p.tcpFlags !== undefined) h.tcpFlags = p.tcpFlags;
  if (p.icmpType !== undefined) h.icmpType = p.icmpType;
  if (p.icmpCode !== undefined) h.icmpCode = p.icmpCode;
  if (p.length !== undefined) h.length = p.length;
  return h;
}

/** VXLAN adds outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14) bytes. */
export const VXLAN_OVERHEAD = 50;

export interface ExpectOptions {
  /** TTL the lab's fabric takes off each crossing (1; 0 for a fabric that does not route). */
  fabricTtl?: number;
  /** IP total length of the request's first packet as the client sends it (and of the reply's, as the server sends it). */
  requestLength?: number;
  replyLength?: number;
  /** Ports chosen at random by NAT (default: those of the leg itself). */
  randomPorts?: number[];
}

/** Source ports NAT chose at random on a leg (`--random-fully`, or a clash the kernel resolves at random). */
export function randomPorts(leg: TraceLeg): number[] {
  const out: number[] = [];
  for (const s of leg.steps) {
    if (s.kind !== 'nat' || !/random/.test(s.detail ?? '') || s.decidedBy?.kind !== 'nat') continue;
    const m = /:(\d+)$/.exec(s.decidedBy.to);
    if (m) out.push(Number(m[1]));
  }
  return out;
}

/** Wire events of one leg, in order. */
export function legEvents(leg: TraceLeg, which: 'request' | 'reply', opts: ExpectOptions = {}): WireEvent[] {
  const fabricTtl = opts.fabricTtl ?? 1;
  const baseLen = which === 'request' ? opts.requestLength : opts.replyLength;
  const out: WireEvent[] = [];
  const steps = leg.steps;
  // TTL the fabric took from the packet now on top, and from the outer packet while encapsulated.
  let ttlAdj = 0;
  const stack: Array<{ vni: number; inner: Headers; savedAdj: number }> = [];
  // Ports the kernel picks at random (SNAT/MASQUERADE --random-fully): the simulator's stand-in
  // value cannot be compared, wherever it appears (source on the way there, destination back).
  const random = new Set(opts.randomPorts ?? randomPorts(leg));
  const wire = (p: Packet): WirePacket => {
    const h = headers(p);
    h.ttl -= ttlAdj;
    const top = stack[stack.length - 1];
    if (top) {
      const inner = top.inner;
      return { ...h, length: inner.length !== undefined ? inner.length + VXLAN_OVERHEAD : undefined, vxlan: { vni: top.vni, inner } };
    }
    if (baseLen !== undefined && h.length === undefined) h.length = baseLen;
    return h;
  };
  const push = (s: Step, dir: 'out' | 'in', iface: string, node = s.node, netns = s.netns, p = s.packet) => {
    const pkt = wire(p);
    const free: NonNullable<WireEvent['free']> = [];
    if (pkt.vxlan) {
      // The outer source port is a hash of the inner flow with a per-boot secret.
      free.push('sport');
      if (pkt.vxlan.inner.sport !== undefined && random.has(pkt.vxlan.inner.sport)) free.push('innerSport');
      if (pkt.vxlan.inner.dport !== undefined && random.has(pkt.vxlan.inner.dport)) free.push('innerDport');
    } else {
      if (p.sport !== undefined && random.has(p.sport)) free.push('sport');
      if (p.dport !== undefined && random.has(p.dport)) free.push('dport');
    }
    out.push({ node, netns, iface, dir, leg: which, pkt, ...(free.length ? { free } : {}) });
  };
  /** The first step of the receiving side: where and on which interface the packet arrived. */
  const arrival = (i: number): { node: string; netns: string; iface: string } | undefined => {
    const n = steps[i + 1];
    if (n?.iface && (n.node !== steps[i].node || n.netns !== steps[i].netns)) return { node: n.node, netns: n.netns, iface: n.iface };
    const d = leg.disposition;
    if (!n && d.iface && (d.node !== steps[i].node || d.netns !== steps[i].netns)) return { node: d.node, netns: d.netns, iface: d.iface };
    return undefined;
  };
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    if (s.kind === 'device' && s.iface && s.iface !== 'lo') {
      push(s, 'out', s.iface);
      const a = arrival(i);
      if (a) push(s, 'in', a.iface, a.node, a.netns);
    } else if (s.kind === 'fabric' && s.iface) {
      push(s, 'out', s.iface);
      const a = arrival(i);
      if (a) {
        ttlAdj += fabricTtl;
        push(s, 'in', a.iface, a.node, a.netns);
      }
    } else if (s.kind === 'encap' && s.iface) {
      // The inner packet leaves on the vxlan device as it was before the encapsulation.
      const before = steps[i - 1]?.packet ?? s.packet;
      const innerWire = wire(before);
      push(steps[i - 1] ?? s, 'out', s.iface, s.node, s.netns, before);
      const m = /VNI (\d+)/.exec(s.what);
      stack.push({ vni: m ? Number(m[1]) : 0, inner: innerWire, savedAdj: ttlAdj });
      ttlAdj = 0;
    } else if (s.kind === 'decap' && stack.length) {
      const top = stack.pop()!;
      ttlAdj = top.savedAdj;
      // The inner packet arrives on the vxlan device (the next step's interface).
      const n = steps[i + 1];
      const iface = n?.iface ?? leg.disposition.iface;
      if (iface) push(s, 'in', iface, s.node, s.netns, s.packet);
    }
  }
  return out;
}

/** Every wire event of a branch: the request leg, then the reply leg when the simulator walked one. */
export function branchEvents(b: TraceBranch, opts: ExpectOptions = {}): WireEvent[] {
  const rp = [...randomPorts(b.forward), ...(b.reply ? randomPorts(b.reply) : [])];
  return [...legEvents(b.forward, 'request', { ...opts, randomPorts: rp }), ...(b.reply ? legEvents(b.reply, 'reply', { ...opts, randomPorts: rp }) : [])];
}

/** The interfaces a trace touches (every branch, both legs), for the captures. */
export function traceInterfaces(branches: TraceBranch[]): Array<{ node: string; netns: string; iface: string }> {
  const seen = new Map<string, { node: string; netns: string; iface: string }>();
  for (const b of branches) for (const e of branchEvents(b)) seen.set(ifaceKey(e), { node: e.node, netns: e.netns, iface: e.iface });
  return [...seen.values()];
}
