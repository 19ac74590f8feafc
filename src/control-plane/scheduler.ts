// kube-scheduler's default profile, reduced to what decides placement in kubewire:
//   Filter: NodeAffinity (nodeSelector, required node affinity incl. the DaemonSet
//           matchFields pre-filter), NodeResourcesFit on the "pods" resource, PodTopologySpread
//           DoNotSchedule constraints, required inter-pod anti-affinity.
//   Score:  PodTopologySpread (weight 2; explicit ScheduleAnyway constraints, else the system
//           defaults hostname/maxSkew 3 + zone/maxSkew 5 over the pod's Service/ReplicaSet
//           selectors), InterPodAffinity preferred terms (weight 2), NodeResourcesFit
//           LeastAllocated (weight 1) — on the pod count, since kubewire tracks no CPU/memory.
//   Select: highest total; ties broken at random (reservoir sampling, as selectHost does).
// Failure: FitError text "0/N nodes are available: <histogram>. preemption: 0/N nodes are
// available: <histogram>." with preemption's verdict per node (no victims can exist because
// kubewire pods all share one priority for preemption purposes).

import type { V1Node } from '../k8s/types.ts';
import { randInt } from '../k8s/rand.ts';
import type { ClusterState, NodeRecord } from './types.ts';
import { getControllerOf, getObject, listObjects } from './store.ts';
import { isPodActive, isTerminating, labelsOf, mapSelects, selects, type Pod } from './pods.ts';
import { selectorMatches } from '../k8s/validation.ts';

export const REASON_TOO_MANY_PODS = 'Too many pods';
export const REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
export const REASON_SPREAD = "node(s) didn't match pod topology spread constraints";
export const REASON_SPREAD_MISSING = "node(s) didn't match pod topology spread constraints (missing required label)";
export const REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const REASON_PREEMPT_NO_VICTIMS = 'No preemption victims found for incoming pod';
export const REASON_PREEMPT_NOT_HELPFUL = 'Preemption is not helpful for scheduling';

const HOSTNAME = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';

interface NodeView {
  record: NodeRecord;
  node: V1Node;
  labels: Record<string, string>;
  pods: Pod[];
  allocatablePods: number;
}

type Status = { ok: true } | { ok: false; reason: string; resolvable: boolean };

/**
 * Either a node, or the FitError text; when DefaultPreemption found a node where evicting
 * lower-priority pods makes room, `preempt` names it and the victims (the message then has no
 * "preemption:" part, as upstream leaves PostFilterMsg empty on success).
 */
export type ScheduleResult =
  | { ok: true; node: string }
  | { ok: false; message: string; preempt?: { node: string; victims: Pod[] } };

const prio = (p: Pod) => p.spec?.priority ?? 0;

/** MoreImportantPod: higher priority first, then the one that started earlier. */
function moreImportant(a: Pod, b: Pod): number {
  if (prio(a) !== prio(b)) return prio(b) - prio(a);
  const at = String(a.status?.startTime ?? a.metadata.creationTimestamp ?? '');
  const bt = String(b.status?.startTime ?? b.metadata.creationTimestamp ?? '');
  return at < bt ? -1 : at > bt ? 1 : 0;
}

/**
 * SelectVictimsOnNode for the pod-count resource: all lower-priority pods are potential victims;
 * the most important ones are reprieved while the incoming pod still fits.
 */
function victimsOnNode(pod: Pod, v: NodeView): { victims?: Pod[]; reason: string } {
  const lower = v.pods.filter((p) => !isTerminating(p) && prio(p) < prio(pod));
  if (lower.length === 0) return { reason: REASON_PREEMPT_NO_VICTIMS };
  const need = v.pods.length + 1 - v.allocatablePods;
  if (need > lower.length) return { reason: REASON_TOO_MANY_PODS };
  const ordered = [...lower].sort(moreImportant);
  return { victims: ordered.slice(ordered.length - need), reason: '' };
}

function nodeViews(state: ClusterState): NodeView[] {
  const pods = listObjects<Pod>(state, 'Pod').filter((p) => p.spec?.nodeName && !isTerminatedOrGone(p));
  return state.nodes.map((record) => {
    const node = getObject<V1Node>(state, 'Node', '', record.name)!;
    const alloc = Number(node?.status?.allocatable?.pods ?? record.podCapacity);
    return {
      record,
      node,
      labels: node?.metadata?.labels ?? {},
      pods: pods.filter((p) => p.spec!.nodeName === record.name),
      allocatablePods: alloc,
    };
  });
}

function isTerminatedOrGone(p: Pod): boolean {
  const ph = p.status?.phase;
  return ph === 'Succeeded' || ph === 'Failed';
}

// ---- node affinity -------------------------------------------------------------------------

interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}
interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

function reqMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const has = value !== undefined;
  const vals = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && vals.includes(value!);
    case 'NotIn':
      return !has || !vals.includes(value!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
      return has && /^-?\d+$/.test(value!) && Number(value) > Number(vals[0]);
    case 'Lt':
      return has && /^-?\d+$/.test(value!) && Number(value) < Number(vals[0]);
    default:
      return false;
  }
}

function termMatches(t: NodeSelectorTerm, name: string, labels: Record<string, string>): boolean {
  const exprs = t.matchExpressions ?? [];
  const fields = t.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  return (
    exprs.every((r) => reqMatches(r, labels[r.key])) &&
    fields.every((r) => reqMatches(r, r.key === 'metadata.name' ? name : undefined))
  );
}

/** nodeSelector AND required node affinity (terms ORed), as NodeAffinity Filter evaluates. */
export function podMatchesNode(pod: Pod, name: string, labels: Record<string, string>): boolean {
  const sel = pod.spec?.nodeSelector ?? {};
  for (const [k, v] of Object.entries(sel)) if (labels[k] !== v) return false;
  const req = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution as
    | { nodeSelectorTerms?: NodeSelectorTerm[] }
    | undefined;
  if (req && (req.nodeSelectorTerms ?? []).length > 0) {
    if (!(req.nodeSelectorTerms ?? []).some((t) => termMatches(t, name, labels))) return false;
  }
  return true;
}

/** NodeAffinity PreFilter: node names fixed by `matchFields metadata.name In [...]` in every term. */
function preFilterNodeNames(pod: Pod): Set<string> | undefined {
  const terms = (pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution as
    | { nodeSelectorTerms?: NodeSelectorTerm[] }
    | undefined)?.nodeSelectorTerms;
  if (!terms || terms.length === 0) return undefined;
  const names = new Set<string>();
  for (const t of terms) {
    const f = (t.matchFields ?? []).find((r) => r.key === 'metadata.name' && r.operator === 'In');
    if (!f) return undefined;
    for (const v of f.values ?? []) names.add(v);
  }
  return names;
}

// ---- topology spread -------------------------------------------------------------------------

interface SpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway';
  selector: unknown;
  minDomains?: number;
}

/** DefaultSelector: the selectors of Services selecting the pod and of its ReplicaSet owner. */
function defaultSelectorMatchers(state: ClusterState, pod: Pod): ((l: Record<string, string>) => boolean)[] {
  const ns = pod.metadata.namespace ?? 'default';
  const labels = labelsOf(pod);
  const out: ((l: Record<string, string>) => boolean)[] = [];
  for (const svc of listObjects<{ spec?: { selector?: Record<string, string> } }>(state, 'Service', ns)) {
    const sel = svc.spec?.selector;
    if (mapSelects(sel, labels)) out.push((l) => mapSelects(sel, l));
  }
  const owner = getControllerOf(pod);
  if (owner && (owner.kind === 'ReplicaSet' || owner.kind === 'StatefulSet' || owner.kind === 'ReplicationController')) {
    const o = getObject<{ spec?: { selector?: unknown } }>(state, owner.kind, ns, owner.name);
    const sel = o?.spec?.selector;
    if (sel) out.push((l) => selects(sel, l));
  }
  return out;
}

function spreadConstraints(state: ClusterState, pod: Pod): { hard: SpreadConstraint[]; soft: SpreadConstraint[]; matcher: (c: SpreadConstraint, l: Record<string, string>) => boolean } {
  const explicit = (pod.spec?.topologySpreadConstraints ?? []) as unknown as {
    maxSkew: number;
    topologyKey: string;
    whenUnsatisfiable: string;
    labelSelector?: unknown;
    minDomains?: number;
  }[];
  if (explicit.length > 0) {
    const all = explicit.map<SpreadConstraint>((c) => ({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      whenUnsatisfiable: c.whenUnsatisfiable === 'DoNotSchedule' ? 'DoNotSchedule' : 'ScheduleAnyway',
      selector: c.labelSelector,
      minDomains: c.minDomains,
    }));
    return {
      hard: all.filter((c) => c.whenUnsatisfiable === 'DoNotSchedule'),
      soft: all.filter((c) => c.whenUnsatisfiable === 'ScheduleAnyway'),
      matcher: (c, l) => (c.selector ? selectorMatches(c.selector, l) : false),
    };
  }
  const ms = defaultSelectorMatchers(state, pod);
  if (ms.length === 0) return { hard: [], soft: [], matcher: () => false };
  const match = (l: Record<string, string>) => ms.every((m) => m(l));
  return {
    hard: [],
    soft: [
      { maxSkew: 3, topologyKey: HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway', selector: undefined },
      { maxSkew: 5, topologyKey: ZONE, whenUnsatisfiable: 'ScheduleAnyway', selector: undefined },
    ],
    matcher: (_c, l) => match(l),
  };
}

function countMatching(pods: Pod[], ns: string, pred: (l: Record<string, string>) => boolean): number {
  return pods.filter((p) => !isTerminating(p) && (p.metadata.namespace ?? 'default') === ns && pred(labelsOf(p))).length;
}

// ---- inter-pod affinity ------------------------------------------------------------------------

interface PodAffinityTerm {
  labelSelector?: unknown;
  topologyKey: string;
  namespaces?: string[];
}

function termSelects(term: PodAffinityTerm, ownerNs: string, target: Pod): boolean {
  const nss = term.namespaces && term.namespaces.length > 0 ? term.namespaces : [ownerNs];
  if (!nss.includes(target.metadata.namespace ?? 'default')) return false;
  if (!term.labelSelector) return false;
  return selectorMatches(term.labelSelector, labelsOf(target));
}

function antiRequired(p: Pod): PodAffinityTerm[] {
  return (p.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) as unknown as PodAffinityTerm[];
}

// ---- the cycle -----------------------------------------------------------------------------------

interface Taint {
  key: string;
  value?: string;
  effect: string;
}
interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.operator === 'Exists') return !t.key || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
}

/** TaintToleration Filter: the first NoSchedule/NoExecute taint the pod does not tolerate. */
export function untoleratedTaint(pod: Pod, node: V1Node): Taint | undefined {
  const taints = (node?.spec?.taints ?? []) as Taint[];
  const tols = (pod.spec?.tolerations ?? []) as Toleration[];
  return taints.find((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tols.some((x) => tolerates(x, t)));
}

/** "<protocol>/<hostPort>" of every container port that claims a host port. */
function hostPorts(p: Pod): string[] {
  const out: string[] = [];
  for (const c of [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])]) {
    for (const port of c.ports ?? []) if (port.hostPort) out.push(`${port.protocol ?? 'TCP'}/${port.hostPort}`);
  }
  return out;
}

function affinityRequired(p: Pod): PodAffinityTerm[] {
  return (p.spec?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) as unknown as PodAffinityTerm[];
}

function filter(state: ClusterState, pod: Pod, v: NodeView, views: NodeView[], hard: SpreadConstraint[], matcher: (c: SpreadConstraint, l: Record<string, string>) => boolean): Status {
  if (v.node?.spec?.unschedulable && !((pod.spec?.tolerations ?? []) as Toleration[]).some((t) => tolerates(t, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }))) {
    return { ok: false, reason: 'node(s) were unschedulable', resolvable: false };
  }
  const taint = untoleratedTaint(pod, v.node);
  if (taint) {
    const reason = kubeMinor(state) >= 34 ? 'node(s) had untolerated taint(s)' : `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
    return { ok: false, reason, resolvable: false };
  }
  if (!podMatchesNode(pod, v.record.name, v.labels)) return { ok: false, reason: REASON_NODE_AFFINITY, resolvable: false };
  // NodePorts: host ports already taken on the node.
  const want = hostPorts(pod);
  if (want.length > 0) {
    const taken = new Set(v.pods.filter((p) => !isTerminating(p)).flatMap(hostPorts));
    if (want.some((hp) => taken.has(hp))) return { ok: false, reason: "node(s) didn't have free ports for the requested pod ports", resolvable: true };
  }
  if (v.pods.length + 1 > v.allocatablePods) return { ok: false, reason: REASON_TOO_MANY_PODS, resolvable: true };
  const ns = pod.metadata.namespace ?? 'default';
  if (hard.length > 0) {
    for (const c of hard) {
      if (!(c.topologyKey in v.labels)) return { ok: false, reason: REASON_SPREAD_MISSING, resolvable: false };
    }
    const eligible = views.filter((w) => podMatchesNode(pod, w.record.name, w.labels));
    for (const c of hard) {
      const counts = new Map<string, number>();
      for (const w of eligible) {
        const val = w.labels[c.topologyKey];
        if (val === undefined) continue;
        counts.set(val, (counts.get(val) ?? 0) + countMatching(w.pods, ns, (l) => matcher(c, l)));
      }
      let min = Infinity;
      for (const n of counts.values()) min = Math.min(min, n);
      if ((c.minDomains ?? 1) > counts.size) min = 0;
      const self = matcher(c, labelsOf(pod)) ? 1 : 0;
      const here = counts.get(v.labels[c.topologyKey]) ?? 0;
      if (here + self - (min === Infinity ? 0 : min) > c.maxSkew) return { ok: false, reason: REASON_SPREAD, resolvable: true };
    }
  }
  // Required pod affinity: some matching pod must run in the node's domain (or none anywhere
  // and the pod matches its own term, so the first of a group can land).
  for (const term of affinityRequired(pod)) {
    const val = v.labels[term.topologyKey];
    const anywhere = views.some((w) => w.pods.some((e) => isPodActive(e) && termSelects(term, ns, e)));
    const here = val !== undefined && views.some((w) => w.labels[term.topologyKey] === val && w.pods.some((e) => isPodActive(e) && termSelects(term, ns, e)));
    if (!here && !(!anywhere && termSelects(term, ns, pod))) return { ok: false, reason: "node(s) didn't match pod affinity rules", resolvable: false };
  }
  // Required anti-affinity, both the incoming pod's terms and existing pods' terms.
  for (const term of antiRequired(pod)) {
    const val = v.labels[term.topologyKey];
    if (val === undefined) continue;
    const clash = views.some((w) => w.labels[term.topologyKey] === val && w.pods.some((e) => isPodActive(e) && termSelects(term, ns, e)));
    if (clash) return { ok: false, reason: REASON_ANTI_AFFINITY, resolvable: true };
  }
  for (const w of views) {
    for (const e of w.pods) {
      for (const term of antiRequired(e)) {
        const val = w.labels[term.topologyKey];
        if (val !== undefined && v.labels[term.topologyKey] === val && termSelects(term, e.metadata.namespace ?? 'default', pod)) {
          return { ok: false, reason: REASON_ANTI_AFFINITY, resolvable: true };
        }
      }
    }
  }
  return { ok: true };
}

function histogram(reasons: string[]): string {
  const m = new Map<string, number>();
  for (const r of reasons) m.set(r, (m.get(r) ?? 0) + 1);
  return [...m.entries()]
    .map(([k, n]) => `${n} ${k}`)
    .sort()
    .join(', ');
}

function kubeMinor(state: ClusterState): number {
  const m = /^v?1\.(\d+)/.exec(state.spec.kubernetesVersion ?? '');
  return m ? Number(m[1]) : 0;
}

/** Runs one scheduling cycle for `pod`; does not bind. */
export function schedulePod(state: ClusterState, pod: Pod): ScheduleResult {
  const views = nodeViews(state);
  const n = views.length;
  if (n === 0) return { ok: false, message: 'no nodes available to schedule pods' };
  const { hard, soft, matcher } = spreadConstraints(state, pod);
  const pre = preFilterNodeNames(pod);
  const statuses: { view: NodeView; status: Status }[] = [];
  const feasible: NodeView[] = [];
  for (const v of views) {
    if (pre && !pre.has(v.record.name)) {
      statuses.push({ view: v, status: { ok: false, reason: "node(s) didn't satisfy plugin(s) [NodeAffinity]", resolvable: false } });
      continue;
    }
    const st = filter(state, pod, v, views, hard, matcher);
    statuses.push({ view: v, status: st });
    if (st.ok) feasible.push(v);
  }
  if (feasible.length === 0) {
    const failed = statuses.filter((s) => !s.status.ok) as { view: NodeView; status: { reason: string; resolvable: boolean } }[];
    let msg = `0/${n} nodes are available: ${histogram(failed.map((f) => f.status.reason))}.`;
    const dra = kubeMinor(state) >= 34 ? 'no new claims to deallocate, ' : '';
    // DefaultPreemption (PostFilter).
    const perNode: string[] = [];
    const candidates: { node: string; victims: Pod[] }[] = [];
    for (const f of failed) {
      if (!f.status.resolvable) {
        perNode.push(REASON_PREEMPT_NOT_HELPFUL);
      } else if (f.status.reason !== REASON_TOO_MANY_PODS) {
        perNode.push(REASON_PREEMPT_NO_VICTIMS);
      } else {
        const r = victimsOnNode(pod, f.view);
        if (r.victims) candidates.push({ node: f.view.record.name, victims: r.victims });
        else perNode.push(r.reason);
      }
    }
    if ((pod.spec?.preemptionPolicy ?? 'PreemptLowerPriority') !== 'Never' && candidates.length > 0) {
      // pickOneNodeForPreemption: lowest highest-victim priority, lowest priority sum, fewest victims.
      const key = (c: { victims: Pod[] }) => [Math.max(...c.victims.map(prio)), c.victims.reduce((a, p) => a + prio(p), 0), c.victims.length];
      candidates.sort((a, b) => {
        const ka = key(a);
        const kb = key(b);
        return ka[0] - kb[0] || ka[1] - kb[1] || ka[2] - kb[2];
      });
      return { ok: false, message: msg, preempt: candidates[0] };
    }
    for (const _c of candidates) perNode.push(REASON_PREEMPT_NO_VICTIMS);
    msg += ` ${dra}preemption: 0/${n} nodes are available: ${histogram(perNode)}.`;
    return { ok: false, message: msg };
  }
  if (feasible.length === 1) return { ok: true, node: feasible[0].record.name };

  const ns = pod.metadata.namespace ?? 'default';
  const total = new Map<string, number>(feasible.map((v) => [v.record.name, 0]));

  // PodTopologySpread score (weight 2).
  if (soft.length > 0) {
    const raw = new Map<string, number>();
    const ignored = new Set<string>();
    const eligibleAll = views.filter((w) => podMatchesNode(pod, w.record.name, w.labels) && soft.every((c) => c.topologyKey in w.labels));
    const weights = soft.map((c) => {
      const size = c.topologyKey === HOSTNAME ? feasible.length : new Set(feasible.map((v) => v.labels[c.topologyKey]).filter((x) => x !== undefined)).size;
      return Math.log(size + 2);
    });
    const domainCounts = soft.map((c) => {
      const m = new Map<string, number>();
      for (const w of eligibleAll) {
        const val = w.labels[c.topologyKey];
        m.set(val, (m.get(val) ?? 0) + countMatching(w.pods, ns, (l) => matcher(c, l)));
      }
      return m;
    });
    for (const v of feasible) {
      if (!soft.every((c) => c.topologyKey in v.labels)) {
        ignored.add(v.record.name);
        continue;
      }
      let s = 0;
      soft.forEach((c, i) => {
        const cnt = c.topologyKey === HOSTNAME ? countMatching(v.pods, ns, (l) => matcher(c, l)) : domainCounts[i].get(v.labels[c.topologyKey]) ?? 0;
        s += cnt * weights[i] + (c.maxSkew - 1);
      });
      raw.set(v.record.name, Math.round(s));
    }
    let min = Number.MAX_SAFE_INTEGER;
    let max = 0;
    for (const [name, s] of raw) {
      if (ignored.has(name)) continue;
      min = Math.min(min, s);
      max = Math.max(max, s);
    }
    for (const v of feasible) {
      const name = v.record.name;
      let norm = 0;
      if (!ignored.has(name)) {
        const s = raw.get(name)!;
        norm = max === 0 ? 100 : Math.trunc((100 * (max + min - s)) / max);
      }
      total.set(name, total.get(name)! + 2 * norm);
    }
  }

  // InterPodAffinity preferred terms (weight 2).
  {
    type WTerm = { weight: number; podAffinityTerm: PodAffinityTerm };
    const aff = (p: Pod) => (p.spec?.affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) as unknown as WTerm[];
    const anti = (p: Pod) => (p.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) as unknown as WTerm[];
    const raw = new Map<string, number>();
    let any = false;
    for (const v of feasible) {
      let s = 0;
      for (const w of views) {
        for (const e of w.pods) {
          if (!isPodActive(e)) continue;
          const eNs = e.metadata.namespace ?? 'default';
          const sameDomain = (key: string) => w.labels[key] !== undefined && w.labels[key] === v.labels[key];
          for (const t of aff(pod)) if (sameDomain(t.podAffinityTerm.topologyKey) && termSelects(t.podAffinityTerm, ns, e)) (s += t.weight), (any = true);
          for (const t of anti(pod)) if (sameDomain(t.podAffinityTerm.topologyKey) && termSelects(t.podAffinityTerm, ns, e)) (s -= t.weight), (any = true);
          for (const t of aff(e)) if (sameDomain(t.podAffinityTerm.topologyKey) && termSelects(t.podAffinityTerm, eNs, pod)) (s += t.weight), (any = true);
          for (const t of anti(e)) if (sameDomain(t.podAffinityTerm.topologyKey) && termSelects(t.podAffinityTerm, eNs, pod)) (s -= t.weight), (any = true);
        }
      }
      raw.set(v.record.name, s);
    }
    if (any) {
      const vals = [...raw.values()];
      const min = Math.min(...vals);
      const max = Math.max(...vals);
      for (const v of feasible) {
        const norm = max > min ? Math.trunc((100 * (raw.get(v.record.name)! - min)) / (max - min)) : 0;
        total.set(v.record.name, total.get(v.record.name)! + 2 * norm);
      }
    }
  }

  // NodeResourcesFit LeastAllocated on the pod count (weight 1).
  for (const v of feasible) {
    const cap = v.allocatablePods;
    const req = v.pods.length + 1;
    const s = cap > 0 && req <= cap ? Math.trunc(((cap - req) * 100) / cap) : 0;
    total.set(v.record.name, total.get(v.record.name)! + s);
  }

  // selectHost: reservoir sampling among the best.
  let best = -Infinity;
  let chosen = '';
  let ties = 0;
  for (const v of feasible) {
    const s = total.get(v.record.name)!;
    if (s > best) {
      best = s;
      chosen = v.record.name;
      ties = 1;
    } else if (s === best) {
      ties++;
      if (randInt(state, ties) === 0) chosen = v.record.name;
    }
  }
  return { ok: true, node: chosen };
}
