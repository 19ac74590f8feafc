// kubectl rollout restart: the restartedAt patch, the rollout it causes, and kubectl's refusals.
import { describe, expect, it } from 'vitest';
import { createCluster, applyObjects } from './cluster.ts';
import { defaultClusterSpec } from '../inputs/cluster-file.ts';
import { admitObject } from '../inputs/k8s-objects.ts';
import { generateDeployment } from '../k8s/generators.ts';
import { pluginsFor } from '../cni/index.ts';
import { RESTARTED_AT, restartPatch, restartWorkload } from './rollout.ts';
import { listObjects, rfc3339 } from './store.ts';
import type { ClusterState } from './types.ts';

function cluster(): ClusterState {
  const spec = defaultClusterSpec();
  const state = createCluster(spec, { seed: 1, ...pluginsFor(spec) });
  applyObjects(state, [admitObject(generateDeployment({ name: 'nginx', image: ['nginx'], replicas: 3, port: 80 }))], pluginsFor(spec));
  return state;
}
const podNames = (s: ClusterState, prefix: string) => listObjects(s, 'Pod').map((p) => `${p.metadata.namespace}/${p.metadata.name}`).filter((n) => n.startsWith(prefix));

describe('rollout restart', () => {
  it('annotates the template with the time of the operation and rolls every pod', () => {
    const s = cluster();
    const before = podNames(s, 'default/nginx-');
    const at = rfc3339(s.clock + 1);
    expect(restartWorkload(s, { kind: 'Deployment', namespace: 'default', name: 'nginx' }, pluginsFor(s.spec))).toBe('deployment.apps/nginx restarted');
    const d = s.objects['Deployment/default/nginx'] as unknown as { metadata: { generation?: number }; spec: { template: { metadata: { annotations: Record<string, string> } } } };
    expect(d.spec.template.metadata.annotations[RESTARTED_AT]).toBe(at);
    expect(d.metadata.generation).toBe(2);
    expect(listObjects(s, 'ReplicaSet', 'default')).toHaveLength(2);
    const after = podNames(s, 'default/nginx-');
    expect(after).toHaveLength(3);
    expect(after.filter((n) => before.includes(n))).toEqual([]);
  });

  it('restarts a DaemonSet by replacing its pods', () => {
    const s = cluster();
    const before = podNames(s, 'kube-system/kube-proxy-');
    expect(restartWorkload(s, { kind: 'DaemonSet', namespace: 'kube-system', name: 'kube-proxy' }, pluginsFor(s.spec))).toBe('daemonset.apps/kube-proxy restarted');
    const after = podNames(s, 'kube-system/kube-proxy-');
    expect(after).toHaveLength(3);
    expect(after.filter((n) => before.includes(n))).toEqual([]);
  });

  it("refuses as kubectl does: paused, unsupported kind, twice in one second, not found", () => {
    const s = cluster();
    const d = s.objects['Deployment/default/nginx'] as unknown as { spec: { paused?: boolean; template: { metadata: { annotations?: Record<string, string> } } } };
    d.spec.paused = true;
    expect(() => restartPatch(s, { kind: 'Deployment', namespace: 'default', name: 'nginx' })).toThrow('deployments.apps "nginx" can\'t restart paused deployment (run rollout resume first)');
    d.spec.paused = false;
    d.spec.template.metadata.annotations = { [RESTARTED_AT]: rfc3339(s.clock + 1) };
    expect(() => restartPatch(s, { kind: 'Deployment', namespace: 'default', name: 'nginx' })).toThrow(/within the past second/);
    expect(() => restartPatch(s, { kind: 'Service', namespace: 'default', name: 'kubernetes' })).toThrow('services "kubernetes" restarting is not supported');
    expect(() => restartPatch(s, { kind: 'Deployment', namespace: 'default', name: 'nope' })).toThrow('Error from server (NotFound): deployments.apps "nope" not found');
  });
});
