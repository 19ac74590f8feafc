import { describe, expect, it } from 'vitest';
import { fnv1_32, goBigRand, GoRandSource } from './go-rand.ts';

describe('Go math/rand port', () => {
  it('seed 1 gives the documented first Int63 (research note §4.4)', () => {
    expect(new GoRandSource(1n).int63()).toBe(5577006791947779410n);
  });

  it('FNV-1 32 matches the published offset basis and test vector', () => {
    // FNV-1 of the empty string is the offset basis; "a" → 0x050c5d7e (FNV reference vectors).
    expect(fnv1_32('')).toBe(0x811c9dc5);
    expect(fnv1_32('a')).toBe(0x050c5d7e);
  });

  it('big.Int.Rand stays below the bound', () => {
    const src = new GoRandSource(42n);
    for (let i = 0; i < 50; i++) expect(goBigRand(src, 1000n) < 1000n).toBe(true);
  });
});
