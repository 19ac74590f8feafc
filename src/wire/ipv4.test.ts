// IPv4 (and ICMP) on a real echo request: literal bytes from RFCs, real captures (testdata/) and the VXLAN research note.

import { describe, expect, it } from 'vitest';
import { emitIcmp, ICMP_DEST_UNREACH, ICMP_ECHO_REQUEST, ICMP_FRAG_NEEDED, linuxIcmpErrorTos, linuxIcmpQuote, parseIcmp } from './icmp.ts';
import { emitIpv4, ipv4Defaults, IPPROTO_ICMP, parseIpv4 } from './ipv4.ts';
import { ECHO, hex } from './testdata/frames.ts';

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
