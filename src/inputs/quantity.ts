// resource.Quantity: parse ("250m", "64Mi", "1e3", 2), compare exactly, and print in the canonical
// form the API server returns (Quantity.String()): "2000m" → "2", "1000" → "1k", "1024Mi" → "1Gi".
// Pure and browser-safe.

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** Exact value as a fraction num/den (den > 0). */
  num: bigint;
  den: bigint;
  format: QuantityFormat;
}

const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b) [a, b] = [b, a % b];
  return a;
}
function make(num: bigint, den: bigint, format: QuantityFormat): Quantity {
  const g = gcd(num, den) || 1n;
  return { num: num / g, den: den / g, format };
}

/** resource.ParseQuantity; null when the text is not a quantity. Values are rounded up to 1n like the API server. */
export function parseQuantity(v: string | number): Quantity | null {
  const text = typeof v === 'number' ? String(v) : v.trim();
  const m = /^([+-]?)([0-9]+\.?[0-9]*|\.[0-9]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/.exec(text);
  if (!m) return null;
  const sign = m[1] === '-' ? -1n : 1n;
  const [whole = '', frac = ''] = m[2]!.split('.');
  let num = BigInt((whole || '0') + frac) * sign;
  let den = 10n ** BigInt(frac.length);
  const suffix = m[3]!;
  let format: QuantityFormat;
  if (suffix in DECIMAL) {
    format = 'DecimalSI';
    const e = DECIMAL[suffix]!;
    if (e >= 0) num *= 10n ** BigInt(e);
    else den *= 10n ** BigInt(-e);
  } else if (suffix in BINARY) {
    format = 'BinarySI';
    num *= 2n ** BigInt(BINARY[suffix]!);
  } else if (/^[eE][-+]?[0-9]+$/.test(suffix)) {
    format = 'DecimalExponent';
    const e = Number(suffix.slice(1));
    if (e >= 0) num *= 10n ** BigInt(e);
    else den *= 10n ** BigInt(-e);
  } else {
    return null;
  }
  // round up (away from zero) to nano units
  const nanos = num * 1_000_000_000n;
  let n = nanos / den;
  if (n * den !== nanos) n += num > 0n ? 1n : -1n;
  return make(n, 1_000_000_000n, format);
}

/** -1, 0 or 1. */
export function compareQuantity(a: Quantity, b: Quantity): number {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
}

/** Quantity.String(): the canonical text. */
export function formatQuantity(q: Quantity): string {
  let format = q.format;
  const isInt = q.num % q.den === 0n;
  if (format === 'BinarySI') {
    const abs = q.num < 0n ? -q.num : q.num;
    if (abs < 1024n * q.den || !isInt) format = 'DecimalSI';
  }
  if (format === 'BinarySI') {
    let n = q.num / q.den;
    let k = 0;
    while (k < 6 && n !== 0n && n % 1024n === 0n) {
      n /= 1024n;
      k++;
    }
    return `${n}${['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'][k]}`;
  }
  // decimal: integer mantissa × 10^e, e a multiple of 3 in [-9, 18], as large as possible
  if (q.num === 0n) return '0';
  let e = -9;
  let mant = (q.num * 1_000_000_000n) / q.den;
  while (e < 18 && mant % 1000n === 0n) {
    mant /= 1000n;
    e += 3;
  }
  if (format === 'DecimalExponent') return e === 0 ? `${mant}` : `${mant}e${e}`;
  const suffix = Object.entries(DECIMAL).find(([, x]) => x === e)![0];
  return `${mant}${suffix}`;
}
