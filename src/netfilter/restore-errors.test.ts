// Bad restore input: the KubewireError carries the real iptables-restore v1.8.9 (nf_tables) wording
// (testdata/errors.json holds what the real tool printed, with the usage hint line dropped) plus a
// kubewire explanation in parentheses, and points at the offending line of the input.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KubewireError } from '../errors.ts';
import { iptablesRestore } from './restore.ts';
import { emptyNetfilter } from './types.ts';
import { netnsUsable, realRestoreSave } from './real-iptables.node.ts';

interface ErrorCase {
  name: string;
  family: 4 | 6;
  text: string;
  /** Real stderr, trailing blanks and empty lines and the "Try `iptables-restore -h'" line removed. */
  real: string;
  /** The line kubewire blames (the offending command, even where the real tool reports COMMIT). */
  line: number;
}

const cases: ErrorCase[] = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'testdata', 'errors.json'), 'utf8'),
);

const VAGUE = new Set([
  'jump to unknown chain',
  'append to undeclared chain',
  'delete referenced chain',
  'delete non-empty chain',
  'commit outside table',
  'rule outside table',
  'delete built-in chain',
  'DNAT in filter',
  'negated any address',
  'goto built-in',
  'TCPMSS without SYN match',
  'DNAT reached from POSTROUTING via a jump',
  'DNAT added below a POSTROUTING jump',
  'DNAT two jumps below POSTROUTING',
  'rpfilter below INPUT',
  'forward reference',
  'unknown match',
  'missing COMMIT',
  'bad argument',
  'nested table',
]);

const normalise = (s: string): string =>
  s
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .filter((l) => l !== '' && !l.startsWith('Try `') && !l.startsWith('  ('))
    .join('\n');

function kubewireError(c: ErrorCase): KubewireError {
  try {
    iptablesRestore(emptyNetfilter(), c.text, { family: c.family, file: 'input.rules' });
  } catch (e) {
    if (e instanceof KubewireError) return e;
    throw e;
  }
  throw new Error(`${c.name}: no error raised`);
}

describe('iptablesRestore errors match the real tool', () => {
  for (const c of cases) {
    it(c.name, () => {
      const e = kubewireError(c);
      expect(normalise(e.message)).toBe(c.real);
      expect(e.where).toEqual({ file: 'input.rules', line: c.line });
      // Where the tool's own words are vague, kubewire adds what is wrong.
      if (VAGUE.has(c.name)) expect(e.message).toMatch(/\n {2}\(.+\)$/);
    });
  }

  it('explains an unknown jump target and names the offending line, not only COMMIT', () => {
    const e = kubewireError(cases.find((c) => c.name === 'jump to unknown chain')!);
    expect(e.message).toContain('Error occurred at line: 6');
    expect(e.message).toContain('line 2 jumps to NOPE');
    expect(e.where?.line).toBe(2);
  });

  it('explains which rule still references a chain that is deleted', () => {
    const e = kubewireError(cases.find((c) => c.name === 'delete referenced chain')!);
    expect(e.message).toContain('FOO is still referenced from INPUT rule 1');
  });

  it('with --counters a chain line needs valid counters (real text: invalid policy counters)', () => {
    for (const [text, line] of [
      ['*filter\n:INPUT DROP [a:b]\nCOMMIT\n', 2],
      ['*filter\n:INPUT DROP [1:2]\n:INPUT ACCEPT\nCOMMIT\n', 3],
    ] as const) {
      let err: KubewireError | undefined;
      try {
        iptablesRestore(emptyNetfilter(), text, { counters: true, file: 'c.rules' });
      } catch (e) {
        err = e as KubewireError;
      }
      expect(normalise(err!.message)).toBe(
        `iptables-restore v1.8.9 (nf_tables): invalid policy counters for chain 'INPUT'\nError occurred at line: ${line}`,
      );
    }
    // Without --counters they are ignored.
    expect(() => iptablesRestore(emptyNetfilter(), '*filter\n:INPUT DROP [a:b]\nCOMMIT\n')).not.toThrow();
  });

  it('an error leaves the input state untouched (pure function)', () => {
    const before = iptablesRestore(emptyNetfilter(), '*filter\n:A - [0:0]\nCOMMIT\n');
    const snapshot = JSON.stringify(before);
    expect(() => iptablesRestore(before, '*filter\n-X A\n-A INPUT -j NOPE\nCOMMIT\n', { noflush: true })).toThrow(KubewireError);
    expect(JSON.stringify(before)).toBe(snapshot);
  });
});

describe.skipIf(!netnsUsable())('error texts vs the real iptables-restore now (needs root + ip netns)', () => {
  for (const c of cases) {
    it(c.name, () => {
      const r = realRestoreSave([{ text: c.text }], { family: c.family });
      expect(r.ok).toBe(false);
      expect(normalise(r.stderr)).toBe(c.real);
      expect(normalise(kubewireError(c).message)).toBe(normalise(r.stderr));
    });
  }
});
