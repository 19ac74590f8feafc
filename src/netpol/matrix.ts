// All-pairs reachability under the cluster's NetworkPolicies: rows are sources, columns destinations,
// each cell the full verdict (which policy and rule decided it), like cyclonus's and the e2e suite's truth tables.
import type { ClusterState } from '../control-plane/types.ts';
import type { KObject, V1Namespace, V1NetworkPolicy, V1Pod } from '../k8s/types.ts';
import { compile, evaluatePairs, type Compiled } from './evaluate.ts';
import type { PolicyInputs, Protocol, Verdict } from './types.ts';

export interface MatrixOptions {
  port: number;
  protocol: Protocol;
  /** Only pods of these namespaces (default: every namespace). */
  namespaces?: readonly string[];
  /**
   * Also take pods that have no IP (objects from files, not scheduled): selectors still see them; an
   * ipBlock never matches them.
   */
  withoutIp?: boolean;
}

export interface MatrixPod {
  namespace: string;
  name: string;
  ip: string;
  hostNetwork: boolean;
}

export interface Matrix {
  port: number;
  protocol: Protocol;
  pods: MatrixPod[];
  /** cells[i][j]: pods[i] → pods[j]. */
  cells: Verdict[][];
  /** Pods left out: no IP yet, or finished. */
  skipped: Array<{ namespace: string; name: string; reason: 'NoPodIP' | 'Terminated' }>;
  /** NetworkPolicies considered, "namespace/name". */
  policies: string[];
}

function ofKind<T>(state: ClusterState, kind: string): T[] {
  const out: T[] = [];
  for (const [k, o] of Object.entries(state.objects)) if (k.startsWith(`${kind}/`)) out.push(o as T);
  return out;
}

/** The policy inputs a cluster holds (every Pod, Namespace and NetworkPolicy object). */
export function inputsOf(state: ClusterState): PolicyInputs {
  return {
    policies: ofKind<V1NetworkPolicy>(state, 'NetworkPolicy'),
    namespaces: ofKind<V1Namespace>(state, 'Namespace'),
    pods: ofKind<V1Pod>(state, 'Pod'),
  };
}

const podKey = (p: { metadata?: KObject['metadata'] | V1Pod['metadata'] }) => `${p.metadata?.namespace ?? 'default'}/${p.metadata?.name ?? ''}`;

/** The matrix over prepared inputs (pods with an IP that have not finished, sorted by namespace/name). */
export function matrixOf(inputs: PolicyInputs, opts: MatrixOptions, compiled: Compiled = compile(inputs)): Matrix {
  const want = opts.namespaces && opts.namespaces.length > 0 ? new Set(opts.namespaces) : undefined;
  const pods: MatrixPod[] = [];
  const skipped: Matrix['skipped'] = [];
  const sorted = [...inputs.pods].sort((a, b) => podKey(a).localeCompare(podKey(b)));
  for (const p of sorted) {
    const namespace = p.metadata?.namespace ?? 'default';
    const name = p.metadata?.name ?? '';
    if (want && !want.has(namespace)) continue;
    const phase = p.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') skipped.push({ namespace, name, reason: 'Terminated' });
    else if (!p.status?.podIP && !opts.withoutIp) skipped.push({ namespace, name, reason: 'NoPodIP' });
    else pods.push({ namespace, name, ip: p.status?.podIP ?? '', hostNetwork: p.spec?.hostNetwork === true });
  }
  const cells = evaluatePairs(compiled, pods, opts.port, opts.protocol);
  return {
    port: opts.port,
    protocol: opts.protocol,
    pods,
    cells,
    skipped,
    policies: compiled.policies.map((p) => `${p.ref.namespace}/${p.ref.name}`),
  };
}

/** All-pairs matrix over the cluster's pods. */
export function matrix(state: ClusterState, opts: MatrixOptions): Matrix {
  return matrixOf(inputsOf(state), opts);
}
