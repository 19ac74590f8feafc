// Codecs on literal bytes: RFC examples, frames from the committed kernel capture
// (testdata/lab-capture.pcap, printed with tcpdump -xx), and the research note's VXLAN frame
// (whose checksums tshark validates in pcap/tshark tests).

import { describe, expect, it } from 'vitest';
import { KubewireError } from '../errors.ts';
import { ARP_REQUEST, emitArp, parseArp } from './arp.ts';
import { bytesToIpv6, ipv6ToBytes, macToBytes } from './bytes.ts';
import { internetChecksum, onesSum, pseudoHeaderSumV6, transportChecksum } from './checksum.ts';
import { emitEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4, parseEthernet } from './ethernet.ts';
import { busyboxPingRequest, emitIcmp, ICMP_DEST_UNREACH, ICMP_ECHO_REQUEST, ICMP_FRAG_NEEDED, linuxEchoReply, linuxIcmpErrorTos, linuxIcmpQuote, parseIcmp } from './icmp.ts';
import { emitIpv4, ipv4Defaults, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, parseIpv4 } from './ipv4.ts';
import { jhash, jhash2 } from './jhash.ts';
import {
  emitTcp, linuxAdvertisedMss, linuxAdvertisedWindow, linuxDataOptions, linuxRcvWscale, linuxSynOptions, linuxSynWindow, parseTcp,
  TCP_ACK, TCP_SYN, tcpFlagString,
} from './tcp.ts';
import { emitUdp, parseUdp } from './udp.ts';
import {
  emitVxlan, encapsulatedEcn, flowHash, parseVxlan, udpFlowSrcPort, VXLAN_FLAG_I, vxlanEncapsulate, vxlanSourcePort,
} from './vxlan.ts';

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((x) => parseInt(x, 16)));

// Real frames (kernel 6.18, veth, captured with tcpdump).
const ARP_REQ = hex('ffff ffff ffff 16d7 3a7b af97 0806 0001 0800 0604 0001 16d7 3a7b af97 0a4d 0001 0000 0000 0000 0a4d 0002');
const ECHO = hex('32c2 e65b 266d 16d7 3a7b af97 0800 4500 0054 d5a4 0000 4001 9068 0a4d 0001 0a4d 0002 0800 eeb7 1234 0001' +
  '0001 0203 0405 0607 0809 0a0b 0c0d 0e0f 1011 1213 1415 1617 1819 1a1b 1c1d 1e1f 2021 2223 2425 2627 2829 2a2b 2c2d 2e2f 3031 3233 3435 3637');
const SYN = hex('32c2 e65b 266d 16d7 3a7b af97 0800 4500 003c 443f 4000 4006 e1e0 0a4d 0001 0a4d 0002 a1f2 1f90 40df a3ad 0000 0000 a002' +
  'faf0 5c6d 0000 0204 05b4 0402 080a bc39 79b9 0000 0000 0103 030a');
const ACK = hex('32c2 e65b 266d 16d7 3a7b af97 0800 4500 0034 4440 4000 4006 e1e7 0a4d 0001 0a4d 0002 a1f2 1f90 40df a3ae 1a4e b779 8010' +
  '003f 4ea5 0000 0101 080a bc39 79ba 3edc 2694');

// /work/shared/research/vxlan-wire.md section 2.6.
const NOTE_VXLAN = hex(
  '02 00 00 00 00 fe 02 00 00 00 01 0a 08 00 45 00 00 86 1c 46 00 00 40 11 47 04 0a 00 01 0a 0a 00' +
    '02 14 be ef 12 b5 00 72 98 e4 08 00 00 00 00 10 00 00 66 66 d7 cc e9 0f 66 1f 60 59 7f 97 08 00' +
    '45 00 00 54 4d 2a 40 00 3f 01 c0 db ac 10 c9 81 ac 10 0c 01 08 00 3f 29 00 01 00 01 10 11 12 13' +
    '14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33' +
    '34 35 36 37 38 39 3a 3b 3c 3d 3e 3f 40 41 42 43 44 45 46 47',
);

describe('checksum', () => {
  it('RFC 1071 section 3 example', () => {
    const b = hex('00 01 f2 03 f4 f5 f6 f7');
    expect(onesSum(b)).toBe(0xddf2);
    expect(internetChecksum(b)).toBe(0x220d);
  });
  it('odd length pads with a zero byte', () => {
    expect(internetChecksum(hex('01'))).toBe(~0x0100 & 0xffff);
  });
  it('IPv4 header example (checksum 0xb861)', () => {
    const h = hex('4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7');
    expect(internetChecksum(h)).toBe(0xb861);
  });
  it('IPv6 pseudo-header sums addresses, 32-bit length and next header', () => {
    const a = ipv6ToBytes('fe80::1');
    const b = ipv6ToBytes('fe80::2');
    expect(pseudoHeaderSumV6(a, b, 58, 8)).toBe(onesSum(hex('fe80 0000 0000 0000 0000 0000 0000 0001 fe80 0000 0000 0000 0000 0000 0000 0002 0000 0008 0000 003a')));
    expect(() => transportChecksum({ src: '10.0.0.1', dst: 'fe80::1' }, 17, new Uint8Array(8))).toThrow(KubewireError);
  });
});

describe('addresses', () => {
  it('IPv6 text as inet_ntop prints it', () => {
    expect(bytesToIpv6(ipv6ToBytes('2001:db8:0:0:1:0:0:1'))).toBe('2001:db8::1:0:0:1');
    expect(bytesToIpv6(ipv6ToBytes('::ffff:10.0.0.1'))).toBe('::ffff:10.0.0.1');
    expect(bytesToIpv6(ipv6ToBytes('fd00::'))).toBe('fd00::');
  });
  it('bad input is a KubewireError with the value', () => {
    expect(() => macToBytes('02:00:00:00:00')).toThrow(/invalid MAC address "02:00:00:00:00"/);
    expect(() => emitIpv4(ipv4Defaults('10.0.0.256', '10.0.0.1', 6, 1))).toThrow(/invalid IPv4 address "10.0.0.256"/);
  });
});

describe('Ethernet and ARP (real request)', () => {
  it('parses and re-emits', () => {
    const e = parseEthernet(ARP_REQ);
    expect(e.header).toEqual({ dst: 'ff:ff:ff:ff:ff:ff', src: '16:d7:3a:7b:af:97', etherType: ETHERTYPE_ARP });
    const a = parseArp(e.payload);
    expect(a).toEqual({ op: ARP_REQUEST, senderMac: '16:d7:3a:7b:af:97', senderIp: '10.77.0.1', targetMac: '00:00:00:00:00:00', targetIp: '10.77.0.2' });
    expect(emitEthernet(e.header, emitArp(a))).toEqual(ARP_REQ);
  });
  it('pads to 60 bytes when asked, parses 802.1Q', () => {
    expect(emitEthernet(parseEthernet(ARP_REQ).header, emitArp(parseArp(ARP_REQ.subarray(14))), { pad: true }).length).toBe(60);
    const tagged = emitEthernet({ dst: 'ff:ff:ff:ff:ff:ff', src: '02:00:00:00:00:01', etherType: ETHERTYPE_IPV4, vlan: { pcp: 0, dei: false, vid: 100 } });
    expect(Array.from(tagged.subarray(12, 18))).toEqual([0x81, 0x00, 0x00, 0x64, 0x08, 0x00]);
    expect(parseEthernet(tagged).header.vlan).toEqual({ pcp: 0, dei: false, vid: 100 });
  });
  it('truncated frames throw KubewireError', () => {
    expect(() => parseEthernet(ARP_REQ.subarray(0, 10))).toThrow(/Ethernet header: truncated/);
    expect(() => parseArp(ARP_REQ.subarray(14, 30))).toThrow(/ARP packet: truncated/);
  });
});

describe('IPv4 and ICMP (real echo request)', () => {
  it('parses, verifies and re-emits', () => {
    const ip = parseIpv4(ECHO, 14);
    expect(ip.checksumOk).toBe(true);
    expect(ip.header).toMatchObject({ tos: 0, totalLength: 84, identification: 0xd5a4, dontFragment: false, ttl: 64, protocol: IPPROTO_ICMP, checksum: 0x9068 });
    const ic = parseIcmp(ip.payload);
    expect(ic.checksumOk).toBe(true);
    expect(ic.packet).toMatchObject({ type: ICMP_ECHO_REQUEST, code: 0, id: 0x1234, seq: 1 });
    expect(emitIpv4({ ...ip.header, checksum: undefined }, emitIcmp({ ...ic.packet, checksum: undefined }))).toEqual(ECHO.subarray(14));
  });
  it('reports a bad header checksum instead of throwing', () => {
    const bad = ECHO.slice(14);
    bad[11] ^= 1;
    expect(parseIpv4(bad).checksumOk).toBe(false);
  });
  it('fragmentation needed carries the next-hop MTU; Linux quoting and TOS', () => {
    const orig = new Uint8Array(1228);
    const m = emitIcmp({ type: ICMP_DEST_UNREACH, code: ICMP_FRAG_NEEDED, nextHopMtu: 1000, data: linuxIcmpQuote(orig) });
    expect(m.length).toBe(8 + 548);
    expect(Array.from(m.subarray(4, 8))).toEqual([0, 0, 0x03, 0xe8]);
    expect(parseIcmp(m).packet.nextHopMtu).toBe(1000);
    expect(linuxIcmpErrorTos(0)).toBe(0xc0);
    expect(linuxIcmpErrorTos(0xb8)).toBe(0xd8);
    expect(() => emitIcmp({ type: 3, code: 4, data: new Uint8Array(0) })).toThrow(/next-hop MTU is required/);
  });
  it('rejects malformed headers', () => {
    expect(() => parseIpv4(hex('6000 0000 0000 0000 0000 0000 0000 0000 0000 0000'))).toThrow(/version 6/);
    expect(() => parseIpv4(hex('4300 0014 0000 0000 4000 0000 0000 0000 0000 0000'))).toThrow(/header length 12/);
    expect(() => emitIpv4({ ...ipv4Defaults('1.1.1.1', '2.2.2.2', 6, 1), fragmentOffset: 3 })).toThrow(/multiple of 8/);
  });
});

describe('TCP (real SYN and ACK)', () => {
  it('SYN: Linux option order and padding, MSS from MTU 1500, window 64240', () => {
    const ip = parseIpv4(SYN, 14);
    const ph = { src: ip.header.src, dst: ip.header.dst };
    const t = parseTcp(ip.payload, 0, ph);
    expect(t.checksumOk).toBe(true);
    expect(t.headerLength).toBe(40);
    expect(t.header.options).toEqual(linuxSynOptions({ mss: linuxAdvertisedMss(1500), timestamps: { tsval: 0xbc3979b9, tsecr: 0 }, wscale: 10 }));
    expect(t.header.window).toBe(linuxSynWindow(1460));
    expect(tcpFlagString(t.header.flags)).toBe('S');
    expect(emitTcp({ ...t.header, checksum: undefined }, t.payload, ph)).toEqual(ip.payload);
  });
  it('ACK: NOP NOP timestamps', () => {
    const ip = parseIpv4(ACK, 14);
    const t = parseTcp(ip.payload, 0, { src: ip.header.src, dst: ip.header.dst });
    expect(t.checksumOk).toBe(true);
    expect(t.header.options).toEqual(linuxDataOptions({ tsval: 0xbc3979ba, tsecr: 0x3edc2694 }));
    expect(t.header.flags).toBe(TCP_ACK);
    expect(t.header.window).toBe(linuxAdvertisedWindow(64240, 10));
  });
  it('option layouts without timestamps or SACK (tcp_options_write)', () => {
    const b = (o: Parameters<typeof linuxSynOptions>[0]) =>
      Array.from(emitTcp({ srcPort: 1, dstPort: 2, seq: 0, ack: 0, flags: TCP_SYN, window: 0, urgent: 0, options: linuxSynOptions(o), checksum: 0 }).subarray(20));
    expect(b({ mss: 1460, timestamps: false })).toEqual([2, 4, 5, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7]);
    expect(b({ mss: 1460, timestamps: { tsval: 1, tsecr: 0 }, sack: false, wscale: false })).toEqual([2, 4, 5, 0xb4, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0]);
    expect(b({ mss: 1460, timestamps: false, sack: false, wscale: false })).toEqual([2, 4, 5, 0xb4]);
  });
  it('Linux window and scale formulas', () => {
    expect(linuxSynWindow(1460)).toBe(64240);
    expect(linuxSynWindow(1448)).toBe(65160);
    expect(linuxSynWindow(1410)).toBe(64860);
    expect(linuxSynWindow(1398)).toBe(64308);
    expect(linuxRcvWscale()).toBe(7);
    expect(linuxRcvWscale(33554432, 4194304)).toBe(10);
    expect(linuxAdvertisedWindow(64240, 7)).toBe(502);
    expect(linuxAdvertisedWindow(65160 - 69, 7)).toBe(509);
    expect(linuxAdvertisedWindow(64240 - 853, 7)).toBe(496);
    expect(linuxAdvertisedMss(9001)).toBe(8961);
    expect(linuxAdvertisedMss(1450)).toBe(1410);
  });
  it('malformed options throw', () => {
    const seg = emitTcp({ srcPort: 1, dstPort: 2, seq: 0, ack: 0, flags: TCP_SYN, window: 0, urgent: 0, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }], checksum: 0 });
    seg.set([2, 3, 0, 0], 20);
    expect(() => parseTcp(seg)).toThrow(/option 2 has length 3/);
    expect(() => emitTcp({ srcPort: 1, dstPort: 2, seq: 0, ack: 0, flags: 0, window: 0, urgent: 0, options: [] })).toThrow(/enclosing IP addresses/);
  });
});

describe('UDP', () => {
  it('checksum over the pseudo-header; zero becomes 0xffff', () => {
    const ph = { src: '10.0.0.1', dst: '10.0.0.2' };
    const d = emitUdp({ srcPort: 1000, dstPort: 53 }, new Uint8Array([1, 2, 3]), ph);
    expect(parseUdp(d, 0, ph).checksumOk).toBe(true);
    // Find a payload whose checksum computes to 0 and check it is sent as 0xffff.
    for (let x = 0; x < 0x10000; x++) {
      const p = new Uint8Array([x >> 8, x & 0xff]);
      const probe = emitUdp({ srcPort: 1, dstPort: 2, checksum: 0 }, p);
      if (transportChecksum(ph, IPPROTO_UDP, probe) === 0) {
        const real = emitUdp({ srcPort: 1, dstPort: 2 }, p, ph);
        expect(real[6] << 8 | real[7]).toBe(0xffff);
        expect(parseUdp(real, 0, ph).checksumOk).toBe(true);
        break;
      }
    }
    expect(Array.from(emitUdp({ srcPort: 1, dstPort: 2 }, new Uint8Array(0), undefined, { noChecksum: true }).subarray(6))).toEqual([0, 0]);
  });
});

describe('VXLAN', () => {
  it('the research note frame: header, outer DF clear, TTL 64, computed UDP checksum, 50 bytes overhead', () => {
    const inner = NOTE_VXLAN.subarray(50);
    const again = vxlanEncapsulate(inner, {
      outerDstMac: '02:00:00:00:00:fe', outerSrcMac: '02:00:00:00:01:0a', outerSrcIp: '10.0.1.10', outerDstIp: '10.0.2.20', vni: 4096, ipId: 0x1c46, srcPort: 48879,
    });
    expect(again).toEqual(NOTE_VXLAN);
    const vx = parseVxlan(NOTE_VXLAN, 42);
    expect(vx.header).toEqual({ flags: VXLAN_FLAG_I, vni: 4096 });
    expect(Array.from(emitVxlan({ flags: 8, vni: 4096 }))).toEqual([8, 0, 0, 0, 0, 0x10, 0, 0]);
    expect(parseIpv4(NOTE_VXLAN, 14).header.totalLength! - parseIpv4(inner, 14).header.totalLength!).toBe(50);
    expect(() => emitVxlan({ flags: 8, vni: 1 << 24 })).toThrow(/VNI/);
  });
  it('ECN: inner copied, CE becomes ECT(0)', () => {
    expect([0, 1, 2, 3].map(encapsulatedEcn)).toEqual([0, 1, 2, 2]);
  });
  it('udp_flow_src_port mapping into ip_local_port_range', () => {
    expect(udpFlowSrcPort(0)).toBe(32768);
    expect(udpFlowSrcPort(0xffffffff)).toBe(32768 + Number((BigInt((0xffffffff ^ 0xffff0000) >>> 0) * 28231n) >> 32n));
    for (let h = 1; h < 0xffffffff; h = (h * 7 + 12345) >>> 0 || 1) {
      const p = udpFlowSrcPort(h);
      expect(p).toBeGreaterThanOrEqual(32768);
      expect(p).toBeLessThanOrEqual(60998);
      if (h > 0xf0000000) break;
    }
    expect(() => udpFlowSrcPort(1, [5000, 4000])).toThrow(KubewireError);
  });
  it('flow hash is symmetric per flow and differs with the seed', () => {
    const a = { src: '172.16.1.1', dst: '172.16.2.2', protocol: IPPROTO_TCP, srcPort: 40000, dstPort: 80 };
    const b = { src: '172.16.2.2', dst: '172.16.1.1', protocol: IPPROTO_TCP, srcPort: 80, dstPort: 40000 };
    expect(flowHash(a, 1)).toBe(flowHash(b, 1));
    expect(flowHash(a, 1)).not.toBe(flowHash(a, 2));
    const frame = NOTE_VXLAN.subarray(50);
    expect(vxlanSourcePort(frame, 7)).toBe(vxlanSourcePort(frame, 7));
  });
  it('jhash matches the kernel lookup3 reference values', () => {
    // lookup3.c driver: hashlittle("", 0, 0) = 0xdeadbeef; hashlittle("Four score and seven years ago", 30, 0) = 0x17770551.
    expect(jhash(new Uint8Array(0), 0)).toBe(0xdeadbeef);
    expect(jhash(new TextEncoder().encode('Four score and seven years ago'), 0)).toBe(0x17770551);
    expect(jhash(new TextEncoder().encode('Four score and seven years ago'), 1)).toBe(0xcd628161);
    expect(jhash2([], 0)).toBe(0xdeadbeef);
  });
});

describe('ICMP header fields', () => {
  it('echo id/seq at bytes 4..8', () => {
    const m = emitIcmp({ type: 8, code: 0, id: 0x1234, seq: 1, data: new Uint8Array(0) });
    expect(Array.from(m)).toEqual([8, 0, ...[internetChecksum(hex('0800 0000 1234 0001'))].flatMap((c) => [c >> 8, c & 0xff]), 0x12, 0x34, 0, 1]);
  });
});

void IPPROTO_TCP;

describe('busybox ping (real capture, busybox 1.35 as root)', () => {
  const REQ = hex('4500 0054 e69c 4000 4001 3f70 0a4d 0001 0a4d 0002 0800 1577 76eb 0001 a8e2 c2b9' + '00'.repeat(52));
  const REP = hex('4500 0054 792b 0000 4001 ece1 0a4d 0002 0a4d 0001 0000 1d77 76eb 0001 a8e2 c2b9' + '00'.repeat(52));
  it('request: pid id, seq, little-endian microsecond stamp, zero fill, DF set', () => {
    const req = busyboxPingRequest({ id: 30443, seq: 1, monotonicUs: 0xb9c2e2a8 });
    expect(emitIpv4(ipv4Defaults('10.77.0.1', '10.77.0.2', IPPROTO_ICMP, 0xe69c), emitIcmp(req))).toEqual(REQ);
  });
  it('kernel reply: same id/seq/data, DF clear', () => {
    const req = parseIcmp(REQ.subarray(20)).packet;
    const rep = emitIpv4(ipv4Defaults('10.77.0.2', '10.77.0.1', IPPROTO_ICMP, 0x792b, { dontFragment: false }), emitIcmp(linuxEchoReply(req)));
    expect(rep).toEqual(REP);
  });
});
