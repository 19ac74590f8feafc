// Ethernet and ARP on a real ARP request: literal bytes from RFCs, real captures (testdata/) and the VXLAN research note.

import { describe, expect, it } from 'vitest';
import { ARP_REQUEST, emitArp, parseArp } from './arp.ts';
import { emitEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4, parseEthernet } from './ethernet.ts';
import { ARP_REQ } from './testdata/frames.ts';

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
