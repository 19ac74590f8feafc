// The packet walk (src/engine) across a Calico VXLAN cluster built from examples/cluster-calico.yaml:
// pod → pod on another node leaves through vxlan.calico as VXLAN VNI 4096 to the peer's node IP
// and is delivered; pod → Internet is masqueraded by cali-nat-outgoing (research note §8, §11).
// The engine evaluates `-m set` from the ipsets Felix keeps (nodeIpsets).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseClusterFile } from '../../inputs/cluster-file.ts';
import { applyObjects, createCluster } from '../../control-plane/cluster.ts';
import { admitObject } from '../../inputs/k8s-objects.ts';
import { generateDeployment } from '../../k8s/generators.ts';
import { clusterWorld } from '../../engine/index.ts';
import { newWalkState, walkFrom, type WalkWorld } from '../../engine/walk.ts';
import { pluginsFor } from '../index.ts';
import { calicoState, nodeIpsets } from './plugin.ts';

function setup() {
  const spec = parseClusterFile(readFileSync(new URL('../../../examples/cluster-calico.yaml', import.meta.url), 'utf8'), 'examples/cluster-calico.yaml');
  const plugins = pluginsFor(spec);
  const state = createCluster(spec, { seed: 1, ...plugins });
  applyObjects(state, [admitObject(generateDeployment({ name: 'nginx', image: ['nginx'], replicas: 3, port: 80 }))], plugins);
  const world: WalkWorld = { ...clusterWorld(state), ipsets: (node, netns) => (netns === 'root' ? (nodeIpsets(state, node) as never) : undefined) };
  return { state, world };
}

describe('engine walk over Calico VXLAN', () => {
  it('pod → pod on another node: VXLAN across the VPC, delivered', () => {
    const { state, world } = setup();
    const s = calicoState(state);
    const pods = Object.entries(s.nodes).flatMap(([node, r]) => Object.entries(r.pods).filter(([k]) => k.startsWith('default/nginx-')).map(([, p]) => ({ node, ...p })));
    const a = pods[0]!;
    const b = pods.find((p) => p.node !== a.node)!;
    const res = walkFrom(world, { node: a.node, netns: a.netns }, { family: 4, src: '', dst: b.ip, proto: 6, sport: 40000, dport: 80, tcpFlags: 0x02, ttl: 64, mark: 0 }, {}, newWalkState());
    expect(res).toHaveLength(1);
    const text = JSON.stringify(res[0]);
    expect(res[0]!.disposition).toMatchObject({ code: 'delivered', netns: b.netns });
    expect(text).toContain('4096');
    expect(text).toContain(s.nodes[b.node]!.nodeIp);
  });

  it('pod → Internet: cali-nat-outgoing masquerades to the node IP (natOutgoing)', () => {
    const { state, world } = setup();
    const s = calicoState(state);
    const [node, rec] = Object.entries(s.nodes).find(([, r]) => Object.keys(r.pods).length > 0)!;
    const p = Object.values(rec.pods)[0]!;
    const res = walkFrom(world, { node, netns: p.netns }, { family: 4, src: '', dst: '1.1.1.1', proto: 6, sport: 40000, dport: 443, tcpFlags: 0x02, ttl: 64, mark: 0 }, {}, newWalkState());
    expect(res).toHaveLength(1);
    expect(res[0]!.disposition).toMatchObject({ code: 'exits-vpc', node, iface: rec.parentIf });
    expect(res[0]!.final.src).toBe(rec.nodeIp);
  });
});
