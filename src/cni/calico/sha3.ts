// SHA3-224 (FIPS 202: Keccak-f[1600], rate 1152 bits, domain padding 0x06), browser-safe, for Felix's
// policy-group chain names (felix/rules: PolicyGroup.UniqueID hashes with sha3.New224).

const RC: Array<[number, number]> = [
  [0x00000001, 0x00000000], [0x00008082, 0x00000000], [0x0000808a, 0x80000000], [0x80008000, 0x80000000],
  [0x0000808b, 0x00000000], [0x80000001, 0x00000000], [0x80008081, 0x80000000], [0x00008009, 0x80000000],
  [0x0000008a, 0x00000000], [0x00000088, 0x00000000], [0x80008009, 0x00000000], [0x8000000a, 0x00000000],
  [0x8000808b, 0x00000000], [0x0000008b, 0x80000000], [0x00008089, 0x80000000], [0x00008003, 0x80000000],
  [0x00008002, 0x80000000], [0x00000080, 0x80000000], [0x0000800a, 0x00000000], [0x8000000a, 0x80000000],
  [0x80008081, 0x80000000], [0x00008080, 0x80000000], [0x80000001, 0x00000000], [0x80008008, 0x80000000],
];
/** Rotation offsets r[x + 5y]. */
const ROT = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14];

/** Lanes as [lo, hi] 32-bit halves; state index x + 5y. */
function keccakF(lo: Uint32Array, hi: Uint32Array): void {
  const cl = new Uint32Array(5);
  const ch = new Uint32Array(5);
  const bl = new Uint32Array(25);
  const bh = new Uint32Array(25);
  for (let round = 0; round < 24; round++) {
    // θ
    for (let x = 0; x < 5; x++) {
      cl[x] = lo[x]! ^ lo[x + 5]! ^ lo[x + 10]! ^ lo[x + 15]! ^ lo[x + 20]!;
      ch[x] = hi[x]! ^ hi[x + 5]! ^ hi[x + 10]! ^ hi[x + 15]! ^ hi[x + 20]!;
    }
    for (let x = 0; x < 5; x++) {
      const l1 = cl[(x + 1) % 5]!;
      const h1 = ch[(x + 1) % 5]!;
      const dl = cl[(x + 4) % 5]! ^ ((l1 << 1) | (h1 >>> 31));
      const dh = ch[(x + 4) % 5]! ^ ((h1 << 1) | (l1 >>> 31));
      for (let y = 0; y < 25; y += 5) {
        lo[x + y] = lo[x + y]! ^ dl;
        hi[x + y] = hi[x + y]! ^ dh;
      }
    }
    // ρ and π: B[y, 2x+3y] = rot(A[x, y], r[x, y])
    for (let x = 0; x < 5; x++) {
      for (let y = 0; y < 5; y++) {
        const i = x + 5 * y;
        const r = ROT[i]!;
        let l = lo[i]!;
        let h = hi[i]!;
        if (r >= 32) {
          const t = l;
          l = h;
          h = t;
        }
        const s = r % 32;
        const nl = s === 0 ? l : (l << s) | (h >>> (32 - s));
        const nh = s === 0 ? h : (h << s) | (l >>> (32 - s));
        const j = y + 5 * ((2 * x + 3 * y) % 5);
        bl[j] = nl;
        bh[j] = nh;
      }
    }
    // χ
    for (let y = 0; y < 25; y += 5) {
      for (let x = 0; x < 5; x++) {
        lo[x + y] = bl[x + y]! ^ (~bl[((x + 1) % 5) + y]! & bl[((x + 2) % 5) + y]!);
        hi[x + y] = bh[x + y]! ^ (~bh[((x + 1) % 5) + y]! & bh[((x + 2) % 5) + y]!);
      }
    }
    // ι
    lo[0] = lo[0]! ^ RC[round]![0];
    hi[0] = hi[0]! ^ RC[round]![1];
  }
}

export function sha3_224(data: Uint8Array): Uint8Array {
  const rate = 144;
  const padded = new Uint8Array(Math.floor(data.length / rate) * rate + rate);
  padded.set(data);
  padded[data.length] ^= 0x06;
  padded[padded.length - 1]! ^= 0x80;
  const lo = new Uint32Array(25);
  const hi = new Uint32Array(25);
  for (let off = 0; off < padded.length; off += rate) {
    for (let i = 0; i < rate / 8; i++) {
      const p = off + i * 8;
      lo[i] = lo[i]! ^ (padded[p]! | (padded[p + 1]! << 8) | (padded[p + 2]! << 16) | (padded[p + 3]! << 24));
      hi[i] = hi[i]! ^ (padded[p + 4]! | (padded[p + 5]! << 8) | (padded[p + 6]! << 16) | (padded[p + 7]! << 24));
    }
    keccakF(lo, hi);
  }
  const out = new Uint8Array(28);
  for (let i = 0; i < 28; i++) {
    const lane = i >> 3;
    const b = i & 7;
    out[i] = b < 4 ? (lo[lane]! >>> (8 * b)) & 0xff : (hi[lane]! >>> (8 * (b - 4))) & 0xff;
  }
  return out;
}
