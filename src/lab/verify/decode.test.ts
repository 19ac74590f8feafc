// Decoding a flow's capture: request vs reply from the packet itself (TCP flags, ICMP type, the
// UDP probe's marker or DNS's QR bit), VXLAN opened to its inner packet, everything else left out.
import { describe, expect, it } from 'vitest';
import { writePcap } from '../../pcap/pcap.ts';
import { emitEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from '../../wire/ethernet.ts';
import { emitIpv4, ipv4Defaults } from '../../wire/ipv4.ts';
import { emitTcp, linuxSynOptions } from '../../wire/tcp.ts';
import { emitUdp } from '../../wire/udp.ts';
import { emitIcmp } from '../../wire/icmp.ts';
import { emitVxlan } from '../../wire/vxlan.ts';
import { DNS_A, dnsQuery, emitDns } from '../../wire/dns.ts';
import { decodeFlowCapture, UDP_REPLY_MARK, UDP_REQUEST_MARK } from './decode.ts';

const A = '02:00:00:00:00:01';
const B = '02:00:00:00:00:02';

function eth(ip: Uint8Array): Uint8Array {
  return emitEthernet({ src: A, dst: B, etherType: ETHERTYPE_IPV4 }, ip);
}
function tcp(src: string, dst: string, sport: number, dport: number, flags: number, ttl = 64): Uint8Array {
  const seg = emitTcp({ srcPort: sport, dstPort: dport, seq: 1, ack: flags & 0x10 ? 2 : 0, flags, window: 64240, urgent: 0, options: flags & 0x02 ? linuxSynOptions({ mss: 1460, timestamps: { tsval: 1, tsecr: 0 } }) : [] }, new Uint8Array(0), { src, dst });
  return emitIpv4(ipv4Defaults(src, dst, 6, 1, { ttl }), seg);
}
function udp(src: string, dst: string, sport: number, dport: number, payload: Uint8Array, ttl = 64): Uint8Array {
  return emitIpv4(ipv4Defaults(src, dst, 17, 2, { ttl }), emitUdp({ srcPort: sport, dstPort: dport }, payload, { src, dst }));
}
const pcap = (frames: Uint8Array[]) => writePcap(frames.map((data, i) => ({ timeUs: 1_000_000 + i, data })));
const text = (s: string) => new TextEncoder().encode(s);

describe('decodeFlowCapture', () => {
  it('TCP: SYN is the request, SYN-ACK the answer, RST a refusal; ACKs and ARP are left out', () => {
    const arp = emitEthernet({ src: A, dst: 'ff:ff:ff:ff:ff:ff', etherType: ETHERTYPE_ARP }, new Uint8Array(28));
    const got = decodeFlowCapture(
      pcap([arp, eth(tcp('10.0.0.1', '10.0.0.2', 20001, 80, 0x02)), eth(tcp('10.0.0.2', '10.0.0.1', 80, 20001, 0x12, 63)), eth(tcp('10.0.0.1', '10.0.0.2', 20001, 80, 0x10)), eth(tcp('10.0.0.2', '10.0.0.1', 80, 20001, 0x14))]),
      6,
    );
    expect(got.map((p) => [p.leg, p.replyKind, p.src, p.sport, p.dst, p.dport, p.ttl, p.length])).toEqual([
      ['request', undefined, '10.0.0.1', 20001, '10.0.0.2', 80, 64, 60],
      ['reply', 'answer', '10.0.0.2', 80, '10.0.0.1', 20001, 63, 60],
      ['reply', 'rst', '10.0.0.2', 80, '10.0.0.1', 20001, 64, 40],
    ]);
  });

  it('UDP: the probe marker or the DNS QR bit tells request from reply; packets of another protocol are ignored', () => {
    const q = emitDns(dnsQuery(7, 'nginx.default.svc.cluster.local', DNS_A));
    const r = q.slice();
    r[2] |= 0x80;
    const got = decodeFlowCapture(
      pcap([
        eth(udp('10.0.0.1', '10.100.0.10', 20002, 53, q)),
        eth(udp('10.100.0.10', '10.0.0.1', 53, 20002, r)),
        eth(udp('10.0.0.1', '10.0.0.2', 20003, 9999, text(`${UDP_REQUEST_MARK} flow 1`))),
        eth(udp('10.0.0.2', '10.0.0.1', 9999, 20003, text(`${UDP_REPLY_MARK} flow 1`))),
        eth(tcp('10.0.0.1', '10.0.0.2', 20001, 80, 0x02)),
      ]),
      17,
    );
    expect(got.map((p) => [p.leg, p.sport, p.dport, p.length])).toEqual([
      ['request', 20002, 53, 28 + q.length],
      ['reply', 53, 20002, 28 + q.length],
      ['request', 20003, 9999, 28 + `${UDP_REQUEST_MARK} flow 1`.length],
      ['reply', 9999, 20003, 28 + `${UDP_REPLY_MARK} flow 1`.length],
    ]);
  });

  it('ICMP: echo request/reply, and an error is a reply only when it quotes the probe protocol', () => {
    const req = emitIpv4(ipv4Defaults('10.0.0.1', '10.0.0.2', 1, 3), emitIcmp({ type: 8, code: 0, id: 20004, seq: 1, data: new Uint8Array(56) }));
    const rep = emitIpv4(ipv4Defaults('10.0.0.2', '10.0.0.1', 1, 4), emitIcmp({ type: 0, code: 0, id: 20004, seq: 1, data: new Uint8Array(56) }));
    const quoted = tcp('10.0.0.1', '203.0.113.9', 20005, 443, 0x02).subarray(0, 28);
    const err = emitIpv4(ipv4Defaults('192.168.0.1', '10.0.0.1', 1, 5), emitIcmp({ type: 3, code: 0, data: quoted }));
    expect(decodeFlowCapture(pcap([eth(req), eth(rep), eth(err)]), 1).map((p) => [p.leg, p.icmpType, p.length])).toEqual([
      ['request', 8, 84],
      ['reply', 0, 84],
    ]);
    expect(decodeFlowCapture(pcap([eth(err)]), 6).map((p) => [p.leg, p.replyKind, p.icmpType, p.icmpCode, p.src])).toEqual([['reply', 'icmp-error', 3, 0, '192.168.0.1']]);
  });

  it('VXLAN: the outer headers with the VNI and the inner packet, classified by the inner one', () => {
    const inner = eth(tcp('172.16.1.2', '172.16.2.3', 20006, 80, 0x02, 63));
    const outer = udp('192.168.1.10', '192.168.2.20', 51234, 4789, emitVxlan({ flags: 0x08, vni: 4096 }, inner));
    const [p] = decodeFlowCapture(pcap([eth(outer)]), 6);
    expect(p.leg).toBe('request');
    expect([p.src, p.dst, p.proto, p.sport, p.dport, p.ttl, p.length]).toEqual(['192.168.1.10', '192.168.2.20', 17, 51234, 4789, 64, 60 + 50]);
    expect(p.vxlan?.vni).toBe(4096);
    expect(p.vxlan?.inner).toMatchObject({ src: '172.16.1.2', dst: '172.16.2.3', sport: 20006, dport: 80, ttl: 63, length: 60 });
    // Not a VXLAN port: an ordinary UDP packet, not the TCP flow's.
    expect(decodeFlowCapture(pcap([eth(udp('192.168.1.10', '192.168.2.20', 51234, 4790, emitVxlan({ flags: 0x08, vni: 4096 }, inner)))]), 6)).toEqual([]);
  });

  it('an empty or header-only capture has no packets', () => {
    expect(decodeFlowCapture(new Uint8Array(0), 6)).toEqual([]);
    expect(decodeFlowCapture(pcap([]), 6)).toEqual([]);
  });
});
