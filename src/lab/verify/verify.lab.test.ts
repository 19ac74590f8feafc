// `lab verify` on real labs: the default cluster (VPC CNI, then Calico VXLAN) with nginx x3, its
// ClusterIP and NodePort Services, a Service without endpoints and busybox; every flow category
// runs in the kernel and agrees with the simulator, and the node state matches. Then a route is
// deleted in a node's namespace: the flow through it and the node-state diff both disagree, naming
// the flow and the place. Needs root; skips with the reason otherwise.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp, nsExec, rootCheck, type Lab } from '../lab.node.ts';
import { ROOT_NS } from '../../node-state/types.ts';
import type { ClusterState } from '../../control-plane/types.ts';
import { FLOW_CATEGORIES } from './flows.ts';
import { formatVerify, labVerify, type VerifyReport } from './verify.node.ts';
import { verifyTestCluster } from './testing.ts';

const root = rootCheck();
const PREFIX = 'kwy';

function summary(r: VerifyReport): string {
  return formatVerify(r);
}

describe.skipIf(!root.ok)(`lab verify (${root.reason || 'root'})`, () => {
  const runDirs: string[] = [];
  afterAll(() => {
    labDown({ all: true, prefix: PREFIX, runDir: runDirs[0] });
    for (const d of runDirs) {
      labDown({ runDir: d });
      rmSync(d, { recursive: true, force: true });
    }
  });

  async function up(cni: 'vpc-cni' | 'calico-vxlan'): Promise<{ state: ClusterState; lab: Lab; runDir: string }> {
    const runDir = mkdtempSync(join(tmpdir(), 'kw-verify-lab-'));
    runDirs.push(runDir);
    const state = verifyTestCluster(cni);
    const lab = await labUp(state, { runDir, prefix: PREFIX, handleSignals: false });
    return { state, lab, runDir };
  }

  it('VPC CNI: every flow category agrees with the simulator and the node state matches; a deleted route is a disagreement naming the flow and where', async () => {
    const { state, lab, runDir } = await up('vpc-cni');
    try {
      const r = await labVerify(state, lab.record, { seed: 1 });
      expect(r.skipped, summary(r)).toEqual([]);
      expect(r.flows.map((f) => f.category).sort()).toEqual([...FLOW_CATEGORIES].sort());
      expect(r.flows.filter((f) => !f.agree), summary(r)).toEqual([]);
      expect(r.state?.differ, summary(r)).toBe(0);
      expect(r.disagreements).toBe(0);
      expect(summary(r)).toMatch(/^9\/9 flows agree$/m);
      // The kernel really ran them: answers where the simulator delivers, a refusal without endpoints, and packets on every hop.
      const by = Object.fromEntries(r.flows.map((f) => [f.category, f]));
      expect(by['pod-service-no-endpoints'].kernel.outcome).toBe('refused');
      expect(by['pod-clusterip'].kernel.outcome).toBe('connected');
      expect(by['pod-pod-other-node'].kernel.path.length).toBeGreaterThanOrEqual(6);
      expect(by['pod-clusterip'].kernel.endpoint).toBeTruthy();

      // Break the kernel: the node hosting the other-node flow's target loses its route to the pod.
      const f = by['pod-pod-other-node'];
      const [node, host] = Object.entries(state.hosts).find(([, h]) => Object.values(h.namespaces).some((ns) => ns.addresses.some((a) => a.local === f.dst && a.dev === 'eth0')))!;
      const route = host.namespaces[ROOT_NS].routes.find((x) => x.dst === `${f.dst}/32` || x.dst === f.dst)!;
      expect(route, `route to ${f.dst} on ${node}`).toBeTruthy();
      const real = lab.record.nodes.find((n) => n.node === node)!.ns[ROOT_NS];
      const del = nsExec(real, ['ip', 'route', 'del', f.dst, 'dev', route.dev!]);
      expect(del.exitCode, del.stderr).toBe(0);
      // The same seed and a cap at that flow's id: the same flows up to it.
      const broken = await labVerify(state, lab.record, { seed: 1, flows: f.id });
      const text = formatVerify(broken);
      const bad = broken.flows.find((x) => x.id === f.id)!;
      expect(bad.agree, text).toBe(false);
      expect(text).toMatch(new RegExp(`^FAIL +${f.id} pod-pod-other-node: `, 'm'));
      // Where: the pod's host-side veth should have carried the request, and the kernel never put it there.
      expect(bad.mismatches.join('\n')).toContain(`${node.split('.')[0]} ${route.dev}: simulator has the request here`);
      expect(broken.state!.diffs.some((d) => d.node === node && d.ns === ROOT_NS && d.command === 'ip route show table all' && d.lines.some((l) => l.startsWith('+') && l.includes(f.dst)))).toBe(true);
      expect(broken.disagreements).toBeGreaterThan(0);
    } finally {
      labDown({ runDir });
    }
  }, 90_000);

  it('Calico VXLAN: every flow category agrees with the simulator, VXLAN headers and all', async () => {
    const { state, lab, runDir } = await up('calico-vxlan');
    try {
      const r = await labVerify(state, lab.record, { seed: 1 });
      expect(r.flows.filter((f) => !f.agree), summary(r)).toEqual([]);
      expect(r.flows).toHaveLength(FLOW_CATEGORIES.length);
      expect(r.state?.differ, summary(r)).toBe(0);
      expect(r.disagreements).toBe(0);
      const other = r.flows.find((f) => f.category === 'pod-pod-other-node')!;
      expect(other.kernel.path.some((p) => p.endsWith(' vxlan.calico'))).toBe(true);
    } finally {
      labDown({ runDir });
    }
  }, 90_000);
});
