// The pod-template-hash of Deployments, as the deployment controller computes it
// (pkg/controller/controller_utils.go ComputeHash):
//   h = FNV-1a 32-bit over the printed pod template;
//   if collisionCount is set, h also absorbs uint32(collisionCount) as 8 little-endian bytes
//   (4 bytes of value then 4 zero bytes);
//   label = SafeEncodeString(decimal(h)) — each byte of the decimal text mapped to
//   K8S_ALPHANUMS[byte % 27], so the label only ever uses the characters 4-9, b, c, d, f.
//
// Exact here: FNV-1a, the collision-count suffix, the decimal + SafeEncodeString step.
// Not reproducible: upstream feeds FNV the Go `spew` printing (`%#v`, sorted map keys) of the
// typed v1.PodTemplateSpec struct, which lists every Go field (including nil pointers and
// zero values) in struct-declaration order. We feed canonical JSON of the template instead
// (object keys sorted, no whitespace). So hashes are stable, collision-free in the same way and
// shaped like the real ones, but differ numerically from what a real cluster prints.

import { K8S_ALPHANUMS } from './rand.ts';

/** FNV-1a 32-bit of bytes, continuing from `h` (offset basis by default). */
export function fnv32a(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** utilrand.SafeEncodeString: byte-wise mapping into the vowel-free alphabet. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (const b of new TextEncoder().encode(s)) out += K8S_ALPHANUMS[b % K8S_ALPHANUMS.length];
  return out;
}

/** JSON with object keys sorted at every level (our stand-in for spew's %#v printing). */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x === undefined ? null : x)).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

/** pod-template-hash label value for a Deployment's pod template. */
export function computePodTemplateHash(template: unknown, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonicalJson(template)));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncodeString(String(h));
}
