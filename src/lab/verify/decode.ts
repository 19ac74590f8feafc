// A probe's capture on one interface, decoded into the flow's request and reply packets
// (browser-safe: bytes in, records out). Captures run per flow, so the IPv4 packets of the
// probe's protocol are the flow's; which is the request and which the reply is read from the
// packet itself, not from addresses (NAT changes those): TCP SYN vs SYN-ACK/RST, ICMP echo
// request vs echo reply/error, and for UDP the probe's payload marker or the DNS QR bit.

import { readCapture } from '../../pcap/read.ts';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW } from '../../pcap/types.ts';
import { ETHERTYPE_IPV4, parseEthernet } from '../../wire/ethernet.ts';
import { parseIpv4 } from '../../wire/ipv4.ts';
import { parseUdp } from '../../wire/udp.ts';
import { parseTcp } from '../../wire/tcp.ts';
import { parseIcmp } from '../../wire/icmp.ts';
import { parseVxlan } from '../../wire/vxlan.ts';
import { parseSll2 } from '../../wire/sll2.ts';
import type { Headers, WirePacket } from './expect.ts';

export interface CapturedFlowPacket extends WirePacket {
  leg: 'request' | 'reply';
  /** Reply kind: an answer, a TCP RST, or an ICMP error (type/code) about the request. */
  replyKind?: 'answer' | 'rst' | 'icmp-error';
  timeUs: number;
}

/** Payload markers the UDP probe and the verify servers use. */
export const UDP_REQUEST_MARK = 'kubewire-verify Q';
export const UDP_REPLY_MARK = 'kubewire-verify R';

const ICMP_ERRORS = new Set([3, 4, 5, 11, 12]);

interface Decoded {
  h: Headers;
  leg?: 'request' | 'reply';
  kind?: CapturedFlowPacket['replyKind'];
  vxlan?: { vni: number; inner: Decoded };
}

function decodeIp(bytes: Uint8Array, proto: number, vxlanPorts: number[]): Decoded | undefined {
  let ip;
  try {
    ip = parseIpv4(bytes);
  } catch {
    return undefined;
  }
  const hd = ip.header;
  const h: Headers = { src: hd.src, dst: hd.dst, proto: hd.protocol, ttl: hd.ttl, length: hd.totalLength };
  const pl = ip.payload;
  try {
    if (hd.protocol === 17) {
      const u = parseUdp(pl);
      h.sport = u.header.srcPort;
      h.dport = u.header.dstPort;
      if (vxlanPorts.includes(u.header.dstPort)) {
        const vx = parseVxlan(u.payload);
        const eth = parseEthernet(vx.payload);
        if (eth.header.etherType !== ETHERTYPE_IPV4) return undefined;
        const inner = decodeIp(eth.payload, proto, vxlanPorts);
        if (!inner) return undefined;
        return { h, leg: inner.leg, kind: inner.kind, vxlan: { vni: vx.header.vni, inner } };
      }
      if (proto !== 17) return { h };
      const text = new TextDecoder('latin1').decode(u.payload.subarray(0, 40));
      if (text.startsWith(UDP_REQUEST_MARK)) return { h, leg: 'request' };
      if (text.startsWith(UDP_REPLY_MARK)) return { h, leg: 'reply', kind: 'answer' };
      // DNS: the QR bit (byte 2, top bit).
      if (u.payload.length >= 12) return (u.payload[2] & 0x80) === 0 ? { h, leg: 'request' } : { h, leg: 'reply', kind: 'answer' };
      return { h };
    }
    if (hd.protocol === 6) {
      const t = parseTcp(pl);
      h.sport = t.header.srcPort;
      h.dport = t.header.dstPort;
      h.tcpFlags = t.header.flags & 0xff;
      if (proto !== 6) return { h };
      const f = t.header.flags;
      if (f & 0x02 && !(f & 0x10)) return { h, leg: 'request' };
      if (f & 0x02 && f & 0x10) return { h, leg: 'reply', kind: 'answer' };
      if (f & 0x04) return { h, leg: 'reply', kind: 'rst' };
      return { h };
    }
    if (hd.protocol === 1) {
      const c = parseIcmp(pl);
      h.icmpType = c.packet.type;
      h.icmpCode = c.packet.code;
      if (proto === 1 && c.packet.type === 8) return { h, leg: 'request' };
      if (proto === 1 && c.packet.type === 0) return { h, leg: 'reply', kind: 'answer' };
      // An ICMP error about the probe's protocol: the quoted packet says which.
      if (ICMP_ERRORS.has(c.packet.type) && c.packet.data.length >= 20 && c.packet.data[9] === proto) return { h, leg: 'reply', kind: 'icmp-error' };
      return { h };
    }
  } catch {
    return { h };
  }
  return { h };
}

function toWire(d: Decoded): WirePacket {
  const w: WirePacket = { ...d.h };
  if (d.vxlan) w.vxlan = { vni: d.vxlan.vni, inner: d.vxlan.inner.h };
  return w;
}

/**
 * The flow's packets in a capture file: IPv4 packets of protocol `proto` (directly or inside VXLAN
 * to one of `vxlanPorts`), each marked request or reply. Other packets (ARP, IPv6, TCP ACKs and
 * data) are left out.
 */
export function decodeFlowCapture(file: Uint8Array, proto: number, vxlanPorts: number[] = [4789]): CapturedFlowPacket[] {
  if (file.length < 24) return [];
  const cap = readCapture(file);
  const out: CapturedFlowPacket[] = [];
  for (const p of cap.packets) {
    const lt = cap.interfaces[p.interfaceId ?? 0]?.linkType ?? LINKTYPE_ETHERNET;
    let ipBytes: Uint8Array | undefined;
    try {
      if (lt === LINKTYPE_ETHERNET) {
        const e = parseEthernet(p.data);
        if (e.header.etherType === ETHERTYPE_IPV4) ipBytes = e.payload;
      } else if (lt === LINKTYPE_LINUX_SLL2) {
        const s = parseSll2(p.data);
        if (s.header.protocol === ETHERTYPE_IPV4) ipBytes = s.payload;
      } else if (lt === LINKTYPE_RAW) {
        if (p.data[0] >> 4 === 4) ipBytes = p.data;
      }
    } catch {
      continue;
    }
    if (!ipBytes) continue;
    const d = decodeIp(ipBytes, proto, vxlanPorts);
    if (!d?.leg) continue;
    out.push({ ...toWire(d), leg: d.leg, ...(d.kind ? { replyKind: d.kind } : {}), timeUs: p.timeUs });
  }
  return out;
}
