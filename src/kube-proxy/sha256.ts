// SHA-256 (FIPS 180-4) over bytes, synchronous and browser-safe (Web Crypto is async only).
// Used for kube-proxy's chain-name hashes, so it only needs to be correct and quick on short input.

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const W = new Uint32Array(64);
const H = new Uint32Array(8);
let block = new Uint8Array(256);

/** Compresses the padded message in `buf[0..len)` (a multiple of 64 bytes) into H. */
function compress(buf: Uint8Array, len: number): void {
  let h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a;
  let h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
  for (let off = 0; off < len; off += 64) {
    for (let i = 0; i < 16; i++) {
      const j = off + i * 4;
      W[i] = ((buf[j] << 24) | (buf[j + 1] << 16) | (buf[j + 2] << 8) | buf[j + 3]) >>> 0;
    }
    for (let i = 16; i < 64; i++) {
      const a = W[i - 15], b = W[i - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) >>> 0;
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + S1 + ch + K[i] + W[i]) >>> 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) >>> 0;
      h = g; g = f; f = e; e = (d + t1) >>> 0;
      d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    h0 = (h0 + a) >>> 0; h1 = (h1 + b) >>> 0; h2 = (h2 + c) >>> 0; h3 = (h3 + d) >>> 0;
    h4 = (h4 + e) >>> 0; h5 = (h5 + f) >>> 0; h6 = (h6 + g) >>> 0; h7 = (h7 + h) >>> 0;
  }
  H[0] = h0; H[1] = h1; H[2] = h2; H[3] = h3; H[4] = h4; H[5] = h5; H[6] = h6; H[7] = h7;
}

/** Pads `n` message bytes already in `block` and hashes them into H. */
function hashBlock(n: number): void {
  const len = ((n + 9 + 63) >> 6) << 6;
  block.fill(0, n, len);
  block[n] = 0x80;
  const bitLen = n * 8;
  const hi = Math.floor(bitLen / 0x100000000);
  const lo = bitLen >>> 0;
  block[len - 8] = hi >>> 24; block[len - 7] = (hi >>> 16) & 255; block[len - 6] = (hi >>> 8) & 255; block[len - 5] = hi & 255;
  block[len - 4] = lo >>> 24; block[len - 3] = (lo >>> 16) & 255; block[len - 2] = (lo >>> 8) & 255; block[len - 1] = lo & 255;
  compress(block, len);
}

function ensureBlock(n: number): void {
  const need = (((n + 9 + 63) >> 6) << 6);
  if (block.length < need) block = new Uint8Array(need * 2);
}

function digestBytes(): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    out[i * 4] = H[i] >>> 24; out[i * 4 + 1] = (H[i] >>> 16) & 255; out[i * 4 + 2] = (H[i] >>> 8) & 255; out[i * 4 + 3] = H[i] & 255;
  }
  return out;
}

/** SHA-256 digest (32 bytes) of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  ensureBlock(data.length);
  block.set(data);
  hashBlock(data.length);
  return digestBytes();
}

const encoder = new TextEncoder();

/** Hashes the UTF-8 encoding of `s` into the internal state (ASCII fast path). */
function hashString(s: string): void {
  let ascii = true;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) { ascii = false; break; }
  if (ascii) {
    ensureBlock(s.length);
    for (let i = 0; i < s.length; i++) block[i] = s.charCodeAt(i);
    hashBlock(s.length);
  } else {
    const bytes = encoder.encode(s);
    ensureBlock(bytes.length);
    block.set(bytes);
    hashBlock(bytes.length);
  }
}

/** SHA-256 of the UTF-8 encoding of `s`. */
export function sha256Utf8(s: string): Uint8Array {
  hashString(s);
  return digestBytes();
}

/** SHA-256 of the UTF-8 encoding of `s` as eight big-endian words (a shared buffer: copy to keep). */
export function sha256Utf8Words(s: string): Uint32Array {
  hashString(s);
  return H;
}
