// unifiedHunks against GNU diff -u (unambiguous edits) and, on random inputs, as a patch:
// applying the hunks to the old text must give the new one.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unifiedHunks } from './unified-diff.ts';

function gnuHunks(a: string, b: string): string | undefined {
  const d = mkdtempSync(join(tmpdir(), 'kwt-diff-'));
  try {
    writeFileSync(join(d, 'a'), a);
    writeFileSync(join(d, 'b'), b);
    const r = spawnSync('diff', ['-u', join(d, 'a'), join(d, 'b')], { encoding: 'utf8' });
    if (r.error) return undefined;
    return r.stdout.split('\n').slice(2).join('\n');
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

function apply(a: string, hunks: string): string {
  const old = a.split('\n').slice(0, -1);
  const out: string[] = [];
  let pos = 0;
  const hl = hunks.split('\n').slice(0, -1);
  for (let k = 0; k < hl.length; ) {
    const m = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@$/.exec(hl[k])!;
    expect(m).not.toBeNull();
    const start = Number(m[1]) - (m[2] === '0' ? 0 : 1);
    while (pos < start) out.push(old[pos++]);
    k++;
    while (k < hl.length && !hl[k].startsWith('@@')) {
      const t = hl[k][0];
      const line = hl[k].slice(1);
      if (t === ' ' || t === '-') {
        expect(old[pos]).toBe(line);
        pos++;
      }
      if (t === ' ' || t === '+') out.push(line);
      k++;
    }
  }
  while (pos < old.length) out.push(old[pos++]);
  return out.map((l) => l + '\n').join('');
}

const text = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i) + '\n').join('');

describe('unifiedHunks', () => {
  const cases: [string, string, string][] = [
    ['one line changed in the middle', text(20, (i) => `line ${i}`), text(20, (i) => (i === 10 ? 'changed' : `line ${i}`))],
    ['lines added at the end', text(5, (i) => `l${i}`), text(8, (i) => `l${i}`)],
    ['first line removed', text(6, (i) => `l${i}`), text(5, (i) => `l${i + 1}`)],
    ['two far-apart changes', text(30, (i) => `r${i}`), text(30, (i) => (i === 2 || i === 25 ? `x${i}` : `r${i}`))],
    ['insertion into an empty file', '', 'a\nb\n'],
  ];
  for (const [name, a, b] of cases) {
    it(`matches GNU diff -u: ${name}`, () => {
      const g = gnuHunks(a, b);
      if (g === undefined) return; // no diff binary: the patch property below still runs
      expect(unifiedHunks(a, b)).toBe(g);
    });
  }

  it('is empty for equal texts', () => {
    expect(unifiedHunks('a\nb\n', 'a\nb\n')).toBe('');
  });

  it('applies as a patch on random edits', () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const a = Array.from({ length: rnd(30) }, () => `v${rnd(6)}`);
      const b = a.filter(() => rnd(4) !== 0).flatMap((l) => (rnd(5) === 0 ? [l, `n${rnd(6)}`] : [l]));
      const at = a.map((l) => l + '\n').join('');
      const bt = b.map((l) => l + '\n').join('');
      expect(apply(at, unifiedHunks(at, bt))).toBe(bt);
    }
  });
});
