// SLL2 against a real `tcpdump -i any` capture (testdata/any-sll2.pcap, kernel 6.18, namespace A:
// ARP + ICMP echo on veth ifindex 3, UDP to a closed port on lo, a broadcast UDP datagram).

import { describe, expect, it } from 'vitest';
import { readCapture } from '../pcap/read.ts';
import { LINKTYPE_LINUX_SLL2 } from '../pcap/types.ts';
import { emitEthernet } from './ethernet.ts';
import { emitSll2, PACKET_BROADCAST, PACKET_HOST, PACKET_OUTGOING, parseSll2, sll2FromEthernet } from './sll2.ts';
import { loadTestCapture } from './testing.node.ts';

const cap = readCapture(loadTestCapture('any-sll2.pcap'));

describe('SLL2', () => {
  it('link type and headers as the kernel wrote them', () => {
    expect(cap.interfaces[0].linkType).toBe(LINKTYPE_LINUX_SLL2);
    const hs = cap.packets.map((p) => parseSll2(p.data).header);
    expect(hs.map((h) => [h.ifindex, h.packetType, h.protocol])).toEqual([
      [3, PACKET_OUTGOING, 0x0806], [3, PACKET_HOST, 0x0806], [3, PACKET_OUTGOING, 0x0800], [3, PACKET_HOST, 0x0800],
      [1, PACKET_HOST, 0x0800], [1, PACKET_HOST, 0x0800], [3, PACKET_OUTGOING, 0x0800],
    ]);
    for (const p of cap.packets) {
      const s = parseSll2(p.data);
      expect(emitSll2(s.header, s.payload)).toEqual(p.data);
    }
  });
  it('sll2FromEthernet gives the records tcpdump -i any stored for veth frames', () => {
    const local = parseSll2(cap.packets[0].data).header.address;
    const peer = parseSll2(cap.packets[1].data).header.address;
    const req = cap.packets[0].data;
    const rep = cap.packets[1].data;
    expect(sll2FromEthernet(emitEthernet({ dst: 'ff:ff:ff:ff:ff:ff', src: local, etherType: 0x0806 }, req.subarray(20)), 3, true)).toEqual(req);
    expect(sll2FromEthernet(emitEthernet({ dst: local, src: peer, etherType: 0x0806 }, rep.subarray(20)), 3, false, local)).toEqual(rep);
    const bcastIn = sll2FromEthernet(emitEthernet({ dst: 'ff:ff:ff:ff:ff:ff', src: peer, etherType: 0x0800 }, new Uint8Array(20)), 3, false, local);
    expect(parseSll2(bcastIn).header.packetType).toBe(PACKET_BROADCAST);
  });
});
