// The policy section of `kubewire lab verify`, its plan (no Node modules): which ordered pod pairs to
// connect, on which TCP port, and what the NetworkPolicy API's matrix and the engine's walk say of
// each. The kernel side (real connects in the lab) is policy.node.ts.
//
// Pairs: every ordered pair of distinct non-hostNetwork pods with an IP in the namespaces the
// policies touch (those holding a NetworkPolicy and those a peer's namespaceSelector selects),
// capped at `maxPairs`, chosen with the seed. The port: the destination pod's first listening TCP
// port (podListeners, the same answer the engine's walk and the lab's workloads use), or `port`.
// What the kernel should do: the matrix's verdict when the CNI enforces policies (Calico's Felix,
// the VPC CNI's network policy agent), otherwise "delivered" for every pair, which is what the
// engine predicts as well.
import type { ClusterState } from '../../control-plane/types.ts';
import { ipsetsOf } from '../../cni/index.ts';
import { networkPolicyEnabled } from '../../cni/vpc-cni/policy-agent.ts';
import { clusterWorld } from '../../engine/index.ts';
import { seededRng } from '../../engine/packet.ts';
import type { WalkWorld } from '../../engine/walk.ts';
import { podListeners, podView } from '../../engine/apps/workloads.ts';
import { selectorMatches } from '../../k8s/validation.ts';
import type { V1Namespace, V1NetworkPolicy } from '../../k8s/types.ts';
import { dataplaneMatrix, type DataplaneCell } from '../../netpol/dataplane.ts';
import { matrix, type MatrixPod } from '../../netpol/matrix.ts';
import { enforced, enforcementNote, renderExplain } from '../../netpol/render.ts';
import type { Verdict } from '../../netpol/types.ts';

export const DEFAULT_POLICY_PAIRS = 64;

export interface PolicyPlanOptions {
  seed?: number;
  /** At most this many ordered pairs (default 64). */
  maxPairs?: number;
  /** Connect to this TCP port on every destination instead of its first listening TCP port. */
  port?: number;
  /** Only these namespaces (default: the ones the policies touch). */
  namespaces?: readonly string[];
}

export interface PolicyPair {
  src: MatrixPod;
  dst: MatrixPod;
  port: number;
  /** The NetworkPolicy API's verdict (the matrix cell). */
  matrix: Verdict;
  /** The engine's walk of the first packet. */
  engine: DataplaneCell;
  /** What the kernel should do: the matrix's verdict when something enforces policies, else delivered. */
  expected: boolean;
  /** The matrix's explanation: each direction with the deciding policy and rule. */
  explanation: string;
}

export interface PolicyPlan {
  /** Does something enforce NetworkPolicies here (Calico, or the VPC CNI's agent)? */
  enforced: boolean;
  note: string;
  namespaces: string[];
  policies: string[];
  /** All candidate ordered pairs (before the cap). */
  candidates: number;
  pairs: PolicyPair[];
  /** Destinations left out: no listening TCP port known and no `port` given. */
  noPort: string[];
}

const podName = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;

interface Peer {
  namespaceSelector?: unknown;
}

function ofKind<T>(state: ClusterState, kind: string): T[] {
  return Object.entries(state.objects)
    .filter(([k]) => k.startsWith(`${kind}/`))
    .map(([, o]) => o as T);
}

/** Namespaces holding a NetworkPolicy, plus those a peer's namespaceSelector selects. */
export function policyNamespaces(state: ClusterState): string[] {
  const policies = ofKind<V1NetworkPolicy>(state, 'NetworkPolicy');
  const namespaces = ofKind<V1Namespace>(state, 'Namespace');
  const out = new Set<string>();
  for (const p of policies) {
    out.add(p.metadata?.namespace ?? 'default');
    // Stored objects are the manifests' JSON: a rule's peers are under "from" / "to".
    const spec = p.spec as unknown as { ingress?: Array<{ from?: Peer[] }>; egress?: Array<{ to?: Peer[] }> } | undefined;
    const peers = [...(spec?.ingress ?? []).flatMap((r) => r.from ?? []), ...(spec?.egress ?? []).flatMap((r) => r.to ?? [])];
    for (const peer of peers) {
      if (!peer.namespaceSelector) continue;
      for (const n of namespaces) if (selectorMatches(peer.namespaceSelector, n.metadata?.labels ?? {})) out.add(n.metadata?.name ?? '');
    }
  }
  out.delete('');
  return [...out].sort();
}

/** The pairs to probe and what the matrix and the engine say of each. */
export function planPolicyPairs(state: ClusterState, opts: PolicyPlanOptions = {}, world?: WalkWorld): PolicyPlan {
  const agent = networkPolicyEnabled(state.spec);
  const isEnforced = enforced(state.spec.cni.type, { agent });
  const namespaces = opts.namespaces ? [...opts.namespaces] : policyNamespaces(state);
  const plan: PolicyPlan = { enforced: isEnforced, note: enforcementNote(state.spec.cni.type, { agent }), namespaces, policies: [], candidates: 0, pairs: [], noPort: [] };
  if (namespaces.length === 0) return plan;
  const w = world ?? ({ ...clusterWorld(state), ipsets: ipsetsOf(state) } as WalkWorld);
  // The pods (the matrix's order) and each one's port.
  const base = matrix(state, { port: opts.port ?? 80, protocol: 'TCP', namespaces });
  plan.policies = base.policies;
  const pods = base.pods.filter((p) => !p.hostNetwork);
  const portOf = new Map<string, number>();
  for (const p of pods) {
    let port = opts.port;
    if (port === undefined) {
      const v = podView(state, p.namespace, p.name);
      port = v ? podListeners(v).listeners.find((l) => l.proto === 'tcp')?.port : undefined;
    }
    if (port === undefined) plan.noPort.push(podName(p));
    else portOf.set(podName(p), port);
  }
  const candidates: Array<[MatrixPod, MatrixPod]> = [];
  for (const s of pods) for (const d of pods) if (s !== d && portOf.has(podName(d))) candidates.push([s, d]);
  plan.candidates = candidates.length;
  // A seeded sample (Fisher-Yates prefix), then back in matrix order.
  const max = opts.maxPairs ?? DEFAULT_POLICY_PAIRS;
  const idx = candidates.map((_, i) => i);
  const rng = seededRng(opts.seed ?? 1);
  for (let i = 0; i < Math.min(max, idx.length); i++) {
    const j = i + Math.floor(rng() * (idx.length - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  const chosen = idx.slice(0, Math.min(max, idx.length)).sort((a, b) => a - b).map((i) => candidates[i]!);
  // One matrix (and engine walk) per port the chosen destinations use.
  const byPort = new Map<number, { m: ReturnType<typeof matrix>; engine: DataplaneCell[][] }>();
  for (const [s, d] of chosen) {
    const port = portOf.get(podName(d))!;
    let e = byPort.get(port);
    if (!e) {
      const m = port === base.port ? base : matrix(state, { port, protocol: 'TCP', namespaces });
      e = { m, engine: dataplaneMatrix(state, m, w).cells };
      byPort.set(port, e);
    }
    const i = e.m.pods.indexOf(e.m.pods.find((p) => podName(p) === podName(s))!);
    const j = e.m.pods.indexOf(e.m.pods.find((p) => podName(p) === podName(d))!);
    const v = e.m.cells[i]![j]!;
    plan.pairs.push({
      src: s,
      dst: d,
      port,
      matrix: v,
      engine: e.engine[i]![j]!,
      expected: isEnforced ? v.allowed : true,
      explanation: renderExplain(s, d, { port, protocol: 'TCP' }, v).trimEnd(),
    });
  }
  return plan;
}
