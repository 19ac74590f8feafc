// The live lab on the default cluster switched to Calico VXLAN (vxlan.calico over the ENIs and the
// VPC fabric, Felix's ipsets and iptables), nginx x3. Needs root; skips with the reason otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp, nsExec, rootCheck, type Lab } from './lab.node.ts';
import { labDiff } from './diff.node.ts';
import { labTestCluster } from './testing.ts';
import { ROOT_NS } from '../node-state/types.ts';
import type { ClusterState } from '../control-plane/types.ts';

const root = rootCheck();
const PREFIX = 'kwv';

describe.skipIf(!root.ok)(`live lab, Calico VXLAN (${root.reason || 'root'})`, () => {
  const runDir = mkdtempSync(join(tmpdir(), 'kw-labcal-'));
  let state: ClusterState;
  let lab: Lab;
  beforeAll(async () => {
    state = labTestCluster(3, true, 'calico-vxlan');
    lab = await labUp(state, { runDir, prefix: PREFIX });
  }, 120_000);
  afterAll(() => {
    labDown({ runDir, all: true, prefix: PREFIX });
    rmSync(runDir, { recursive: true, force: true });
  });

  it('the kernel shows what kubewire renders, up to the order of some lines in the node namespaces', () => {
    const r = labDiff(state, lab.record);
    expect(r.compared).toBe(80);
    for (const d of r.diffs) {
      // Known, order only, same lines (the simulator's ordering, not the lab):
      // - ip neigh: the kernel lists vxlan.calico's permanent entries in its hash table's order,
      //   the model in insertion order;
      // - ip [-6] route show table all: every cali* veth has the same MAC (ee:ee:ee:ee:ee:ee), so
      //   the same fe80::ecee:eeff:feee:eeee local route exists once per pod device; the kernel's
      //   order of those follows when each device's address came up, which varies run to run.
      expect(['root: ip neigh', 'root: ip route show table all', 'root: ip -6 route show table all']).toContain(`${d.ns}: ${d.command}`);
      const sorted = (t: string) => t.split('\n').sort().join('\n');
      expect(sorted(d.kernel)).toBe(sorted(d.kubewire));
    }
  });

  it('pods reach pods on other nodes through vxlan.calico and the VPC fabric', () => {
    const ips = lab.record.nodes.map((n) => {
      const pod = Object.keys(n.ns).find((m) => m !== ROOT_NS && state.hosts[n.node].namespaces[m].addresses.some((a) => a.family === 4 && a.dev === 'eth0'))!;
      return { real: n.ns[pod], ip: state.hosts[n.node].namespaces[pod].addresses.find((a) => a.family === 4 && a.dev === 'eth0')!.local };
    });
    for (let i = 1; i < ips.length; i++) {
      const r = nsExec(ips[0].real, ['busybox', 'ping', '-c', '1', '-w', '3', '-W', '2', ips[i].ip]);
      expect(r.stdout, r.stderr).toContain('1 packets received');
    }
  });
});
