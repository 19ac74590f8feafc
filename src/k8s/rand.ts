// The cluster's one deterministic random source. State is a single uint32 kept in
// ClusterState.rng (plain JSON), advanced by mulberry32 (Tommy Ettinger's public-domain
// generator). Every random choice the control plane makes (names, UIDs, IPs, scheduler
// tie-breaks) draws from here, so (spec, seed, operations) fully determines the state.

/** Anything carrying the PRNG state; ClusterState satisfies it. */
export interface RngHolder {
  rng: number;
}

/** Initial PRNG state for a seed (the seed is scrambled so nearby seeds diverge at once). */
export function seedRng(seed: number): number {
  let h = (seed >>> 0) ^ 0x9e3779b9;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Next uniformly distributed uint32 (mulberry32 step). */
export function nextU32(h: RngHolder): number {
  h.rng = (h.rng + 0x6d2b79f5) >>> 0;
  let t = h.rng;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}

/** Uniform integer in [0, n) without modulo bias (like Go's rand.Intn). */
export function randInt(h: RngHolder, n: number): number {
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`randInt: bad bound ${n}`);
  if (n === 1) return 0;
  const limit = Math.floor(0x100000000 / n) * n;
  for (;;) {
    const v = nextU32(h);
    if (v < limit) return v % n;
  }
}

/** The alphabet of k8s.io/apimachinery/pkg/util/rand: no vowels, no 0/1/3, to avoid words and confusion. */
export const K8S_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * n characters from K8S_ALPHANUMS, the way utilrand.String draws them: 5 random bits per
 * character, values past the alphabet rejected. Used for generateName suffixes.
 */
export function randString(h: RngHolder, n: number): string {
  let out = '';
  let cache = 0;
  let remain = 0;
  while (out.length < n) {
    if (remain === 0) {
      cache = nextU32(h);
      remain = 6; // 6 × 5 bits from 32
    }
    const idx = cache & 0x1f;
    cache >>>= 5;
    remain--;
    if (idx < K8S_ALPHANUMS.length) out += K8S_ALPHANUMS[idx];
  }
  return out;
}

/** n lower-case hex digits. */
export function randHex(h: RngHolder, n: number): string {
  let out = '';
  while (out.length < n) out += nextU32(h).toString(16).padStart(8, '0');
  return out.slice(0, n);
}

/** RFC 4122 version-4 UUID, as the API server assigns metadata.uid. */
export function randUuid(h: RngHolder): string {
  const hex = randHex(h, 32).split('');
  hex[12] = '4';
  hex[16] = '89ab'[parseInt(hex[16], 16) & 3];
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** Fisher–Yates shuffle in place; returns the array. */
export function shuffle<T>(h: RngHolder, a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = randInt(h, i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}
