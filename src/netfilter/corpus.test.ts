// Differential tests: the corpus in testdata/ through iptablesRestore + iptablesSave must print exactly
// what the real iptables-save v1.8.9 (nf_tables) printed (golden files), and — where root and
// network namespaces are available — what it prints right now.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { iptablesRestore } from './restore.ts';
import { iptablesSave } from './save.ts';
import { emptyNetfilter } from './types.ts';
import { CASES, type CorpusCase } from './testdata/cases.ts';
import { ipsetUsable, netnsUsable, nfacctUsable, realRestoreSave, referencedNfacct } from './real-iptables.node.ts';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const read = (f: string): string => readFileSync(join(dir, f), 'utf8');

function simulate(c: CorpusCase): string {
  let state = emptyNetfilter();
  for (const s of c.steps) {
    state = iptablesRestore(state, read(s.file), { family: c.family, noflush: s.noflush, counters: s.counters, file: s.file });
  }
  return iptablesSave(state, {
    family: c.family,
    counters: c.saveCounters,
    header: { version: 'v1.8.9 (nf_tables)', date: 'DATE' },
  });
}

describe('corpus vs golden iptables-save output', () => {
  for (const c of CASES) {
    it(c.name, () => {
      expect(simulate(c)).toBe(read(join('golden', `${c.name}.saved`)));
    });
  }
});

describe('saved form is a fixed point (restore of iptables-save output saves the same)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const saved = simulate(c);
      const again = iptablesSave(iptablesRestore(emptyNetfilter(), saved, { family: c.family, counters: c.saveCounters }), {
        family: c.family,
        counters: c.saveCounters,
        header: { version: 'v1.8.9 (nf_tables)', date: 'DATE' },
      });
      expect(again).toBe(saved);
    });
  }
});

const live = netnsUsable() && ipsetUsable();
/** Cases whose rules use nfacct objects need the nfacct tool to create them in the namespace. */
const needsNfacct = (c: CorpusCase): boolean => c.steps.some((s) => referencedNfacct(read(s.file)).length > 0);
const haveNfacct = live && nfacctUsable();

describe.skipIf(!live)('corpus vs the real iptables-restore/iptables-save in a fresh netns (needs root, ip netns, ipset)', () => {
  for (const c of CASES) {
    it.skipIf(needsNfacct(c) && !haveNfacct)(c.name, () => {
      const real = realRestoreSave(
        c.steps.map((s) => ({ ...s, text: read(s.file) })),
        { family: c.family, saveCounters: c.saveCounters },
      );
      expect(real.stderr).toBe('');
      expect(simulate(c)).toBe(real.saved);
    });
  }
  // What the lab does: load kubewire's iptables-save text into a real namespace.
  for (const c of CASES) {
    it.skipIf(needsNfacct(c) && !haveNfacct)(`${c.name}: kubewire's output loads into the real tool unchanged`, () => {
      const ours = simulate(c);
      const real = realRestoreSave([{ text: ours, counters: c.saveCounters }], { family: c.family, saveCounters: c.saveCounters });
      expect(real.stderr).toBe('');
      expect(real.saved).toBe(ours);
    });
  }
});
