// Seeded random rules (testdata/gen-fuzz.node.ts): every option combination there, good or bad, must
// give exactly what the real iptables-restore/iptables-save v1.8.9 (nf_tables) gave — the saved
// table, or the same error text. The stored answers (fuzz-v4.json, fuzz-v6.json) come from the real
// tool; with root the same inputs are replayed against it.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KubewireError } from '../errors.ts';
import { iptablesRestore } from './restore.ts';
import { iptablesSave } from './save.ts';
import { emptyNetfilter, type TableName } from './types.ts';
import { normaliseError, runReal, type FuzzCase } from './testdata/gen-fuzz.node.ts';
import { ipsetUsable, netnsUsable } from './real-iptables.node.ts';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'testdata');

function simulate(family: 4 | 6, c: { table: string; text: string }): string {
  try {
    const st = iptablesRestore(emptyNetfilter(), c.text, { family });
    return iptablesSave(st, { family, tables: [c.table as TableName] })
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');
  } catch (e) {
    if (e instanceof KubewireError) return 'ERR ' + normaliseError(e.message);
    throw e;
  }
}

for (const family of [4, 6] as const) {
  const cases: FuzzCase[] = JSON.parse(readFileSync(join(dir, `fuzz-v${family}.json`), 'utf8'));

  describe(`random rules, IPv${family}, vs stored real output`, () => {
    it.each(cases.map((c, i) => [i, c] as const))('case %i', (_i, c) => {
      expect(simulate(family, c)).toBe(c.real);
    });
  });

  describe.skipIf(!(netnsUsable() && ipsetUsable()))(`random rules, IPv${family}, vs the real tool now (needs root, ip netns, ipset)`, () => {
    it('all cases', () => {
      const real = runReal(family, cases);
      const mismatches = real.filter((r) => simulate(family, r) !== r.real).map((r) => r.text);
      expect(mismatches).toEqual([]);
      expect(real.map((r) => r.real)).toEqual(cases.map((c) => c.real));
    });
  });
}
