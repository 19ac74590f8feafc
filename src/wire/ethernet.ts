// Ethernet II frames as captured on Linux (no preamble, no FCS), optionally one 802.1Q tag.

import { KubewireError } from '../errors.ts';
import { bytesToMac, checkUint, macToBytes, need, put16, u16 } from './bytes.ts';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_IPV6 = 0x86dd;

export const ETH_HEADER_LEN = 14;
/** Minimum frame length without FCS; the NIC pads shorter frames on a real wire (veth does not). */
export const ETH_MIN_FRAME = 60;

export interface EthernetHeader {
  dst: string;
  src: string;
  etherType: number;
  /** 802.1Q tag, if present (the EtherType above is then the inner one). */
  vlan?: { pcp: number; dei: boolean; vid: number };
}

export interface ParsedEthernet {
  header: EthernetHeader;
  headerLength: number;
  payload: Uint8Array;
}

export function parseEthernet(bytes: Uint8Array, offset = 0): ParsedEthernet {
  need(bytes, offset, ETH_HEADER_LEN, 'Ethernet header');
  const dst = bytesToMac(bytes, offset);
  const src = bytesToMac(bytes, offset + 6);
  let etherType = u16(bytes, offset + 12);
  let headerLength = ETH_HEADER_LEN;
  let vlan: EthernetHeader['vlan'];
  if (etherType === ETHERTYPE_VLAN) {
    need(bytes, offset, 18, 'Ethernet 802.1Q header');
    const tci = u16(bytes, offset + 14);
    vlan = { pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0x0fff };
    etherType = u16(bytes, offset + 16);
    headerLength = 18;
  }
  if (etherType < 0x0600) {
    throw new KubewireError(`Ethernet header: 802.3 length field ${etherType} (not Ethernet II) is not supported`);
  }
  const header: EthernetHeader = { dst, src, etherType };
  if (vlan) header.vlan = vlan;
  return { header, headerLength, payload: bytes.subarray(offset + headerLength) };
}

export interface EmitEthernetOptions {
  /** Pad the frame with zeros to 60 bytes, as a physical NIC does (veth and captures on the
   *  sending host show the unpadded frame). Default false. */
  pad?: boolean;
}

export function emitEthernet(h: EthernetHeader, payload: Uint8Array = new Uint8Array(0), opts: EmitEthernetOptions = {}): Uint8Array {
  checkUint(h.etherType, 16, 'Ethernet EtherType');
  const hl = h.vlan ? 18 : ETH_HEADER_LEN;
  const len = Math.max(hl + payload.length, opts.pad ? ETH_MIN_FRAME : 0);
  const out = new Uint8Array(len);
  out.set(macToBytes(h.dst), 0);
  out.set(macToBytes(h.src), 6);
  if (h.vlan) {
    checkUint(h.vlan.vid, 12, '802.1Q VID');
    checkUint(h.vlan.pcp, 3, '802.1Q PCP');
    put16(out, 12, ETHERTYPE_VLAN);
    put16(out, 14, (h.vlan.pcp << 13) | (h.vlan.dei ? 0x1000 : 0) | h.vlan.vid);
    put16(out, 16, h.etherType);
  } else {
    put16(out, 12, h.etherType);
  }
  out.set(payload, hl);
  return out;
}

export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';
