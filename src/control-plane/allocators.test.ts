import { describe, expect, it } from 'vitest';
import { seedRng } from '../k8s/rand.ts';
import { ClusterIpAllocator, NodePortAllocator, ipRangeOffset, portRangeOffset } from './allocators.ts';

describe('banded allocators', () => {
  it('sizes the static band like upstream', () => {
    expect(ipRangeOffset(65536)).toBe(256); // /16 → capped at 256
    expect(ipRangeOffset(1024)).toBe(64); // /22 → 1024/16
    expect(ipRangeOffset(64)).toBe(16); // /26 → floor of 16
    expect(ipRangeOffset(16)).toBe(0); // /28 → no static band
    expect(portRangeOffset(2768)).toBe(86); // 30000-32767
    expect(portRangeOffset(100000)).toBe(128);
  });

  it('hands out dynamic ClusterIPs from the upper band until it is full, then the lower band', () => {
    const rng = { rng: seedRng(9) };
    const used = new Set<string>();
    const a = new ClusterIpAllocator('10.0.0.0/26', used); // 62 usable, band of 16
    const got: number[] = [];
    for (let i = 0; i < 46; i++) got.push(Number(a.allocateNext(rng).split('.')[3]));
    expect(Math.min(...got)).toBe(17); // index 16 → .17
    expect(Math.max(...got)).toBe(62);
    const low = Number(a.allocateNext(rng).split('.')[3]);
    expect(low).toBeGreaterThanOrEqual(1);
    expect(low).toBeLessThanOrEqual(16);
    for (let i = 0; i < 15; i++) a.allocateNext(rng);
    expect(() => a.allocateNext(rng)).toThrow('range is full');
  });

  it('validates requested IPs and ports', () => {
    const a = new ClusterIpAllocator('10.100.0.0/16', new Set(['10.100.0.10']));
    expect(() => a.allocate('10.100.0.10')).toThrow('provided IP is already allocated');
    expect(() => a.allocate('10.100.0.0')).toThrow('the provided IP (10.100.0.0) is not in the valid range. The range of valid IPs is 10.100.0.0/16');
    expect(() => a.allocate('10.100.255.255')).toThrow(/not in the valid range/);
    a.allocate('10.100.255.254');
    const p = new NodePortAllocator(new Set([30080]));
    expect(() => p.allocate(30080)).toThrow('provided port is already allocated');
    expect(() => p.allocate(80)).toThrow('provided port is not in the valid range. The range of valid ports is 30000-32767');
    const rng = { rng: seedRng(1) };
    for (let i = 0; i < 50; i++) expect(p.allocateNext(rng)).toBeGreaterThanOrEqual(30086);
  });
});
