// The demo's second half as a user sees it: migration to Calico VXLAN, restart, the leftover
// AWS SNAT breaking the wget, cleanup, the wget over vxlan.calico, and the capture files.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = resolve(__dirname, '..', '..', '..', 'bin', 'kubewire');
let dir: string;
let out: { stdout: string; stderr: string; code: number };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kw-demo-'));
  const r = spawnSync(BIN, ['--state', join(dir, 'state'), 'demo', '--out', join(dir, 'caps')], { cwd: dir, encoding: 'utf8' });
  out = { stdout: r.stdout, stderr: r.stderr, code: r.status ?? -1 };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kubewire demo, second half', () => {
  it('migrates, restarts, shows the leftover SNAT failure, cleans up and succeeds over vxlan.calico', () => {
    expect(out.code).toBe(0);
    const [first, second] = out.stdout.split('=== Second half');
    expect(first).toContain('<title>Welcome to nginx!</title>');
    expect(second).toContain('daemonset.apps "aws-node" deleted');
    expect(second).toMatch(/^nginx-\S+\s+1\/1\s+Running\s+0\s+\S+\s+192\.168\./m); // kept VPC IPs
    expect(second).toContain('deployment.apps/nginx restarted');
    expect(second).toMatch(/^default\s+nginx-\S+\s+1\/1\s+Running\s+0\s+\S+\s+172\.16\./m);
    const [broken, fixed] = second!.split('$ kubewire cni cleanup-aws-node');
    expect(broken).toMatch(/wget: (bad address|can't connect)/);
    expect(broken).toMatch(/=> SOURCE-DEST-CHECK at .* ens5: source 172\.16\.\d+\.\d+ is not an address of eni-/);
    expect(fixed).toContain('-X AWS-SNAT-CHAIN-0');
    expect(fixed).toContain('<title>Welcome to nginx!</title>');
    expect(fixed).toMatch(/via 172\.16\.\d+\.\d+ dev vxlan\.calico onlink/);
    // ens5 on busybox's node: only VXLAN between node IPs.
    const ens5 = fixed!.split('$ tcpdump -n -i ens5')[1]!.split('=== Captures')[0]!.trim().split('\n').slice(1);
    expect(ens5.length).toBeGreaterThan(4);
    for (const l of ens5.filter((x) => /^\d\d:/.test(x))) expect(l).toMatch(/^\S+ IP 192\.168\.\d+\.\d+\.\d+ > 192\.168\.\d+\.\d+\.4789: VXLAN, flags \[I\] \(0x08\), vni 4096$/);
  });

  it('writes pcapng captures of both halves to --out and lists them', () => {
    const files = readdirSync(join(dir, 'caps')).sort();
    expect(files).toEqual(expect.arrayContaining(['1-vpc-cni-path.pcapng', '3-calico-vxlan-path.pcapng']));
    expect(files.some((f) => /-ens5\.pcapng$/.test(f))).toBe(true);
    for (const f of files) {
      expect(out.stdout).toContain(join(dir, 'caps', f));
      expect(readFileSync(join(dir, 'caps', f)).readUInt32LE(0)).toBe(0x0a0d0d0a); // pcapng section header block
    }
  });
});
