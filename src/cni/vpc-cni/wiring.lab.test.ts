// The node state the VPC CNI builds (host setup, a secondary ENI with its route table, pods on
// both ENIs) rebuilt in real network namespaces (kwt-* names) through the ip-batch plan; the
// kernel must accept it and `ip` must print the same as our renderer. Skips without root/netns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetnsLab, netnsUsable } from '../../testing/netns.node.ts';
import { runIpCommand } from '../../render/iproute2/index.ts';
import { newHost, getNs } from '../../node-state/ops.ts';
import { ROOT_NS, type Host } from '../../node-state/types.ts';
import { configurePrimaryInterface } from '../../control-plane/nodes.ts';
import { getEni } from '../../aws/vpc.ts';
import type { V1Pod } from '../../k8s/types.ts';
import { createVpcCni } from './plugin.ts';
import { addTestNode, testCluster, testSpec } from './testing.ts';

const usable = netnsUsable();

function buildNode(): { host: Host; pods: string[] } {
  const cluster = testCluster(testSpec({}), 3);
  const cni = createVpcCni();
  const node = addTestNode(cluster, 't3.small', 11);
  const host = newHost(node.name);
  cluster.hosts[node.name] = host;
  configurePrimaryInterface(cluster, host, getEni(cluster.vpc, cluster.vpc.enis[0].id));
  const ctx = { cluster, node, host };
  cni.nodeStart(ctx);
  const pods: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = cni.podAdd(ctx, { metadata: { namespace: 'default', name: `web-${i}` } } as V1Pod);
    if (!r.ok) throw new Error(r.error);
    pods.push(r.netns);
  }
  return { host, pods };
}

describe.skipIf(!usable.ok)(`VPC CNI node state in real namespaces (${usable.reason || 'netns available'})`, () => {
  let lab: NetnsLab;
  let host: Host;
  let pods: string[];
  beforeAll(async () => {
    ({ host, pods } = buildNode());
    lab = new NetnsLab();
    await lab.build(host);
    await lab.settleDad(host);
  }, 30000);
  afterAll(() => lab?.cleanup());

  const model = (ns: string, argv: string[]) => runIpCommand(host, ns, argv, { netnsName: (m) => lab.names[m] });

  it('has pods on both ENIs', () => {
    const root = getNs(host, ROOT_NS);
    expect(root.links.some((l) => l.name === 'eth1')).toBe(true);
    expect(root.rules.some((r) => r.priority === 1536)).toBe(true);
  });

  // What the CNI writes. (eth0's DHCP address and IPv6 link-local routes are the node bring-up's
  // and the renderer's business, compared in src/render/iproute2/differential.test.ts.)
  for (const argv of [
    ['ip', 'rule'],
    ['ip', 'route'],
    ['ip', 'route', 'show', 'table', '2'],
    ['ip', 'route', 'show', 'table', '3'],
    ['ip', '-4', 'route', 'show', 'table', 'all'],
    ['ip', 'addr', 'show', 'dev', 'eth1'],
    ['ip', 'addr', 'show', 'dev', 'eth2'],
    ['ip', 'link'],
  ]) {
    it(`node: ${argv.join(' ')}`, () => {
      const real = lab.run('root', argv);
      const mine = model('root', argv);
      expect(mine.stdout).toBe(real.stdout);
    });
  }
  for (const argv of [['ip', 'addr'], ['ip', 'route'], ['ip', 'neigh'], ['ip', 'link']]) {
    it(`pods: ${argv.join(' ')}`, () => {
      for (const p of pods) {
        const real = lab.run(p, argv);
        expect(model(p, argv).stdout).toBe(real.stdout);
      }
    });
  }
});
