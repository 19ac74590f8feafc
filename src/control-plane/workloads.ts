// The workload controllers of kube-controller-manager: Deployment (pkg/controller/deployment),
// ReplicaSet (pkg/controller/replicaset) and DaemonSet (pkg/controller/daemon), reduced to
// what shapes the cluster's pods: names, labels, owner references, scaling decisions, the
// scale-down victim ranking, and the events each controller records.

import type { KObject, V1DaemonSet, V1Deployment, V1PodTemplateSpec, V1ReplicaSet } from '../k8s/types.ts';
import { canonicalJson, computePodTemplateHash } from '../k8s/hash.ts';
import { generateName } from '../k8s/naming.ts';
import type { ClusterState } from './types.ts';
import { clockOf, clone, controllerRef, createObject, getControllerOf, getObject, isControlledBy, listObjects, nowTime, removeObject, touchObject } from './store.ts';
import { recordEvent } from './events.ts';
import { isPodActive, isPodReady, labelsOf, selects, type Pod } from './pods.ts';
import { podMatchesNode, untoleratedTaint } from './scheduler.ts';
import { admitPod } from './admission.ts';
import { defaultObject } from '../k8s/defaults.ts';

export type Deployment = V1Deployment & KObject;
export type ReplicaSet = V1ReplicaSet & KObject;
export type DaemonSet = V1DaemonSet & KObject;

const HASH_LABEL = 'pod-template-hash';
const REVISION = 'deployment.kubernetes.io/revision';
const DESIRED = 'deployment.kubernetes.io/desired-replicas';
const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';

/** Pod QoS class as the API server computes it at creation. */
export function qosClass(spec: { containers?: { resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }[] }): string {
  const cs = spec.containers ?? [];
  let any = false;
  let guaranteed = cs.length > 0;
  for (const c of cs) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      if (lim[r] === undefined || (req[r] !== undefined && req[r] !== lim[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** A pod from a template, as controller.GetPodFromTemplate + the API server's create make it. */
function podFromTemplate(state: ClusterState, template: V1PodTemplateSpec, owner: KObject, extraLabels: Record<string, string> = {}): Pod {
  const t = clone(template);
  const name = generateName(state, `${owner.metadata.name}-`);
  const spec = (t.spec ?? { containers: [] }) as unknown as Record<string, unknown>;
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      generateName: `${owner.metadata.name}-`,
      namespace: owner.metadata.namespace ?? 'default',
      labels: { ...(t.metadata?.labels ?? {}), ...extraLabels },
      ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      ownerReferences: [controllerRef(owner)],
    },
    spec: spec as unknown as Pod['spec'],
    status: { phase: 'Pending', qosClass: qosClass(spec as never) },
  };
  const defaulted = defaultObject(pod, pod.metadata.namespace);
  admitPod(state, defaulted);
  return createObject(state, defaulted);
}

// ---- ReplicaSet -------------------------------------------------------------------------------

function podsOwnedBy(state: ClusterState, owner: KObject): Pod[] {
  return listObjects<Pod>(state, 'Pod', owner.metadata.namespace ?? 'default').filter((p) => isControlledBy(p, owner));
}

const PHASE_ORD: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function readyTime(p: Pod): number | undefined {
  const c = (p.status?.conditions ?? []).find((x) => x.type === 'Ready' && x.status === 'True');
  return c ? clockOf(c.lastTransitionTime as unknown as string) : undefined;
}

/** LogarithmicScaleDown (logarithmicRankDiff): age bucket = ⌊log2(age in ns)⌋, −1 for no age. */
function logBucket(now: number, t: number): number {
  const ns = (now - t) * 1e9;
  return ns > 0 ? Math.floor(Math.log2(ns)) : -1;
}

/** controller.ActivePodsWithRanks ordering: the pods earlier in the result are deleted first. */
export function rankPodsForDeletion(state: ClusterState, pods: Pod[], related: Pod[]): Pod[] {
  const onNode = new Map<string, number>();
  for (const p of related) if (isPodActive(p) && p.spec?.nodeName) onNode.set(p.spec.nodeName, (onNode.get(p.spec.nodeName) ?? 0) + 1);
  const rank = (p: Pod) => (p.spec?.nodeName ? onNode.get(p.spec.nodeName) ?? 0 : 0);
  const cost = (p: Pod) => Number(p.metadata.annotations?.['controller.kubernetes.io/pod-deletion-cost'] ?? 0) || 0;
  const restarts = (p: Pod) => Math.max(0, ...(p.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));
  const now = state.clock;
  const byUid = (a: Pod, b: Pod) => ((a.metadata.uid ?? '') < (b.metadata.uid ?? '') ? -1 : (a.metadata.uid ?? '') > (b.metadata.uid ?? '') ? 1 : 0);
  const less = (a: Pod, b: Pod): number => {
    const an = a.spec?.nodeName ?? '';
    const bn = b.spec?.nodeName ?? '';
    if (an !== bn && (an === '' || bn === '')) return an === '' ? -1 : 1;
    const ap = PHASE_ORD[a.status?.phase ?? 'Pending'] ?? 0;
    const bp = PHASE_ORD[b.status?.phase ?? 'Pending'] ?? 0;
    if (ap !== bp) return ap - bp;
    const ar = isPodReady(a);
    const br = isPodReady(b);
    if (ar !== br) return ar ? 1 : -1;
    if (cost(a) !== cost(b)) return cost(a) - cost(b);
    if (rank(a) !== rank(b)) return rank(b) - rank(a);
    if (ar && br) {
      const at = readyTime(a);
      const bt = readyTime(b);
      if (at !== bt && at !== undefined && bt !== undefined) {
        // More recently ready (smaller age bucket) first; same bucket → UID order, final.
        const d = logBucket(now, at) - logBucket(now, bt);
        return d !== 0 ? d : byUid(a, b);
      }
    }
    if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
    const ac = clockOf(a.metadata.creationTimestamp as unknown as string);
    const bc = clockOf(b.metadata.creationTimestamp as unknown as string);
    if (ac !== bc) {
      const d = logBucket(now, ac) - logBucket(now, bc); // newer first
      return d !== 0 ? d : byUid(a, b);
    }
    // Upstream stops here (equal); the UID keeps our order deterministic.
    return byUid(a, b);
  };
  return [...pods].sort(less);
}

/** Marks a pod for deletion (graceful delete); the kubelet step tears it down. */
export function deletePod(state: ClusterState, pod: Pod): void {
  if (pod.metadata.deletionTimestamp) return;
  const m = pod.metadata as unknown as Record<string, unknown>;
  m.deletionTimestamp = nowTime(state);
  m.deletionGracePeriodSeconds = pod.spec?.terminationGracePeriodSeconds ?? 30;
  touchObject(state, pod);
}

/** Pods of every ReplicaSet controlled by the same Deployment (for the co-location rank). */
function relatedPods(state: ClusterState, rs: ReplicaSet): Pod[] {
  const owner = getControllerOf(rs);
  const ns = rs.metadata.namespace ?? 'default';
  if (!owner || owner.kind !== 'Deployment') return podsOwnedBy(state, rs);
  const siblings = listObjects<ReplicaSet>(state, 'ReplicaSet', ns).filter((r) => getControllerOf(r)?.uid === owner.uid);
  return siblings.flatMap((r) => podsOwnedBy(state, r));
}

/** One sync of a ReplicaSet; returns true when it changed anything. */
export function syncReplicaSet(state: ClusterState, rs: ReplicaSet): boolean {
  let changed = false;
  const want = rs.spec?.replicas ?? 1;
  const active = podsOwnedBy(state, rs).filter(isPodActive);
  const diff = active.length - want;
  if (diff < 0) {
    for (let i = 0; i < -diff; i++) {
      const hash = rs.metadata.labels?.[HASH_LABEL];
      const pod = podFromTemplate(state, rs.spec!.template!, rs, hash && !rs.spec!.template!.metadata?.labels?.[HASH_LABEL] ? { [HASH_LABEL]: hash } : {});
      recordEvent(state, rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, 'replicaset-controller');
    }
    changed = true;
  } else if (diff > 0) {
    const victims = rankPodsForDeletion(state, active, relatedPods(state, rs)).slice(0, diff);
    for (const p of victims) {
      deletePod(state, p);
      recordEvent(state, rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, 'replicaset-controller');
    }
    changed = true;
  }
  // Status (calculateStatus).
  const pods = podsOwnedBy(state, rs).filter(isPodActive);
  const tmplLabels = rs.spec?.template?.metadata?.labels ?? {};
  const minReady = rs.spec?.minReadySeconds ?? 0;
  const ready = pods.filter(isPodReady);
  const available = ready.filter((p) => minReady === 0 || (readyTime(p) ?? state.clock) + minReady <= state.clock);
  const status: Record<string, unknown> = {
    replicas: pods.length,
    fullyLabeledReplicas: pods.filter((p) => Object.entries(tmplLabels).every(([k, v]) => labelsOf(p)[k] === v)).length,
    readyReplicas: ready.length,
    availableReplicas: available.length,
    observedGeneration: rs.metadata.generation ?? 1,
  };
  for (const k of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'] as const) if (status[k] === 0) delete status[k];
  if (canonicalJson(status) !== canonicalJson(rs.status ?? {})) {
    rs.status = status as never;
    touchObject(state, rs);
    changed = true;
  }
  return changed;
}

// ---- Deployment ------------------------------------------------------------------------------

function intOrPercent(v: unknown, total: number, roundUp: boolean, dflt: string): number {
  const x = v ?? dflt;
  if (typeof x === 'number') return x;
  const m = /^(\d+)%$/.exec(String(x));
  if (!m) return Number(x) || 0;
  const f = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(f) : Math.floor(f);
}

function surgeAndUnavailable(d: Deployment): { surge: number; unavailable: number } {
  const replicas = d.spec?.replicas ?? 1;
  if (d.spec?.strategy?.type === 'Recreate') return { surge: 0, unavailable: replicas };
  const ru = d.spec?.strategy?.rollingUpdate;
  const surge = intOrPercent(ru?.maxSurge, replicas, true, '25%');
  let unavailable = intOrPercent(ru?.maxUnavailable, replicas, false, '25%');
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable: Math.min(unavailable, replicas) };
}

function templateWithoutHash(t: V1PodTemplateSpec | undefined): string {
  const c = clone(t ?? {}) as V1PodTemplateSpec;
  if (c.metadata?.labels) delete c.metadata.labels[HASH_LABEL];
  return canonicalJson(c);
}

function scaleRs(state: ClusterState, d: Deployment, rs: ReplicaSet, to: number): void {
  const from = rs.spec?.replicas ?? 0;
  const { surge } = surgeAndUnavailable(d);
  const want = d.spec?.replicas ?? 1;
  rs.metadata.annotations = { ...(rs.metadata.annotations ?? {}), [DESIRED]: String(want), [MAX_REPLICAS]: String(want + surge) };
  if (from === to) {
    touchObject(state, rs);
    return;
  }
  rs.spec!.replicas = to;
  touchObject(state, rs, true);
  recordEvent(state, d, 'Normal', 'ScalingReplicaSet', `Scaled ${from < to ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${to}`, 'deployment-controller');
}

export function syncDeployment(state: ClusterState, d: Deployment): boolean {
  const ns = d.metadata.namespace ?? 'default';
  const want = d.spec?.replicas ?? 1;
  const { surge, unavailable } = surgeAndUnavailable(d);
  let changed = false;
  const owned = listObjects<ReplicaSet>(state, 'ReplicaSet', ns).filter((r) => isControlledBy(r, d));
  const tmpl = templateWithoutHash(d.spec?.template);
  let newRs = owned.find((r) => templateWithoutHash(r.spec?.template) === tmpl);
  const old = owned.filter((r) => r !== newRs);
  const maxOldRevision = Math.max(0, ...old.map((r) => Number(r.metadata.annotations?.[REVISION] ?? 0)));
  const recreate = d.spec?.strategy?.type === 'Recreate';
  const oldActive = () => old.reduce((n, r) => n + podsOwnedBy(state, r).filter(isPodActive).length, 0);

  if (!newRs) {
    let collision = (d.status as { collisionCount?: number } | undefined)?.collisionCount;
    for (;;) {
      const hash = computePodTemplateHash(d.spec?.template, collision);
      const name = `${d.metadata.name}-${hash}`;
      const existing = getObject<ReplicaSet>(state, 'ReplicaSet', ns, name);
      if (existing) {
        collision = (collision ?? 0) + 1;
        d.status = { ...(d.status ?? {}), collisionCount: collision } as never;
        continue;
      }
      const total = owned.reduce((n, r) => n + (r.spec?.replicas ?? 0), 0);
      let replicas: number;
      if (recreate) replicas = oldActive() > 0 || owned.some((r) => (r.spec?.replicas ?? 0) > 0) ? 0 : want;
      else replicas = old.length === 0 ? want : Math.max(0, Math.min(want + surge - total, want));
      const template = clone(d.spec!.template!);
      template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [HASH_LABEL]: hash } };
      const selector = clone(d.spec!.selector);
      selector.matchLabels = { ...(selector.matchLabels ?? {}), [HASH_LABEL]: hash };
      const rs: ReplicaSet = {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name,
          namespace: ns,
          labels: { ...(template.metadata.labels ?? {}) },
          annotations: { [DESIRED]: String(want), [MAX_REPLICAS]: String(want + surge), [REVISION]: String(maxOldRevision + 1) },
          ownerReferences: [controllerRef(d)],
        },
        spec: { replicas, minReadySeconds: d.spec?.minReadySeconds, selector, template },
      };
      if (rs.spec!.minReadySeconds === undefined) delete rs.spec!.minReadySeconds;
      newRs = createObject(state, rs);
      if (replicas > 0) recordEvent(state, d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} from 0 to ${replicas}`, 'deployment-controller');
      d.metadata.annotations = { ...(d.metadata.annotations ?? {}), [REVISION]: String(maxOldRevision + 1) };
      touchObject(state, d);
      changed = true;
      break;
    }
  }
  const nrs = newRs!;
  // A rollback reuses an old ReplicaSet; it becomes the newest revision again.
  if (Number(nrs.metadata.annotations?.[REVISION] ?? 0) <= maxOldRevision) {
    nrs.metadata.annotations = { ...(nrs.metadata.annotations ?? {}), [REVISION]: String(maxOldRevision + 1) };
    touchObject(state, nrs);
    changed = true;
  }
  if (d.metadata.annotations?.[REVISION] !== nrs.metadata.annotations?.[REVISION]) {
    d.metadata.annotations = { ...(d.metadata.annotations ?? {}), [REVISION]: nrs.metadata.annotations?.[REVISION] ?? '1' };
    touchObject(state, d);
    changed = true;
  }

  if (recreate) {
    for (const r of old) if ((r.spec?.replicas ?? 0) > 0) (scaleRs(state, d, r, 0), (changed = true));
    if (oldActive() === 0 && (nrs.spec?.replicas ?? 0) !== want) (scaleRs(state, d, nrs, want), (changed = true));
  } else {
    // reconcileNewReplicaSet
    const cur = nrs.spec?.replicas ?? 0;
    if (cur > want) {
      scaleRs(state, d, nrs, want);
      changed = true;
    } else if (cur < want) {
      const total = owned.concat(owned.includes(nrs) ? [] : [nrs]).reduce((n, r) => n + (r.spec?.replicas ?? 0), 0);
      const up = Math.min(want + surge - total, want - cur);
      if (up > 0) {
        scaleRs(state, d, nrs, cur + up);
        changed = true;
      }
    }
    // reconcileOldReplicaSets
    const oldCount = old.reduce((n, r) => n + (r.spec?.replicas ?? 0), 0);
    if (oldCount > 0) {
      const all = [...old, nrs];
      const allCount = all.reduce((n, r) => n + (r.spec?.replicas ?? 0), 0);
      const minAvailable = want - unavailable;
      const newUnavailable = (nrs.spec?.replicas ?? 0) - ((nrs.status?.availableReplicas as number | undefined) ?? 0);
      let maxScaledDown = allCount - minAvailable - newUnavailable;
      if (maxScaledDown > 0) {
        const byAge = [...old].sort((a, b) => clockOf(a.metadata.creationTimestamp as unknown as string) - clockOf(b.metadata.creationTimestamp as unknown as string) || (a.metadata.name < b.metadata.name ? -1 : 1));
        // cleanupUnhealthyReplicas
        for (const r of byAge) {
          if (maxScaledDown <= 0) break;
          const reps = r.spec?.replicas ?? 0;
          const avail = (r.status?.availableReplicas as number | undefined) ?? 0;
          if (reps === avail) continue;
          const down = Math.min(maxScaledDown, reps - avail);
          scaleRs(state, d, r, reps - down);
          maxScaledDown -= down;
          changed = true;
        }
        // scaleDownOldReplicaSetsForRollingUpdate
        const availableAll = all.reduce((n, r) => n + ((r.status?.availableReplicas as number | undefined) ?? 0), 0);
        let total = Math.min(maxScaledDown, availableAll - minAvailable);
        for (const r of byAge) {
          if (total <= 0) break;
          const reps = r.spec?.replicas ?? 0;
          if (reps === 0) continue;
          const down = Math.min(reps, total);
          scaleRs(state, d, r, reps - down);
          total -= down;
          changed = true;
        }
      }
    }
  }

  // cleanupDeployment: keep revisionHistoryLimit old ReplicaSets with no replicas.
  const limit = d.spec?.revisionHistoryLimit ?? 10;
  const idle = old
    .filter((r) => (r.spec?.replicas ?? 0) === 0 && (r.status?.replicas ?? 0) === 0 && getObject(state, 'ReplicaSet', ns, r.metadata.name))
    .sort((a, b) => Number(a.metadata.annotations?.[REVISION] ?? 0) - Number(b.metadata.annotations?.[REVISION] ?? 0));
  while (idle.length > limit) {
    const r = idle.shift()!;
    removeObject(state, r);
    changed = true;
  }

  // Status.
  const live = listObjects<ReplicaSet>(state, 'ReplicaSet', ns).filter((r) => isControlledBy(r, d));
  const sum = (f: (r: ReplicaSet) => number) => live.reduce((n, r) => n + f(r), 0);
  const replicas = sum((r) => (r.status?.replicas as number | undefined) ?? 0);
  const readyReplicas = sum((r) => (r.status?.readyReplicas as number | undefined) ?? 0);
  const availableReplicas = sum((r) => (r.status?.availableReplicas as number | undefined) ?? 0);
  const updatedReplicas = (nrs.status?.replicas as number | undefined) ?? 0;
  const now = nowTime(state);
  const prev = (d.status?.conditions ?? []) as unknown as { type: string; status: string; reason: string; message: string; lastUpdateTime: string; lastTransitionTime: string }[];
  const cond = (type: string, status: string, reason: string, message: string) => {
    const p = prev.find((c) => c.type === type);
    const same = p && p.status === status && p.reason === reason && p.message === message;
    return {
      lastTransitionTime: p && p.status === status ? p.lastTransitionTime : now,
      lastUpdateTime: same ? p.lastUpdateTime : now,
      message,
      reason,
      status,
      type,
    };
  };
  const minAvail = want - unavailable;
  const complete = updatedReplicas === want && replicas === want && availableReplicas === want;
  const conditions = [
    availableReplicas >= minAvail
      ? cond('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
      : cond('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'),
    complete
      ? cond('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${nrs.metadata.name}" has successfully progressed.`)
      : cond('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${nrs.metadata.name}" is progressing.`),
  ];
  const status: Record<string, unknown> = {
    availableReplicas,
    conditions,
    observedGeneration: d.metadata.generation ?? 1,
    readyReplicas,
    replicas,
    updatedReplicas,
  };
  const unavailableReplicas = Math.max(0, sum((r) => r.spec?.replicas ?? 0) - availableReplicas);
  if (unavailableReplicas > 0) status.unavailableReplicas = unavailableReplicas;
  for (const k of ['availableReplicas', 'readyReplicas', 'replicas', 'updatedReplicas']) if (status[k] === 0) delete status[k];
  const cc = (d.status as { collisionCount?: number } | undefined)?.collisionCount;
  if (cc !== undefined) status.collisionCount = cc;
  if (canonicalJson(status) !== canonicalJson(d.status ?? {})) {
    d.status = status as never;
    touchObject(state, d);
    changed = true;
  }
  return changed;
}

// ---- DaemonSet ----------------------------------------------------------------------------------

const DS_TOLERATIONS = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

/** The node a DaemonSet pod is pinned to (nodeName, or the matchFields affinity the controller sets). */
function dsPodNode(p: Pod): string | undefined {
  if (p.spec?.nodeName) return p.spec.nodeName;
  const terms = (p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution as { nodeSelectorTerms?: { matchFields?: { key: string; values?: string[] }[] }[] } | undefined)?.nodeSelectorTerms;
  return terms?.[0]?.matchFields?.find((f) => f.key === 'metadata.name')?.values?.[0];
}

/** util.ReplaceDaemonSetPodNodeNameNodeAffinity: pin the pod to one node via matchFields. */
function pinToNode(spec: Record<string, unknown>, node: string): void {
  const affinity = (spec.affinity ?? {}) as Record<string, unknown>;
  const na = (affinity.nodeAffinity ?? {}) as Record<string, unknown>;
  const term = { matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] };
  const req = na.requiredDuringSchedulingIgnoredDuringExecution as { nodeSelectorTerms?: Record<string, unknown>[] } | undefined;
  if (!req || !req.nodeSelectorTerms || req.nodeSelectorTerms.length === 0) {
    na.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: [term] };
  } else {
    // Keep the user's expressions, replace any metadata.name field in every term.
    for (const t of req.nodeSelectorTerms) {
      t.matchFields = [{ key: 'metadata.name', operator: 'In', values: [node] }];
    }
  }
  affinity.nodeAffinity = na;
  spec.affinity = affinity;
}

export function syncDaemonSet(state: ClusterState, ds: DaemonSet): boolean {
  let changed = false;
  const pods = podsOwnedBy(state, ds);
  const gen = ds.metadata.generation ?? 1;
  const revHash = computePodTemplateHash(ds.spec?.template);
  let desired = 0;
  for (const n of state.nodes) {
    const node = getObject<{ metadata: { labels?: Record<string, string> } }>(state, 'Node', '', n.name);
    const labels = node?.metadata.labels ?? {};
    const probe = { spec: ds.spec?.template?.spec, metadata: { name: '' } } as unknown as Pod;
    const should = podMatchesNode(probe, n.name, labels) && !untoleratedTaint(probe, node as never);
    let here = pods.filter((p) => isPodActive(p) && dsPodNode(p) === n.name);
    if (should) desired++;
    // RollingUpdate/OnDelete: pods from an older template revision are replaced (RollingUpdate).
    if (should && (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
      const outdated = here.filter((p) => p.metadata.labels?.['controller-revision-hash'] !== revHash);
      for (const p of outdated) {
        deletePod(state, p);
        recordEvent(state, ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, 'daemonset-controller');
        changed = true;
      }
      if (outdated.length > 0) continue;
      here = here.filter((p) => !outdated.includes(p));
    }
    if (should && here.length === 0) {
      const t = clone(ds.spec!.template!);
      const spec = (t.spec ?? {}) as Record<string, unknown>;
      pinToNode(spec, n.name);
      const tol = ((spec.tolerations as { key?: string; effect?: string }[] | undefined) ?? []).slice();
      const extra = [...DS_TOLERATIONS];
      if (spec.hostNetwork) extra.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
      for (const e of extra) if (!tol.some((x) => x.key === e.key && x.effect === e.effect)) tol.push(e);
      spec.tolerations = tol;
      t.spec = spec as never;
      const pod = podFromTemplate(state, t, ds, { 'controller-revision-hash': revHash, 'pod-template-generation': String(gen) });
      recordEvent(state, ds, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, 'daemonset-controller');
      changed = true;
    } else if (!should || here.length > 1) {
      const extra = should ? here.slice(1) : here;
      for (const p of extra) {
        deletePod(state, p);
        recordEvent(state, ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, 'daemonset-controller');
        changed = true;
      }
    }
  }
  const live = podsOwnedBy(state, ds).filter(isPodActive);
  const scheduled = live.filter((p) => p.spec?.nodeName);
  const ready = scheduled.filter(isPodReady);
  const status: Record<string, unknown> = {
    currentNumberScheduled: scheduled.length,
    desiredNumberScheduled: desired,
    numberAvailable: ready.length,
    numberMisscheduled: 0,
    numberReady: ready.length,
    observedGeneration: gen,
    updatedNumberScheduled: scheduled.length,
  };
  if (ready.length < desired) status.numberUnavailable = desired - ready.length;
  if (status.numberAvailable === 0) delete status.numberAvailable;
  if (canonicalJson(status) !== canonicalJson(ds.status ?? {})) {
    ds.status = status as never;
    touchObject(state, ds);
    changed = true;
  }
  return changed;
}

/** ownerReference garbage collection (background propagation): dependents of vanished owners go. */
export function collectGarbage(state: ClusterState): boolean {
  let changed = false;
  const uids = new Set(Object.values(state.objects).map((o) => o.metadata.uid));
  for (const o of Object.values(state.objects)) {
    const refs = (o.metadata.ownerReferences ?? []) as { uid: string }[];
    if (refs.length === 0 || refs.some((r) => uids.has(r.uid))) continue;
    if (o.kind === 'Pod') {
      if ((o as Pod).metadata.deletionTimestamp) continue;
      deletePod(state, o as Pod);
    } else removeObject(state, o);
    changed = true;
  }
  return changed;
}

export { selects };
