// ICMP fields and busybox ping: literal bytes from RFCs, real captures (testdata/) and the VXLAN research note.

import { describe, expect, it } from 'vitest';
import { internetChecksum } from './checksum.ts';
import { busyboxPingRequest, emitIcmp, linuxEchoReply, parseIcmp } from './icmp.ts';
import { emitIpv4, ipv4Defaults, IPPROTO_ICMP } from './ipv4.ts';
import { hex } from './testdata/frames.ts';

describe('ICMP header fields', () => {
  it('echo id/seq at bytes 4..8', () => {
    const m = emitIcmp({ type: 8, code: 0, id: 0x1234, seq: 1, data: new Uint8Array(0) });
    expect(Array.from(m)).toEqual([8, 0, ...[internetChecksum(hex('0800 0000 1234 0001'))].flatMap((c) => [c >> 8, c & 0xff]), 0x12, 0x34, 0, 1]);
  });
});

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
