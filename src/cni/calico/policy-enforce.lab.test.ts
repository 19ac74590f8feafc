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
import { probeXyPairs, xyPolicies } from '../../testing/policy-lab.node.ts';

const root = rootCheck();
const PREFIX = 'kwnp';

describe.skipIf(!root.ok)(`live lab, Calico NetworkPolicy enforcement (${root.reason || 'root'})`, () => {
  const runDir = mkdtempSync(join(tmpdir(), 'kw-labnp-'));
  let c: ModelCluster;
  let lab: Lab;
  beforeAll(async () => {
    c = modelCluster(labTestCluster(1, false, 'calico-vxlan').spec);
    c.apply(xyPolicies());
    lab = await labUp(c.state, { runDir, prefix: PREFIX, workloads: false });
  }, 180_000);
  afterAll(() => {
    if (lab) labDown({ runDir, all: true, prefix: PREFIX });
    rmSync(runDir, { recursive: true, force: true });
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
