// The admission plugins every EKS pod passes on create: Priority (spec.priority from the
// priority class), DefaultTolerationSeconds (not-ready/unreachable NoExecute for 300 s) and
// ServiceAccount (default account, projected kube-api-access-<rand> token volume + mounts).
import { randString } from '../k8s/rand.ts';
import type { ClusterState } from './types.ts';

const PRIORITY_CLASSES: Record<string, number> = {
  'system-node-critical': 2000001000,
  'system-cluster-critical': 2000000000,
};

type Obj = Record<string, unknown>;

export function admitPod(state: ClusterState, pod: { spec?: unknown }): void {
  const spec = (pod.spec ?? {}) as Obj;
  const pc = spec.priorityClassName as string | undefined;
  if (spec.priority === undefined) spec.priority = pc ? PRIORITY_CLASSES[pc] ?? 0 : 0;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  const tol = ((spec.tolerations as Obj[] | undefined) ?? []).slice();
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    const has = tol.some((t) => (t.key === key || (t.key === undefined && t.operator === 'Exists')) && (t.effect === undefined || t.effect === 'NoExecute'));
    if (!has) tol.push({ effect: 'NoExecute', key, operator: 'Exists', tolerationSeconds: 300 });
  }
  spec.tolerations = tol;
  spec.serviceAccountName ??= 'default';
  spec.serviceAccount ??= spec.serviceAccountName;
  if (spec.automountServiceAccountToken !== false) {
    const volName = `kube-api-access-${randString(state, 5)}`;
    const vols = ((spec.volumes as Obj[] | undefined) ?? []).slice();
    vols.push({
      name: volName,
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } },
          { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
        ],
      },
    });
    spec.volumes = vols;
    for (const c of [...((spec.initContainers as Obj[] | undefined) ?? []), ...((spec.containers as Obj[] | undefined) ?? [])]) {
      const mounts = ((c.volumeMounts as Obj[] | undefined) ?? []).slice();
      mounts.push({ mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: volName, readOnly: true });
      c.volumeMounts = mounts;
    }
  }
  pod.spec = spec as never;
}
