// `kubectl rollout restart`: kubectl's object restarter sets the pod template annotation
// kubectl.kubernetes.io/restartedAt to the current time (RFC 3339) with a patch; the changed
// template makes the Deployment controller roll out a new ReplicaSet (the DaemonSet controller
// replaces its pods), so every pod is recreated, by whatever CNI the nodes run now.

import type { KObject } from '../k8s/types.ts';
import type { ClusterState } from './types.ts';
import { KubewireError } from '../errors.ts';
import { notFoundMessage, pluralRef, resourceRef } from '../k8s/resources.ts';
import { applyObjects, type Plugins } from './cluster.ts';
import { clone, getObject, rfc3339 } from './store.ts';

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

export interface WorkloadRef {
  kind: string;
  namespace: string;
  name: string;
}

/**
 * The object after kubectl's restart patch, at the time the next operation runs (the state's
 * clock + 1, as applyObjects advances it). Errors as kubectl prints them.
 */
export function restartPatch(state: ClusterState, ref: WorkloadRef): KObject {
  const o = getObject<KObject>(state, ref.kind, ref.namespace, ref.name);
  if (!o) throw new KubewireError(notFoundMessage(ref.kind, ref.name));
  if (!['Deployment', 'DaemonSet', 'StatefulSet'].includes(ref.kind)) {
    throw new KubewireError(`${pluralRef(ref.kind)} "${ref.name}" restarting is not supported`);
  }
  const next = clone(o) as KObject & { spec?: { paused?: boolean; template?: { metadata?: { annotations?: Record<string, string> } } } };
  if (ref.kind === 'Deployment' && next.spec?.paused) {
    throw new KubewireError(`${pluralRef(ref.kind)} "${ref.name}" can't restart paused deployment (run rollout resume first)`);
  }
  const at = rfc3339(state.clock + 1);
  const tmpl = next.spec!.template!;
  const ann = (tmpl.metadata ??= {}).annotations ?? {};
  if (ann[RESTARTED_AT] === at) {
    throw new KubewireError(`failed to create patch for ${ref.name}: if restart has already been triggered within the past second, please wait before attempting to trigger another`);
  }
  tmpl.metadata.annotations = { ...ann, [RESTARTED_AT]: at };
  return next;
}

/** kubectl's success line, e.g. "deployment.apps/nginx restarted". */
export function restartedLine(ref: WorkloadRef): string {
  return `${resourceRef(ref.kind)}/${ref.name} restarted`;
}

/** Patches and reconciles (the control plane rolls the pods). */
export function restartWorkload(state: ClusterState, ref: WorkloadRef, plugins: Plugins): string {
  applyObjects(state, [restartPatch(state, ref)], plugins);
  return restartedLine(ref);
}
