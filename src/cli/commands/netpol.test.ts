// `kubewire netpol` on a cluster built by the control plane (the embedded default: VPC CNI, 3 nodes),
// with the upstream e2e model (namespaces x, y; pods a, b) and the e2e "PodSelector AND NamespaceSelector" policy.
import { describe, expect, it } from 'vitest';
import { parseObjects } from '../../inputs/k8s-objects.ts';
import { newCluster, runOperation } from '../session.ts';
import { netpolExplainCommand, netpolMatrixCommand } from './netpol.ts';

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
    expect(r.stdout).toMatch(/note: .*Amazon VPC CNI without its network policy agent, so nothing enforces them/);
  });

  it('port 81 is not the named port: x/a admits nobody but itself', () => {
    const r = netpolMatrixCommand(state, { port: 81, protocol: 'TCP', namespace: 'x,y' });
    expect(JSON.parse(netpolMatrixCommand(state, { port: 81, protocol: 'TCP', namespace: 'x,y', output: 'json' }).stdout).rows).toEqual(['....', 'X...', 'X...', 'X...']);
    expect(r.stdout).toContain('13/16 allowed');
  });

  it('-o json carries every verdict and says nothing enforces them', () => {
    const j = JSON.parse(netpolMatrixCommand(state, { port: 80, protocol: 'TCP', namespace: 'x,y', output: 'json' }).stdout);
    expect(j.pods.map((p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`)).toEqual(['x/a', 'x/b', 'y/a', 'y/b']);
    expect(j.rows).toEqual(['....', 'X...', 'X...', '....']);
    expect(j.cells[0][0]).toMatchObject({ allowed: true, loopback: true, ingress: { code: 'Denied' } });
    expect(j.enforced).toBe(false);
    expect(j.cells[3][0].ingress).toMatchObject({ code: 'Allowed', by: { policy: { namespace: 'x', name: 'allow-ns-y-pod-b' }, rule: 0, peer: 0, port: 0 } });
  });

  it('-A includes every namespace (hostNetwork system pods among them)', () => {
    const r = netpolMatrixCommand(state, { port: 80, protocol: 'TCP', namespace: 'default', allNamespaces: true });
    expect(r.stdout).toContain('kube-system/');
    expect(r.stdout).toContain('hostNetwork pods (never selected by a policy');
  });

  it('rejects a bad protocol and output', () => {
    expect(() => netpolMatrixCommand(state, { port: 80, protocol: 'ICMP', namespace: 'x' })).toThrow('invalid value for --protocol: "ICMP"');
    expect(() => netpolMatrixCommand(state, { port: 80, protocol: 'TCP', namespace: 'x', output: 'yaml' })).toThrow('invalid value for --output');
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
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
