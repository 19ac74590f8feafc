// `kubewire lab` end to end through the CLI binary: up, status, diff, ssh, exec and capture (real
// tools in the lab's namespaces), the refusals, and down. Needs root; skips with the reason otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { rootCheck } from './lab.node.ts';
import { loadState } from '../cli/state-store.ts';
import { normalizeVolatile } from './diff.node.ts';

const root = rootCheck();
const BIN = resolve(import.meta.dirname, '../../bin/kubewire');

describe.skipIf(!root.ok)(`kubewire lab (${root.reason || 'root'})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-labcli-'));
  const stateDir = join(dir, 'state');
  const env = { ...process.env, KUBEWIRE_LAB_DIR: join(dir, 'run'), KUBEWIRE_LAB_PREFIX: 'kwc' };
  const kw = (...args: string[]) => spawnSync(BIN, ['--state', stateDir, ...args], { encoding: 'utf8', env, timeout: 120_000 });
  let pods: string[] = [];

  beforeAll(() => {
    for (const a of [['cluster', 'create'], ['create', 'deployment', 'nginx', '--image=nginx', '--replicas=3', '--port=80']]) {
      const r = kw(...a);
      if (r.status !== 0) throw new Error(`${a.join(' ')}: ${r.stderr}`);
    }
    pods = kw('get', 'pods', '-o', 'name').stdout.trim().split('\n').map((l) => l.replace(/^pod\//, ''));
    const up = kw('lab', 'up');
    if (up.status !== 0) throw new Error(`lab up: ${up.stderr}`);
  }, 120_000);
  afterAll(() => {
    kw('lab', 'down');
    rmSync(dir, { recursive: true, force: true });
  });

  it('up prints progress; a second up is refused', () => {
    const r = kw('lab', 'up');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: a lab is already up \(id [0-9a-f]{4}/);
  });

  it('status lists the fabric, the nodes and the pod namespaces', () => {
    const r = kw('lab', 'status');
    expect(r.stdout).toMatch(/^lab [0-9a-f]{4} since /);
    expect(r.stdout).toMatch(/fabric kwc-[0-9a-f]{4}-vpc/);
    expect(r.stdout.match(/kwc-[0-9a-f]{4}-n\dp\d/g)).toHaveLength(5);
  });

  it('diff: no differences', () => {
    const r = kw('lab', 'diff');
    expect(r.stdout).toBe('80 outputs compared, 0 differ\n');
    expect(r.status).toBe(0);
  });

  it('ssh runs the real ip and iptables-save in the node namespace: same text as kubewire ssh', () => {
    const node = 'ip-192-168-23-84';
    // Namespace names as on EKS (cni-... for pods, none for the root): the same text as the simulator.
    for (const argv of [['ip', 'rule'], ['ip', 'link'], ['ip', 'addr']]) {
      const real = kw('lab', 'ssh', node, '--', ...argv);
      expect(real.status, real.stderr).toBe(0);
      // (DHCP lifetimes count down in the kernel; see normalizeVolatile.)
      expect(normalizeVolatile(argv.join(' '), real.stdout)).toBe(normalizeVolatile(argv.join(' '), kw('ssh', node, '--', ...argv).stdout));
    }
    expect(kw('lab', 'ssh', node, '--', 'iptables-save', '-t', 'nat').stdout).toContain('-A KUBE-SERVICES');
    expect(kw('lab', 'ssh', node, '--', 'conntrack', '-L').status).toBe(0);
  });

  it('exec runs in the pod namespace: ip addr/link as kubewire exec shows them, busybox ping across nodes', () => {
    const state = loadState(stateDir).state;
    const [a, b] = pods;
    for (const argv of [['ip', 'addr'], ['ip', 'route']]) {
      expect(kw('lab', 'exec', a, '--', ...argv).stdout).toBe(kw('exec', a, '--', ...argv).stdout);
    }
    const bIp = kw('get', 'pod', b, '-o', 'jsonpath={.status.podIP}').stdout.trim() || (state.objects[`Pod/default/${b}`] as unknown as { status: { podIP: string } }).status.podIP;
    const ping = kw('lab', 'exec', a, '--', 'ping', '-c', '1', bIp);
    expect(ping.stdout, ping.stderr).toContain('1 packets received');
  });

  it('exec wget reaches nginx on another pod; capture -r writes the pcap and prints it with the real tcpdump', () => {
    const [a, b] = pods;
    const bIp = (loadState(stateDir).state.objects[`Pod/default/${b}`] as unknown as { status: { podIP: string } }).status.podIP;
    const out = join(dir, 'cap.pcap');
    const r = kw('lab', 'capture', '-i', `${a}:eth0`, '-w', out, '-r', '--', 'exec', a, '--', 'wget', '-qO-', `http://${bIp}/`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('<title>Welcome to nginx!</title>');
    expect(r.stdout).toMatch(new RegExp(`IP \\S+ > ${bIp.replace(/\./g, '\\.')}\\.80: Flags \\[P\\.\\].*HTTP: GET / HTTP/1\\.1`));
    expect(r.stderr).toMatch(new RegExp(`default/${a}:eth0: \\d+ packets captured`));
    const t = spawnSync('tcpdump', ['-n', '-r', out], { encoding: 'utf8' });
    expect(t.stdout).toContain('HTTP: HTTP/1.1 200 OK');
    expect(kw('lab', 'capture', '-i', 'nosuch:eth0', '-w', out, '--', 'exec', a, '--', 'ping', '-c', '1', bIp).stderr).toMatch(/^error: -i nosuch:eth0: "nosuch" is neither a node/);
  });

  it('refuses tools outside the list and unknown pods', () => {
    const r = kw('lab', 'ssh', 'ip-192-168-23-84', '--', 'rm', '-rf', '/tmp/x');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('not "rm"');
    expect(kw('lab', 'exec', 'nope', '--', 'ip', 'addr').stderr).toContain('pods "nope" not found');
  });

  it('down removes it; down again says so', () => {
    expect(kw('lab', 'down').stdout).toMatch(/^removed lab [0-9a-f]{4}: 9 namespaces\n$/);
    expect(kw('lab', 'down').stdout).toBe('no lab to remove\n');
    expect(kw('lab', 'status').stdout).toBe('no lab is up\n');
    expect(kw('lab', 'ssh', 'ip-192-168-23-84', '--', 'ip', 'addr').stderr).toMatch(/no lab is up/);
  });
});
