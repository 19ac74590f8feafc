// The new user's path through the CLI: each test runs bin/kubewire as a process on its own state dir.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../src/cli/main.ts';

const BIN = resolve(__dirname, '..', 'bin', 'kubewire');
const EXAMPLES = resolve(__dirname, '..', 'examples');

let dir: string;
function kw(...args: string[]): { stdout: string; stderr: string; code: number } {
  const r = spawnSync(BIN, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, KUBEWIRE_STATE: join(dir, 'state') } });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status ?? -1 };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kw-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('kubewire CLI', () => {
  it('creates the default cluster and places the seed nginx Deployment on three nodes', () => {
    expect(kw('cluster', 'create').code).toBe(0);
    const applied = kw('apply', '-f', join(EXAMPLES, 'nginx.yaml'));
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toMatch(/^deployment\.apps\/nginx created$/m);
    expect(applied.stdout).toMatch(/^service\/nginx created$/m);
    expect(kw('apply', '-f', join(EXAMPLES, 'nginx.yaml')).stdout).toMatch(/^deployment\.apps\/nginx unchanged$/m);

    const pods = kw('get', 'pods', '-o', 'wide');
    const rows = pods.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/));
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(r[0]).toMatch(/^nginx-[a-z0-9]{8,10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(r[2]).toBe('Running');
    }
    expect(new Set(rows.map((r) => r[6])).size).toBe(3); // spread over the three nodes
  });

  it('shows the Service, its EndpointSlice and each pod in the slice', () => {
    const svc = kw('get', 'svc', 'nginx', '-o', 'json');
    const s = JSON.parse(svc.stdout);
    expect(s.spec.ports[0]).toMatchObject({ port: 8080, targetPort: 80, protocol: 'TCP' });
    expect(s.spec.clusterIP).toMatch(/^10\.100\./);
    const slices = JSON.parse(kw('get', 'endpointslices', '-o', 'json').stdout).items;
    const slice = slices.find((x: any) => x.metadata.labels['kubernetes.io/service-name'] === 'nginx');
    const podIps = JSON.parse(kw('get', 'pods', '-o', 'json').stdout).items.map((p: any) => p.status.podIP).sort();
    expect(slice.endpoints.flatMap((e: any) => e.addresses).sort()).toEqual(podIps);
  });

  it("prints a node's and a pod's namespace state with the real tools' syntax", () => {
    const node = kw('get', 'nodes', '-o', 'name').stdout.split('\n')[0].replace('node/', '');
    const route = kw('ssh', node, '--', 'ip', 'route');
    expect(route.code).toBe(0);
    expect(route.stdout).toMatch(/^default via 192\.168\.\d+\.1 dev ens5 proto dhcp src 192\.168\.\d+\.\d+ metric 512 $/m);
    expect(kw("ssh", node, "--", "ip", "link", "show", "ens5").stdout).toMatch(/^    altname enp0s5$/m);
    const save = kw('ssh', node, '--', 'iptables-save', '-t', 'nat');
    expect(save.stdout).toMatch(/^\*nat$/m);
    expect(save.stdout).toMatch(/^-A KUBE-SERVICES -d 10\.100\.\d+\.\d+\/32 -p tcp -m comment --comment "default\/nginx cluster IP" -m tcp --dport 8080 -j KUBE-SVC-/m);
    const pod = JSON.parse(kw('get', 'pods', '-o', 'json').stdout).items[0];
    const addr = kw('exec', pod.metadata.name, '--', 'ip', 'addr');
    expect(addr.stdout).toContain(`inet ${pod.status.podIP}/32 scope global eth0`);
    expect(kw('exec', pod.metadata.name, '--', 'ip', 'route').stdout).toContain('default via 169.254.1.1 dev eth0');
  });

  it('traces busybox → the nginx Service hop by hop: one branch per endpoint, DNAT, delivered, reply back', () => {
    expect(kw('apply', '-f', join(EXAMPLES, 'busybox.yaml')).code).toBe(0);
    const r = kw('trace', 'pod/busybox', 'svc/nginx:8080', '-o', 'json');
    expect(r.stderr).toBe('');
    const t = JSON.parse(r.stdout);
    const pods = JSON.parse(kw('get', 'pods', '-l', 'app=nginx', '-o', 'json').stdout).items;
    expect(t.branches).toHaveLength(pods.length);
    const reached = new Set<string>();
    for (const b of t.branches) {
      expect(b.probability).toBeCloseTo(1 / pods.length, 6);
      expect(b.forward.disposition.code).toBe('delivered');
      expect(b.reply.disposition.code).toBe('delivered');
      const dnat = b.forward.steps.find((s: any) => s.kind === 'nat');
      expect(dnat.decidedBy.chain ?? JSON.stringify(dnat.decidedBy)).toMatch(/KUBE-SEP-/);
      reached.add(b.forward.disposition.netns);
    }
    expect(reached.size).toBe(pods.length);
    const text = kw('trace', 'pod/busybox', 'svc/nginx:8080', '--seed', '3');
    expect(text.stdout).toMatch(/DNAT 10\.100\.\d+\.\d+:8080 → 192\.168\.\d+\.\d+:80/);
    expect(kw('trace', 'pod/busybox', 'svc/nosuch:80')).toMatchObject({ code: 1, stderr: expect.stringContaining('services "nosuch" not found') });
  });

  it('rejects invalid input with file, line and field, and leaves the state unchanged', () => {
    const stateFile = join(dir, 'state', 'state.json');
    const before = readFileSync(stateFile);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec:\n  selector: {app: x}\n  ports:\n  - port: 70000\n');
    const r = kw('apply', '-f', bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:8:`);
    expect(r.stderr).toContain('spec.ports[0].port: Invalid value: 70000');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(readFileSync(stateFile).equals(before)).toBe(true);
  });

  it('answers unknown things like the real tools, with non-zero exits', () => {
    expect(kw('get', 'foo')).toMatchObject({ code: 1, stderr: expect.stringContaining('the server doesn\'t have a resource type "foo"') });
    expect(kw('get', 'pods', 'nosuch')).toMatchObject({ code: 1, stderr: expect.stringContaining('pods "nosuch" not found') });
    const node = kw('get', 'nodes', '-o', 'name').stdout.split('\n')[0].replace('node/', '');
    expect(kw('ssh', node, '--', 'curl', 'x').code).toBe(127);
    expect(kw('ssh', 'no-such-node', '--', 'ip', 'r')).toMatchObject({ code: 1, stderr: expect.stringContaining('node "no-such-node" not found') });
  });

  it('deletes what apply created', () => {
    const r = kw('delete', '-f', join(EXAMPLES, 'nginx.yaml'));
    expect(r.stdout).toMatch(/deployment\.apps "nginx" deleted/);
    expect(kw('delete', '-f', join(EXAMPLES, 'busybox.yaml')).stdout).toMatch(/pod "busybox" deleted/);
    const left = kw('get', 'pods');
    expect(left.stdout).toBe('');
    expect(left.stderr).toContain('No resources found in default namespace.');
  });

  it('has --help for every command', () => {
    // In-process over the whole command tree, so a new command cannot be forgotten.
    const walk = (c: Command, path: string[]): string[][] => [path, ...c.commands.flatMap((s) => walk(s, [...path, s.name()]))];
    const paths = walk(buildProgram(), []);
    expect(paths.length).toBeGreaterThan(12);
    for (const p of paths) {
      let c: Command = buildProgram();
      for (const n of p) c = c.commands.find((s) => s.name() === n)!;
      const help = c.helpInformation();
      expect(help, p.join(' ')).toMatch(/^Usage: kubewire/);
      expect(c.description(), `description of "${p.join(' ')}"`).not.toBe('');
    }
    // And through the real binary once.
    expect(kw('get', '--help')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: kubewire get/) });
  });
});

describe('kubewire demo', () => {
  it('tells the seed story: nodes, nginx x3, the Service on 8080 and node state', () => {
    const r = kw('demo');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/kube-system\s+coredns-[a-z0-9]+-[a-z0-9]{5}\s+1\/1\s+Running/);
    expect(r.stdout.split('=== Second half')[0]!.match(/^nginx-\S+\s+1\/1\s+Running/gm)).toHaveLength(3);
    expect(r.stdout).toMatch(/^nginx\s+ClusterIP\s+10\.100\.\d+\.\d+\s+<none>\s+8080\/TCP/m);
    expect(r.stdout).toMatch(/^\d+: ens5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001/m);
    expect(r.stdout).toMatch(/DNAT 10\.100\.\d+\.\d+:8080 → 192\.168\.\d+\.\d+:80/);
    expect(r.stdout).toMatch(/=> DELIVERED at ip-[\d-]+\.us-west-2\.compute\.internal cni-[0-9a-f-]+ eth0: delivered to tcp\/80/);
  });
});
