// The migrated cluster in real network namespaces: after `cni migrate calico-vxlan` and restarting
// the workloads, the kernel holds what kubewire renders, and agrees with the engine that
// aws-node's leftover AWS-SNAT-CHAIN-0 kills pod traffic between nodes (the SNATed reply leaves
// unencapsulated from a pool address and the fabric's source/dest check drops it); after
// `cni cleanup-aws-node` the same ping is answered. Needs root; skips with the reason otherwise.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp, nsExec, rootCheck } from '../lab/lab.node.ts';
import { labDiff } from '../lab/diff.node.ts';
import { labTestCluster } from '../lab/testing.ts';
import { pluginsFor, ipsetsOf } from '../cni/index.ts';
import { migrateSettings } from '../inputs/calico-migrate.ts';
import { migrateToCalico } from './migration.ts';
import { restartWorkload } from './rollout.ts';
import { cleanupAwsNode } from './aws-node-cleanup.ts';
import { kubeletState } from './kubelet.ts';
import { tracePacket } from '../engine/index.ts';
import type { ClusterState } from './types.ts';

const root = rootCheck();
const PREFIX = 'kwmg';

function migratedCluster(): ClusterState {
  const state = labTestCluster(3, true, 'vpc-cni');
  migrateToCalico(state, migrateSettings(state.spec, {}), pluginsFor(state.spec));
  const plugins = pluginsFor(state.spec);
  restartWorkload(state, { kind: 'Deployment', namespace: 'default', name: 'nginx' }, plugins);
  restartWorkload(state, { kind: 'Deployment', namespace: 'kube-system', name: 'coredns' }, plugins);
  return state;
}

/** Two nginx pods on different nodes: their model netns, node and IP. */
function crossNodePair(state: ClusterState) {
  const sbs = Object.entries(kubeletState(state).sandboxes).filter(([k, sb]) => k.startsWith('default/nginx-') && sb.netns);
  const a = sbs[0]!;
  const b = sbs.find(([, sb]) => sb.node !== a[1].node)!;
  return { a: { name: a[0].split('/')[1]!, node: a[1].node, netns: a[1].netns! }, b: { ip: b[1].ips[0]! } };
}

describe.skipIf(!root.ok)(`live lab, VPC CNI migrated to Calico VXLAN (${root.reason || 'root'})`, () => {
  const runDir = mkdtempSync(join(tmpdir(), 'kw-labmig-'));
  afterAll(() => {
    labDown({ runDir, all: true, prefix: PREFIX });
    rmSync(runDir, { recursive: true, force: true });
  });

  async function pingInLab(state: ClusterState): Promise<{ kernel: string; sim: string | undefined }> {
    const lab = await labUp(state, { runDir, prefix: PREFIX });
    try {
      const r = labDiff(state, lab.record);
      for (const d of r.diffs) {
        // Order only (see src/lab/calico.lab.test.ts): vxlan.calico neighbours, fe80 local routes of cali* devices.
        expect(['root: ip neigh', 'root: ip route show table all', 'root: ip -6 route show table all']).toContain(`${d.ns}: ${d.command}`);
        const sorted = (t: string) => t.split('\n').sort().join('\n');
        expect(sorted(d.kernel)).toBe(sorted(d.kubewire));
      }
      const { a, b } = crossNodePair(state);
      const real = lab.record.nodes.find((n) => n.node === a.node)!.ns[a.netns]!;
      const out = nsExec(real, ['busybox', 'ping', '-c', '1', '-w', '3', '-W', '2', b.ip]);
      const t = tracePacket(state, { from: { pod: a.name, namespace: 'default' }, dst: b.ip, dport: 0, protocol: 'ICMP' }, { enumerate: false, ipsets: ipsetsOf(state) });
      return { kernel: out.stdout + out.stderr, sim: t.branches[0]?.reply?.disposition.code };
    } finally {
      labDown({ runDir, all: true, prefix: PREFIX });
    }
  }

  it('leftover AWS SNAT: no reply in the kernel, source-dest-check in the engine; after cleanup both deliver', async () => {
    const state = migratedCluster();
    const before = await pingInLab(state);
    expect(before.sim).toBe('source-dest-check');
    expect(before.kernel).toContain('0 packets received');

    cleanupAwsNode(state, []);
    const after = await pingInLab(state);
    expect(after.sim).toBe('delivered');
    expect(after.kernel).toContain('1 packets received');
  }, 240_000);
});
