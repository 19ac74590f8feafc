// Bob Jenkins' lookup3 hash as the Linux kernel implements it (include/linux/jhash.h):
// jhash() over bytes (little-endian word loads, as on x86/arm64) and jhash2() over 32-bit words.

const JHASH_INITVAL = 0xdeadbeef;

function rol32(x: number, s: number): number {
  return ((x << s) | (x >>> (32 - s))) >>> 0;
}

interface Abc {
  a: number;
  b: number;
  c: number;
}

function mix(s: Abc): void {
  let { a, b, c } = s;
  a = (a - c) >>> 0; a = (a ^ rol32(c, 4)) >>> 0; c = (c + b) >>> 0;
  b = (b - a) >>> 0; b = (b ^ rol32(a, 6)) >>> 0; a = (a + c) >>> 0;
  c = (c - b) >>> 0; c = (c ^ rol32(b, 8)) >>> 0; b = (b + a) >>> 0;
  a = (a - c) >>> 0; a = (a ^ rol32(c, 16)) >>> 0; c = (c + b) >>> 0;
  b = (b - a) >>> 0; b = (b ^ rol32(a, 19)) >>> 0; a = (a + c) >>> 0;
  c = (c - b) >>> 0; c = (c ^ rol32(b, 4)) >>> 0; b = (b + a) >>> 0;
  s.a = a; s.b = b; s.c = c;
}

function final(s: Abc): void {
  let { a, b, c } = s;
  c = (c ^ b) >>> 0; c = (c - rol32(b, 14)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol32(c, 11)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol32(a, 25)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol32(b, 16)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol32(c, 4)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol32(a, 14)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol32(b, 24)) >>> 0;
  s.a = a; s.b = b; s.c = c;
}

/** jhash2(k, length, initval): hash of 32-bit words. */
export function jhash2(words: readonly number[], initval: number): number {
  let len = words.length;
  const init = (JHASH_INITVAL + (len << 2) + initval) >>> 0;
  const s: Abc = { a: init, b: init, c: init };
  let i = 0;
  while (len > 3) {
    s.a = (s.a + words[i]) >>> 0;
    s.b = (s.b + words[i + 1]) >>> 0;
    s.c = (s.c + words[i + 2]) >>> 0;
    mix(s);
    len -= 3;
    i += 3;
  }
  if (len === 0) return s.c;
  if (len >= 3) s.c = (s.c + words[i + 2]) >>> 0;
  if (len >= 2) s.b = (s.b + words[i + 1]) >>> 0;
  s.a = (s.a + words[i]) >>> 0;
  final(s);
  return s.c;
}

/** jhash(key, length, initval): hash of bytes. */
export function jhash(key: Uint8Array, initval: number): number {
  let len = key.length;
  const init = (JHASH_INITVAL + len + initval) >>> 0;
  const s: Abc = { a: init, b: init, c: init };
  const le32 = (o: number): number => (key[o] | (key[o + 1] << 8) | (key[o + 2] << 16) | (key[o + 3] << 24)) >>> 0;
  let o = 0;
  while (len > 12) {
    s.a = (s.a + le32(o)) >>> 0;
    s.b = (s.b + le32(o + 4)) >>> 0;
    s.c = (s.c + le32(o + 8)) >>> 0;
    mix(s);
    len -= 12;
    o += 12;
  }
  if (len === 0) return s.c;
  const k = (i: number): number => key[o + i];
  // The kernel's fall-through switch on the remaining length.
  if (len >= 12) s.c = (s.c + (k(11) << 24)) >>> 0;
  if (len >= 11) s.c = (s.c + (k(10) << 16)) >>> 0;
  if (len >= 10) s.c = (s.c + (k(9) << 8)) >>> 0;
  if (len >= 9) s.c = (s.c + k(8)) >>> 0;
  if (len >= 8) s.b = (s.b + (k(7) << 24)) >>> 0;
  if (len >= 7) s.b = (s.b + (k(6) << 16)) >>> 0;
  if (len >= 6) s.b = (s.b + (k(5) << 8)) >>> 0;
  if (len >= 5) s.b = (s.b + k(4)) >>> 0;
  if (len >= 4) s.a = (s.a + (k(3) << 24)) >>> 0;
  if (len >= 3) s.a = (s.a + (k(2) << 16)) >>> 0;
  if (len >= 2) s.a = (s.a + (k(1) << 8)) >>> 0;
  s.a = (s.a + k(0)) >>> 0;
  final(s);
  return s.c;
}
