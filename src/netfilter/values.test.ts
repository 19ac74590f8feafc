// Decoders of canonical values, checked against the inputs that produced those saved forms on the
// real tool (e.g. --or-mark 0x4000 saves as 0x4000/0x4000; --probability 0.3333333333 as 0.33333333349).

import { describe, expect, it } from 'vitest';
import {
  applyXmark,
  decodeMarkMask,
  decodeNatRange,
  decodePortList,
  decodePortRange,
  decodeTcpFlags,
  interfaceMatches,
  statisticThreshold,
} from './values.ts';
import { savedProbability } from './extensions.ts';

describe('values', () => {
  it('marks: value/mask, and MARK --set-xmark semantics (mark & ~mask) ^ value', () => {
    expect(decodeMarkMask('0x4000/0x4000')).toEqual({ value: 0x4000, mask: 0x4000 });
    expect(decodeMarkMask('0x10')).toEqual({ value: 0x10, mask: 0xffffffff });
    // --or-mark 0x4000 → 0x4000/0x4000 sets the bit; --xor-mark → 0x4000/0x0 flips it;
    // --and-mark 0xff → 0x0/0xffffff00 keeps the low byte.
    expect(applyXmark(0x1, '0x4000/0x4000')).toBe(0x4001);
    expect(applyXmark(0x4001, '0x4000/0x0')).toBe(0x1);
    expect(applyXmark(0x12345, '0x0/0xffffff00')).toBe(0x45);
    expect(applyXmark(0xffffffff, '0x10/0xffffffff')).toBe(0x10);
  });

  it('ports and lists', () => {
    expect(decodePortRange('80')).toEqual([80, 80]);
    expect(decodePortRange('101:65535')).toEqual([101, 65535]);
    expect(decodePortList('80,443,1000:2000')).toEqual([
      [80, 80],
      [443, 443],
      [1000, 2000],
    ]);
  });

  it('statistic threshold is the kernel value round(p·2^31)', () => {
    expect(statisticThreshold(savedProbability('0.3333333333'))).toBe(715827883);
    expect(statisticThreshold('0.50000000000')).toBe(0x40000000);
    expect(statisticThreshold('1.00000000000')).toBe(0x80000000);
  });

  it('tcp flags', () => {
    expect(decodeTcpFlags('FIN,SYN,RST,ACK')).toBe(0x17);
    expect(decodeTcpFlags('NONE')).toBe(0);
  });

  it('NAT ranges', () => {
    expect(decodeNatRange('192.168.1.10:8080', 4)).toEqual({ minAddr: 0xc0a8010an, maxAddr: 0xc0a8010an, minPort: 8080, maxPort: 8080 });
    expect(decodeNatRange(':80', 4)).toEqual({ minPort: 80, maxPort: 80 });
    expect(decodeNatRange('10.0.0.1-10.0.0.5:80-100/90', 4)).toEqual({
      minAddr: 0x0a000001n,
      maxAddr: 0x0a000005n,
      minPort: 80,
      maxPort: 100,
      basePort: 90,
    });
    expect(decodeNatRange('[fd00::1]:80', 6)).toEqual({ minAddr: 0xfd000000000000000000000000000001n, maxAddr: 0xfd000000000000000000000000000001n, minPort: 80, maxPort: 80 });
    expect(decodeNatRange('fd00::2', 6).minPort).toBeUndefined();
  });

  it('interface wildcards', () => {
    expect(interfaceMatches('cali+', 'cali12d4a061371')).toBe(true);
    expect(interfaceMatches('cali+', 'eth0')).toBe(false);
    expect(interfaceMatches('eth0', 'eth0')).toBe(true);
    expect(interfaceMatches('eth0', 'eth01')).toBe(false);
  });
});
