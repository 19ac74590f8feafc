// Calico's NetworkPolicy enforcement in the live lab: the default cluster switched to Calico VXLAN with the
// e2e model pods (namespaces x, y; pods a, b, c) and policies, built in real namespaces with Felix's iptables
// and ipsets. Every ordered pod pair connects over TCP to port 80 (lab verify's pair probe, src/lab/verify/policy.node.ts): the kernel's outcome, the
// engine's walk and the API's matrix must agree. Needs root; skips with the reason otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp, rootCheck, type Lab } from '../../lab/lab.node.ts';
import { labTestCluster } from '../../lab/testing.ts';
import { modelCluster, type ModelCluster } from '../../netpol/cluster.testing.ts';
import { np } from '../../netpol/testing.ts';
import { planPolicyPairs } from '../../lab/verify/policy.ts';
import { probePolicyPairs } from '../../lab/verify/policy.node.ts';

const root = rootCheck();
const PREFIX = 'kwnp';

describe.skipIf(!root.ok)(`live lab, Calico NetworkPolicy enforcement (${root.reason || 'root'})`, () => {
  const runDir = mkdtempSync(join(tmpdir(), 'kw-labnp-'));
  let c: ModelCluster;
  let lab: Lab;
  beforeAll(async () => {
    c = modelCluster(labTestCluster(1, false, 'calico-vxlan').spec);
    c.apply([
      np('deny', { podSelector: {}, policyTypes: ['Ingress'] }),
      np('from-y-b', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'b' } } }], ports: [{ port: 'serve-80-tcp' }] }] }),
      np('egress-to-x', { podSelector: { matchLabels: { pod: 'c' } }, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: 'x' } } }], ports: [{ port: 80 }] }] }, 'y'),
    ]);
    lab = await labUp(c.state, { runDir, prefix: PREFIX, workloads: false });
  }, 180_000);
  afterAll(() => {
    if (lab) labDown({ runDir, all: true, prefix: PREFIX });
    rmSync(runDir, { recursive: true, force: true });
  });

  it('kernel, engine and matrix agree on every pod pair of x and y (TCP/80)', async () => {
    // The shared pair probe of `lab verify` (src/lab/verify/policy.node.ts): matrix, engine walk and a real connect per pair.
    const plan = planPolicyPairs(c.state, { namespaces: ['x', 'y'], port: 80, maxPairs: 1000 }, c.world());
    expect(plan.enforced).toBe(true);
    const r = await probePolicyPairs(c.state, lab.record, { timeoutSec: 1 }, plan);
    expect(r.pairs).toHaveLength(30);
    const disagreements = r.pairs.filter((p) => !p.agree).map((p) => `${p.source} -> ${p.target}: ${p.mismatches.join('; ')}`);
    const pods = ['x/a', 'x/b', 'x/c', 'y/a', 'y/b', 'y/c'];
    const kernel = pods.map((s) => pods.map((d) => (s === d || r.pairs.find((p) => p.source === s && p.target === d)!.kernel.connected ? '.' : 'X')).join(''));
    expect(disagreements).toEqual([]);
    // The expected table (rows x/a..y/c): x admits only y/b to x/a on 80 (and each pod itself); y/c may only reach x.
    expect(kernel).toEqual(['.XX...', 'X.X...', 'XX....', 'XXX...', '.XX...', 'XXXXX.']);
  }, 180_000);
});
