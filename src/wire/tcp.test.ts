// TCP on a real SYN and ACK; Linux option and window models: literal bytes from RFCs, real captures (testdata/) and the VXLAN research note.

import { describe, expect, it } from 'vitest';
import { parseIpv4 } from './ipv4.ts';
import { emitTcp, linuxAdvertisedMss, linuxAdvertisedWindow, linuxDataOptions, linuxRcvWscale, linuxSynOptions, linuxSynWindow, parseTcp, TCP_ACK, TCP_SYN, tcpFlagString } from './tcp.ts';
import { ACK, SYN } from './testdata/frames.ts';

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
