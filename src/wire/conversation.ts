// A whole pod-to-service exchange as Linux, glibc, busybox wget, CoreDNS and nginx put it on the
// wire, built from the codecs: ARP for the next hop, the DNS A/AAAA pair for the first search
// name, TCP handshake with Linux options, the wget request, nginx's reply (headers and body in
// two segments, as nginx's writev + sendfile sends them), and the FIN/ACK teardown. Every frame
// is seen at one capture point on the client's link. The caller supplies the values a real host
// would pick at random (ports, ISNs, timestamps, IP IDs, DNS ids) so runs are reproducible.

import { emitArp, ARP_REPLY, ARP_REQUEST } from './arp.ts';
import { addressRecord, coreDnsReply, dnsQuery, DNS_A, DNS_AAAA, emitDns } from './dns.ts';
import { emitEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from './ethernet.ts';
import { busyboxWgetRequest, emitHttpRequest, emitHttpResponse, nginxStaticResponse, type NginxStaticOptions } from './http.ts';
import { emitIpv4, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from './ipv4.ts';
import { busyboxPingRequest, emitIcmp, linuxEchoReply } from './icmp.ts';
import {
  emitTcp, type TcpHeader, linuxAdvertisedMss, linuxAdvertisedWindow, linuxDataOptions, linuxSynOptions, linuxSynWindow,
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

/** One packet of an exchange with its addresses left open: who sends it, its IP header fields that
 *  do not change on the way (ID, DF), its transport header minus ports, and its payload. */
export interface Segment {
  from: 'client' | 'server';
  /** Microseconds after the previous segment, as seen at the client's end of the link. */
  gapUs: number;
  proto: 'tcp' | 'udp' | 'icmp';
  ipId: number;
  df: boolean;
  tcp?: Omit<TcpHeader, 'srcPort' | 'dstPort' | 'checksum'>;
  /** ICMP echo: type and sequence (the identifier is the view's `sport`, which NAT may change). */
  icmp?: { type: number; code: number; seq: number };
  payload: Uint8Array;
}

/** Where a segment is seen: addresses and ports after any NAT, TTL after the hops so far, MACs. */
export interface SegmentView {
  src: string;
  dst: string;
  /** Source port; for ICMP echo the identifier. */
  sport: number;
  dport: number;
  ttl: number;
  srcMac: string;
  dstMac: string;
}

/** The IP packet of a segment as seen at `v` (checksums computed for these addresses: the same
 *  values the kernel's incremental updates give). */
export function segmentPacket(seg: Segment, v: Omit<SegmentView, 'srcMac' | 'dstMac'>): Uint8Array {
  const ph = { src: v.src, dst: v.dst };
  const l4 = seg.proto === 'tcp'
    ? emitTcp({ ...seg.tcp!, srcPort: v.sport, dstPort: v.dport }, seg.payload, ph)
    : seg.proto === 'udp'
      ? emitUdp({ srcPort: v.sport, dstPort: v.dport }, seg.payload, ph)
      : emitIcmp({ ...seg.icmp!, id: v.sport, data: seg.payload });
  const protocol = seg.proto === 'tcp' ? IPPROTO_TCP : seg.proto === 'udp' ? IPPROTO_UDP : IPPROTO_ICMP;
  return emitIpv4({ tos: 0, identification: seg.ipId & 0xffff, dontFragment: seg.df, moreFragments: false, fragmentOffset: 0, ttl: v.ttl, protocol, src: v.src, dst: v.dst }, l4);
}

/** The Ethernet frame of a segment as seen at `v`. */
export function segmentFrame(seg: Segment, v: SegmentView): Uint8Array {
  return emitEthernet({ dst: v.dstMac, src: v.srcMac, etherType: ETHERTYPE_IPV4 }, segmentPacket(seg, v));
}

export interface DnsQuerySpec {
  id: number;
  /** Fully qualified, trailing dot. */
  name: string;
  type: number;
  /** Addresses in the answer (empty: NODATA with the zone's SOA, as CoreDNS answers). */
  answers: string[];
  rcode?: number;
  /** Answer TTL (CoreDNS's kubernetes plugin: 5). */
  ttl?: number;
  /** No reply (the query was dropped or timed out). */
  unanswered?: boolean;
}

export interface DnsSegmentsParams {
  queries: DnsQuerySpec[];
  /** First IP ID of the client's connected UDP socket (+1 per datagram, DF set). */
  clientIpId: number;
  /** IP IDs of the server's replies (its UDP socket is unconnected; Linux still numbers them). */
  replyIpIds: number[];
  /** Gaps before each query and each reply (default: 20/180 for the first pair, 60/90 after). */
  gaps?: Array<[number, number]>;
  zone?: string;
}

/** A stub resolver's queries from one connected socket, each answered by CoreDNS. */
export function dnsSegments(p: DnsSegmentsParams): Segment[] {
  const out: Segment[] = [];
  p.queries.forEach((q, i) => {
    const [gq, gr] = p.gaps?.[i] ?? (i === 0 ? [20, 180] : [60, 90]);
    const msg = dnsQuery(q.id, q.name, q.type);
    out.push({ from: 'client', gapUs: gq, proto: 'udp', ipId: (p.clientIpId + i) & 0xffff, df: true, payload: emitDns(msg) });
    if (q.unanswered) return;
    const answers = (q.rcode ?? 0) === 0 ? q.answers.map((a) => addressRecord(q.name, a, q.ttl)) : [];
    const reply = coreDnsReply(msg, answers, { rcode: q.rcode, zone: p.zone });
    out.push({ from: 'server', gapUs: gr, proto: 'udp', ipId: (p.replyIpIds[i] ?? 0x4e21 + i) & 0xffff, df: true, payload: emitDns(reply) });
  });
  return out;
}

/** One busybox ping: the echo request from its raw socket (DF set, an ID from the kernel's
 *  generator) and, when answered, the kernel's echo reply (same data, DF clear, the
 *  per-destination ID counter). */
export function echoSegments(p: { seq: number; dataLen: number; monotonicUs: number; requestIpId: number; replyIpId: number; answered: boolean }): Segment[] {
  const req = busyboxPingRequest({ id: 0, seq: p.seq, monotonicUs: p.monotonicUs, size: p.dataLen });
  const out: Segment[] = [{ from: 'client', gapUs: 20, proto: 'icmp', ipId: p.requestIpId, df: true, icmp: { type: req.type, code: 0, seq: p.seq }, payload: req.data }];
  if (p.answered) {
    const rep = linuxEchoReply(req);
    out.push({ from: 'server', gapUs: 15, proto: 'icmp', ipId: p.replyIpId, df: false, icmp: { type: rep.type, code: 0, seq: p.seq }, payload: rep.data });
  }
  return out;
}

export interface HttpSegmentsParams {
  /** Advertised MSS of each end (its route's MTU - 40). */
  clientMss: number;
  serverMss: number;
  wscale?: number;
  clientIsn: number;
  serverIsn: number;
  clientTsval: number;
  serverTsval: number;
  clientIpId: number;
  serverIpId: number;
  /** The request bytes; absent: handshake and teardown only. */
  request?: Uint8Array;
  /** The response as the server writes it, one entry per segment (nginx: headers, then body). */
  response?: Uint8Array[];
  /** Only the SYN (nothing answered). */
  synOnly?: boolean;
  /** Who closes first (default the client). A server that answers `Connection: close` (nginx for
   *  busybox wget) closes right after its response: its FIN follows the data, then the client
   *  closes with a FIN that ACKs the server's. */
  closer?: 'client' | 'server';
  /** The client ACKs each response segment (Linux's quick-ACK mode at the start of a connection,
   *  as seen in the lab), instead of one ACK after the whole response. */
  ackEach?: boolean;
}

/** A Linux client's TCP connection to a Linux server: handshake with Linux options, request,
 *  the server's ACK and response segments, the client's ACK, and the client-initiated FIN/ACK
 *  teardown, with Linux's windows, timestamps and IP IDs (SYN-ACK ID 0). */
export function httpSegments(c: HttpSegmentsParams): Segment[] {
  const out: Segment[] = [];
  const ws = c.wscale ?? 7;
  let cId = c.clientIpId;
  let sId = c.serverIpId;
  let cSeq = c.clientIsn >>> 0;
  let sSeq = c.serverIsn >>> 0;
  let cTs = c.clientTsval >>> 0;
  let sTs = c.serverTsval >>> 0;
  let cRemaining = linuxSynWindow(c.clientMss); // client's receive window
  let sRemaining = linuxSynWindow(c.serverMss - 12); // server's (SYN-ACK) receive window
  const cOut = (gapUs: number, flags: number, payload: Uint8Array, opts = linuxDataOptions({ tsval: cTs, tsecr: sTs }), win = linuxAdvertisedWindow(cRemaining, ws), id = cId++) =>
    out.push({ from: 'client', gapUs, proto: 'tcp', ipId: id & 0xffff, df: true, payload, tcp: { seq: cSeq, ack: flags & TCP_ACK ? sSeq : 0, flags, window: win, urgent: 0, options: opts } });
  const sIn = (gapUs: number, flags: number, payload: Uint8Array, opts = linuxDataOptions({ tsval: sTs, tsecr: cTs }), win = linuxAdvertisedWindow(sRemaining, ws), id = sId++) =>
    out.push({ from: 'server', gapUs, proto: 'tcp', ipId: id & 0xffff, df: true, payload, tcp: { seq: sSeq, ack: cSeq, flags, window: win, urgent: 0, options: opts } });
  const none = new Uint8Array(0);

  cOut(150, TCP_SYN, none, linuxSynOptions({ mss: c.clientMss, timestamps: { tsval: cTs, tsecr: 0 }, wscale: ws }), linuxSynWindow(c.clientMss));
  if (c.synOnly) return out;
  cSeq = (cSeq + 1) >>> 0;
  sTs = (sTs + 1) >>> 0;
  sIn(120, TCP_SYN | TCP_ACK, none, linuxSynOptions({ mss: c.serverMss, timestamps: { tsval: sTs, tsecr: cTs }, wscale: ws }), linuxSynWindow(c.serverMss - 12), 0);
  sSeq = (sSeq + 1) >>> 0;
  cOut(30, TCP_ACK, none);

  if (c.request) {
    cTs = (cTs + 1) >>> 0;
    cOut(400, TCP_PSH | TCP_ACK, c.request);
    cSeq = (cSeq + c.request.length) >>> 0;
    sRemaining -= c.request.length;
    sIn(25, TCP_ACK, none);
    let total = 0;
    const start = sSeq;
    (c.response ?? []).forEach((part, i) => {
      sIn(i === 0 ? 300 : 40, TCP_PSH | TCP_ACK, part);
      sSeq = (sSeq + part.length) >>> 0;
      total += part.length;
    });
    if (c.ackEach) {
      // One ACK per segment, each acknowledging up to its end.
      const end = sSeq;
      sSeq = start;
      (c.response ?? []).forEach((part, i) => {
        sSeq = (sSeq + part.length) >>> 0;
        cRemaining -= part.length;
        cOut(i === 0 ? 60 : 10, TCP_ACK, none);
      });
      sSeq = end;
    } else if (total) {
      cRemaining -= total;
      cOut(60, TCP_ACK, none);
    }
  }
  if (c.closer === 'server' && c.response?.length) {
    // The server closes once its data is out; on the wire (kernel 6.x in the lab) the client's
    // ACK of the last data segment comes first, then the server's FIN.
    sIn(20, TCP_FIN | TCP_ACK, none);
    sSeq = (sSeq + 1) >>> 0;
    cTs = (cTs + 1) >>> 0;
    cOut(150, TCP_FIN | TCP_ACK, none);
    cSeq = (cSeq + 1) >>> 0;
    sTs = (sTs + 1) >>> 0;
    sIn(20, TCP_ACK, none);
    return out;
  }
  cTs = (cTs + 1) >>> 0;
  cOut(200, TCP_FIN | TCP_ACK, none);
  cSeq = (cSeq + 1) >>> 0;
  sTs = (sTs + 1) >>> 0;
  sIn(90, TCP_FIN | TCP_ACK, none);
  sSeq = (sSeq + 1) >>> 0;
  cOut(30, TCP_ACK, none);
  return out;
}

/** nginx's reply to busybox wget as nginx writes it: headers (writev), then the body (sendfile). */
export function nginxReplySegments(now: number, opts: Omit<NginxStaticOptions, 'now'> = {}): Uint8Array[] {
  const resp = emitHttpResponse(nginxStaticResponse({ ...opts, now }));
  const headLen = resp.length - (opts.body?.length ?? 615);
  return headLen < resp.length ? [resp.subarray(0, headLen), resp.subarray(headLen)] : [resp];
}

/** The frames of `wget http://<host>:<port>/` from a pod, in order. */
export function wgetConversation(c: WgetConversation): Frame[] {
  const frames: Frame[] = [];
  let t = c.startUs;
  const at = (dt: number) => (t += dt);
  const mtu = c.mtu ?? 1500;
  const ttlIn = c.replyTtl ?? 64;
  const ttlOut = c.clientTtl ?? 64;
  const fromNext = (payload: Uint8Array, type = ETHERTYPE_IPV4) => emitEthernet({ dst: c.clientMac, src: c.nextHopMac, etherType: type }, payload);

  if (c.arp) {
    frames.push({ timeUs: at(0), data: emitEthernet({ dst: 'ff:ff:ff:ff:ff:ff', src: c.clientMac, etherType: ETHERTYPE_ARP }, emitArp({ op: ARP_REQUEST, senderMac: c.clientMac, senderIp: c.clientIp, targetMac: '00:00:00:00:00:00', targetIp: c.nextHopIp })) });
    frames.push({ timeUs: at(15), data: fromNext(emitArp({ op: ARP_REPLY, senderMac: c.nextHopMac, senderIp: c.nextHopIp, targetMac: c.clientMac, targetIp: c.clientIp }), ETHERTYPE_ARP) });
  }

  // DNS: A then AAAA for the first search name, from one connected UDP socket (DF set, the
  // socket's IP ID counter); CoreDNS answers A with the Service IP and AAAA with NODATA + SOA.
  const qname = `${c.host}.${c.namespace}.svc.${(c.clusterDomain ?? 'cluster.local').replace(/\.$/, '')}.`;
  const dns = dnsSegments({
    queries: [
      { id: c.dnsIds[0], name: qname, type: DNS_A, answers: [c.serviceIp] },
      { id: c.dnsIds[1], name: qname, type: DNS_AAAA, answers: [] },
    ],
    clientIpId: c.clientDnsIpId,
    replyIpIds: c.dnsReplyIpIds ?? [0x4e21, 0x4e22],
  });
  const mss = linuxAdvertisedMss(mtu);
  const tcp = httpSegments({
    clientMss: mss,
    serverMss: mss,
    wscale: c.wscale,
    clientIsn: c.clientIsn,
    serverIsn: c.serverIsn,
    clientTsval: c.clientTsval,
    serverTsval: c.serverTsval,
    clientIpId: c.clientTcpIpId,
    serverIpId: c.serverTcpIpId,
    request: emitHttpRequest(busyboxWgetRequest(`http://${c.host}:${c.port}/`)),
    response: nginxReplySegments(c.now),
  });
  const cPort = (s: Segment) => (s.proto === 'udp' ? c.clientDnsPort : c.clientPort);
  const sIp = (s: Segment) => (s.proto === 'udp' ? c.dnsServerIp : c.serviceIp);
  const sPort = (s: Segment) => (s.proto === 'udp' ? 53 : c.port);
  for (const s of [...dns, ...tcp]) {
    const v: SegmentView = s.from === 'client'
      ? { src: c.clientIp, dst: sIp(s), sport: cPort(s), dport: sPort(s), ttl: ttlOut, srcMac: c.clientMac, dstMac: c.nextHopMac }
      : { src: sIp(s), dst: c.clientIp, sport: sPort(s), dport: cPort(s), ttl: ttlIn, srcMac: c.nextHopMac, dstMac: c.clientMac };
    frames.push({ timeUs: at(s.gapUs), data: segmentFrame(s, v) });
  }
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
