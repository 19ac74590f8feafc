// kubewire rollout restart as kubectl: annotation, new ReplicaSet, pods recreated, errors.
import { describe, it, expect } from 'vitest';
import { cliSandbox } from '../../testing/cli.node.ts';

const { kw, stateFile } = cliSandbox('kw-rollout-', [['cluster', 'create'], ['create', 'deployment', 'nginx', '--image=nginx', '--replicas=3', '--port=80']]);
function podIps(): string[] {
  return [...kw('get', 'pods', '-o', 'wide').stdout.matchAll(/^nginx-\S+\s+1\/1\s+Running\s+\d+\s+\S+\s+(\S+)/gm)].map((m) => m[1]!);
}

describe('kubewire rollout restart', () => {
  it('recreates the pods through a new ReplicaSet with the restartedAt annotation', () => {
    const before = kw('get', 'pods').stdout;
    const r = kw('rollout', 'restart', 'deployment/nginx');
    expect(r).toMatchObject({ code: 0, stdout: 'deployment.apps/nginx restarted\n' });
    const d = JSON.parse(kw('get', 'deploy', 'nginx', '-o', 'json').stdout);
    expect(d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toMatch(/^2025-01-01T\d\d:\d\d:\d\dZ$/);
    expect(kw('get', 'rs').stdout.match(/^nginx-/gm)).toHaveLength(2);
    const names = (s: string) => [...s.matchAll(/^(nginx-\S+)/gm)].map((m) => m[1]);
    const after = kw('get', 'pods').stdout;
    expect(names(after)).toHaveLength(3);
    expect(names(after).some((n) => names(before).includes(n))).toBe(false);
  });

  it('after a Calico migration, restarted pods get pool addresses', () => {
    expect(podIps().every((ip) => ip.startsWith('192.168.'))).toBe(true);
    expect(kw('cni', 'migrate', 'calico-vxlan').code).toBe(0);
    expect(kw('rollout', 'restart', 'deploy', 'nginx').code).toBe(0);
    const ips = podIps();
    expect(ips).toHaveLength(3);
    expect(ips.every((ip) => ip.startsWith('172.16.'))).toBe(true);
  });

  it('errors like kubectl', () => {
    const state = stateFile();
    expect(kw('rollout', 'restart', 'deployment/nope').stderr).toBe('Error from server (NotFound): deployments.apps "nope" not found\n');
    expect(kw('rollout', 'restart', 'svc/kubernetes').stderr).toBe('error: services "kubernetes" restarting is not supported\n');
    expect(kw('rollout', 'restart', 'deployment').stderr).toMatch(/required resource not specified/);
    expect(kw('rollout', 'restart', 'widget/x').stderr).toMatch(/doesn't have a resource type "widget"/);
    expect(stateFile().equals(state)).toBe(true);
  });
});
