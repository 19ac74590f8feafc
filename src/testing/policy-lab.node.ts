// The live-lab NetworkPolicy scenario both CNIs' enforcement tests run: the e2e model pods
// (namespaces x, y; pods a, b, c), one policy set, and every ordered pair probed over TCP/80 by
// lab verify's pair probe (matrix, engine walk and a real connect per pair).
import type { Lab } from '../lab/lab.node.ts';
import type { ModelCluster } from '../netpol/cluster.testing.ts';
import { np } from '../netpol/testing.ts';
import { planPolicyPairs } from '../lab/verify/policy.ts';
import { probePolicyPairs } from '../lab/verify/policy.node.ts';

/** x admits only y/b to x/a on 80 (default deny otherwise); y/c may only reach x on 80. */
export function xyPolicies() {
  return [
    np('deny', { podSelector: {}, policyTypes: ['Ingress'] }),
    np('from-y-b', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'b' } } }], ports: [{ port: 'serve-80-tcp' }] }] }),
    np('egress-to-x', { podSelector: { matchLabels: { pod: 'c' } }, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: 'x' } } }], ports: [{ port: 80 }] }] }, 'y'),
  ];
}

export const XY_PODS = ['x/a', 'x/b', 'x/c', 'y/a', 'y/b', 'y/c'];

/** Probes every ordered pair; returns whether enforcement is on, the pair count, the disagreements,
 *  and the kernel's truth table (rows/columns XY_PODS, '.' connected or self, 'X' refused). */
export async function probeXyPairs(c: ModelCluster, lab: Lab) {
  const plan = planPolicyPairs(c.state, { namespaces: ['x', 'y'], port: 80, maxPairs: 1000 }, c.world());
  const r = await probePolicyPairs(c.state, lab.record, { timeoutSec: 1 }, plan);
  const disagreements = r.pairs.filter((p) => !p.agree).map((p) => `${p.source} -> ${p.target}: ${p.mismatches.join('; ')}`);
  const kernel = XY_PODS.map((s) => XY_PODS.map((d) => (s === d || r.pairs.find((p) => p.source === s && p.target === d)!.kernel.connected ? '.' : 'X')).join(''));
  return { enforced: plan.enforced, pairs: r.pairs.length, disagreements, kernel };
}
