// Address parsing and printing the way iptables (libxtables) does it.
// IPv4 addresses accept libxtables' numeric forms: each dotted part is read like strtoul(.., 0)
// (so "010" is octal 8 and "0x10" is 16) and a short address is completed as a network
// ("10.1" is 10.1.0.0). Host names cannot be resolved here and are reported as not found.

import { NetfilterParamError } from './errors.ts';

export type Family = 4 | 6;

/** strtoul(s, &end, 0) accepting the whole string; null if not a number in [0, max]. */
export function strtoui(s: string, max: number): number | null {
  let v: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) v = parseInt(s.slice(2), 16);
  else if (/^0[0-7]*$/.test(s)) v = s.length === 1 ? 0 : parseInt(s.slice(1), 8);
  else if (/^[1-9][0-9]*$/.test(s)) v = Number(s);
  else return null;
  if (!Number.isFinite(v) || v > max) return null;
  return v;
}

/** IPv4 address as libxtables' numeric parser reads it; null if it is not numeric. */
export function parseIPv4(s: string, isMask = false): number | null {
  const parts = s.split('.');
  if (parts.length > 4) return null;
  if (parts.length < 4 && isMask) return null;
  const bytes = [0, 0, 0, 0];
  for (let i = 0; i < parts.length; i++) {
    const v = strtoui(parts[i], 255);
    if (v === null) return null;
    bytes[i] = v;
  }
  return ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
}

export function formatIPv4(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** inet_pton(AF_INET6); null if invalid. */
export function parseIPv6(s: string): bigint | null {
  if (s.length === 0 || s.length > 45) return null;
  let tail4: number | null = null;
  let str = s;
  const lastColon = str.lastIndexOf(':');
  if (lastColon >= 0 && str.slice(lastColon + 1).includes('.')) {
    const v4parts = str.slice(lastColon + 1).split('.');
    if (v4parts.length !== 4) return null;
    let acc = 0;
    for (const p of v4parts) {
      if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return null;
      acc = acc * 256 + Number(p);
    }
    tail4 = acc;
    str = str[lastColon - 1] === ':' ? str.slice(0, lastColon + 1) : str.slice(0, lastColon);
  }
  const want = tail4 === null ? 8 : 6;
  const dbl = str.indexOf('::');
  if (dbl >= 0 && str.indexOf('::', dbl + 1) >= 0) return null;
  const parseGroups = (g: string): number[] | null => {
    if (g === '') return [];
    const out: number[] = [];
    for (const p of g.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
      out.push(parseInt(p, 16));
    }
    return out;
  };
  let words: number[];
  if (dbl >= 0) {
    const head = parseGroups(str.slice(0, dbl));
    const tail = parseGroups(str.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > want - 1) return null;
    words = [...head, ...new Array(want - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = parseGroups(str);
    if (!all || all.length !== want) return null;
    words = all;
  }
  if (tail4 !== null) words.push(tail4 >>> 16, tail4 & 0xffff);
  let v = 0n;
  for (const w of words) v = (v << 16n) | BigInt(w);
  return v;
}

/** inet_ntop(AF_INET6) as glibc prints it. */
export function formatIPv6(v: bigint): string {
  const w: number[] = [];
  for (let i = 7; i >= 0; i--) w.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      if (curBase < 0) {
        curBase = i;
        curLen = 1;
      } else curLen++;
      if (curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
    } else curBase = -1;
  }
  if (bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      out += `${w[6] >> 8}.${w[6] & 255}.${w[7] >> 8}.${w[7] & 255}`;
      break;
    }
    out += w[i].toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

const ALL4 = 0xffffffff;
const ALL6 = (1n << 128n) - 1n;

/** Prefix length of a contiguous mask, or -1. */
export function maskToPrefix(mask: bigint, bits: number): number {
  if (bits === 32) {
    const m = Number(mask) >>> 0;
    const inv = ~m >>> 0;
    // Contiguous iff the inverted mask is 2^k - 1.
    if ((inv & (inv + 1)) !== 0) return -1;
    return Math.clz32(inv);
  }
  let len = 0;
  for (let i = bits - 1; i >= 0; i--) {
    if ((mask >> BigInt(i)) & 1n) len++;
    else break;
  }
  const rebuilt = len === 0 ? 0n : ((1n << BigInt(len)) - 1n) << BigInt(bits - len);
  return rebuilt === mask ? len : -1;
}

export function prefixToMask(len: number, bits: number): bigint {
  return len === 0 ? 0n : ((1n << BigInt(len)) - 1n) << BigInt(bits - len);
}

export interface AddrMask {
  family: Family;
  addr: bigint;
  mask: bigint;
}

export function parseAddress(s: string, family: Family): bigint | null {
  if (family === 4) {
    const v = parseIPv4(s);
    return v === null ? null : BigInt(v);
  }
  return parseIPv6(s);
}

export function formatAddress(v: bigint, family: Family): string {
  return family === 4 ? formatIPv4(Number(v)) : formatIPv6(v);
}

/** One "address[/mask]" item of -s/-d (and of conntrack's --ctorigsrc etc.). */
export function parseAddrMask(spec: string, family: Family, applyMask = true): AddrMask {
  const bits = family === 4 ? 32 : 128;
  const slash = spec.indexOf('/');
  const addrStr = slash >= 0 ? spec.slice(0, slash) : spec;
  const maskStr = slash >= 0 ? spec.slice(slash + 1) : null;
  let mask: bigint;
  if (maskStr === null) mask = family === 4 ? BigInt(ALL4) : ALL6;
  else if (family === 4 && maskStr.includes('.')) {
    const m = parseIPv4(maskStr, true);
    if (m === null) throw new NetfilterParamError(`host/network \`${maskStr}' not found`);
    mask = BigInt(m);
  } else if (family === 6 && maskStr.includes(':')) {
    const m = parseIPv6(maskStr);
    if (m === null) throw new NetfilterParamError(`host/network \`${maskStr}' not found`);
    mask = m;
  } else {
    const len = strtoui(maskStr, bits);
    if (len === null) throw new NetfilterParamError(`invalid mask \`${maskStr}' specified`);
    mask = prefixToMask(len, bits);
  }
  const addr = parseAddress(addrStr, family);
  if (addr === null) {
    throw new NetfilterParamError(`host/network \`${addrStr}' not found`, {
      explain: `kubewire resolves no host names; give a numeric IPv${family} address`,
    });
  }
  return { family, addr: applyMask ? addr & mask : addr, mask };
}

/** "10.0.0.0/8", "10.0.2.0/255.0.255.0", "fd00::/64" as iptables-save prints -s/-d. */
export function formatAddrMask(a: AddrMask): string {
  const bits = a.family === 4 ? 32 : 128;
  const len = maskToPrefix(a.mask, bits);
  const addr = formatAddress(a.addr, a.family);
  return len >= 0 ? `${addr}/${len}` : `${addr}/${formatAddress(a.mask, a.family)}`;
}

/** conntrack's form: the bare address for a host mask, else address/prefix. */
export function formatAddrMaskBareHost(a: AddrMask): string {
  const bits = a.family === 4 ? 32 : 128;
  const len = maskToPrefix(a.mask, bits);
  if (len === bits) return formatAddress(a.addr, a.family);
  return formatAddrMask(a);
}

/** Parse a canonical "addr/len" or "addr/mask" back (for the packet engine). */
export function parseCanonicalPrefix(s: string, family: Family): AddrMask {
  return parseAddrMask(s, family);
}

/** Does `ip` (numeric) fall into `a`? */
export function addrMatches(a: AddrMask, ip: bigint): boolean {
  return (ip & a.mask) === a.addr;
}

/** inet_aton(3): "a", "a.b" (8.24 bits), "a.b.c" (8.8.16), "a.b.c.d"; parts read like strtoul(.., 0). */
export function inetAton(s: string): number | null {
  const parts = s.split('.');
  if (parts.length > 4 || parts.some((p) => p === '')) return null;
  const nums = parts.map((p) => strtoui(p, 0xffffffff));
  if (nums.some((n) => n === null)) return null;
  const v = nums as number[];
  const last = v[v.length - 1];
  const lastBits = 8 * (5 - v.length);
  if (v.slice(0, -1).some((n) => n > 255) || last >= 2 ** lastBits) return null;
  let out = 0;
  for (let i = 0; i < v.length - 1; i++) out = out * 256 + v[i];
  return out * 2 ** lastBits + last;
}

/**
 * The libxtables option parser's "host/mask" type (conntrack's --ctorigsrc etc.): the address as
 * inet_aton/inet_pton read it, kept as written (no masking); a prefix above the family's width
 * counts as a host mask.
 */
export function parseHostMaskOption(spec: string, family: Family, ext: string, option: string): AddrMask {
  const bits = family === 4 ? 32 : 128;
  const slash = spec.indexOf('/');
  const addrStr = slash >= 0 ? spec.slice(0, slash) : spec;
  const maskStr = slash >= 0 ? spec.slice(slash + 1) : undefined;
  const a = family === 4 ? inetAton(addrStr) : parseIPv6(addrStr);
  if (a === null) throw new NetfilterParamError(`${ext}: host/network \`${addrStr}' not found`);
  let mask = prefixToMask(bits, bits);
  if (maskStr !== undefined) {
    const dotted = family === 4 ? maskStr.includes('.') : maskStr.includes(':');
    const m = dotted ? (family === 4 ? parseIPv4(maskStr, true) : parseIPv6(maskStr)) : strtoui(maskStr, 128);
    if (m === null) {
      throw new NetfilterParamError(
        `${ext}: bad value for option "--${option}", neither a valid network mask nor valid CIDR (0-${bits}).`,
      );
    }
    mask = dotted ? BigInt(m) : prefixToMask(Math.min(Number(m), bits), bits);
  }
  return { family, addr: BigInt(a), mask };
}
