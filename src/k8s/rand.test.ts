import { describe, expect, it } from 'vitest';
import { K8S_ALPHANUMS, nextU32, randInt, randString, randUuid, seedRng, shuffle } from './rand.ts';
import { computePodTemplateHash, fnv32a, safeEncodeString } from './hash.ts';
import { ec2PrivateDnsName, generateName } from './naming.ts';

describe('rand', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = { rng: seedRng(1) };
    const b = { rng: seedRng(1) };
    const c = { rng: seedRng(2) };
    const sa = [nextU32(a), nextU32(a), nextU32(a)];
    expect([nextU32(b), nextU32(b), nextU32(b)]).toEqual(sa);
    expect([nextU32(c), nextU32(c), nextU32(c)]).not.toEqual(sa);
  });
  it('draws strings from the k8s alphabet and bounded ints', () => {
    const h = { rng: seedRng(7) };
    for (let i = 0; i < 200; i++) {
      const s = randString(h, 5);
      expect(s).toHaveLength(5);
      for (const ch of s) expect(K8S_ALPHANUMS).toContain(ch);
      const v = randInt(h, 3);
      expect(v >= 0 && v < 3).toBe(true);
    }
  });
  it('makes v4 UUIDs and permutations', () => {
    const h = { rng: seedRng(3) };
    expect(randUuid(h)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(shuffle(h, [1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('hash', () => {
  it('FNV-1a 32 matches the reference vectors', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(fnv32a(enc(''))).toBe(0x811c9dc5);
    expect(fnv32a(enc('a'))).toBe(0xe40c292c);
    expect(fnv32a(enc('foobar'))).toBe(0xbf9cf968);
  });
  it('SafeEncodeString maps digits like upstream', () => {
    // '0'..'9' are bytes 48..57 → alphabet indices 21..26,0..3.
    expect(safeEncodeString('0123456789')).toBe('456789bcdf');
  });
  it('pod-template-hash depends on template and collision count', () => {
    const t = { metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } };
    const h0 = computePodTemplateHash(t);
    expect(h0).toMatch(/^[456789bcdf]{1,10}$/);
    expect(computePodTemplateHash(JSON.parse(JSON.stringify(t)))).toBe(h0);
    expect(computePodTemplateHash(t, 1)).not.toBe(h0);
    expect(computePodTemplateHash({ ...t, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } })).not.toBe(h0);
  });
});

describe('naming', () => {
  it('names nodes like EC2 private DNS', () => {
    expect(ec2PrivateDnsName('192.168.12.34', 'us-west-2')).toBe('ip-192-168-12-34.us-west-2.compute.internal');
    expect(ec2PrivateDnsName('10.0.1.5', 'us-east-1')).toBe('ip-10-0-1-5.ec2.internal');
  });
  it('truncates generateName bases to 58 characters', () => {
    const h = { rng: seedRng(1) };
    const n = generateName(h, 'x'.repeat(70));
    expect(n).toHaveLength(63);
    expect(generateName(h, 'nginx-')).toMatch(/^nginx-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });
});
