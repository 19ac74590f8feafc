import { describe, expect, it } from 'vitest';
import { goSort } from './gosort.ts';

describe("Go's sort.Sort (pdqsort)", () => {
  it('sorts', () => {
    const xs = Array.from({ length: 200 }, (_, i) => (i * 7919) % 211);
    expect(goSort([...xs], (a, b) => a < b)).toEqual([...xs].sort((a, b) => a - b));
  });

  it('keeps the input order of equal elements up to 12 elements (insertion sort)', () => {
    const xs = [{ k: 1, n: 'a' }, { k: 0, n: 'b' }, { k: 1, n: 'c' }, { k: 0, n: 'd' }];
    expect(goSort(xs, (a, b) => a.k < b.k).map((x) => x.n).join('')).toBe('bdac');
  });

  it('reorders equal elements beyond 12 as Go does', () => {
    // Traced by hand through pdqsort: choosePivot picks index 6, partialInsertionSort gives up
    // (fewer than 50 elements), partition swaps the pivot to the front and the 0 into slot 1,
    // then insertion sort leaves the remaining equal keys where partition put them.
    const names = 'abcdefghijkl'.split('');
    const xs = [...names.map((n) => ({ k: 1, n })), { k: 0, n: 'm' }];
    expect(goSort(xs, (a, b) => a.k < b.k).map((x) => x.n).join('')).toBe('mgcdefahijklb');
  });

  it('leaves already sorted input alone', () => {
    const xs = Array.from({ length: 40 }, (_, i) => ({ k: Math.floor(i / 10), i }));
    expect(goSort([...xs], (a, b) => a.k < b.k)).toEqual(xs);
  });
});
