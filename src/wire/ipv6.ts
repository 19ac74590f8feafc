// IPv6 fixed header (RFC 8200), 40 bytes. Extension headers are left in the payload; `nextHeader`
// names the first one. Transport checksums over IPv6 use pseudoHeaderSumV6 (checksum.ts).

import { KubewireError } from '../errors.ts';
import { bytesToIpv6, checkUint, ipv6ToBytes, need, put16, u16, u32 } from './bytes.ts';

export const IPV6_HEADER_LEN = 40;

export interface Ipv6Header {
  trafficClass: number;
  flowLabel: number;
  /** Filled in on emit from the payload when omitted. */
  payloadLength?: number;
  nextHeader: number;
  hopLimit: number;
  src: string;
  dst: string;
}

export interface ParsedIpv6 {
  header: Ipv6Header;
  /** Payload up to payload length (link padding removed). */
  payload: Uint8Array;
}

export function parseIpv6(bytes: Uint8Array, offset = 0): ParsedIpv6 {
  need(bytes, offset, IPV6_HEADER_LEN, 'IPv6 header');
  const w = u32(bytes, offset);
  if (w >>> 28 !== 6) throw new KubewireError(`IPv6 header: version ${w >>> 28}, expected 6`);
  const payloadLength = u16(bytes, offset + 4);
  return {
    header: {
      trafficClass: (w >>> 20) & 0xff,
      flowLabel: w & 0xfffff,
      payloadLength,
      nextHeader: bytes[offset + 6],
      hopLimit: bytes[offset + 7],
      src: bytesToIpv6(bytes, offset + 8),
      dst: bytesToIpv6(bytes, offset + 24),
    },
    payload: bytes.subarray(offset + IPV6_HEADER_LEN, Math.min(bytes.length, offset + IPV6_HEADER_LEN + payloadLength)),
  };
}

export function emitIpv6(h: Ipv6Header, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  checkUint(h.trafficClass, 8, 'IPv6 traffic class');
  checkUint(h.flowLabel, 20, 'IPv6 flow label');
  checkUint(h.nextHeader, 8, 'IPv6 next header');
  checkUint(h.hopLimit, 8, 'IPv6 hop limit');
  const len = h.payloadLength ?? payload.length;
  if (len > 0xffff) throw new KubewireError(`IPv6 packet: payload length ${len} exceeds 65535 (jumbograms are not supported)`);
  const out = new Uint8Array(IPV6_HEADER_LEN + payload.length);
  const w = ((6 << 28) | (h.trafficClass << 20) | h.flowLabel) >>> 0;
  out[0] = w >>> 24;
  out[1] = (w >>> 16) & 0xff;
  out[2] = (w >>> 8) & 0xff;
  out[3] = w & 0xff;
  put16(out, 4, len);
  out[6] = h.nextHeader;
  out[7] = h.hopLimit;
  out.set(ipv6ToBytes(h.src), 8);
  out.set(ipv6ToBytes(h.dst), 24);
  out.set(payload, IPV6_HEADER_LEN);
  return out;
}
