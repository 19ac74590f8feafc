// `lab verify`'s NetworkPolicy section on real labs: the e2e model pods (namespaces x, y; pods a, b, c)
// with a default-deny + allow policy set, on Calico VXLAN (Felix's chains) and on the VPC CNI with its
// network policy agent (its netfilter equivalent). The matrix, the engine and a real connect agree on
// every pair; then the enforcement is broken on purpose in every node's root namespace (Calico's cali-pi-
// to-workload chains, the agent's per-ENI chains flushed) and the section names the pairs that now differ.
// Needs root; skips with the reason otherwise.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp, nsExec, rootCheck, type Lab } from '../lab.node.ts';
import { labTestCluster } from '../testing.ts';
import { ROOT_NS } from '../../node-state/types.ts';
import type { ClusterSpec } from '../../inputs/cluster-spec.ts';
import { modelCluster, type ModelCluster } from '../../netpol/cluster.testing.ts';
import { np } from '../../netpol/testing.ts';
import { formatVerify, labVerify } from './verify.node.ts';

const root = rootCheck();
const PREFIX = 'kwq';

const POLICIES = [
  np('deny', { podSelector: {}, policyTypes: ['Ingress'] }),
  np('from-y-b', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'b' } } }], ports: [{ port: 'serve-80-tcp' }] }] }),
  np('allow-within-y', { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] }, 'y'),
];

/** Flush every chain of `table` in namespace `ns` whose name starts with `prefix`; returns their names. */
function flushChains(ns: string, table: string, prefix: string): string[] {
  const chains = nsExec(ns, ['iptables-save', '-t', table]).stdout.split('\n').filter((l) => l.startsWith(`:${prefix}`)).map((l) => l.slice(1).split(' ')[0]!);
  for (const c of chains) expect(nsExec(ns, ['iptables', '-t', table, '-F', c]).exitCode).toBe(0);
  return chains;
}

describe.skipIf(!root.ok)(`lab verify, NetworkPolicy section (${root.reason || 'root'})`, () => {
  const runDirs: string[] = [];
  afterAll(() => {
    for (const d of runDirs) {
      labDown({ runDir: d, all: true, prefix: PREFIX });
      rmSync(d, { recursive: true, force: true });
    }
  });

  async function up(spec: ClusterSpec): Promise<{ c: ModelCluster; lab: Lab }> {
    const runDir = mkdtempSync(join(tmpdir(), 'kw-verify-np-'));
    runDirs.push(runDir);
    const c = modelCluster(spec);
    c.apply(POLICIES);
    const lab = await labUp(c.state, { runDir, prefix: PREFIX, workloads: false, handleSignals: false });
    return { c, lab };
  }

  async function down(): Promise<void> {
    const d = runDirs.pop()!;
    labDown({ runDir: d, all: true, prefix: PREFIX });
    rmSync(d, { recursive: true, force: true });
  }

  it('Calico VXLAN: 0 disagreements; flushing the cali-tw- chains makes the denied pairs disagree', async () => {
    const { c, lab } = await up(labTestCluster(1, false, 'calico-vxlan').spec);
    const ok = await labVerify(c.state, lab.record, { policyOnly: true, timeoutSec: 1 });
    const text = formatVerify(ok);
    expect(ok.policy, text).toBeDefined();
    expect(ok.policy!.enforced).toBe(true);
    expect(ok.policy!.namespaces).toEqual(['x', 'y']);
    expect(ok.policy!.pairs).toHaveLength(30);
    expect(ok.policy!.pairs.some((p) => !p.kernel.connected)).toBe(true);
    expect(ok.disagreements, text).toBe(0);
    expect(text).toContain('30/30 policy pairs agree');

    // Break Felix's to-workload chains (cali-tw-<veth>: the policies' dispatch and the final drop): every
    // pair the policies deny now connects, and each is named with the deciding rule.
    expect(lab.record.nodes.flatMap((n) => flushChains(n.ns[ROOT_NS]!, 'filter', 'cali-tw-')).length).toBeGreaterThan(0);
    const broken = await labVerify(c.state, lab.record, { policyOnly: true, timeoutSec: 1 });
    const bad = broken.policy!.pairs.filter((p) => !p.agree);
    const denied = ok.policy!.pairs.filter((p) => !p.matrix.allowed).map((p) => `${p.source} -> ${p.target}`);
    expect(denied).toContain('x/b -> x/a');
    expect(bad.map((p) => `${p.source} -> ${p.target}`)).toEqual(denied);
    const xb = bad.find((p) => p.source === 'x/b' && p.target === 'x/a')!;
    expect(xb.matrix.allowed).toBe(false);
    expect(xb.engine.delivered).toBe(false);
    expect(xb.kernel.connected).toBe(true);
    expect(xb.explanation).toContain('ingress of x/a: denied (selected by x/deny, x/from-y-b');
    expect(broken.disagreements).toBe(bad.length);
    expect(formatVerify(broken)).toMatch(/FAIL x\/b → x\/a \(TCP [\d.]+:80\): matrix deny, engine \S+, kernel connected/);
    await down();
  }, 300_000);

  it('VPC CNI with enableNetworkPolicy: 0 disagreements; flushing the agent chains makes denied pairs connect', async () => {
    const spec = labTestCluster(1, false).spec;
    const { c, lab } = await up({ ...spec, cni: { ...spec.cni, vpcCni: { ...spec.cni.vpcCni, enableNetworkPolicy: true } } });
    const ok = await labVerify(c.state, lab.record, { policyOnly: true, timeoutSec: 1, policyPairs: 16, seed: 5 });
    const text = formatVerify(ok);
    expect(ok.policy!.enforced).toBe(true);
    expect(ok.policy!.pairs).toHaveLength(16);
    expect(ok.disagreements, text).toBe(0);
    expect(text).toContain('16/16 policy pairs agree');

    expect(lab.record.nodes.flatMap((n) => flushChains(n.ns[ROOT_NS]!, 'mangle', 'KWNP-I-')).length).toBeGreaterThan(0);
    const broken = await labVerify(c.state, lab.record, { policyOnly: true, timeoutSec: 1, policyPairs: 16, seed: 5 });
    const bad = broken.policy!.pairs.filter((p) => !p.agree);
    const denied = ok.policy!.pairs.filter((p) => !p.matrix.allowed).map((p) => `${p.source} -> ${p.target}`);
    expect(denied.length).toBeGreaterThan(0);
    expect(bad.map((p) => `${p.source} -> ${p.target}`)).toEqual(denied);
    for (const p of bad) {
      expect(p.kernel.connected).toBe(true);
      expect(p.explanation).toMatch(/ingress of [xy]\/\w: denied \(selected by [xy]\/(deny|allow-within-y)/);
    }
    await down();
  }, 300_000);
});
