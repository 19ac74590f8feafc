// Resource quantities (apimachinery resource.Quantity): parse, add, and print in canonical form.
// Values are kept in milli-units, exact for everything a node or pod spec holds.

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  milli: number;
  format: QuantityFormat;
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

export const ZERO: Quantity = { milli: 0, format: 'DecimalSI' };

/** Parses "100m", "2", "1.5Gi", "3858040Ki", "1e3"; undefined when malformed. */
export function parseQuantity(v: unknown): Quantity | undefined {
  if (typeof v === 'number') return { milli: Math.round(v * 1000), format: 'DecimalSI' };
  if (typeof v !== 'string') return undefined;
  const m = v.trim().match(/^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/);
  if (!m) return undefined;
  const num = Number(m[1]);
  if (m[3] !== undefined) return { milli: Math.round(num * 10 ** Number(m[3]) * 1000), format: 'DecimalExponent' };
  const suffix = m[2] ?? '';
  if (suffix in BINARY) return { milli: Math.round(num * BINARY[suffix] * 1000), format: 'BinarySI' };
  return { milli: Math.ceil(num * DECIMAL[suffix] * 1000 - 1e-9), format: 'DecimalSI' };
}

/** Sum keeping the format of the first operand (Quantity.Add). */
export function addQuantity(a: Quantity, b: Quantity): Quantity {
  return { milli: a.milli + b.milli, format: a.format };
}

/** Quantity.String(): canonical form. */
export function quantityString(q: Quantity | undefined): string {
  if (!q || q.milli === 0) return '0';
  const milli = q.milli;
  if (q.format === 'BinarySI' && Math.abs(milli) >= 1024 * 1000 && milli % 1000 === 0) {
    let units = milli / 1000;
    const suffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
    let k = 0;
    while (k < 6 && units % 1024 === 0) {
      units /= 1024;
      k++;
    }
    return `${units}${suffixes[k]}`;
  }
  // Decimal: mantissa times 10^(3k), with the largest k that keeps the mantissa an integer.
  const suffixes: Record<number, string> = { [-1]: 'm', 0: '', 1: 'k', 2: 'M', 3: 'G', 4: 'T', 5: 'P', 6: 'E' };
  let mant = milli;
  let k = -1;
  while (k < 6 && mant % 1000 === 0) {
    mant /= 1000;
    k++;
  }
  if (q.format === 'DecimalExponent') return k === 0 ? `${mant}` : `${mant}e${k * 3}`;
  return `${mant}${suffixes[k]}`;
}

/** Value in whole units rounded up (Quantity.Value). */
export function quantityValue(q: Quantity | undefined): number {
  return q ? Math.ceil(q.milli / 1000) : 0;
}
