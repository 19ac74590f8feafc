// Internet checksum and pseudo-headers: literal bytes from RFCs, real captures (testdata/) and the VXLAN research note.

import { describe, expect, it } from 'vitest';
import { KubewireError } from '../errors.ts';
import { ipv6ToBytes } from './bytes.ts';
import { internetChecksum, onesSum, pseudoHeaderSumV6, transportChecksum } from './checksum.ts';
import { hex } from './testdata/frames.ts';

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
