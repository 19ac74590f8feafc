// The packet the engine moves: the IPv4 header fields and transport ports the kernel's decisions
// read, plus the skb metadata that travels with it inside one host (mark, in/out interface).
// Plain data, so every trace step can carry a copy of the headers "after the step".

import { parseIpv4, formatIpv4 } from '../node-state/addr.ts';

export type L4Proto = 'TCP' | 'UDP' | 'ICMP' | 'SCTP';

export const PROTO_NUM: Readonly<Record<L4Proto, number>> = { TCP: 6, UDP: 17, ICMP: 1, SCTP: 132 };

export interface Packet {
  family: 4;
  src: string;
  dst: string;
  /** IP protocol number (6 tcp, 17 udp, 1 icmp, 132 sctp, ...). */
  proto: number;
  sport?: number;
  dport?: number;
  /** TCP flags byte (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32). */
  tcpFlags?: number;
  icmpType?: number;
  icmpCode?: number;
  /** ICMP echo identifier (conntrack keys echo flows on it). */
  icmpId?: number;
  ttl: number;
  /** skb->mark (fwmark). */
  mark: number;
  /** Total length in bytes (for LOG-style output and counters only). */
  length?: number;
  /** Source MAC as seen on the ingress link (for `-m mac`). */
  srcMac?: string;
  /** Second or further fragment (`-f`). */
  fragment?: boolean;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

export function protoNumber(p: L4Proto | number): number {
  return typeof p === 'number' ? p : PROTO_NUM[p];
}

export function protoLabel(n: number): string {
  switch (n) {
    case 6:
      return 'tcp';
    case 17:
      return 'udp';
    case 1:
      return 'icmp';
    case 132:
      return 'sctp';
    default:
      return String(n);
  }
}

export function hasPorts(p: Packet): boolean {
  return p.proto === 6 || p.proto === 17 || p.proto === 132 || p.proto === 33 || p.proto === 136;
}

/** One-line header summary: "TCP 10.0.0.1:40000 > 10.0.0.2:80 [S] ttl 64 mark 0x0". */
export function packetSummary(p: Packet): string {
  const proto = protoLabel(p.proto).toUpperCase();
  let s: string;
  const src = p.src || '(routing picks)';
  if (hasPorts(p)) s = `${proto} ${src}:${p.sport ?? 0} > ${p.dst}:${p.dport ?? 0}`;
  else if (p.proto === 1) s = `ICMP ${src} > ${p.dst} type ${p.icmpType ?? 8} code ${p.icmpCode ?? 0}`;
  else s = `${proto} ${src} > ${p.dst}`;
  if (p.proto === 6 && p.tcpFlags !== undefined) s += ` [${tcpFlagText(p.tcpFlags)}]`;
  s += ` ttl ${p.ttl}`;
  if (p.mark) s += ` mark 0x${p.mark.toString(16)}`;
  return s;
}

/** tcpdump's flag letters: S, F, R, P, . (ACK), U. */
export function tcpFlagText(f: number): string {
  let s = '';
  if (f & 0x02) s += 'S';
  if (f & 0x01) s += 'F';
  if (f & 0x04) s += 'R';
  if (f & 0x08) s += 'P';
  if (f & 0x20) s += 'U';
  if (f & 0x10) s += '.';
  return s || 'none';
}

export function clonePacket(p: Packet): Packet {
  return { ...p };
}

/** IPv4 text ↔ unsigned 32-bit number: the node-state helpers, under the engine's names. */
export { parseIpv4 as ip4, formatIpv4 as ip4Text };

/** Does `addr` lie in `prefix` ("10.0.0.0/8", "default", bare address = /32)? */
export function inPrefix4(addr: string, prefix: string): boolean {
  if (prefix === 'default' || prefix === '0.0.0.0/0') return true;
  const [net, lenS] = prefix.split('/');
  const len = lenS === undefined ? 32 : Number(lenS);
  const a = parseIpv4(addr);
  const n = parseIpv4(net);
  if (a === undefined || n === undefined) return false;
  if (len === 0) return true;
  const mask = len === 32 ? 0xffffffff : (~(0xffffffff >>> len)) >>> 0;
  return ((a & mask) >>> 0) === ((n & mask) >>> 0);
}

export function prefixLen4(prefix: string): number {
  if (prefix === 'default') return 0;
  const slash = prefix.indexOf('/');
  return slash < 0 ? 32 : Number(prefix.slice(slash + 1));
}

/** Deterministic PRNG (mulberry32): a concrete run draws its random choices from it. */
export function seededRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
