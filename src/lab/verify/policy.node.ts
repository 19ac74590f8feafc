// The policy section of `kubewire lab verify` (Node only, root): every planned pod pair (policy.ts)
// makes one real, bounded TCP connect in the live lab, from the source pod's namespace to the
// destination pod's IP and port; a server is started wherever nothing listens yet. The kernel's
// outcome is set beside the API's matrix cell and the engine's walk: all three must agree.
import type { ClusterState } from '../../control-plane/types.ts';
import { podSandbox } from '../../control-plane/kubelet.ts';
import { KubewireError } from '../../errors.ts';
import type { LabRecord } from '../lab.node.ts';
import { listening, runClient, startServer, type Server } from './probe.node.ts';
import { planPolicyPairs, type PolicyPlan, type PolicyPlanOptions } from './policy.ts';
import type { WalkWorld } from '../../engine/walk.ts';

export interface PolicyPairReport {
  source: string;
  target: string;
  ip: string;
  port: number;
  agree: boolean;
  matrix: { allowed: boolean; egress: string; ingress: string };
  engine: { delivered: boolean; code: string; reason: string };
  kernel: { connected: boolean; outcome: string; detail: string };
  /** What the kernel should have done (the matrix when policies are enforced, else delivered). */
  expected: boolean;
  /** On a disagreement: the deciding policy and rule, per direction (the matrix's explanation). */
  explanation?: string;
  mismatches: string[];
}

export interface PolicyReport {
  enforced: boolean;
  note: string;
  namespaces: string[];
  policies: string[];
  candidates: number;
  noPort: string[];
  pairs: PolicyPairReport[];
  agreeing: number;
}

export interface PolicyProbeOptions extends PolicyPlanOptions {
  /** Seconds a connect waits (default 2). */
  timeoutSec?: number;
  log?: (line: string) => void;
  world?: WalkWorld;
}

const podName = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;

// A request an HTTP server answers at once (the client reads the first answer, briefly).
const HTTP_GET = new TextEncoder().encode('GET / HTTP/1.0\r\nHost: kubewire-verify\r\n\r\n');

/** The lab namespace of a pod. */
function realNs(state: ClusterState, rec: LabRecord, namespace: string, name: string): string {
  const obj = state.objects[`Pod/${namespace}/${name}`] as unknown as { spec?: { nodeName?: string } } | undefined;
  const node = obj?.spec?.nodeName ?? '';
  const netns = podSandbox(state, namespace, name)?.netns ?? '';
  const r = rec.nodes.find((n) => n.node === node)?.ns[netns];
  if (!r) throw new KubewireError(`lab ${rec.id} has no namespace for pod ${namespace}/${name} (${node} ${netns}); the cluster changed since lab up (lab down && lab up)`);
  return r;
}

/** Connect every planned pair in lab `rec` (built from `state`) and compare matrix, engine and kernel. */
export async function probePolicyPairs(state: ClusterState, rec: LabRecord, opts: PolicyProbeOptions = {}, plan: PolicyPlan = planPolicyPairs(state, opts, opts.world)): Promise<PolicyReport> {
  const timeoutSec = opts.timeoutSec ?? 2;
  const log = opts.log ?? (() => {});
  const report: PolicyReport = { enforced: plan.enforced, note: plan.note, namespaces: plan.namespaces, policies: plan.policies, candidates: plan.candidates, noPort: plan.noPort, pairs: [], agreeing: 0 };
  const servers: Server[] = [];
  try {
    // A server on every destination's port where nothing listens yet, alive as long as the probes may take.
    const ttl = plan.pairs.length * (timeoutSec + 2) + 30;
    const wanted = new Map<string, { real: string; port: number }>();
    for (const p of plan.pairs) {
      const real = realNs(state, rec, p.dst.namespace, p.dst.name);
      wanted.set(`${real}:${p.port}`, { real, port: p.port });
    }
    for (const w of wanted.values()) if (!listening(w.real, 'TCP', w.port)) servers.push(await startServer(w.real, 'TCP', w.port, 'kubewire-verify', ttl));
    for (const [n, p] of plan.pairs.entries()) {
      const src = realNs(state, rec, p.src.namespace, p.src.name);
      log(`policy pair ${n + 1}/${plan.pairs.length}: ${podName(p.src)} → ${podName(p.dst)} TCP ${p.dst.ip}:${p.port}`);
      // An ephemeral source port (0): a rerun must not meet the conntrack entry an earlier run left for the same tuple.
      const c = await runClient(src, 'TCP', p.dst.ip, p.port, 0, HTTP_GET, timeoutSec);
      const connected = c.outcome === 'connected';
      const mismatches: string[] = [];
      const said = (b: boolean) => (b ? 'allowed' : 'denied');
      if (plan.enforced && p.engine.delivered !== p.matrix.allowed) mismatches.push(`engine ${p.engine.delivered ? 'delivers' : `drops (${p.engine.code}: ${p.engine.reason})`}, the matrix says ${said(p.matrix.allowed)}`);
      if (!plan.enforced && !p.engine.delivered) mismatches.push(`engine drops (${p.engine.code}: ${p.engine.reason}) though nothing enforces NetworkPolicies`);
      if (connected !== p.expected) mismatches.push(`kernel ${connected ? 'connected' : `${c.outcome} (${c.detail})`}, expected ${p.expected ? 'a connection' : 'no connection'} (${plan.enforced ? `the matrix says ${said(p.matrix.allowed)}` : 'nothing enforces NetworkPolicies: all allowed'})`);
      const agree = mismatches.length === 0;
      if (agree) report.agreeing++;
      report.pairs.push({
        source: podName(p.src),
        target: podName(p.dst),
        ip: p.dst.ip,
        port: p.port,
        agree,
        matrix: { allowed: p.matrix.allowed, egress: p.matrix.egress.code, ingress: p.matrix.ingress.code },
        engine: { delivered: p.engine.delivered, code: p.engine.code, reason: p.engine.reason },
        kernel: { connected, outcome: c.outcome, detail: c.detail },
        expected: p.expected,
        ...(agree ? {} : { explanation: p.explanation }),
        mismatches,
      });
    }
  } finally {
    for (const s of servers) s.stop();
  }
  return report;
}

/** The policy section as text lines: one per pair, the details of each disagreement (with the deciding policy and rule). */
export function formatPolicy(r: PolicyReport): string[] {
  const out: string[] = [];
  out.push(`policy: ${r.policies.length} NetworkPolicies (${r.policies.join(', ')}) in ${r.namespaces.join(', ')}; ${r.pairs.length} of ${r.candidates} ordered pod pairs`);
  out.push(`  ${r.enforced ? 'enforced' : 'not enforced'}: ${r.note}`);
  for (const n of r.noPort) out.push(`  skipped destination ${n}: no listening TCP port known (give --policy-port)`);
  for (const p of r.pairs) {
    const v = (b: boolean) => (b ? 'allow' : 'deny');
    out.push(`${p.agree ? 'ok  ' : 'FAIL'} ${p.source} → ${p.target} (TCP ${p.ip}:${p.port}): matrix ${v(p.matrix.allowed)}, engine ${p.engine.delivered ? 'delivered' : p.engine.code}, kernel ${p.kernel.outcome}`);
    if (p.agree) continue;
    for (const m of p.mismatches) out.push(`         - ${m}`);
    if (p.engine.reason && !p.engine.delivered) out.push(`         engine: ${p.engine.reason}`);
    for (const l of (p.explanation ?? '').split('\n')) out.push(`         ${l}`);
  }
  return out;
}
