// IP parsing the way kube-proxy does it (k8s.io/utils/net ParseIPSloppy / ParseCIDRSloppy, i.e.
// the Go 1.16 net parser that still accepts leading zeros in IPv4 octets, read as decimal) and
// printing the way Go's net.IP.String does (IPv4 dotted quad, IPv4-mapped IPv6 printed as IPv4,
// other IPv6 in RFC 5952 form). Browser-safe.

import { compressIpv6Groups, ipv6Groups } from '../node-state/addr.ts';

export type IpFamily = 'IPv4' | 'IPv6';

export interface ParsedIp {
  family: IpFamily;
  /** 4 or 16 bytes. */
  bytes: number[];
  /** Canonical text as Go prints it. */
  text: string;
}

function parseV4Bytes(s: string): number[] | undefined {
  const out: number[] = [];
  let n = 0;
  let digits = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46; // virtual trailing "."
    if (c >= 48 && c <= 57) {
      n = n * 10 + (c - 48);
      digits++;
      if (n > 255) return undefined;
    } else if (c === 46) {
      if (digits === 0) return undefined;
      out.push(n);
      n = 0;
      digits = 0;
    } else {
      return undefined;
    }
  }
  return out.length === 4 ? out : undefined;
}

function parseV6Groups(s: string): number[] | undefined {
  return ipv6Groups(s, parseV4Bytes);
}

// Go prints IPv6 with RFC 5952 zero compression and no embedded dotted quad (IPv4-mapped
// addresses are IPv4 to Go and never reach this).
const formatV6 = compressIpv6Groups;

/**
 * Fast path of parseIpSloppy(s)?.text for IPv4 text: returns `s` itself when it is already a
 * canonical dotted quad, the canonical text when it has leading zeros, undefined when it is not
 * IPv4 dotted-quad text (callers then fall back to parseIpSloppy).
 */
export function canonicalIPv4(s: string): string | undefined {
  let parts = 0;
  let n = 0;
  let digits = 0;
  let leadingZero = false;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c >= 48 && c <= 57) {
      if (digits === 1 && n === 0) leadingZero = true;
      n = n * 10 + (c - 48);
      if (n > 255) return undefined;
      digits++;
    } else if (c === 46) {
      if (digits === 0) return undefined;
      parts++;
      n = 0;
      digits = 0;
    } else {
      return undefined;
    }
  }
  if (parts !== 4) return undefined;
  return leadingZero ? parseIpSloppy(s)!.text : s;
}

/** ParseIPSloppy + String(); undefined when the text is not an IP address. */
export function parseIpSloppy(s: string): ParsedIp | undefined {
  if (s.includes(':')) {
    const g = parseV6Groups(s);
    if (!g) return undefined;
    const bytes: number[] = [];
    for (const v of g) bytes.push(v >> 8, v & 255);
    // Go treats ::ffff:a.b.c.d as an IPv4 address (To4() != nil) and prints it dotted.
    if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
      const b4 = bytes.slice(12);
      return { family: 'IPv4', bytes: b4, text: b4.join('.') };
    }
    return { family: 'IPv6', bytes, text: formatV6(g) };
  }
  const v4 = parseV4Bytes(s);
  if (!v4) return undefined;
  return { family: 'IPv4', bytes: v4, text: `${v4[0]}.${v4[1]}.${v4[2]}.${v4[3]}` };
}

export interface ParsedCidr {
  family: IpFamily;
  /** Network address bytes (host bits cleared). */
  bytes: number[];
  prefix: number;
  /** Canonical "network/prefix" as Go's IPNet.String prints it. */
  text: string;
}

/** ParseCIDRSloppy: the network (host bits cleared) of "addr/prefix". */
export function parseCidrSloppy(s: string): ParsedCidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIpSloppy(s.slice(0, slash));
  const pfx = s.slice(slash + 1);
  if (!ip || !/^[0-9]{1,3}$/.test(pfx)) return undefined;
  // An IPv4-mapped IPv6 CIDR keeps IPv6 prefix semantics in Go; we only accept the plain forms.
  const isV6Text = s.slice(0, slash).includes(':');
  if (isV6Text && ip.family === 'IPv4') return undefined;
  const prefix = Number(pfx);
  const maxLen = ip.bytes.length * 8;
  if (prefix > maxLen) return undefined;
  const bytes = maskBytes(ip.bytes, prefix);
  const text = (ip.family === 'IPv4' ? bytes.join('.') : formatV6(bytesToGroups(bytes))) + `/${prefix}`;
  return { family: ip.family, bytes, prefix, text };
}

function bytesToGroups(b: number[]): number[] {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i] << 8) | b[i + 1]);
  return g;
}

function maskBytes(b: number[], prefix: number): number[] {
  const out: number[] = new Array<number>(b.length);
  for (let i = 0; i < b.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = b[i] & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

export function cidrContains(c: ParsedCidr, ip: ParsedIp): boolean {
  if (c.family !== ip.family) return false;
  const m = maskBytes(ip.bytes, c.prefix);
  for (let i = 0; i < m.length; i++) if (m[i] !== c.bytes[i]) return false;
  return true;
}

export function isLoopback(ip: ParsedIp): boolean {
  if (ip.family === 'IPv4') return ip.bytes[0] === 127;
  return ip.bytes.every((b, i) => (i === 15 ? b === 1 : b === 0));
}

/** net.JoinHostPort: "ip:port", "[ipv6]:port". */
export function joinHostPort(ip: ParsedIp, port: number): string {
  return ip.family === 'IPv6' ? `[${ip.text}]:${port}` : `${ip.text}:${port}`;
}
