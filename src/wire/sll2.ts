// Linux "cooked" capture header v2 (LINKTYPE_LINUX_SLL2, 276), what `tcpdump -i any` writes:
// protocol (EtherType), reserved, interface index, ARPHRD type, packet type, address length and
// 8 address bytes: 20 bytes in front of the network-layer packet. For Ethernet devices the
// address is the frame's source MAC in both directions.

import { KubewireError } from '../errors.ts';
import { bytesToMac, checkUint, macToBytes, need, put16, put32, u16, u32 } from './bytes.ts';
import { parseEthernet } from './ethernet.ts';

export const SLL2_HEADER_LEN = 20;
export const ARPHRD_ETHER = 1;
export const ARPHRD_LOOPBACK = 772;
export const ARPHRD_NONE = 0xfffe;

/** Packet types (sll_pkttype), printed by tcpdump as In, B, M, P, Out. */
export const PACKET_HOST = 0;
export const PACKET_BROADCAST = 1;
export const PACKET_MULTICAST = 2;
export const PACKET_OTHERHOST = 3;
export const PACKET_OUTGOING = 4;

export interface Sll2Header {
  protocol: number;
  ifindex: number;
  arphrdType: number;
  packetType: number;
  /** Link-layer address (lower-case MAC for 6-byte addresses), "" when the length is 0. */
  address: string;
  addressLength: number;
}

export interface ParsedSll2 {
  header: Sll2Header;
  payload: Uint8Array;
}

export function parseSll2(bytes: Uint8Array, offset = 0): ParsedSll2 {
  need(bytes, offset, SLL2_HEADER_LEN, 'SLL2 header');
  const alen = bytes[offset + 11];
  let address = '';
  if (alen === 6) address = bytesToMac(bytes, offset + 12);
  else if (alen > 0) address = Array.from(bytes.subarray(offset + 12, offset + 12 + Math.min(alen, 8)), (b) => b.toString(16).padStart(2, '0')).join(':');
  return {
    header: { protocol: u16(bytes, offset), ifindex: u32(bytes, offset + 4), arphrdType: u16(bytes, offset + 8), packetType: bytes[offset + 10], address, addressLength: alen },
    payload: bytes.subarray(offset + SLL2_HEADER_LEN),
  };
}

export function emitSll2(h: Sll2Header, payload: Uint8Array): Uint8Array {
  checkUint(h.protocol, 16, 'SLL2 protocol');
  checkUint(h.ifindex, 32, 'SLL2 interface index');
  checkUint(h.packetType, 8, 'SLL2 packet type');
  const out = new Uint8Array(SLL2_HEADER_LEN + payload.length);
  put16(out, 0, h.protocol);
  put32(out, 4, h.ifindex);
  put16(out, 8, h.arphrdType);
  out[10] = h.packetType;
  out[11] = h.addressLength;
  if (h.addressLength === 6) out.set(macToBytes(h.address), 12);
  else if (h.addressLength !== 0) throw new KubewireError(`SLL2: only 6-byte or empty addresses are supported (got ${h.addressLength})`);
  out.set(payload, SLL2_HEADER_LEN);
  return out;
}

/** The SLL2 record `tcpdump -i any` stores for an Ethernet frame seen on interface `ifindex`
 *  (`outgoing` for frames the host sent; received ones are host/broadcast/multicast by their
 *  destination MAC, or otherhost if not for `localMac`). */
export function sll2FromEthernet(frame: Uint8Array, ifindex: number, outgoing: boolean, localMac?: string): Uint8Array {
  const eth = parseEthernet(frame);
  const dst = eth.header.dst;
  let packetType = PACKET_OUTGOING;
  if (!outgoing) {
    if (dst === 'ff:ff:ff:ff:ff:ff') packetType = PACKET_BROADCAST;
    else if (parseInt(dst.slice(0, 2), 16) & 1) packetType = PACKET_MULTICAST;
    else if (localMac && dst !== localMac.toLowerCase()) packetType = PACKET_OTHERHOST;
    else packetType = PACKET_HOST;
  }
  return emitSll2({ protocol: eth.header.etherType, ifindex, arphrdType: ARPHRD_ETHER, packetType, address: eth.header.src, addressLength: 6 }, eth.payload);
}
