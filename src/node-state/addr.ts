// Small, browser-safe IPv4/IPv6 helpers used by the node-state operations and the renderers.
// IPv4 addresses are unsigned 32-bit numbers, IPv6 addresses are 128-bit bigints.
// Text output follows glibc inet_ntop (what iproute2 prints): lower case, the longest run of
// two or more zero groups compressed (the first one on a tie), IPv4-mapped as ::ffff:a.b.c.d.

import { KubewireError } from '../errors.ts';
import type { Family } from './types.ts';

export function parseIpv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255) return undefined;
    v = v * 256 + o;
  }
  return v;
}

export function formatIpv4(v: number): string {
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

/**
 * The eight 16-bit groups of IPv6 text: hex groups with at most one "::" (standing for at least
 * one zero group) and optionally a trailing IPv4 dotted quad (the last two groups), read by
 * `v4` — each caller's own IPv4 rules (glibc, Go's sloppy parser, wire's strict one).
 */
export function ipv6Groups(s: string, v4: (dotted: string) => readonly number[] | undefined): number[] | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  let head = s;
  let tail: number[] | undefined;
  if (s.includes('.')) {
    const lastColon = s.lastIndexOf(':');
    const b = lastColon < 0 ? undefined : v4(s.slice(lastColon + 1));
    if (!b || b.length !== 4) return undefined;
    tail = [(b[0] << 8) | b[1], (b[2] << 8) | b[3]];
    // Two placeholder groups where the dotted quad stood, replaced below.
    head = s.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = head.split('::');
  if (dbl.length > 2) return undefined;
  const parseGroups = (p: string): number[] | undefined => {
    if (p === '') return [];
    const out: number[] = [];
    for (const g of p.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = parseGroups(dbl[0]);
  const right = dbl.length === 2 ? parseGroups(dbl[1]) : [];
  if (!left || !right) return undefined;
  let groups: number[];
  if (dbl.length === 2) {
    const fill = 8 - left.length - right.length;
    if (fill < 1) return undefined;
    groups = [...left, ...new Array<number>(fill).fill(0), ...right];
  } else {
    groups = left;
  }
  if (groups.length !== 8) return undefined;
  if (tail) groups.splice(6, 2, ...tail);
  return groups;
}

/** inet_pton's IPv4 (inside IPv6 text too): no leading zeros. */
function ipv4Octets(s: string): number[] | undefined {
  if (/(^|\.)0\d/.test(s)) return undefined;
  const v = parseIpv4(s);
  return v === undefined ? undefined : [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}

export function parseIpv6(s: string): bigint | undefined {
  const g = ipv6Groups(s, ipv4Octets);
  if (!g) return undefined;
  let v = 0n;
  for (const x of g) v = (v << 16n) | BigInt(x);
  return v;
}

/** The longest run of two or more zero groups (the first on a tie), or none: RFC 5952 §4.2. */
function longestZeroRun(g: readonly number[]): { start: number; len: number } {
  let start = -1;
  let len = 0;
  for (let i = 0; i < g.length; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < g.length && g[j] === 0) j++;
    if (j - i > len) {
      start = i;
      len = j - i;
    }
    i = j;
  }
  return len < 2 ? { start: -1, len: 0 } : { start, len };
}

/**
 * Eight 16-bit groups in hex with the longest zero run compressed to "::" — the part of the text
 * form that glibc's inet_ntop and Go's net.IP.String agree on.
 */
export function compressIpv6Groups(g: readonly number[]): string {
  const { start, len } = longestZeroRun(g);
  if (start < 0) return g.map((x) => x.toString(16)).join(':');
  const l = g.slice(0, start).map((x) => x.toString(16)).join(':');
  const r = g.slice(start + len).map((x) => x.toString(16)).join(':');
  return `${l}::${r}`;
}

/**
 * glibc inet_ntop of eight groups: compressed, and with the last 32 bits as a dotted quad when the
 * zero run is exactly the first six groups (IPv4-compatible, ::a.b.c.d) or the first five
 * followed by ffff (IPv4-mapped, ::ffff:a.b.c.d).
 */
export function formatIpv6Groups(g: readonly number[]): string {
  const { start, len } = longestZeroRun(g);
  if (start === 0 && (len === 6 || (len === 5 && g[5] === 0xffff))) {
    const v4 = `${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`;
    return len === 5 ? `::ffff:${v4}` : `::${v4}`;
  }
  return compressIpv6Groups(g);
}

export function formatIpv6(v: bigint): string {
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  return formatIpv6Groups(g);
}

export interface ParsedAddr {
  family: Family;
  /** IPv4 as number in [0, 2^32), IPv6 as bigint. Stored as bigint for both for uniform math. */
  value: bigint;
  bits: 32 | 128;
}

export function parseAddr(s: string): ParsedAddr | undefined {
  const v4 = parseIpv4(s);
  if (v4 !== undefined) return { family: 4, value: BigInt(v4), bits: 32 };
  const v6 = parseIpv6(s);
  if (v6 !== undefined) return { family: 6, value: v6, bits: 128 };
  return undefined;
}

export function formatAddr(family: Family, v: bigint): string {
  return family === 4 ? formatIpv4(Number(v)) : formatIpv6(v);
}

/** Canonical text of an address ("fd00:0::1" → "fd00::1"). */
export function canonicalAddr(s: string): string {
  const p = parseAddr(s);
  if (!p) throw new KubewireError(`invalid IP address "${s}"`);
  return formatAddr(p.family, p.value);
}

export function familyOf(s: string): Family | undefined {
  const slash = s.indexOf('/');
  return parseAddr(slash >= 0 ? s.slice(0, slash) : s)?.family;
}

export interface ParsedPrefix {
  family: Family;
  /** The address as written (host bits kept). */
  addr: bigint;
  len: number;
  bits: 32 | 128;
}

/** Parses "a.b.c.d/len", "a.b.c.d" (host prefix), IPv6 likewise. */
export function parsePrefix(s: string): ParsedPrefix | undefined {
  const slash = s.indexOf('/');
  const a = parseAddr(slash >= 0 ? s.slice(0, slash) : s);
  if (!a) return undefined;
  let len = a.bits as number;
  if (slash >= 0) {
    const t = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(t)) return undefined;
    len = Number(t);
    if (len > a.bits) return undefined;
  }
  return { family: a.family, addr: a.value, len, bits: a.bits };
}

export function maskOf(bits: 32 | 128, len: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return len === 0 ? 0n : (all >> BigInt(bits - len)) << BigInt(bits - len);
}

export function networkOf(p: ParsedPrefix): bigint {
  return p.addr & maskOf(p.bits, p.len);
}

export function broadcastOf(p: ParsedPrefix): bigint {
  const all = (1n << BigInt(p.bits)) - 1n;
  return networkOf(p) | (all ^ maskOf(p.bits, p.len));
}

export function prefixContains(net: ParsedPrefix, addr: bigint): boolean {
  return (addr & maskOf(net.bits, net.len)) === networkOf(net);
}

/** "10.0.0.0/24"; host prefixes keep "/32" and "/128"; "default" for /0 when asked. */
export function formatPrefix(family: Family, net: bigint, len: number): string {
  return `${formatAddr(family, net)}/${len}`;
}

/** Route destination in model form: "default" or the canonical network "a.b.c.d/len". */
export function canonicalDst(dst: string, family?: Family): { family: Family; dst: string; net: bigint; len: number } {
  if (dst === 'default' || dst === 'all' || dst === 'any') {
    const f = family ?? 4;
    return { family: f, dst: 'default', net: 0n, len: 0 };
  }
  const p = parsePrefix(dst);
  if (!p) throw new KubewireError(`invalid prefix "${dst}"`);
  if (family !== undefined && p.family !== family) throw new KubewireError(`prefix "${dst}" is not IPv${family}`);
  const net = networkOf(p);
  if (p.len === 0) return { family: p.family, dst: 'default', net: 0n, len: 0 };
  return { family: p.family, dst: formatPrefix(p.family, net, p.len), net, len: p.len };
}

/** Modified EUI-64 interface identifier of a MAC, as the kernel builds fe80:: addresses. */
export function eui64LinkLocal(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  if (b.length !== 6 || b.some((x) => Number.isNaN(x))) throw new KubewireError(`invalid MAC address "${mac}"`);
  const id = [b[0] ^ 2, b[1], b[2], 0xff, 0xfe, b[3], b[4], b[5]];
  let v = 0xfe80n << 112n;
  for (let i = 0; i < 8; i++) v |= BigInt(id[i]) << BigInt((7 - i) * 8);
  return formatIpv6(v);
}

export function normalizeMac(mac: string): string {
  const m = /^([0-9a-fA-F]{1,2})(:[0-9a-fA-F]{1,2}){5}$/.exec(mac);
  if (!m) throw new KubewireError(`invalid MAC address "${mac}"`);
  return mac
    .split(':')
    .map((x) => x.toLowerCase().padStart(2, '0'))
    .join(':');
}
