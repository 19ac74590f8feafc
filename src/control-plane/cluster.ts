// The control plane's entry points: build a fresh EKS cluster from a ClusterSpec, then apply or
// delete objects the way `kubectl apply` / `kubectl delete` would, each time running the
// controllers, the scheduler and the kubelets to a fixed point and advancing the logical clock.
// The plugins (CNI, Service proxy) are passed in; the state stays plain JSON.

import type { ClusterSpec } from '../inputs/cluster-spec.ts';
import type { KObject } from '../k8s/types.ts';
import { KubewireError } from '../errors.ts';
import { seedRng, randUuid } from '../k8s/rand.ts';
import { canonicalJson } from '../k8s/hash.ts';
import { defaultObject, registryCreateDefaults } from '../k8s/defaults.ts';
import { isNamespaced, notFoundMessage } from '../k8s/resources.ts';
import { createVpc } from '../aws/vpc.ts';
import type { CniPlugin, PluginContext, ServiceProxy } from './plugins.ts';
import type { ClusterState } from './types.ts';
import { clone, createObject, getObject, listObjects, nowTime, objectKey, removeObject, touchObject } from './store.ts';
import { recordEvent } from './events.ts';
import { createNodes } from './nodes.ts';
import { bootstrapObjects } from './bootstrap.ts';
import { admitService } from './services.ts';
import { admitPod } from './admission.ts';
import { collectGarbage, deletePod, qosClass, syncDaemonSet, syncDeployment, syncReplicaSet, type DaemonSet, type Deployment, type ReplicaSet } from './workloads.ts';
import { schedulePod } from './scheduler.ts';
import { newSandboxRetries, syncKubelets } from './kubelet.ts';
import { syncEndpointSlices } from './endpointslices.ts';
import type { Pod } from './pods.ts';

export interface Plugins {
  cni: CniPlugin;
  proxy?: ServiceProxy;
}

export interface CreateClusterOptions extends Plugins {
  seed: number;
}

export type ApplyAction = 'created' | 'configured' | 'unchanged';

export interface ApplyResult {
  kind: string;
  namespace?: string;
  name: string;
  action: ApplyAction;
}

export interface ObjectRef {
  kind: string;
  namespace?: string;
  name: string;
}

/** Safety net for the reconcile loop (a real fixed point is reached in a handful of rounds). */
const MAX_ROUNDS = 200;

export function createCluster(spec: ClusterSpec, opts: CreateClusterOptions): ClusterState {
  const state: ClusterState = {
    spec,
    seed: opts.seed,
    rng: seedRng(opts.seed),
    clock: 0,
    objects: {},
    nodes: [],
    hosts: {},
    vpc: createVpc(spec),
    events: [],
    pluginState: {},
  };
  for (const o of bootstrapObjects(state)) storeNew(state, o);
  createNodes(state, opts.cni);
  reconcile(state, opts);
  return state;
}

/** Create path of the API server: defaulting, registry defaults, admission, allocation. */
function storeNew(state: ClusterState, input: KObject): KObject {
  const ns = isNamespaced(input.kind) ? input.metadata.namespace ?? 'default' : undefined;
  let o = defaultObject(clone(input), ns ?? 'default');
  o = registryCreateDefaults(o);
  o.metadata.uid = randUuid(state);
  if (o.kind === 'Service') admitService(state, o as never);
  if (o.kind === 'Pod') {
    admitPod(state, o as Pod);
    o.status = { phase: 'Pending', qosClass: qosClass((o as Pod).spec as never) };
  }
  return createObject(state, o);
}

function specOf(o: KObject): unknown {
  const { apiVersion: _a, kind: _k, metadata: _m, status: _s, ...rest } = o;
  return rest;
}

/**
 * `kubectl apply -f`: creates what does not exist, updates what does (spec, labels,
 * annotations; status and server-set fields are kept), then reconciles.
 */
export function applyObjects(state: ClusterState, objects: KObject[], plugins: Plugins): ApplyResult[] {
  return atomically(state, () => applyUnsafe(state, objects, plugins));
}

/** Runs an operation; if it throws, the state is restored to what it was before. */
function atomically<T>(state: ClusterState, op: () => T): T {
  const before = JSON.parse(JSON.stringify(state)) as ClusterState;
  try {
    return op();
  } catch (e) {
    for (const k of Object.keys(state) as (keyof ClusterState)[]) delete state[k];
    Object.assign(state, before);
    throw e;
  }
}

function applyUnsafe(state: ClusterState, objects: KObject[], plugins: Plugins): ApplyResult[] {
  state.clock += 1;
  const results: ApplyResult[] = [];
  for (const input of objects) {
    const namespaced = isNamespaced(input.kind);
    const ns = namespaced ? input.metadata.namespace ?? 'default' : undefined;
    if (ns !== undefined && !getObject(state, 'Namespace', '', ns) && !(input.kind === 'Namespace')) {
      throw new KubewireError(`Error from server (NotFound): namespaces "${ns}" not found`);
    }
    const key = objectKey({ kind: input.kind, metadata: { name: input.metadata.name, namespace: ns } });
    const existing = state.objects[key];
    if (!existing) {
      storeNew(state, { ...input, metadata: { ...input.metadata, namespace: ns } });
      results.push({ kind: input.kind, namespace: ns, name: input.metadata.name, action: 'created' });
      continue;
    }
    const next = defaultObject(clone(input), ns ?? 'default');
    const specChanged = canonicalJson(specOf(next)) !== canonicalJson(specOf(existing));
    const labels = next.metadata.labels ?? existing.metadata.labels;
    const annotations = next.metadata.annotations ?? existing.metadata.annotations;
    const metaChanged =
      canonicalJson(labels ?? {}) !== canonicalJson(existing.metadata.labels ?? {}) ||
      canonicalJson(annotations ?? {}) !== canonicalJson(existing.metadata.annotations ?? {});
    if (!specChanged && !metaChanged) {
      results.push({ kind: input.kind, namespace: ns, name: input.metadata.name, action: 'unchanged' });
      continue;
    }
    if (existing.kind === 'Pod' && specChanged) {
      throw new KubewireError(
        `The Pod "${existing.metadata.name}" is invalid: spec: Forbidden: pod updates may not change fields other than \`spec.containers[*].image\`,\`spec.initContainers[*].image\`,\`spec.activeDeadlineSeconds\`,\`spec.tolerations\` (only additions to existing tolerations),\`spec.terminationGracePeriodSeconds\` (allow it to be set to 1 if it was previously negative)`,
      );
    }
    const updated: KObject = { ...clone(existing), ...(specChanged ? (specOf(next) as object) : {}) } as KObject;
    if (labels) updated.metadata.labels = labels;
    if (annotations) updated.metadata.annotations = annotations;
    if (updated.kind === 'Service') admitService(state, updated as never, existing as never);
    touchObject(state, updated, specChanged);
    results.push({ kind: input.kind, namespace: ns, name: input.metadata.name, action: 'configured' });
  }
  reconcile(state, plugins);
  return results;
}

/** `kubectl delete`: removes objects (pods gracefully through their kubelet), dependents by GC. */
export function deleteObjects(state: ClusterState, refs: ObjectRef[], plugins: Plugins): ObjectRef[] {
  return atomically(state, () => deleteUnsafe(state, refs, plugins));
}

function deleteUnsafe(state: ClusterState, refs: ObjectRef[], plugins: Plugins): ObjectRef[] {
  state.clock += 1;
  const done: ObjectRef[] = [];
  for (const ref of refs) {
    const ns = isNamespaced(ref.kind) ? ref.namespace ?? 'default' : undefined;
    const key = objectKey({ kind: ref.kind, metadata: { name: ref.name, namespace: ns } });
    const o = state.objects[key];
    if (!o) throw new KubewireError(notFoundMessage(ref.kind, ref.name));
    if (o.kind === 'Node') throw new KubewireError('deleting nodes is not supported by kubewire');
    if (o.kind === 'Pod') deletePod(state, o as Pod);
    else if (o.kind === 'Namespace') {
      if (['default', 'kube-system', 'kube-public', 'kube-node-lease'].includes(o.metadata.name)) {
        throw new KubewireError(`Error from server (Forbidden): namespaces "${o.metadata.name}" is forbidden: this namespace may not be deleted`);
      }
      for (const x of Object.values(state.objects)) {
        if (x.metadata.namespace !== o.metadata.name || !isNamespaced(x.kind)) continue;
        if (x.kind === 'Pod') deletePod(state, x as Pod);
        else removeObject(state, x);
      }
      removeObject(state, o);
    } else removeObject(state, o);
    done.push({ kind: o.kind, namespace: ns, name: o.metadata.name });
  }
  reconcile(state, plugins);
  return done;
}

/** Queue order of the scheduler (PrioritySort): higher priority first, then older first. */
function pendingPods(state: ClusterState): Pod[] {
  return listObjects<Pod>(state, 'Pod')
    .filter((p) => !p.spec?.nodeName && !p.metadata.deletionTimestamp)
    .sort(
      (a, b) =>
        (b.spec?.priority ?? 0) - (a.spec?.priority ?? 0) ||
        String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)) ||
        Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion),
    );
}

function runScheduler(state: ClusterState, failedThisOp: Map<string, string>): boolean {
  let changed = false;
  for (const pod of pendingPods(state)) {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const r = schedulePod(state, pod);
    const now = nowTime(state);
    if (r.ok) {
      pod.spec!.nodeName = r.node;
      if (pod.status && 'nominatedNodeName' in pod.status) delete (pod.status as Record<string, unknown>).nominatedNodeName;
      const conds = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      conds.push({ lastProbeTime: null, lastTransitionTime: now, status: 'True', type: 'PodScheduled' } as never);
      pod.status = { ...(pod.status ?? {}), conditions: conds };
      touchObject(state, pod);
      recordEvent(state, pod, 'Normal', 'Scheduled', `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${r.node}`, 'default-scheduler');
      failedThisOp.delete(key);
      changed = true;
    } else if (r.preempt) {
      for (const v of r.preempt.victims) {
        deletePod(state, v);
        recordEvent(state, v, 'Normal', 'Preempted', `Preempted by pod ${pod.metadata.uid} on node ${r.preempt.node}`, 'default-scheduler');
      }
      pod.status = { ...(pod.status ?? {}), nominatedNodeName: r.preempt.node } as never;
      touchObject(state, pod);
      recordEvent(state, pod, 'Warning', 'FailedScheduling', r.message, 'default-scheduler');
      failedThisOp.set(key, r.message);
      changed = true;
    } else if (failedThisOp.get(key) !== r.message) {
      failedThisOp.set(key, r.message);
      const prev = (pod.status?.conditions ?? []).find((c) => c.type === 'PodScheduled');
      pod.status = {
        ...(pod.status ?? {}),
        phase: 'Pending',
        conditions: [
          {
            lastProbeTime: null,
            lastTransitionTime: prev && prev.status === 'False' ? prev.lastTransitionTime : now,
            message: r.message,
            reason: 'Unschedulable',
            status: 'False',
            type: 'PodScheduled',
          } as never,
        ],
      };
      touchObject(state, pod);
      recordEvent(state, pod, 'Warning', 'FailedScheduling', r.message, 'default-scheduler');
      changed = true;
    }
  }
  return changed;
}

/** Runs every controller until nothing changes, then lets the Service proxy resync each node. */
export function reconcile(state: ClusterState, plugins: Plugins): void {
  const retries = newSandboxRetries();
  const failed = new Map<string, string>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let changed = false;
    if (collectGarbage(state)) changed = true;
    for (const d of listObjects<Deployment>(state, 'Deployment')) if (syncDeployment(state, d)) changed = true;
    for (const rs of listObjects<ReplicaSet>(state, 'ReplicaSet')) if (syncReplicaSet(state, rs)) changed = true;
    for (const ds of listObjects<DaemonSet>(state, 'DaemonSet')) if (syncDaemonSet(state, ds)) changed = true;
    if (runScheduler(state, failed)) changed = true;
    if (syncKubelets(state, plugins.cni, retries)) changed = true;
    if (syncEndpointSlices(state)) changed = true;
    if (!changed) break;
    state.clock += 1;
    if (round === MAX_ROUNDS - 1) throw new Error('control plane did not converge');
  }
  if (plugins.proxy) {
    for (const node of state.nodes) {
      const ctx: PluginContext = { cluster: state, node, host: state.hosts[node.name] };
      plugins.proxy.syncNode(ctx);
      plugins.cni.resync?.(ctx);
    }
  }
}
