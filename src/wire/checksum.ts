// The Internet checksum (RFC 1071) and the TCP/UDP/ICMPv6 pseudo-headers (RFC 793/768 for IPv4,
// RFC 8200 section 8.1 for IPv6), computed the way the kernel does it: a 16-bit one's-complement
// sum of big-endian words, an odd trailing byte padded with zero, the result complemented.

import { KubewireError } from '../errors.ts';
import { ipv4ToBytes, ipv6ToBytes } from './bytes.ts';

/** One's-complement sum (not complemented, folded to 16 bits) of `bytes[start, end)`, added to `initial`. */
export function onesSum(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (i < end) sum += bytes[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** RFC 1071 Internet checksum of `bytes[start, end)` (the checksum field itself must be zero or be
 *  included to verify: a correct packet then sums to 0). */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  return ~onesSum(bytes, start, end, initial) & 0xffff;
}

function addrBytes(a: string | Uint8Array, family: 4 | 6): Uint8Array {
  if (typeof a !== 'string') {
    if (a.length !== (family === 4 ? 4 : 16)) throw new KubewireError(`pseudo-header: address of ${a.length} bytes for IPv${family}`);
    return a;
  }
  return family === 4 ? ipv4ToBytes(a) : ipv6ToBytes(a);
}

/** Sum of the IPv4 pseudo-header: source, destination, zero, protocol, upper-layer length. */
export function pseudoHeaderSumV4(src: string | Uint8Array, dst: string | Uint8Array, protocol: number, length: number): number {
  const p = new Uint8Array(12);
  p.set(addrBytes(src, 4), 0);
  p.set(addrBytes(dst, 4), 4);
  p[9] = protocol;
  p[10] = (length >>> 8) & 0xff;
  p[11] = length & 0xff;
  return onesSum(p);
}

/** Sum of the IPv6 pseudo-header: source, destination, 32-bit length, 3 zero bytes, next header. */
export function pseudoHeaderSumV6(src: string | Uint8Array, dst: string | Uint8Array, nextHeader: number, length: number): number {
  const p = new Uint8Array(40);
  p.set(addrBytes(src, 6), 0);
  p.set(addrBytes(dst, 6), 16);
  p[32] = (length >>> 24) & 0xff;
  p[33] = (length >>> 16) & 0xff;
  p[34] = (length >>> 8) & 0xff;
  p[35] = length & 0xff;
  p[39] = nextHeader;
  return onesSum(p);
}

/** Addresses of the enclosing IP header, needed for the TCP/UDP checksum. */
export interface PseudoHeader {
  src: string;
  dst: string;
}

/** Family of an address given as text. */
export function familyOf(addr: string): 4 | 6 {
  return addr.includes(':') ? 6 : 4;
}

/** Transport checksum (TCP, UDP, ICMPv6) over `segment` (checksum field zeroed or included). */
export function transportChecksum(ph: PseudoHeader, protocol: number, segment: Uint8Array): number {
  const fam = familyOf(ph.src);
  if (familyOf(ph.dst) !== fam) throw new KubewireError(`pseudo-header: mixed address families ${ph.src} and ${ph.dst}`);
  const init = fam === 4
    ? pseudoHeaderSumV4(ph.src, ph.dst, protocol, segment.length)
    : pseudoHeaderSumV6(ph.src, ph.dst, protocol, segment.length);
  return internetChecksum(segment, 0, segment.length, init);
}
