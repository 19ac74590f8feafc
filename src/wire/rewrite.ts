// Header rewrites as the kernel does them on a forwarded or NATed frame, with checksums updated
// the kernel's way: incrementally (RFC 1624, csum_replace2/4 and ip_decrease_ttl), so a checksum
// that was right stays right and one that was wrong stays wrong, and a quoted packet inside an
// ICMP error (cut short, so its transport checksum cannot be recomputed) is updated like
// nf_nat_icmp_reply_translation updates it. Used to render the same packet at each capture
// point after routing (TTL, MACs), DNAT/SNAT (addresses, ports, ICMP echo id).

import { KubewireError } from '../errors.ts';
import { internetChecksum } from './checksum.ts';
import { ipv4ToBytes, macToBytes, need, put16, u16 } from './bytes.ts';
import { ETH_HEADER_LEN, ETHERTYPE_IPV4 } from './ethernet.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from './ipv4.ts';

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** csum_replace: the checksum after replacing `from` with `to` (equal-length, even-length byte
 *  strings) in the covered data: ~fold(~check + ~from + to). */
export function csumReplace(check: number, from: Uint8Array, to: Uint8Array): number {
  if (from.length !== to.length || from.length % 2) throw new KubewireError('checksum update: fields must have the same even length');
  let sum = ~check & 0xffff;
  for (let i = 0; i < from.length; i += 2) {
    sum += ~((from[i] << 8) | from[i + 1]) & 0xffff;
    sum += (to[i] << 8) | to[i + 1];
  }
  return ~fold(sum) & 0xffff;
}

const ZERO2 = new Uint8Array(2);

function portBytes(p: number): Uint8Array {
  return Uint8Array.of((p >>> 8) & 0xff, p & 0xff);
}

export interface Ipv4Rewrite {
  srcMac?: string;
  dstMac?: string;
  src?: string;
  dst?: string;
  srcPort?: number;
  dstPort?: number;
  /** ICMP echo identifier (NAT of echo flows). */
  icmpId?: number;
  /** Decrement the TTL by this many hops (ip_forward's ip_decrease_ttl), default 0. */
  decrementTtl?: number;
}

/** ip_decrease_ttl: TTL - 1 with the header checksum adjusted by adding 0x0100. */
function decreaseTtl(ip: Uint8Array, off: number): void {
  if (ip[off + 8] === 0) throw new KubewireError('IPv4 forward: TTL is already 0');
  let check = u16(ip, off + 10);
  check += 0x0100;
  check = (check + (check >= 0xffff ? 1 : 0)) & 0xffff;
  put16(ip, off + 10, check);
  ip[off + 8] -= 1;
}

/** Rewrites IPv4 addresses/ports (or ICMP echo id) of the IP packet at `off` in `b` in place,
 *  updating the IP header checksum and the transport checksum incrementally.
 *  `transportComplete` false = a quoted packet: ports are changed and checksums updated the same
 *  incremental way (the kernel does that too), nothing is recomputed. */
function manipIpv4(b: Uint8Array, off: number, r: Ipv4Rewrite): void {
  need(b, off, 20, 'IPv4 header');
  const ihl = (b[off] & 0x0f) * 4;
  const proto = b[off + 9];
  const l4 = off + ihl;
  const fragOff = u16(b, off + 6) & 0x1fff;
  const addrChanges: Array<[Uint8Array, Uint8Array]> = [];
  for (const [field, value] of [[12, r.src], [16, r.dst]] as const) {
    if (value === undefined) continue;
    const from = b.slice(off + field, off + field + 4);
    const to = ipv4ToBytes(value);
    put16(b, off + 10, csumReplace(u16(b, off + 10), from, to));
    b.set(to, off + field);
    addrChanges.push([from, to]);
  }
  if (fragOff !== 0) return; // later fragments carry no transport header
  if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) {
    const csumAt = l4 + (proto === IPPROTO_TCP ? 16 : 6);
    const haveCsum = b.length >= csumAt + 2;
    // UDP with a zero checksum (none) is left alone, as udp_manip_pkt does.
    const update = haveCsum && !(proto === IPPROTO_UDP && u16(b, csumAt) === 0);
    let check = haveCsum ? u16(b, csumAt) : 0;
    if (update) for (const [from, to] of addrChanges) check = csumReplace(check, from, to);
    for (const [field, value] of [[0, r.srcPort], [2, r.dstPort]] as const) {
      if (value === undefined) continue;
      need(b, l4 + field, 2, 'transport port');
      const from = b.slice(l4 + field, l4 + field + 2);
      const to = portBytes(value);
      if (update) check = csumReplace(check, from, to);
      b.set(to, l4 + field);
    }
    if (update) {
      if (proto === IPPROTO_UDP && check === 0) check = 0xffff; // CSUM_MANGLED_0
      put16(b, csumAt, check);
    }
  } else if (proto === IPPROTO_ICMP && r.icmpId !== undefined) {
    need(b, l4, 8, 'ICMP header');
    const from = b.slice(l4 + 4, l4 + 6);
    const to = portBytes(r.icmpId);
    put16(b, l4 + 2, csumReplace(u16(b, l4 + 2), from, to));
    b.set(to, l4 + 4);
  }
}

function frameCopy(frame: Uint8Array): Uint8Array {
  need(frame, 0, ETH_HEADER_LEN + 20, 'IPv4 frame');
  if (u16(frame, 12) !== ETHERTYPE_IPV4) throw new KubewireError(`rewrite: EtherType 0x${u16(frame, 12).toString(16)} is not IPv4`);
  return frame.slice();
}

function setMacs(b: Uint8Array, r: Ipv4Rewrite): void {
  if (r.dstMac) b.set(macToBytes(r.dstMac), 0);
  if (r.srcMac) b.set(macToBytes(r.srcMac), 6);
}

/** A copy of an Ethernet/IPv4 frame with MACs, TTL, addresses, ports or echo id changed the way
 *  the kernel changes them when it forwards and NATs the packet. */
export function rewriteIpv4Frame(frame: Uint8Array, r: Ipv4Rewrite): Uint8Array {
  const b = frameCopy(frame);
  setMacs(b, r);
  for (let i = 0; i < (r.decrementTtl ?? 0); i++) decreaseTtl(b, ETH_HEADER_LEN);
  manipIpv4(b, ETH_HEADER_LEN, r);
  return b;
}

/** NAT of an ICMP error (nf_nat_icmp_reply_translation): the quoted packet's addresses and
 *  ports are rewritten with incremental checksum updates (`inner`), the ICMP checksum is then
 *  recomputed over the whole message, and the outer header is rewritten (`outer`). */
export function natIcmpErrorFrame(frame: Uint8Array, outer: Ipv4Rewrite, inner: Ipv4Rewrite): Uint8Array {
  const b = frameCopy(frame);
  const ip = ETH_HEADER_LEN;
  const ihl = (b[ip] & 0x0f) * 4;
  if (b[ip + 9] !== IPPROTO_ICMP) throw new KubewireError('ICMP error NAT: not an ICMP packet');
  const icmp = ip + ihl;
  need(b, icmp, 8 + 20, 'ICMP error with a quoted header');
  const type = b[icmp];
  if (![3, 4, 5, 11, 12].includes(type)) throw new KubewireError(`ICMP error NAT: type ${type} is not an error`);
  manipIpv4(b, icmp + 8, inner);
  const end = ip + u16(b, ip + 2);
  b.set(ZERO2, icmp + 2);
  put16(b, icmp + 2, internetChecksum(b, icmp, Math.min(end, b.length)));
  setMacs(b, outer);
  for (let i = 0; i < (outer.decrementTtl ?? 0); i++) decreaseTtl(b, ip);
  manipIpv4(b, ip, { src: outer.src, dst: outer.dst });
  return b;
}
