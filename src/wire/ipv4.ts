// IPv4 header (RFC 791). The header checksum is computed on emit as the kernel's ip_send_check
// does (over the header only); parse verifies it and reports the result instead of throwing, so
// a capture with a bad checksum can still be read.

import { KubewireError } from '../errors.ts';
import { internetChecksum } from './checksum.ts';
import { bytesToIpv4, checkUint, ipv4ToBytes, need, put16, u16 } from './bytes.ts';

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;

export interface Ipv4Header {
  /** Whole TOS byte: DSCP << 2 | ECN. */
  tos: number;
  /** Filled in on emit from header + payload when omitted. */
  totalLength?: number;
  identification: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** Fragment offset in bytes (a multiple of 8). */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  /** On parse: the value found. On emit: computed unless given (to produce a deliberately bad one). */
  checksum?: number;
  src: string;
  dst: string;
  /** Raw option bytes (a multiple of 4 long); absent for the usual 20-byte header. */
  options?: Uint8Array;
}

export interface ParsedIpv4 {
  header: Ipv4Header;
  headerLength: number;
  /** Whether the header checksum verifies. */
  checksumOk: boolean;
  /** The payload up to total length (Ethernet padding removed); truncated if the capture is. */
  payload: Uint8Array;
}

export function parseIpv4(bytes: Uint8Array, offset = 0): ParsedIpv4 {
  need(bytes, offset, 20, 'IPv4 header');
  const vihl = bytes[offset];
  if (vihl >>> 4 !== 4) throw new KubewireError(`IPv4 header: version ${vihl >>> 4}, expected 4`);
  const ihl = (vihl & 0x0f) * 4;
  if (ihl < 20) throw new KubewireError(`IPv4 header: header length ${ihl} is less than 20`);
  need(bytes, offset, ihl, 'IPv4 header with options');
  const totalLength = u16(bytes, offset + 2);
  if (totalLength < ihl) throw new KubewireError(`IPv4 header: total length ${totalLength} is less than header length ${ihl}`);
  const ff = u16(bytes, offset + 6);
  const header: Ipv4Header = {
    tos: bytes[offset + 1],
    totalLength,
    identification: u16(bytes, offset + 4),
    dontFragment: (ff & 0x4000) !== 0,
    moreFragments: (ff & 0x2000) !== 0,
    fragmentOffset: (ff & 0x1fff) * 8,
    ttl: bytes[offset + 8],
    protocol: bytes[offset + 9],
    checksum: u16(bytes, offset + 10),
    src: bytesToIpv4(bytes, offset + 12),
    dst: bytesToIpv4(bytes, offset + 16),
  };
  if (ihl > 20) header.options = bytes.slice(offset + 20, offset + ihl);
  const end = Math.min(bytes.length, offset + totalLength);
  return {
    header,
    headerLength: ihl,
    checksumOk: internetChecksum(bytes, offset, offset + ihl) === 0,
    payload: bytes.subarray(offset + ihl, end),
  };
}

export function emitIpv4(h: Ipv4Header, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const opts = h.options ?? new Uint8Array(0);
  if (opts.length % 4 !== 0 || opts.length > 40) {
    throw new KubewireError(`IPv4 header: options must be a multiple of 4 bytes and at most 40 (got ${opts.length})`);
  }
  const ihl = 20 + opts.length;
  const total = h.totalLength ?? ihl + payload.length;
  if (total > 0xffff) throw new KubewireError(`IPv4 packet: total length ${total} exceeds 65535`);
  checkUint(h.tos, 8, 'IPv4 TOS');
  checkUint(h.identification, 16, 'IPv4 identification');
  checkUint(h.ttl, 8, 'IPv4 TTL');
  checkUint(h.protocol, 8, 'IPv4 protocol');
  if (h.fragmentOffset % 8 !== 0 || h.fragmentOffset < 0 || h.fragmentOffset / 8 > 0x1fff) {
    throw new KubewireError(`IPv4 header: fragment offset ${h.fragmentOffset} is not a multiple of 8 in range`);
  }
  const out = new Uint8Array(ihl + payload.length);
  out[0] = 0x40 | (ihl / 4);
  out[1] = h.tos;
  put16(out, 2, total);
  put16(out, 4, h.identification);
  put16(out, 6, (h.dontFragment ? 0x4000 : 0) | (h.moreFragments ? 0x2000 : 0) | (h.fragmentOffset / 8));
  out[8] = h.ttl;
  out[9] = h.protocol;
  out.set(ipv4ToBytes(h.src), 12);
  out.set(ipv4ToBytes(h.dst), 16);
  out.set(opts, 20);
  put16(out, 10, h.checksum ?? internetChecksum(out, 0, ihl));
  out.set(payload, ihl);
  return out;
}

/** Convenience: a Linux-default header (TOS 0, TTL 64, DF set as TCP/UDP sockets send by
 *  default with net.ipv4.ip_no_pmtu_disc=0, not a fragment). */
export function ipv4Defaults(src: string, dst: string, protocol: number, identification: number, over: Partial<Ipv4Header> = {}): Ipv4Header {
  return {
    tos: 0,
    identification,
    dontFragment: true,
    moreFragments: false,
    fragmentOffset: 0,
    ttl: 64,
    protocol,
    src,
    dst,
    ...over,
  };
}
