// UDP (RFC 768). The checksum covers the IPv4/IPv6 pseudo-header; a computed value of zero is
// sent as 0xffff (zero on the wire means "no checksum", allowed for IPv4 only).

import { KubewireError } from '../errors.ts';
import { checkUint, need, put16, u16 } from './bytes.ts';
import { familyOf, transportChecksum, type PseudoHeader } from './checksum.ts';
import { IPPROTO_UDP } from './ipv4.ts';

export const UDP_HEADER_LEN = 8;

export interface UdpHeader {
  srcPort: number;
  dstPort: number;
  /** Filled in on emit (8 + payload) when omitted. */
  length?: number;
  /** On parse: the value found. On emit: computed from the pseudo-header unless given. */
  checksum?: number;
}

export interface ParsedUdp {
  header: UdpHeader;
  payload: Uint8Array;
  /** true/false when a pseudo-header was given to verify against; undefined otherwise.
   *  A zero checksum over IPv4 (not computed) counts as ok. */
  checksumOk?: boolean;
}

export function parseUdp(bytes: Uint8Array, offset = 0, ph?: PseudoHeader): ParsedUdp {
  need(bytes, offset, UDP_HEADER_LEN, 'UDP header');
  const length = u16(bytes, offset + 4);
  if (length < UDP_HEADER_LEN) throw new KubewireError(`UDP header: length ${length} is less than 8`);
  const checksum = u16(bytes, offset + 6);
  const end = Math.min(bytes.length, offset + length);
  const header: UdpHeader = { srcPort: u16(bytes, offset), dstPort: u16(bytes, offset + 2), length, checksum };
  const res: ParsedUdp = { header, payload: bytes.subarray(offset + UDP_HEADER_LEN, end) };
  if (ph && end === offset + length) {
    if (checksum === 0 && familyOf(ph.src) === 4) res.checksumOk = true;
    else res.checksumOk = transportChecksum(ph, IPPROTO_UDP, bytes.subarray(offset, end)) === 0;
  }
  return res;
}

export interface EmitUdpOptions {
  /** Send a zero checksum ("none"), as a VXLAN device with `noudpcsum` does. IPv4 only. */
  noChecksum?: boolean;
}

/** Emits header + payload. `ph` (the enclosing IP addresses) is required unless the checksum is
 *  given or disabled. */
export function emitUdp(h: UdpHeader, payload: Uint8Array, ph?: PseudoHeader, opts: EmitUdpOptions = {}): Uint8Array {
  checkUint(h.srcPort, 16, 'UDP source port');
  checkUint(h.dstPort, 16, 'UDP destination port');
  const len = UDP_HEADER_LEN + payload.length;
  if (len > 0xffff) throw new KubewireError(`UDP datagram: length ${len} exceeds 65535`);
  const out = new Uint8Array(len);
  put16(out, 0, h.srcPort);
  put16(out, 2, h.dstPort);
  put16(out, 4, h.length ?? len);
  out.set(payload, UDP_HEADER_LEN);
  let sum: number;
  if (h.checksum !== undefined) sum = h.checksum;
  else if (opts.noChecksum) {
    if (ph && familyOf(ph.src) === 6) throw new KubewireError('UDP over IPv6: a zero checksum is not allowed');
    sum = 0;
  } else {
    if (!ph) throw new KubewireError('UDP: the enclosing IP addresses are needed to compute the checksum');
    sum = transportChecksum(ph, IPPROTO_UDP, out);
    if (sum === 0) sum = 0xffff;
  }
  put16(out, 6, sum);
  return out;
}

/** Linux default net.ipv4.ip_local_port_range. */
export const DEFAULT_LOCAL_PORT_RANGE: readonly [number, number] = [32768, 60999];

/** udp_flow_src_port(): hash ^= hash << 16, then ((hash * (max - min)) >> 32) + min, i.e. a port
 *  in [min, max - 1]. With the device port range unset (0/0, as Calico leaves it) the range is
 *  net.ipv4.ip_local_port_range. */
export function udpFlowSrcPort(hash: number, range: readonly [number, number] = DEFAULT_LOCAL_PORT_RANGE): number {
  const [min, max] = range;
  if (!(Number.isInteger(min) && Number.isInteger(max) && min >= 1 && max <= 65535 && min < max)) {
    throw new KubewireError(`UDP source port range ${min}-${max} is invalid`);
  }
  const h = (hash ^ (hash << 16)) >>> 0;
  const scaled = Number((BigInt(h) * BigInt(max - min)) >> 32n);
  return scaled + min;
}
