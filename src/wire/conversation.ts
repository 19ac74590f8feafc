// A whole pod-to-service exchange as Linux, glibc, busybox wget, CoreDNS and nginx put it on the
// wire, built from the codecs: ARP for the next hop, the DNS A/AAAA pair for the first search
// name, TCP handshake with Linux options, the wget request, nginx's reply (headers and body in
// two segments, as nginx's writev + sendfile sends them), and the FIN/ACK teardown. Every frame
// is seen at one capture point on the client's link. The caller supplies the values a real host
// would pick at random (ports, ISNs, timestamps, IP IDs, DNS ids) so runs are reproducible.

import { emitArp, ARP_REPLY, ARP_REQUEST } from './arp.ts';
import { addressRecord, coreDnsReply, dnsQuery, DNS_A, DNS_AAAA, emitDns } from './dns.ts';
import { emitEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from './ethernet.ts';
import { busyboxWgetRequest, emitHttpRequest, emitHttpResponse, nginxStaticResponse } from './http.ts';
import { emitIpv4, IPPROTO_TCP, IPPROTO_UDP } from './ipv4.ts';
import {
  emitTcp, linuxAdvertisedMss, linuxAdvertisedWindow, linuxDataOptions, linuxSynOptions, linuxSynWindow,
  TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN,
} from './tcp.ts';
import { emitUdp } from './udp.ts';

export interface Frame {
  timeUs: number;
  data: Uint8Array;
}

export interface WgetConversation {
  startUs: number;
  clientMac: string;
  clientIp: string;
  /** MAC the client's packets are sent to (its gateway or the peer), and whose IP it ARPs for. */
  nextHopMac: string;
  nextHopIp: string;
  /** Include the ARP exchange for the next hop first. */
  arp?: boolean;
  dnsServerIp: string;
  /** Name wget is given ("nginx"), its namespace's first search name is asked. */
  host: string;
  namespace: string;
  clusterDomain?: string;
  /** Address the DNS answer gives (the Service's cluster IP) and the TCP peer. */
  serviceIp: string;
  port: number;
  clientDnsPort: number;
  clientPort: number;
  dnsIds: [number, number];
  /** Interface MTU on both ends (gives the MSS). */
  mtu?: number;
  wscale?: number;
  clientIsn: number;
  serverIsn: number;
  clientTsval: number;
  serverTsval: number;
  /** First IP ID of the client's UDP socket, TCP socket, and of the server's TCP socket. */
  clientDnsIpId: number;
  clientTcpIpId: number;
  serverTcpIpId: number;
  /** Date header value (Unix seconds). */
  now: number;
  /** IP IDs of CoreDNS's two replies (its UDP socket is unconnected; Linux still numbers them). */
  dnsReplyIpIds?: [number, number];
  /** TTL of the client's packets at the capture point (64 on the pod's link, 63 after the
   *  node routed them, e.g. inside VXLAN on the node's uplink). */
  clientTtl?: number;
  /** TTL of packets arriving from the DNS server and the web server (64 minus hops). */
  replyTtl?: number;
}

/** The frames of `wget http://<host>:<port>/` from a pod, in order. */
export function wgetConversation(c: WgetConversation): Frame[] {
  const frames: Frame[] = [];
  let t = c.startUs;
  const at = (dt: number) => (t += dt);
  const mtu = c.mtu ?? 1500;
  const ws = c.wscale ?? 7;
  const ttlIn = c.replyTtl ?? 64;
  const ttlOut = c.clientTtl ?? 64;
  const toNext = (payload: Uint8Array, type = ETHERTYPE_IPV4) => emitEthernet({ dst: c.nextHopMac, src: c.clientMac, etherType: type }, payload);
  const fromNext = (payload: Uint8Array, type = ETHERTYPE_IPV4) => emitEthernet({ dst: c.clientMac, src: c.nextHopMac, etherType: type }, payload);

  if (c.arp) {
    frames.push({ timeUs: at(0), data: emitEthernet({ dst: 'ff:ff:ff:ff:ff:ff', src: c.clientMac, etherType: ETHERTYPE_ARP }, emitArp({ op: ARP_REQUEST, senderMac: c.clientMac, senderIp: c.clientIp, targetMac: '00:00:00:00:00:00', targetIp: c.nextHopIp })) });
    frames.push({ timeUs: at(15), data: fromNext(emitArp({ op: ARP_REPLY, senderMac: c.nextHopMac, senderIp: c.nextHopIp, targetMac: c.clientMac, targetIp: c.clientIp }), ETHERTYPE_ARP) });
  }

  // DNS: A then AAAA for the first search name, from one connected UDP socket (DF set, the
  // socket's IP ID counter); CoreDNS answers A with the Service IP and AAAA with NODATA + SOA.
  const qname = `${c.host}.${c.namespace}.svc.${(c.clusterDomain ?? 'cluster.local').replace(/\.$/, '')}.`;
  const dnsOut = (payload: Uint8Array, id: number) => {
    const ph = { src: c.clientIp, dst: c.dnsServerIp };
    const udp = emitUdp({ srcPort: c.clientDnsPort, dstPort: 53 }, payload, ph);
    return toNext(emitIpv4({ tos: 0, identification: id, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: ttlOut, protocol: IPPROTO_UDP, src: c.clientIp, dst: c.dnsServerIp }, udp));
  };
  const dnsIn = (payload: Uint8Array, id: number) => {
    const ph = { src: c.dnsServerIp, dst: c.clientIp };
    const udp = emitUdp({ srcPort: 53, dstPort: c.clientDnsPort }, payload, ph);
    return fromNext(emitIpv4({ tos: 0, identification: id, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: ttlIn, protocol: IPPROTO_UDP, src: c.dnsServerIp, dst: c.clientIp }, udp));
  };
  const qa = dnsQuery(c.dnsIds[0], qname, DNS_A);
  const qaaaa = dnsQuery(c.dnsIds[1], qname, DNS_AAAA);
  frames.push({ timeUs: at(20), data: dnsOut(emitDns(qa), c.clientDnsIpId) });
  frames.push({ timeUs: at(180), data: dnsIn(emitDns(coreDnsReply(qa, [addressRecord(qname, c.serviceIp)])), c.dnsReplyIpIds?.[0] ?? 0x4e21) });
  frames.push({ timeUs: at(60), data: dnsOut(emitDns(qaaaa), (c.clientDnsIpId + 1) & 0xffff) });
  frames.push({ timeUs: at(90), data: dnsIn(emitDns(coreDnsReply(qaaaa, [])), c.dnsReplyIpIds?.[1] ?? 0x4e22) });

  // TCP.
  const mss = linuxAdvertisedMss(mtu);
  const cph = { src: c.clientIp, dst: c.serviceIp };
  const sph = { src: c.serviceIp, dst: c.clientIp };
  let cId = c.clientTcpIpId;
  let sId = c.serverTcpIpId;
  let cSeq = c.clientIsn >>> 0;
  let sSeq = c.serverIsn >>> 0;
  let cTs = c.clientTsval >>> 0;
  let sTs = c.serverTsval >>> 0;
  let cRemaining = linuxSynWindow(mss); // client's receive window
  let sRemaining = linuxSynWindow(mss - 12); // server's (SYN-ACK) receive window
  const cOut = (flags: number, payload: Uint8Array, opts = linuxDataOptions({ tsval: cTs, tsecr: sTs }), win = linuxAdvertisedWindow(cRemaining, ws), id = cId++) =>
    toNext(emitIpv4({ tos: 0, identification: id & 0xffff, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: ttlOut, protocol: IPPROTO_TCP, src: c.clientIp, dst: c.serviceIp },
      emitTcp({ srcPort: c.clientPort, dstPort: c.port, seq: cSeq, ack: flags & TCP_ACK ? sSeq : 0, flags, window: win, urgent: 0, options: opts }, payload, cph)));
  const sIn = (flags: number, payload: Uint8Array, opts = linuxDataOptions({ tsval: sTs, tsecr: cTs }), win = linuxAdvertisedWindow(sRemaining, ws), id = sId++) =>
    fromNext(emitIpv4({ tos: 0, identification: id & 0xffff, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: ttlIn, protocol: IPPROTO_TCP, src: c.serviceIp, dst: c.clientIp },
      emitTcp({ srcPort: c.port, dstPort: c.clientPort, seq: sSeq, ack: cSeq, flags, window: win, urgent: 0, options: opts }, payload, sph)));

  frames.push({ timeUs: at(150), data: cOut(TCP_SYN, new Uint8Array(0), linuxSynOptions({ mss, timestamps: { tsval: cTs, tsecr: 0 }, wscale: ws }), linuxSynWindow(mss)) });
  cSeq = (cSeq + 1) >>> 0;
  sTs = (sTs + 1) >>> 0;
  frames.push({ timeUs: at(120), data: sIn(TCP_SYN | TCP_ACK, new Uint8Array(0), linuxSynOptions({ mss, timestamps: { tsval: sTs, tsecr: cTs }, wscale: ws }), linuxSynWindow(mss - 12), 0) });
  sSeq = (sSeq + 1) >>> 0;
  frames.push({ timeUs: at(30), data: cOut(TCP_ACK, new Uint8Array(0)) });

  const req = emitHttpRequest(busyboxWgetRequest(`http://${c.host}:${c.port}/`));
  cTs = (cTs + 1) >>> 0;
  frames.push({ timeUs: at(400), data: cOut(TCP_PSH | TCP_ACK, req) });
  cSeq = (cSeq + req.length) >>> 0;
  sRemaining -= req.length;
  frames.push({ timeUs: at(25), data: sIn(TCP_ACK, new Uint8Array(0)) });

  const resp = emitHttpResponse(nginxStaticResponse({ now: c.now }));
  const headLen = resp.length - 615;
  const head = resp.subarray(0, headLen);
  const body = resp.subarray(headLen);
  frames.push({ timeUs: at(300), data: sIn(TCP_PSH | TCP_ACK, head) });
  sSeq = (sSeq + head.length) >>> 0;
  frames.push({ timeUs: at(40), data: sIn(TCP_PSH | TCP_ACK, body) });
  sSeq = (sSeq + body.length) >>> 0;
  cRemaining -= resp.length;
  frames.push({ timeUs: at(60), data: cOut(TCP_ACK, new Uint8Array(0)) });
  cTs = (cTs + 1) >>> 0;
  frames.push({ timeUs: at(200), data: cOut(TCP_FIN | TCP_ACK, new Uint8Array(0)) });
  cSeq = (cSeq + 1) >>> 0;
  sTs = (sTs + 1) >>> 0;
  frames.push({ timeUs: at(90), data: sIn(TCP_FIN | TCP_ACK, new Uint8Array(0)) });
  sSeq = (sSeq + 1) >>> 0;
  frames.push({ timeUs: at(30), data: cOut(TCP_ACK, new Uint8Array(0)) });
  return frames;
}

/** A fixed example (the values a real run would randomise are arbitrary but plausible). */
export const CONVERSATION_EXAMPLE: WgetConversation = {
  startUs: Date.UTC(2026, 0, 1, 12, 0, 0) * 1000 + 1,
  clientMac: '02:00:00:00:01:0a',
  clientIp: '192.168.1.10',
  nextHopMac: '02:00:00:00:00:01',
  nextHopIp: '169.254.1.1',
  arp: true,
  dnsServerIp: '10.100.0.10',
  host: 'nginx',
  namespace: 'default',
  serviceIp: '10.100.200.7',
  port: 8080,
  clientDnsPort: 41234,
  clientPort: 52344,
  dnsIds: [12345, 23456],
  clientIsn: 3000000000,
  serverIsn: 123456789,
  clientTsval: 1000,
  serverTsval: 5000,
  clientDnsIpId: 30000,
  clientTcpIpId: 40000,
  serverTcpIpId: 50000,
  now: Date.UTC(2026, 0, 1, 12, 0, 0) / 1000,
};
