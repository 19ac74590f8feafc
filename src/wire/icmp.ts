// ICMP for IPv4 (RFC 792, RFC 1191 for "fragmentation needed" with the next-hop MTU).
// Errors quote the offending packet. Linux (icmp_send in net/ipv4/icmp.c) quotes as much of it
// as fits in a 576-byte reply (or the route MTU if smaller): min(original length, 576 - 20 - 8)
// bytes, so usually the whole original packet for small datagrams, never just "header + 8".
// The error itself goes out with TOS = (original TOS & 0x1e) | 0xc0 (precedence "internetwork
// control"), DF clear, TTL 64.

import { KubewireError } from '../errors.ts';
import { checkUint, need, put16, u16 } from './bytes.ts';
import { internetChecksum } from './checksum.ts';
import { emitIpv4, IPPROTO_ICMP } from './ipv4.ts';

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_REDIRECT = 5;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETER_PROBLEM = 12;

/** Codes for ICMP_DEST_UNREACH. */
export const ICMP_NET_UNREACH = 0;
export const ICMP_HOST_UNREACH = 1;
export const ICMP_PROT_UNREACH = 2;
export const ICMP_PORT_UNREACH = 3;
export const ICMP_FRAG_NEEDED = 4;
export const ICMP_NET_ANO = 9;
export const ICMP_HOST_ANO = 10;
export const ICMP_PKT_FILTERED = 13;
/** Codes for ICMP_TIME_EXCEEDED. */
export const ICMP_EXC_TTL = 0;
export const ICMP_EXC_FRAGTIME = 1;

export interface IcmpPacket {
  type: number;
  code: number;
  /** On parse: the value found. On emit: computed unless given. */
  checksum?: number;
  /** Echo request/reply identifier. */
  id?: number;
  /** Echo request/reply sequence number. */
  seq?: number;
  /** Destination unreachable, code 4 (fragmentation needed): next-hop MTU. */
  nextHopMtu?: number;
  /** Parameter problem: pointer. */
  pointer?: number;
  /** Redirect: gateway address (dotted). */
  gateway?: string;
  /** Echo data, or for errors the quoted original IP packet. */
  data: Uint8Array;
}

export interface ParsedIcmp {
  packet: IcmpPacket;
  checksumOk: boolean;
}

function isEcho(t: number): boolean {
  return t === ICMP_ECHO_REQUEST || t === ICMP_ECHO_REPLY || t === 13 || t === 14;
}

export function parseIcmp(bytes: Uint8Array, offset = 0): ParsedIcmp {
  need(bytes, offset, 8, 'ICMP header');
  const type = bytes[offset];
  const code = bytes[offset + 1];
  const p: IcmpPacket = { type, code, checksum: u16(bytes, offset + 2), data: bytes.subarray(offset + 8) };
  if (isEcho(type)) {
    p.id = u16(bytes, offset + 4);
    p.seq = u16(bytes, offset + 6);
  } else if (type === ICMP_DEST_UNREACH && code === ICMP_FRAG_NEEDED) {
    p.nextHopMtu = u16(bytes, offset + 6);
  } else if (type === ICMP_PARAMETER_PROBLEM) {
    p.pointer = bytes[offset + 4];
  } else if (type === ICMP_REDIRECT) {
    p.gateway = `${bytes[offset + 4]}.${bytes[offset + 5]}.${bytes[offset + 6]}.${bytes[offset + 7]}`;
  }
  return { packet: p, checksumOk: internetChecksum(bytes, offset) === 0 };
}

export function emitIcmp(p: IcmpPacket): Uint8Array {
  checkUint(p.type, 8, 'ICMP type');
  checkUint(p.code, 8, 'ICMP code');
  const out = new Uint8Array(8 + p.data.length);
  out[0] = p.type;
  out[1] = p.code;
  if (isEcho(p.type)) {
    put16(out, 4, checkUint(p.id ?? 0, 16, 'ICMP echo id'));
    put16(out, 6, checkUint(p.seq ?? 0, 16, 'ICMP echo sequence'));
  } else if (p.type === ICMP_DEST_UNREACH && p.code === ICMP_FRAG_NEEDED) {
    if (p.nextHopMtu === undefined) throw new KubewireError('ICMP fragmentation needed: next-hop MTU is required');
    put16(out, 6, checkUint(p.nextHopMtu, 16, 'ICMP next-hop MTU'));
  } else if (p.type === ICMP_PARAMETER_PROBLEM) {
    out[4] = checkUint(p.pointer ?? 0, 8, 'ICMP parameter problem pointer');
  } else if (p.type === ICMP_REDIRECT) {
    const g = (p.gateway ?? '0.0.0.0').split('.').map(Number);
    out.set(g, 4);
  }
  out.set(p.data, 8);
  put16(out, 2, p.checksum ?? internetChecksum(out));
  return out;
}

/** The part of `original` (a whole IPv4 packet) Linux quotes in an ICMP error sent over a route
 *  with `mtu`: as much as fits in min(mtu, 576) minus the new IP (20) and ICMP (8) headers. */
export function linuxIcmpQuote(original: Uint8Array, mtu = 1500): Uint8Array {
  const room = Math.min(mtu, 576) - 20 - 8;
  return original.subarray(0, Math.min(original.length, room));
}

/** TOS Linux puts on an ICMP error: the original's TOS bits (RT_TOS: & 0x1e) with precedence 0xc0. */
export function linuxIcmpErrorTos(originalTos: number): number {
  return (originalTos & 0x1e) | 0xc0;
}

/** The echo request busybox ping sends (as root, raw socket; 1.35): identifier = its PID & 0xffff,
 *  sequence from 0, `size` data bytes (56 by default) that are zero except the first four, which
 *  hold the send time as a little-endian 32-bit count of monotonic microseconds. */
export function busyboxPingRequest(o: { id: number; seq: number; monotonicUs: number; size?: number }): IcmpPacket {
  const size = o.size ?? 56;
  const data = new Uint8Array(size);
  if (size >= 4) new DataView(data.buffer).setUint32(0, Math.floor(o.monotonicUs) >>> 0, true);
  return { type: ICMP_ECHO_REQUEST, code: 0, id: o.id, seq: o.seq, data };
}

/** The kernel's echo reply (icmp_echo): same identifier, sequence and data. The IP header goes
 *  out with the request's TOS, TTL 64 and DF clear. */
export function linuxEchoReply(request: IcmpPacket): IcmpPacket {
  if (request.type !== ICMP_ECHO_REQUEST) throw new KubewireError(`ICMP echo reply: type ${request.type} is not an echo request`);
  return { type: ICMP_ECHO_REPLY, code: 0, id: request.id, seq: request.seq, data: request.data };
}

export interface LinuxIcmpErrorOptions {
  /** Source address of the error (the address of the interface the kernel replies from). */
  src: string;
  /** IP ID the kernel picks (DF is clear, so it always picks one). */
  identification: number;
  /** MTU of the route back to the sender (limits the quote together with 576). Default 1500. */
  routeMtu?: number;
  /** For fragmentation needed. */
  nextHopMtu?: number;
  ttl?: number;
}

/** The whole IPv4 packet Linux's icmp_send() emits in answer to `original` (a complete IPv4
 *  packet): TOS (original & 0x1e) | 0xc0, DF clear, TTL 64, the original quoted up to a
 *  576-byte reply. Matches real captures of port unreachable, time exceeded and fragmentation
 *  needed (see real-capture.test.ts). */
export function linuxIcmpError(original: Uint8Array, type: number, code: number, o: LinuxIcmpErrorOptions): Uint8Array {
  if (original.length < 20 || original[0] >> 4 !== 4) throw new KubewireError('ICMP error: the original must be an IPv4 packet');
  const origSrc = `${original[12]}.${original[13]}.${original[14]}.${original[15]}`;
  const icmp = emitIcmp({ type, code, nextHopMtu: o.nextHopMtu, data: linuxIcmpQuote(original, o.routeMtu ?? 1500) });
  return emitIpv4(
    { tos: linuxIcmpErrorTos(original[1]), identification: o.identification, dontFragment: false, moreFragments: false, fragmentOffset: 0, ttl: o.ttl ?? 64, protocol: IPPROTO_ICMP, src: o.src, dst: origSrc },
    icmp,
  );
}
