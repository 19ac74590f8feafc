// IPv6 text as glibc's inet_ntop prints it (what iproute2 and tcpdump show), checked on literal
// cases and against the C library itself (python3's socket.inet_ntop) on addresses dense in zero
// groups, where the compression and the embedded-IPv4 rules decide.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { compressIpv6Groups, formatIpv6, parseIpv6 } from './addr.ts';
import { bytesToIpv6, ipv6ToBytes } from '../wire/bytes.ts';
import { parseIpSloppy } from '../kube-proxy/ip.ts';

const hasPython = spawnSync('python3', ['-c', 'pass']).status === 0;

describe('IPv6 formatting', () => {
  it('inet_ntop forms: longest zero run first on a tie, dotted quad only for ::a.b.c.d and ::ffff:a.b.c.d', () => {
    const cases: Array<[string, string]> = [
      ['0:0:0:0:0:0:0:0', '::'],
      ['0:0:0:0:0:0:0:1', '::1'],
      ['0:0:0:0:0:0:0:2', '::2'],
      ['0:0:0:0:0:0:102:304', '::1.2.3.4'],
      ['0:0:0:0:0:ffff:0:0', '::ffff:0.0.0.0'],
      ['0:0:0:0:0:1:0:0', '::1:0:0'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
      ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
    ];
    for (const [full, want] of cases) {
      expect(formatIpv6(parseIpv6(full)!), full).toBe(want);
      expect(bytesToIpv6(ipv6ToBytes(full)), full).toBe(want);
    }
  });

  it('Go prints no dotted quad for IPv4-compatible addresses', () => {
    expect(parseIpSloppy('::1.2.3.4')!.text).toBe('::102:304');
    expect(compressIpv6Groups([0, 0, 0, 0, 0, 0, 0x102, 0x304])).toBe('::102:304');
  });

  it.skipIf(!hasPython)('equals the C library inet_ntop on 400 zero-dense addresses (python3 missing: skipped)', () => {
    // Deterministic addresses: each group zero, 1, ffff or a value, by a linear congruential walk.
    let x = 12345;
    const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31);
    const texts: string[] = [];
    for (let i = 0; i < 400; i++) {
      const g = Array.from({ length: 8 }, () => [0, 0, 0, 1, 0xffff, next() & 0xffff][next() % 6]);
      texts.push(g.map((v) => v.toString(16)).join(':'));
    }
    const py = 'import socket,sys\nfor t in sys.stdin.read().split():\n    print(socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, t)))';
    const r = spawnSync('python3', ['-c', py], { input: texts.join('\n'), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(texts.map((t) => formatIpv6(parseIpv6(t)!))).toEqual(r.stdout.trim().split('\n'));
  });
});

describe('IPv6 parsing', () => {
  const CASES = ['::', '::1', '1::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1::2::3', ':1', '1:', '::ffff:1.2.3.4', '::1.2.3.4', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', '::1:2:3:4:5:6:1.2.3.4', '::ffff:01.2.3.4', '::ffff:1.2.3', '::ffff:256.1.1.1', ':1.2.3.4', '12345::', 'fe80::1%eth0', 'g::1', '::1.2.3.4:5'];

  it('node-state and wire accept the same texts and read the same groups', () => {
    for (const t of CASES) {
      const v = parseIpv6(t);
      let b: Uint8Array | undefined;
      try {
        b = ipv6ToBytes(t);
      } catch {
        b = undefined;
      }
      expect(b === undefined, t).toBe(v === undefined);
      if (v !== undefined) expect(formatIpv6(v), t).toBe(bytesToIpv6(b!));
    }
  });

  it.skipIf(!hasPython)('accepts what the C library inet_pton accepts (python3 missing: skipped)', () => {
    const py = 'import socket,sys\nfor t in sys.stdin.read().split():\n    try: socket.inet_pton(socket.AF_INET6, t); print("ok")\n    except OSError: print("bad")';
    const r = spawnSync('python3', ['-c', py], { input: CASES.join('\n'), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(CASES.map((t) => (parseIpv6(t) === undefined ? 'bad' : 'ok'))).toEqual(r.stdout.trim().split('\n'));
  });
});
