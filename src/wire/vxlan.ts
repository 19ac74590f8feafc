// VXLAN (RFC 7348) header, and the outer encapsulation as the Linux vxlan driver builds it for a
// Calico-style device (see /work/shared/research/vxlan-wire.md): outer IPv4 with DF clear, TTL 64,
// DSCP 0 and ECN copied from the inner packet (CE written as ECT(0)); outer UDP to 4789 with a
// computed checksum and a source port from the inner flow hash, as udp_flow_src_port() maps it
// into net.ipv4.ip_local_port_range.

import { KubewireError } from '../errors.ts';
import { checkUint, ipv4ToBytes, need, u16, u32 } from './bytes.ts';
import { emitEthernet, ETH_HEADER_LEN, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethernet.ts';
import { emitIpv4, IPPROTO_TCP, IPPROTO_UDP } from './ipv4.ts';
import { jhash, jhash2 } from './jhash.ts';
import { DEFAULT_LOCAL_PORT_RANGE, emitUdp, udpFlowSrcPort } from './udp.ts';

export const VXLAN_PORT = 4789;
export const VXLAN_HEADER_LEN = 8;
/** The "I" flag: VNI valid. */
export const VXLAN_FLAG_I = 0x08;
/** Bytes added in front of the inner IP packet with an IPv4 underlay (outer IP + UDP + VXLAN + inner Ethernet). */
export const VXLAN_OVERHEAD_V4 = 50;

export interface VxlanHeader {
  /** First byte; 0x08 (I flag only) for RFC 7348 as Calico uses it. */
  flags: number;
  /** 24-bit VXLAN Network Identifier. */
  vni: number;
}

export interface ParsedVxlan {
  header: VxlanHeader;
  /** The inner Ethernet frame. */
  payload: Uint8Array;
}

export function parseVxlan(bytes: Uint8Array, offset = 0): ParsedVxlan {
  need(bytes, offset, VXLAN_HEADER_LEN, 'VXLAN header');
  return {
    header: { flags: bytes[offset], vni: u32(bytes, offset + 4) >>> 8 },
    payload: bytes.subarray(offset + VXLAN_HEADER_LEN),
  };
}

export function emitVxlan(h: VxlanHeader, innerFrame: Uint8Array = new Uint8Array(0)): Uint8Array {
  checkUint(h.flags, 8, 'VXLAN flags');
  checkUint(h.vni, 24, 'VXLAN VNI');
  const out = new Uint8Array(VXLAN_HEADER_LEN + innerFrame.length);
  out[0] = h.flags;
  out[4] = (h.vni >>> 16) & 0xff;
  out[5] = (h.vni >>> 8) & 0xff;
  out[6] = h.vni & 0xff;
  out.set(innerFrame, VXLAN_HEADER_LEN);
  return out;
}

export { DEFAULT_LOCAL_PORT_RANGE, udpFlowSrcPort } from './udp.ts';

/** Addresses, ports and protocol of the inner packet: what the kernel's flow dissector keys on. */
export interface FlowTuple {
  src: string;
  dst: string;
  protocol: number;
  srcPort?: number;
  dstPort?: number;
}

function addrWords(a: string): number[] {
  if (a.includes(':')) throw new KubewireError(`flow hash: IPv6 inner address ${a} is not supported`);
  return [u32(ipv4ToBytes(a), 0)];
}

/** A model of skb_get_hash() for a flow: the kernel orders the tuple so both directions hash alike
 *  (flow_hash_consistentify) and hashes it with a per-boot random key; a result of 0 becomes 1.
 *  The kernel uses SipHash with that secret, so absolute values cannot be reproduced; this uses
 *  jhash2 over the same canonical tuple with `seed` standing for the per-boot secret. */
export function flowHash(t: FlowTuple, seed: number): number {
  let sa = addrWords(t.src)[0];
  let da = addrWords(t.dst)[0];
  let sp = t.srcPort ?? 0;
  let dp = t.dstPort ?? 0;
  if (sa > da || (sa === da && sp > dp)) {
    [sa, da] = [da, sa];
    [sp, dp] = [dp, sp];
  }
  const h = jhash2([sa, da, ((sp << 16) | dp) >>> 0, t.protocol], seed >>> 0);
  return h === 0 ? 1 : h;
}

/** The flow tuple of an inner Ethernet frame carrying IPv4 (ports for TCP/UDP), or undefined. */
export function innerFlowTuple(frame: Uint8Array): FlowTuple | undefined {
  if (frame.length < ETH_HEADER_LEN + 20 || u16(frame, 12) !== ETHERTYPE_IPV4) return undefined;
  const ip = ETH_HEADER_LEN;
  const ihl = (frame[ip] & 0x0f) * 4;
  const proto = frame[ip + 9];
  const t: FlowTuple = {
    src: `${frame[ip + 12]}.${frame[ip + 13]}.${frame[ip + 14]}.${frame[ip + 15]}`,
    dst: `${frame[ip + 16]}.${frame[ip + 17]}.${frame[ip + 18]}.${frame[ip + 19]}`,
    protocol: proto,
  };
  const fragmented = (u16(frame, ip + 6) & 0x3fff) !== 0;
  if ((proto === IPPROTO_TCP || proto === IPPROTO_UDP) && !fragmented && frame.length >= ip + ihl + 4) {
    t.srcPort = u16(frame, ip + ihl);
    t.dstPort = u16(frame, ip + ihl + 2);
  }
  return t;
}

/** Source port the vxlan driver picks for an inner frame: skb_get_hash() of the inner packet
 *  mapped by udp_flow_src_port(). The skb hash is the sending socket's random sk_txhash when the
 *  packet comes from a local TCP socket, and it survives the veth hop from a pod and the node's
 *  forwarding, so each TCP connection and direction gets its own random port, and a new one when
 *  the kernel rehashes the socket after a retransmission timeout (seen on kernel 6.18: a pod's
 *  SYN and its two retransmissions left the node with three different outer ports): pass that
 *  value as `skbHash`. Forwarded pod UDP got one port per 5-tuple. Without one
 *  (ICMP, UDP, ARP) the kernel dissects the packet: the symmetric flow hash (`seed` stands for the
 *  per-boot secret), or jhash of the inner MAC addresses seeded with the EtherType when nothing
 *  can be dissected (use_eth). Captured on kernel 6.18: ARP and ICMP echo request/reply used one
 *  port both ways, a TCP connection a different port per direction. */
export function vxlanSourcePort(innerFrame: Uint8Array, seed: number, range: readonly [number, number] = DEFAULT_LOCAL_PORT_RANGE, skbHash?: number): number {
  const t = innerFlowTuple(innerFrame);
  let hash: number;
  if (skbHash !== undefined && skbHash >>> 0 !== 0) hash = skbHash >>> 0;
  else if (t) hash = flowHash(t, seed);
  else {
    need(innerFrame, 0, ETH_HEADER_LEN, 'VXLAN inner Ethernet header');
    // skb->protocol is big-endian in memory; the kernel passes it as a raw u32 (little-endian CPU).
    const proto = u16(innerFrame, 12);
    const protoLe = ((proto & 0xff) << 8) | (proto >>> 8);
    hash = jhash(innerFrame.subarray(0, 12), protoLe);
  }
  return udpFlowSrcPort(hash, range);
}

export interface VxlanEncapParams {
  outerSrcMac: string;
  outerDstMac: string;
  /** Underlay source: the device's `local` address (the node IP). */
  outerSrcIp: string;
  /** Underlay destination: the remote VTEP from the FDB (the remote node IP). */
  outerDstIp: string;
  vni: number;
  /** Outer IPv4 identification (DF is clear, so the kernel always picks one). */
  ipId: number;
  /** Outer UDP source port; see vxlanSourcePort(). */
  srcPort: number;
  dstPort?: number;
  /** Default 64 (`ttl auto` uses the route hop limit, net.ipv4.ip_default_ttl). */
  ttl?: number;
  /** Default 0 (device `tos 0`); only the DSCP bits are used, ECN comes from the inner packet. */
  dscp?: number;
  /** Default false: Calico does not set the DF attribute. */
  dontFragment?: boolean;
  /** Default true: the kernel checksums IPv4 VXLAN unless `noudpcsum`. */
  udpChecksum?: boolean;
}

/** Outer ECN as the kernel's INET_ECN_encapsulate writes it: inner ECN copied, CE sent as ECT(0). */
export function encapsulatedEcn(innerTos: number): number {
  const ecn = innerTos & 0x03;
  return ecn === 0x03 ? 0x02 : ecn;
}

/** The whole outer Ethernet frame carrying `innerFrame`. */
export function vxlanEncapsulate(innerFrame: Uint8Array, p: VxlanEncapParams): Uint8Array {
  let innerTos = 0;
  if (innerFrame.length >= ETH_HEADER_LEN + 2) {
    const et = u16(innerFrame, 12);
    if (et === ETHERTYPE_IPV4) innerTos = innerFrame[ETH_HEADER_LEN + 1];
    else if (et === ETHERTYPE_IPV6) innerTos = (u16(innerFrame, ETH_HEADER_LEN) >>> 4) & 0xff;
  }
  const vx = emitVxlan({ flags: VXLAN_FLAG_I, vni: p.vni }, innerFrame);
  const ph = { src: p.outerSrcIp, dst: p.outerDstIp };
  const udp = emitUdp({ srcPort: p.srcPort, dstPort: p.dstPort ?? VXLAN_PORT }, vx, ph, { noChecksum: p.udpChecksum === false });
  const ip = emitIpv4(
    {
      tos: (((p.dscp ?? 0) & 0x3f) << 2) | encapsulatedEcn(innerTos),
      identification: p.ipId,
      dontFragment: p.dontFragment ?? false,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: p.ttl ?? 64,
      protocol: IPPROTO_UDP,
      src: p.outerSrcIp,
      dst: p.outerDstIp,
    },
    udp,
  );
  return emitEthernet({ dst: p.outerDstMac, src: p.outerSrcMac, etherType: ETHERTYPE_IPV4 }, ip);
}
