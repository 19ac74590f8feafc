// The VPC CNI network policy agent in the live lab, realised with its netfilter equivalent (policy-agent-netfilter.ts):
// the default cluster (VPC CNI, enableNetworkPolicy) with the
// e2e model pods (namespaces x, y; pods a, b, c) and policies, built in real namespaces, the agent's rules loaded
// by lab up into each node's root namespace. Every ordered pod pair connects over TCP to port 80 (lab verify's pair probe, src/lab/verify/policy.node.ts): the kernel's outcome, the
// engine's walk and the API's matrix must agree. Needs root; skips with the reason otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp, nsExec, rootCheck, type Lab } from '../../lab/lab.node.ts';
import { labTestCluster } from '../../lab/testing.ts';
import { modelCluster, type ModelCluster } from '../../netpol/cluster.testing.ts';
import { probeXyPairs, xyPolicies } from '../../testing/policy-lab.node.ts';
import { agentNetfilterText } from './policy-agent-netfilter.ts';
import { ROOT_NS } from '../../node-state/types.ts';

const root = rootCheck();
const PREFIX = 'kwna';

describe.skipIf(!root.ok)(`live lab, VPC CNI network policy agent (netfilter equivalent) (${root.reason || 'root'})`, () => {
  const runDir = mkdtempSync(join(tmpdir(), 'kw-labna-'));
  let c: ModelCluster;
  let lab: Lab;
  beforeAll(async () => {
    const spec = labTestCluster(1, false).spec;
    c = modelCluster({ ...spec, cni: { ...spec.cni, vpcCni: { ...spec.cni.vpcCni, enableNetworkPolicy: true } } });
    c.apply(xyPolicies());
    // labUp loads the agent's netfilter equivalent into each node's root namespace.
    lab = await labUp(c.state, { runDir, prefix: PREFIX, workloads: false });
  }, 180_000);
  afterAll(() => {
    if (lab) labDown({ runDir, all: true, prefix: PREFIX });
    rmSync(runDir, { recursive: true, force: true });
  });

  it('lab up loaded the agent rules where isolated pods live', () => {
    const loaded = lab.record.nodes.filter((n) => agentNetfilterText(c.state, n.node) !== '');
    expect(loaded.length).toBeGreaterThan(0);
    for (const n of loaded) expect(nsExec(n.ns[ROOT_NS]!, ['iptables-save', '-t', 'mangle']).stdout).toMatch(/-A POSTROUTING -o eni\w+ -j KWNP-I-eni/);
  });

  it('kernel, engine and matrix agree on every pod pair of x and y (TCP/80)', async () => {
    const r = await probeXyPairs(c, lab);
    expect(r.enforced).toBe(true);
    expect(r.pairs).toBe(30);
    expect(r.disagreements).toEqual([]);
    // The expected table (rows x/a..y/c): x admits only y/b to x/a on 80 (and each pod itself); y/c may only reach x.
    expect(r.kernel).toEqual(['.XX...', 'X.X...', 'XX....', 'XXX...', '.XX...', 'XXXXX.']);
  }, 180_000);
});
