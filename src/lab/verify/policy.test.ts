// The policy section's plan: namespaces the policies touch, the seeded cap, each destination's port,
// and the matrix and the engine agreeing on the e2e model (Calico; the VPC CNI with and without its agent).
import { describe, expect, it } from 'vitest';
import { labTestCluster } from '../testing.ts';
import { modelCluster } from '../../netpol/cluster.testing.ts';
import { np } from '../../netpol/testing.ts';
import type { ClusterSpec } from '../../inputs/cluster-spec.ts';
import { planPolicyPairs, policyNamespaces } from './policy.ts';

const POLICIES = [
  np('deny', { podSelector: {}, policyTypes: ['Ingress'] }),
  np('from-y-b', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'b' } } }], ports: [{ port: 'serve-80-tcp' }] }] }),
];

function cluster(spec: ClusterSpec) {
  const c = modelCluster(spec);
  c.apply(POLICIES);
  return c;
}

const vpc = (agent: boolean) => {
  const spec = labTestCluster(1, false).spec;
  return { ...spec, cni: { ...spec.cni, vpcCni: { ...spec.cni.vpcCni, enableNetworkPolicy: agent } } };
};

describe('planPolicyPairs', () => {
  it('takes the namespaces holding policies and those a namespaceSelector selects', () => {
    const c = cluster(labTestCluster(1, false, 'calico-vxlan').spec);
    expect(policyNamespaces(c.state)).toEqual(['x', 'y']);
  });

  it('Calico: every ordered pair of x and y, port 80 from the pods, matrix and engine agree', () => {
    const c = cluster(labTestCluster(1, false, 'calico-vxlan').spec);
    const plan = planPolicyPairs(c.state, {}, c.world());
    expect(plan.enforced).toBe(true);
    expect(plan.candidates).toBe(30);
    expect(plan.pairs).toHaveLength(30);
    for (const p of plan.pairs) {
      expect(p.port).toBe(80);
      expect(p.engine.delivered).toBe(p.matrix.allowed);
      expect(p.expected).toBe(p.matrix.allowed);
    }
    const allowedIntoX = plan.pairs.filter((p) => p.dst.namespace === 'x' && p.matrix.allowed).map((p) => `${p.src.namespace}/${p.src.name}>${p.dst.name}`);
    expect(allowedIntoX).toEqual(['y/b>a']);
    expect(plan.pairs.find((p) => !p.matrix.allowed)!.explanation).toMatch(/ingress of x\/\w: denied \(selected by x\/deny/);
  });

  it('the cap keeps a seeded sample in matrix order', () => {
    const c = cluster(labTestCluster(1, false, 'calico-vxlan').spec);
    const a = planPolicyPairs(c.state, { maxPairs: 7, seed: 3 }, c.world());
    const b = planPolicyPairs(c.state, { maxPairs: 7, seed: 3 }, c.world());
    expect(a.pairs).toHaveLength(7);
    expect(a.candidates).toBe(30);
    expect(a.pairs.map((p) => `${p.src.name}${p.dst.name}`)).toEqual(b.pairs.map((p) => `${p.src.name}${p.dst.name}`));
  });

  it('VPC CNI: the agent enforces; without it nothing does and every pair is expected to connect', () => {
    const on = cluster(vpc(true));
    const planOn = planPolicyPairs(on.state, {}, on.world());
    expect(planOn.enforced).toBe(true);
    for (const p of planOn.pairs) expect(p.engine.delivered).toBe(p.matrix.allowed);
    const off = cluster(vpc(false));
    const planOff = planPolicyPairs(off.state, { port: 81 }, off.world());
    expect(planOff.enforced).toBe(false);
    expect(planOff.note).toMatch(/nothing enforces them/);
    expect(planOff.pairs.some((p) => !p.matrix.allowed)).toBe(true);
    for (const p of planOff.pairs) {
      expect(p.port).toBe(81);
      expect(p.expected).toBe(true);
      expect(p.engine.delivered).toBe(true);
    }
  });
});
