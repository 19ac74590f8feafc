// UDP checksum: literal bytes from RFCs, real captures (testdata/) and the VXLAN research note.

import { describe, expect, it } from 'vitest';
import { transportChecksum } from './checksum.ts';
import { IPPROTO_UDP } from './ipv4.ts';
import { emitUdp, parseUdp } from './udp.ts';



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
