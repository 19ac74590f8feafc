// Decoders for the canonical option values stored in NetfilterRule, for the packet engine.
// Each takes the exact string iptables-save prints (see extensions.ts) and returns numbers.

import type { MatchOption, NetfilterMatch, NetfilterRule } from './types.ts';
import { parseAddrMask, parseAddress, type AddrMask, type Family } from './addr.ts';

/** First match of `module` in the rule (rules may hold several; see matchesOf). */
export function findRuleMatch(rule: NetfilterRule, module: string): NetfilterMatch | undefined {
  return rule.matches.find((m) => m.module === module);
}

export function matchesOf(rule: NetfilterRule, module: string): NetfilterMatch[] {
  return rule.matches.filter((m) => m.module === module);
}

export function optionOf(options: MatchOption[], name: string): MatchOption | undefined {
  return options.find((o) => o.name === name);
}

/** "0x4000/0x4000" or "0x10" (mask all ones) → value and mask. */
export function decodeMarkMask(s: string): { value: number; mask: number } {
  const [v, m] = s.split('/');
  return { value: Number(v) >>> 0, mask: m === undefined ? 0xffffffff : Number(m) >>> 0 };
}

/** Apply MARK/CONNMARK --set-xmark value/mask: (mark & ~mask) ^ value. */
export function applyXmark(mark: number, s: string): number {
  const { value, mask } = decodeMarkMask(s);
  return ((mark & ~mask) ^ value) >>> 0;
}

/** "80" or "1000:2000" → [min, max]. */
export function decodePortRange(s: string): [number, number] {
  const [a, b] = s.split(':');
  return [Number(a), b === undefined ? Number(a) : Number(b)];
}

/** multiport list "80,443,1000:2000" → ranges. */
export function decodePortList(s: string): Array<[number, number]> {
  return s.split(',').map(decodePortRange);
}

/**
 * The statistic match's saved probability → the kernel's threshold: a packet matches when
 * (random u32 & 0x7fffffff) < threshold, i.e. with probability threshold / 2^31.
 */
export function statisticThreshold(saved: string): number {
  return Math.round(Number(saved) * 0x80000000);
}

const TCP_FLAG_BITS: Record<string, number> = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, NONE: 0 };

/** "FIN,SYN,RST,ACK" → bit mask. */
export function decodeTcpFlags(s: string): number {
  return s.split(',').reduce((acc, f) => acc | (TCP_FLAG_BITS[f] ?? 0), 0);
}

/** -s/-d value → address and mask. */
export function decodePrefix(s: string, family: Family): AddrMask {
  return parseAddrMask(s, family);
}

export interface NatRangeValue {
  /** Absent: keep the address (only ports change). */
  minAddr?: bigint;
  maxAddr?: bigint;
  minPort?: number;
  maxPort?: number;
  /** `/base` of the port range (rarely used). */
  basePort?: number;
}

/** --to-destination / --to-source value: "10.0.0.1:80", "10.0.0.1-10.0.0.5:80-90", ":80", "[fd00::1]:80". */
export function decodeNatRange(s: string, family: Family): NatRangeValue {
  let ip = s;
  let port: string | undefined;
  if (family === 6) {
    if (s.startsWith('[')) {
      const end = s.indexOf(']');
      ip = s.slice(1, end);
      if (s[end + 1] === ':') port = s.slice(end + 2);
    }
  } else {
    const colon = s.indexOf(':');
    if (colon >= 0) {
      ip = s.slice(0, colon);
      port = s.slice(colon + 1);
    }
  }
  const out: NatRangeValue = {};
  if (ip !== '') {
    const [a, b] = ip.split('-');
    out.minAddr = parseAddress(a, family) ?? undefined;
    out.maxAddr = b === undefined ? out.minAddr : (parseAddress(b, family) ?? undefined);
  }
  if (port !== undefined) {
    const m = /^(\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(port);
    if (m) {
      out.minPort = Number(m[1]);
      out.maxPort = m[2] === undefined ? out.minPort : Number(m[2]);
      if (m[3] !== undefined) out.basePort = Number(m[3]);
    }
  }
  return out;
}

/** Does interface `name` match a rule's interface value (with the `+` wildcard)? */
export function interfaceMatches(pattern: string, name: string): boolean {
  if (pattern.endsWith('+')) return name.startsWith(pattern.slice(0, -1));
  return name === pattern;
}
