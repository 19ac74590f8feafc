// summary.ts against real tcpdump: the committed real captures and a capture built with the
// codecs are printed by `TZ=UTC tcpdump -n -r` and by us; the text must be identical.

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadTestCapture, realTcpdump } from '../wire/testing.node.ts';
import { labUnavailable } from '../wire/lab.node.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatTimestamp, tcpdumpText } from './summary.ts';

function hasTcpdump(): boolean {
  try {
    execFileSync('tcpdump', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('timestamps', () => {
  it('prints HH:MM:SS.micro in UTC', () => {
    expect(formatTimestamp(Date.UTC(2026, 0, 1, 12, 0, 0) * 1000 + 1)).toBe('12:00:00.000001');
  });
});

const skip = hasTcpdump() ? undefined : 'needs tcpdump';
describe.skipIf(skip !== undefined)(`same text as tcpdump -n${skip ? ` — skipped: ${skip}` : ''}`, () => {
  for (const name of ['lab-capture.pcap', 'busybox-wget.pcap', 'glibc-nxdomain.pcap', 'busybox-nslookup.pcap', 'nat-client-side.pcap', 'nat-server-side.pcap', 'ipv6.pcap']) {
    it(name, () => {
      const pcap = loadTestCapture(name);
      expect(tcpdumpText(pcap)).toBe(realTcpdump(pcap));
    });
    it(`${name} with -e`, () => {
      const pcap = loadTestCapture(name);
      expect(tcpdumpText(pcap, { link: true })).toBe(realTcpdump(pcap, ['-e']));
    });
    it(`${name} with -v and -v -e`, () => {
      const pcap = loadTestCapture(name);
      expect(tcpdumpText(pcap, { verbose: true })).toBe(realTcpdump(pcap, ['-v']));
      expect(tcpdumpText(pcap, { verbose: true, link: true })).toBe(realTcpdump(pcap, ['-v', '-e']));
    });
  }
});

const nsWhy = labUnavailable();
describe.skipIf(nsWhy !== undefined)(`tcpdump -i any captures (LINUX_SLL2)${nsWhy ? ` — skipped: ${nsWhy}` : ''}`, () => {
  it('same text as tcpdump reading it in an empty namespace (only lo resolves)', () => {
    const pcap = loadTestCapture('any-sll2.pcap');
    const ns = `kwt-${Math.random().toString(36).slice(2, 8)}-r`;
    const dir = mkdtempSync(join(tmpdir(), 'kwt-sll-'));
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      const f = join(dir, 'a.pcap');
      writeFileSync(f, pcap);
      for (const args of [[], ['-e'], ['-v'], ['-v', '-e']]) {
        const real = execFileSync('ip', ['netns', 'exec', ns, 'tcpdump', '-n', ...args, '-r', f], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' }, stdio: ['ignore', 'pipe', 'ignore'] });
        expect(tcpdumpText(pcap, { link: args.includes('-e'), verbose: args.includes('-v'), interfaceNames: { 1: 'lo' } })).toBe(real);
      }
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
