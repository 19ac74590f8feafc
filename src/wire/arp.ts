// ARP for IPv4 over Ethernet (RFC 826): 28 bytes, hardware type 1, protocol 0x0800.
// Linux sends requests with a zero target hardware address to the broadcast MAC
// (or unicast to the cached MAC when re-validating a STALE entry).

import { KubewireError } from '../errors.ts';
import { bytesToIpv4, bytesToMac, ipv4ToBytes, macToBytes, need, put16, u16 } from './bytes.ts';

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
export const ARP_LEN = 28;

export interface ArpPacket {
  /** 1 = request, 2 = reply. */
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

export function parseArp(bytes: Uint8Array, offset = 0): ArpPacket {
  need(bytes, offset, 8, 'ARP header');
  const htype = u16(bytes, offset);
  const ptype = u16(bytes, offset + 2);
  const hlen = bytes[offset + 4];
  const plen = bytes[offset + 5];
  if (htype !== 1 || ptype !== 0x0800 || hlen !== 6 || plen !== 4) {
    throw new KubewireError(`ARP: only Ethernet/IPv4 is supported (htype ${htype}, ptype 0x${ptype.toString(16)}, hlen ${hlen}, plen ${plen})`);
  }
  need(bytes, offset, ARP_LEN, 'ARP packet');
  return {
    op: u16(bytes, offset + 6),
    senderMac: bytesToMac(bytes, offset + 8),
    senderIp: bytesToIpv4(bytes, offset + 14),
    targetMac: bytesToMac(bytes, offset + 18),
    targetIp: bytesToIpv4(bytes, offset + 24),
  };
}

export function emitArp(p: ArpPacket): Uint8Array {
  const out = new Uint8Array(ARP_LEN);
  put16(out, 0, 1);
  put16(out, 2, 0x0800);
  out[4] = 6;
  out[5] = 4;
  put16(out, 6, p.op);
  out.set(macToBytes(p.senderMac), 8);
  out.set(ipv4ToBytes(p.senderIp), 14);
  out.set(macToBytes(p.targetMac), 18);
  out.set(ipv4ToBytes(p.targetIp), 24);
  return out;
}
