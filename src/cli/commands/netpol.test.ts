// `kubewire netpol` on a cluster built by the control plane (the embedded default: VPC CNI, 3 nodes),
// with the upstream e2e model (namespaces x, y; pods a, b) and the e2e "PodSelector AND NamespaceSelector" policy.
import { describe, expect, it } from 'vitest';
import { parseObjects } from '../../inputs/k8s-objects.ts';
import { newCluster, runOperation } from '../session.ts';
import { diffFiles, netpolDiffCommand, netpolExplainCommand, netpolMatrixCommand, netpolMatrixFromFiles } from './netpol.ts';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testSpec } from '../../control-plane/testing.ts';

const pod = (ns: string, name: string) => `
apiVersion: v1
kind: Pod
metadata: {name: '${name}', namespace: '${ns}', labels: {pod: '${name}'}}
spec:
  containers:
  - name: c
    image: agnhost
    ports:
    - {containerPort: 80, name: serve-80-tcp}
    - {containerPort: 81, name: serve-81-tcp}
`;
const ns = (name: string) => `
apiVersion: v1
kind: Namespace
metadata: {name: '${name}', labels: {ns: '${name}'}}  # quoted: a bare y is a YAML 1.1 boolean
`;
const policy = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-ns-y-pod-b, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [x]}]}
      podSelector: {matchLabels: {pod: b}}
    ports:
    - port: serve-80-tcp
`;

const service = `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: x}
spec:
  selector: {pod: a}
  ports:
  - {port: 8080, targetPort: serve-80-tcp}
`;

function cluster() {
  const stored = newCluster(undefined, '<embedded default>', 1);
  const text = [ns('x'), ns('y'), pod('x', 'a'), pod('x', 'b'), pod('y', 'a'), pod('y', 'b'), policy, service].join('---\n');
  return runOperation(stored.state, { op: 'apply', source: 'model.yaml', objects: parseObjects(text, 'model.yaml').objects }).state;
}

describe('kubewire netpol matrix', () => {
  const state = cluster();

  it('prints the truth table of the selected namespaces with the enforcement note', () => {
    const r = netpolMatrixCommand(state, { port: 80, protocol: 'TCP', namespace: 'x,y' });
    expect(r.exitCode).toBe(0);
    const table = r.stdout.split('\n').filter((l) => l.startsWith('|'));
    expect(table).toEqual([
      '| TCP/80 | x/a | x/b | y/a | y/b |',
      '| x/a    | .   | .   | .   | .   |',
      '| x/b    | X   | .   | .   | .   |',
      '| y/a    | X   | .   | .   | .   |',
      '| y/b    | .   | .   | .   | .   |',
    ]);
    expect(r.stdout).toContain('14/16 allowed');
    expect(r.stdout).toContain('NetworkPolicies: x/allow-ns-y-pod-b');
    expect(r.stdout).toMatch(/note: .*Amazon VPC CNI without its network policy agent \(the vpc-cni add-on's enableNetworkPolicy is not "true"\), so nothing enforces them/);
  });

  it('port 81 is not the named port: x/a admits nobody but itself', () => {
    const r = netpolMatrixCommand(state, { port: 81, protocol: 'TCP', namespace: 'x,y' });
    const j = JSON.parse(netpolMatrixCommand(state, { port: 81, protocol: 'TCP', namespace: 'x,y', output: 'json' }).stdout);
    expect(Object.values(j.matrix).map((row) => Object.values(row as Record<string, boolean>).map((v) => (v ? '.' : 'X')).join(''))).toEqual(['....', 'X...', 'X...', 'X...']);
    expect(r.stdout).toContain('13/16 allowed');
  });

  it('-o json is {port, protocol, matrix: {src: {dst: bool}}}; --explain adds every verdict', () => {
    const j = JSON.parse(netpolMatrixCommand(state, { port: 80, protocol: 'TCP', namespace: 'x,y', output: 'json' }).stdout);
    expect(j).toMatchObject({ port: 80, protocol: 'TCP', enforced: false });
    expect(j.matrix).toEqual({
      'x/a': { 'x/a': true, 'x/b': true, 'y/a': true, 'y/b': true },
      'x/b': { 'x/a': false, 'x/b': true, 'y/a': true, 'y/b': true },
      'y/a': { 'x/a': false, 'x/b': true, 'y/a': true, 'y/b': true },
      'y/b': { 'x/a': true, 'x/b': true, 'y/a': true, 'y/b': true },
    });
    expect(j.explain).toBeUndefined();
    const e = JSON.parse(netpolMatrixCommand(state, { port: 80, protocol: 'TCP', namespace: 'x,y', output: 'json', explain: true }).stdout);
    expect(e.explain['x/a']['x/a']).toMatchObject({ allowed: true, loopback: true, ingress: { code: 'Denied' } });
    expect(e.explain['y/b']['x/a'].ingress).toMatchObject({ code: 'Allowed', by: { policy: { namespace: 'x', name: 'allow-ns-y-pod-b' }, rule: 0, peer: 0, port: 0 } });
  });

  it('--explain in the table names the deciding policy and rule of each direction per cell', () => {
    const r = netpolMatrixCommand(state, { port: 80, protocol: 'TCP', namespace: 'x,y', explain: true });
    expect(r.stdout).toContain('y/b -> x/a: ALLOWED: egress: not isolated (no policy selects it); ingress: allowed by x/allow-ns-y-pod-b: spec.ingress[0] (from[0], ports[0])\n');
    expect(r.stdout).toContain('x/b -> x/a: DENIED: egress: not isolated (no policy selects it); ingress: denied: no policy allowed it (selected by x/allow-ns-y-pod-b)\n');
    expect(r.stdout).toContain('x/a -> x/a: ALLOWED: allowed (a pod cannot block access to itself)\n');
  });

  it('-o csv (one line per ordered pair) and -o md (the truth table)', () => {
    const csv = netpolMatrixCommand(state, { port: 80, protocol: 'TCP', namespace: 'x,y', output: 'csv' }).stdout.trim().split('\n');
    expect(csv[0]).toBe('source,destination,port,protocol,allowed');
    expect(csv).toHaveLength(17);
    expect(csv).toContain('x/b,x/a,80,TCP,false');
    expect(csv).toContain('y/b,x/a,80,TCP,true');
    const md = netpolMatrixCommand(state, { port: 80, protocol: 'TCP', namespace: 'x,y', output: 'md' }).stdout.split('\n');
    expect(md.slice(0, 6)).toEqual(['| TCP/80 | `x/a` | `x/b` | `y/a` | `y/b` |', '| --- | --- | --- | --- | --- |', '| `x/a` | . | . | . | . |', '| `x/b` | X | . | . | . |', '| `y/a` | X | . | . | . |', '| `y/b` | . | . | . | . |']);
  });

  it('-A includes every namespace (hostNetwork system pods among them)', () => {
    const r = netpolMatrixCommand(state, { port: 80, protocol: 'TCP', namespace: 'default', allNamespaces: true });
    expect(r.stdout).toContain('kube-system/');
    expect(r.stdout).toContain('hostNetwork pods (never selected by a policy');
  });

  it('rejects a bad protocol and output', () => {
    expect(() => netpolMatrixCommand(state, { port: 80, protocol: 'ICMP', namespace: 'x' })).toThrow('invalid value for --protocol: "ICMP"');
    expect(() => netpolMatrixCommand(state, { port: 80, protocol: 'TCP', namespace: 'x', output: 'yaml' })).toThrow('invalid value for --output: "yaml" (must be table, json, csv or md)');
  });
});

describe('kubewire netpol explain', () => {
  const state = cluster();

  it('names the allowing policy, rule, peer and port', () => {
    const r = netpolExplainCommand(state, 'y/b', 'a', { port: 80, protocol: 'TCP', namespace: 'x' });
    expect(r.stdout).toMatch(/^y\/b \(\S+\) -> x\/a \(\S+\) TCP\/80: ALLOWED\n/);
    expect(r.stdout).toContain('  egress of y/b: allowed (no NetworkPolicy selects y/b for egress)\n');
    expect(r.stdout).toContain('  ingress of x/a: allowed by x/allow-ns-y-pod-b: spec.ingress[0] (from[0], ports[0])\n');
  });

  it('says which policies isolate the pod when nothing allows it', () => {
    const r = netpolExplainCommand(state, 'x/b', 'x/a', { port: 80, protocol: 'TCP', namespace: 'default' });
    expect(r.stdout).toContain('TCP/80: DENIED\n');
    expect(r.stdout).toContain('  ingress of x/a: denied (selected by x/allow-ns-y-pod-b; none of their rules allows it)\n');
  });

  it('takes a pod IP for the pod and another IP for itself', () => {
    const ip = (state.objects['Pod/y/b'] as unknown as { status: { podIP: string } }).status.podIP;
    const r = netpolExplainCommand(state, ip, 'x/a', { port: 80, protocol: 'TCP', namespace: 'default' });
    expect(r.stdout).toContain('-> x/a');
    expect(r.stdout).toContain('ALLOWED');
    const ext = netpolExplainCommand(state, '203.0.113.9', 'x/a', { port: 80, protocol: 'TCP', namespace: 'default' });
    expect(ext.stdout).toContain('203.0.113.9 -> x/a');
    expect(ext.stdout).toContain('egress of 203.0.113.9: allowed (203.0.113.9 is not a pod)');
    expect(ext.stdout).toContain('DENIED');
  });

  it('a Service is judged per backend after DNAT: service port 8080 → the named target port 80', () => {
    const r = netpolExplainCommand(state, 'y/b', 'svc/web', { port: 8080, protocol: 'TCP', namespace: 'x' });
    expect(r.stdout).toMatch(/^service x\/web 8080\/TCP: 1 ready backend; policies judge each after DNAT\n/);
    expect(r.stdout).toMatch(/-> x\/a \(\S+\) TCP\/80: ALLOWED\n/);
    expect(r.stdout).toContain('allowed by x/allow-ns-y-pod-b: spec.ingress[0] (from[0], ports[0])');
    const clusterIP = (state.objects['Service/x/web'] as unknown as { spec: { clusterIP: string } }).spec.clusterIP;
    const j = JSON.parse(netpolExplainCommand(state, 'y/a', clusterIP, { port: 8080, protocol: 'TCP', namespace: 'default', output: 'json' }).stdout);
    expect(j).toMatchObject({ service: 'x/web', servicePort: 8080, backends: [{ dst: { kind: 'pod', namespace: 'x', name: 'a' }, port: 80, allowed: false }] });
    expect(() => netpolExplainCommand(state, 'y/b', 'svc/web', { port: 80, protocol: 'TCP', namespace: 'x' })).toThrow('service x/web has no port 80/TCP (ports: 8080/TCP)');
    expect(() => netpolExplainCommand(state, 'y/b', 'svc/nope', { port: 80, protocol: 'TCP', namespace: 'x' })).toThrow('services "nope" not found in namespace "x"');
  });

  it('an unknown pod is an error', () => {
    expect(() => netpolExplainCommand(state, 'x/zz', 'x/a', { port: 80, protocol: 'TCP', namespace: 'default' })).toThrow('pods "zz" not found in namespace "x"');
  });
});

describe('kubewire policy matrix -f / policy diff (files alone, no cluster)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-policy-files-'));
  mkdirSync(join(dir, 'before'));
  mkdirSync(join(dir, 'after'));
  const model = [ns('x'), ns('y'), pod('x', 'a'), pod('x', 'b'), pod('y', 'a'), pod('y', 'b')].join('---\n');
  writeFileSync(join(dir, 'before', 'model.yaml'), model);
  writeFileSync(join(dir, 'after', 'model.yaml'), model);
  writeFileSync(join(dir, 'after', 'policy.yaml'), policy);

  it('computes the matrix from Namespaces, Pods (labels, containerPorts) and NetworkPolicies in files', () => {
    const r = netpolMatrixFromFiles([join(dir, 'after')], { port: 80, protocol: 'TCP', output: 'json' });
    const j = JSON.parse(r.stdout);
    expect(j.matrix).toEqual({
      'x/a': { 'x/a': true, 'x/b': true, 'y/a': true, 'y/b': true },
      'x/b': { 'x/a': false, 'x/b': true, 'y/a': true, 'y/b': true },
      'y/a': { 'x/a': false, 'x/b': true, 'y/a': true, 'y/b': true },
      'y/b': { 'x/a': true, 'x/b': true, 'y/a': true, 'y/b': true },
    });
    // Port 81 is not the named port serve-80-tcp.
    const j81 = JSON.parse(netpolMatrixFromFiles([join(dir, 'after')], { port: 81, protocol: 'TCP', output: 'json' }).stdout);
    expect(j81.matrix['y/b']['x/a']).toBe(false);
    expect(netpolMatrixFromFiles([join(dir, 'after')], { port: 80, protocol: 'TCP' }).stdout).toContain('note: from files alone');
  });

  it('diff lists the pairs whose outcome changed, with why', () => {
    const r = netpolDiffCommand([join(dir, 'before')], [join(dir, 'after')], { port: 80, protocol: 'TCP' });
    expect(r.stdout.split('\n')[0]).toBe('TCP/80: 2 of 16 pairs changed');
    expect(r.stdout).toContain('x/b -> x/a: allowed -> denied\n');
    expect(r.stdout).toContain('y/a -> x/a: allowed -> denied\n');
    const j = JSON.parse(netpolDiffCommand([join(dir, 'before')], [join(dir, 'after')], { port: 80, protocol: 'TCP', output: 'json' }).stdout);
    expect(j.changed.map((c: { src: string; dst: string; before: boolean; after: boolean }) => [c.src, c.dst, c.before, c.after])).toEqual([
      ['x/b', 'x/a', true, false],
      ['y/a', 'x/a', true, false],
    ]);
    expect(netpolDiffCommand([join(dir, 'after')], [join(dir, 'after')], { port: 80, protocol: 'TCP' }).stdout).toBe('TCP/80: 0 of 16 pairs changed\n');
  });

  it('-f and -f2 (also --filename, --filename2, -f=X) split into before and after; missing ones are errors', () => {
    expect(diffFiles(['-f', 'a', '--filename', 'b', '-f2', 'c', '--filename2=d'])).toEqual({ before: ['a', 'b'], after: ['c', 'd'] });
    expect(() => diffFiles(['-f', 'a'])).toThrow('policy diff: give the files after the change with -f2 FILE|DIR');
    expect(() => diffFiles(['-f2', 'a'])).toThrow('policy diff: give the files before the change with -f FILE|DIR');
    expect(() => diffFiles(['a'])).toThrow('policy diff: unexpected argument "a"');
    expect(() => netpolMatrixFromFiles([join(dir, 'missing')], { port: 80, protocol: 'TCP' })).toThrow(`the path "${join(dir, 'missing')}" does not exist`);
  });

  it('an invalid policy in a file is the API server\'s error', () => {
    writeFileSync(join(dir, 'bad.yaml'), 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad, namespace: x}\nspec:\n  podSelector: {}\n  ingress:\n  - ports: [{port: 0}]\n');
    expect(() => netpolMatrixFromFiles([join(dir, 'bad.yaml')], { port: 80, protocol: 'TCP' })).toThrow('The NetworkPolicy "bad" is invalid: spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive');
    rmSync(join(dir, 'bad.yaml'));
  });
});

describe('kubewire policy: what enforces the policies', () => {
  it('VPC CNI with the network policy agent, and Calico, say they enforce', () => {
    const agent = newCluster(undefined, '<embedded default>', 1);
    agent.state.spec = testSpec({ cni: { type: 'vpc-cni', vpcCni: { env: {}, version: 'v1.19.2-eksbuild.1', enableNetworkPolicy: true } } });
    const j = JSON.parse(netpolMatrixCommand(agent.state, { port: 80, protocol: 'TCP', namespace: 'default', output: 'json' }).stdout);
    expect(j.enforced).toBe(true);
    expect(j.enforcement).toContain('with its network policy agent (enableNetworkPolicy), which enforces them');
    const calico = newCluster(undefined, '<embedded default>', 1);
    calico.state.spec = { ...calico.state.spec, cni: { ...calico.state.spec.cni, type: 'calico-vxlan' } };
    const c = netpolMatrixCommand(calico.state, { port: 80, protocol: 'TCP', namespace: 'default' });
    expect(c.stdout).toContain("Calico's Felix enforces them");
  });
});

// The seed's examples through the real binary: nginx behind a policy admitting only busybox, with the VPC CNI.
describe('kubewire netpol (process, seed examples)', () => {
  it('matrix and explain on the persisted cluster', async () => {
    const { spawnSync } = await import('node:child_process');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join, resolve } = await import('node:path');
    const root = resolve(__dirname, '..', '..', '..');
    const dir = mkdtempSync(join(tmpdir(), 'kw-netpol-'));
    const kw = (...args: string[]) => {
      const r = spawnSync(join(root, 'bin', 'kubewire'), args, { cwd: dir, encoding: 'utf8', env: { ...process.env, KUBEWIRE_STATE: join(dir, 'state') } });
      return { stdout: r.stdout, stderr: r.stderr, code: r.status ?? -1 };
    };
    try {
      for (const f of ['nginx.yaml', 'busybox.yaml', 'netpol-nginx-from-busybox.yaml']) expect(kw('apply', '-f', join(root, 'examples', f)).code).toBe(0);
      const m = kw('netpol', 'matrix', '--port', '80');
      expect(m.code).toBe(0);
      const rows = m.stdout.split('\n').filter((l) => /^\| *\d/.test(l)).map((l) => l.split('|').slice(2, -1).map((c) => c.trim()).join(''));
      // busybox first (sorted), then the three nginx pods: only busybox (and each pod itself) reaches nginx.
      expect(rows).toEqual(['....', '..XX', '.X.X', '.XX.']);
      expect(m.stdout).toContain('nothing enforces them');
      const nginx = m.stdout.match(/default\/(nginx-[a-z0-9]+-[a-z0-9]+)/)![1]!;
      const e = kw('netpol', 'explain', 'busybox', nginx, '--port', '80');
      expect(e.stdout).toContain(`ingress of default/${nginx}: allowed by default/nginx-from-busybox: spec.ingress[0] (from[0], ports[0])`);
      const d = kw('netpol', 'explain', nginx, 'busybox', '--port', '80', '-o', 'json');
      expect(JSON.parse(d.stdout)).toMatchObject({ allowed: true, ingress: { code: 'NotIsolated' } });
      const bad = kw('netpol', 'explain', 'busybox', nginx, '--port', '81');
      expect(bad.stdout).toContain('TCP/81: DENIED');
      // `policy` is the command's name (netpol an alias); diff takes -f and -f2 as the issue writes them.
      expect(kw('policy', 'matrix', '--port', '80', '-o', 'csv').stdout).toContain(`default/busybox,default/${nginx},80,TCP,true`);
      const diff = kw('policy', 'diff', '-f', join(root, 'examples', 'busybox.yaml'), '-f2', join(root, 'examples', 'busybox.yaml'), '-f2', join(root, 'examples', 'netpol-default-deny.yaml'));
      expect(diff.code).toBe(0);
      expect(diff.stdout).toBe('TCP/80: 0 of 1 pairs changed\n');
      const none = kw('policy', 'diff', '-f', join(root, 'examples', 'busybox.yaml'));
      expect(none.code).not.toBe(0);
      expect(none.stderr).toContain('give the files after the change with -f2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
