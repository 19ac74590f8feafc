// `kubewire lab verify` through the CLI binary, as CI runs it: the default cluster (VPC CNI, and
// switched to Calico VXLAN in its cluster file) with nginx x3, its Service and busybox; lab up,
// lab verify (exit 0, every flow agrees), -o json, and the refusal without a lab.
// Needs root; skips with the reason otherwise.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { labDown, rootCheck } from '../lab.node.ts';

const root = rootCheck();
const BIN = resolve(import.meta.dirname, '../../../bin/kubewire');
const PREFIX = 'kwx';

describe.skipIf(!root.ok)(`kubewire lab verify (${root.reason || 'root'})`, () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) {
      labDown({ runDir: join(d, 'run') });
      rmSync(d, { recursive: true, force: true });
    }
  });

  function cli() {
    const dir = mkdtempSync(join(tmpdir(), 'kw-verifycli-'));
    dirs.push(dir);
    const env = { ...process.env, KUBEWIRE_LAB_DIR: join(dir, 'run'), KUBEWIRE_LAB_PREFIX: PREFIX };
    return { dir, kw: (...args: string[]) => spawnSync(BIN, ['--state', join(dir, 'state'), ...args], { encoding: 'utf8', env, timeout: 120_000 }) };
  }

  for (const cni of ['vpc-cni', 'calico-vxlan'] as const) {
    it(`${cni}: lab verify agrees on every flow and exits 0; -o json; down`, () => {
      const { dir, kw } = cli();
      const create = ['cluster', 'create'];
      if (cni === 'calico-vxlan') {
        const file = kw('init').stdout.replace(/^# kubewire:$/m, 'kubewire:').replace(/^#   cni: calico-vxlan.*$/m, '  cni: calico-vxlan');
        writeFileSync(join(dir, 'cluster.yaml'), file);
        create.push('-f', join(dir, 'cluster.yaml'));
      }
      for (const a of [create, ['create', 'deployment', 'nginx', '--image=nginx', '--replicas=3', '--port=80'], ['expose', 'deployment', 'nginx', '--port=8080', '--target-port=80'], ['run', 'busybox', '--image=busybox', '--', 'sleep', '3600'], ['lab', 'up']]) {
        const r = kw(...a);
        expect(r.status, `${a.join(' ')}: ${r.stderr}`).toBe(0);
      }
      const v = kw('lab', 'verify');
      expect(v.status, v.stdout + v.stderr).toBe(0);
      expect(v.stdout).toMatch(/^node state: \d+ outputs compared, 0 differ/m);
      // No NodePort Service and no Service without endpoints in this cluster: 7 categories.
      expect(v.stdout).toMatch(/\n7\/7 flows agree\n$/);
      expect(v.stdout).toContain('skipped pod-nodeport: no NodePort Service with ready endpoints');
      expect(v.stderr).toContain('flow 7/7');
      // Pod addresses from the CNI's pool: the VPC's subnets, or Calico's default 172.16.0.0/16 on EKS.
      expect(v.stdout).toMatch(cni === 'calico-vxlan' ? /\(TCP 172\.16\./ : /\(TCP 192\.168\./);

      const j = kw('lab', 'verify', '-o', 'json', '--flows', '1', '--seed', '3', '--no-node-state');
      expect(j.status, j.stderr).toBe(0);
      const r = JSON.parse(j.stdout) as { flows: Array<{ agree: boolean; category: string }>; state?: unknown; agreeing: number; disagreements: number; seed: number };
      expect(r.seed).toBe(3);
      expect(r.flows.map((f) => f.category)).toEqual(['pod-pod-same-node']);
      expect(r.agreeing).toBe(1);
      expect(r.disagreements).toBe(0);
      expect(r.state).toBeUndefined();

      expect(kw('lab', 'down').status).toBe(0);
      const none = kw('lab', 'verify');
      expect(none.status).toBe(1);
      expect(none.stderr).toMatch(/^error: no lab is up \(lock .*lab\.lock\); run `kubewire lab up`\n$/);
    }, 150_000);
  }
});
