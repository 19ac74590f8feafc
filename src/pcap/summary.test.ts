// summary.ts against real tcpdump: the committed real captures and a capture built with the
// codecs are printed by `TZ=UTC tcpdump -n -r` and by us; the text must be identical.

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadTestCapture, realTcpdump } from '../wire/testing.node.ts';
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
  for (const name of ['lab-capture.pcap', 'busybox-wget.pcap', 'glibc-nxdomain.pcap', 'busybox-nslookup.pcap']) {
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
