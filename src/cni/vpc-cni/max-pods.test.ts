import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { instanceLimits, knownInstanceTypes, suggestInstanceTypes, findInstanceLimits } from '../../aws/instance-limits.ts';
import { KubewireError } from '../../errors.ts';
import { computeMaxPods, maxPods, parseCniVersion } from './max-pods.ts';

// misc/eni-max-pods.txt as published upstream (commit in the file's header).
const fixture = readFileSync(new URL('./testdata/eni-max-pods.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => {
    const [t, v] = l.split(' ');
    return { t, v: Number(v) };
  });

// Types eni-max-pods.txt still listed at that commit but that are gone from the newer limits
// table we ship (vpc_ip_resource_limit.go at 01c4ad5): retired / no longer offered.
const RETIRED = [
  'i3.metal',
  'p2.16xlarge',
  'p2.8xlarge',
  'p2.xlarge',
  'u-12tb1.112xlarge',
  'u-18tb1.112xlarge',
  'u-24tb1.112xlarge',
  'u-9tb1.112xlarge',
];

describe('max pods, secondary-IP mode (misc/eni-max-pods.txt)', () => {
  it('matches every published value', () => {
    expect(fixture.length).toBeGreaterThan(800);
    const missing: string[] = [];
    const wrong: string[] = [];
    for (const { t, v } of fixture) {
      if (!findInstanceLimits(t)) {
        missing.push(t);
        continue;
      }
      const got = maxPods(t);
      if (got !== v) wrong.push(`${t}: published ${v}, got ${got}`);
    }
    expect(wrong).toEqual([]);
    expect(missing).toEqual(RETIRED);
  });

  it('lists types in the byte order eni-max-pods.txt uses', () => {
    const known = new Set(knownInstanceTypes());
    const published = fixture.map((f) => f.t).filter((t) => known.has(t));
    const ours = knownInstanceTypes().filter((t) => published.includes(t));
    expect(ours).toEqual(published);
    // '-' sorts before '.', so c7i-flex.* comes before c7i.*
    expect(knownInstanceTypes().indexOf('c7i-flex.large')).toBeLessThan(knownInstanceTypes().indexOf('c7i.large'));
  });

  it('reads the default network card only on multi-card types', () => {
    const p5 = instanceLimits('p5.48xlarge');
    expect(p5.networkCards.length).toBe(32);
    expect(maxPods('p5.48xlarge')).toBe(100); // 2 × 49 + 2, per the file's NOTE
  });
});

describe('custom networking', () => {
  it('removes the primary ENI: (ENIs − 1) × (IPs − 1) + 2', () => {
    // m5.large: 3 ENIs × 10 IPs → 2 × 9 + 2
    expect(maxPods('m5.large', { customNetworking: true })).toBe(20);
    // t3.medium: 3 × 6 → 2 × 5 + 2
    expect(maxPods('t3.medium', { customNetworking: true })).toBe(12);
  });
});

describe('max-pods-calculator.sh', () => {
  it('prefix delegation on Nitro, capped at 110 for ≤ 30 vCPUs', () => {
    const r = computeMaxPods(instanceLimits('m5.large'), { prefixDelegation: true, cniVersion: '1.9.0' });
    expect(r.mode).toBe('prefix-delegation');
    expect(r.maxPods).toBe(110);
    expect(maxPods('m5.large', { prefixDelegation: true, cniVersion: '1.9.0', showMaxAllowed: true })).toBe(3 * 9 * 16 + 2);
  });
  it('caps at 250 above 30 vCPUs', () => {
    expect(maxPods('m5.24xlarge', { prefixDelegation: true, cniVersion: '1.12.0' })).toBe(250);
    expect(maxPods('m5.8xlarge', { cniVersion: '1.12.0' })).toBe(234); // 32 vCPUs, 234 < 250
    expect(maxPods('m5.4xlarge', { cniVersion: '1.12.0' })).toBe(110); // 16 vCPUs
    expect(maxPods('m5.24xlarge', { cniVersion: '1.12.0' })).toBe(250);
  });
  it('CNI 1.8 and older do not support prefix delegation', () => {
    expect(maxPods('m5.large', { prefixDelegation: true, cniVersion: '1.8.0' })).toBe(29);
    expect(maxPods('m5.large', { prefixDelegation: true, cniVersion: 'v1.9.0' })).toBe(110);
    expect(maxPods('m5.large', { prefixDelegation: true, cniVersion: '2.0.0', showMaxAllowed: true })).toBe(434);
  });
  it('non-Nitro hypervisors fall back to secondary IPs', () => {
    // m4.large is xen: 2 × 9 + 2
    expect(maxPods('m4.large', { prefixDelegation: true, cniVersion: '1.19.0' })).toBe(20);
  });
  it('custom networking with prefix delegation', () => {
    // t3.small: (3 − 1) × (4 − 1) × 16 + 2 = 98 ≤ 110
    expect(maxPods('t3.small', { prefixDelegation: true, customNetworking: true, cniVersion: '1.19.0' })).toBe(98);
  });
  it('--cni-max-eni limits the ENIs used', () => {
    expect(maxPods('m5.large', { maxEni: 1, cniVersion: '1.19.0' })).toBe(11);
    expect(maxPods('m5.large', { maxEni: 9 })).toBe(29);
  });
  it('maxPodsPerNode replaces the computed value', () => {
    expect(maxPods('m5.large', { maxPodsPerNode: 17 })).toBe(17);
    expect(maxPods('m5.large', { prefixDelegation: true, maxPodsPerNode: 200 })).toBe(200);
    expect(() => maxPods('m5.large', { maxPodsPerNode: 0 })).toThrow(KubewireError);
  });
  it('rejects malformed versions', () => {
    expect(() => parseCniVersion('latest')).toThrow(KubewireError);
    expect(parseCniVersion('v1.18.3-eksbuild.1')).toEqual({ major: 1, minor: 18, patch: 3 });
  });
});

describe('unknown instance types', () => {
  it('suggests close names', () => {
    expect(() => instanceLimits('m5.larg')).toThrow(/unknown instance type "m5.larg"; did you mean m5.large/);
    expect(suggestInstanceTypes('m5.largee')[0]).toBe('m5.large');
    expect(suggestInstanceTypes('zzzzzzzzzzzzzzzzzzzz')).toEqual([]);
  });
});
