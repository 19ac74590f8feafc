// iptablesCommand against what the real iptables/ip6tables v1.8.9 (nf_tables) binaries answered for
// the same sequence (testdata/commands-expected.json); with root the sequence is replayed live.

import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { iptablesCommand } from './command.ts';
import { emptyNetfilter, type NetfilterState } from './types.ts';
import { COMMAND_SEQUENCE } from './testdata/commands.ts';
import { netnsUsable } from './real-iptables.node.ts';

interface Answer {
  status: number;
  stdout: string;
  stderr: string;
}

const expected: Answer[] = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'testdata', 'commands-expected.json'), 'utf8'),
);

/** kubewire adds "  (explanation)" lines to stderr; the rest must be the tool's. */
const toolPart = (a: Answer): Answer => ({ ...a, stderr: a.stderr.replace(/^ {2}\(.*\)\n/gm, '') });

function simulate(): Answer[] {
  let v4: NetfilterState = emptyNetfilter();
  let v6: NetfilterState = emptyNetfilter();
  return COMMAND_SEQUENCE.map((c) => {
    const r = iptablesCommand(c.family === 6 ? v6 : v4, c.argv, { family: c.family });
    if (c.family === 6) v6 = r.state;
    else v4 = r.state;
    return toolPart({ status: r.status, stdout: r.stdout, stderr: r.stderr });
  });
}

describe('iptablesCommand', () => {
  const got = simulate();
  COMMAND_SEQUENCE.forEach((c, i) => {
    it(`${i}: ${c.family === 6 ? 'ip6tables' : 'iptables'} ${c.argv.join(' ')}`, () => {
      expect(got[i]).toEqual(expected[i]);
    });
  });

  it('a failed command leaves the state as it was', () => {
    const s = iptablesCommand(emptyNetfilter(), ['-N', 'X'], {}).state;
    const r = iptablesCommand(s, ['-A', 'INPUT', '-j', 'NOPE']);
    expect(r.status).toBe(2);
    expect(r.state).toBe(s);
  });
});

describe.skipIf(!netnsUsable())('iptablesCommand vs the real binaries now (needs root + ip netns)', () => {
  it('same answers for the whole sequence', () => {
    const ns = `kwt-${randomBytes(3).toString('hex')}-cmd`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      const real = COMMAND_SEQUENCE.map((c) => {
        const r = spawnSync('ip', ['netns', 'exec', ns, c.family === 6 ? 'ip6tables' : 'iptables', ...c.argv], { encoding: 'utf8' });
        return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
      });
      expect(simulate()).toEqual(real);
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
    }
  });
});
