// Test helpers for the control plane: a small cluster spec and a fake CNI (fixed IP pool per
// node, optional forced failures) so controller behaviour can be tested without a real plugin.
import type { ClusterSpec } from '../inputs/cluster-spec.ts';
import type { V1Pod } from '../k8s/types.ts';
import { delNetns, newNetns } from '../node-state/ops.ts';
import type { CniAddResult, CniPlugin, PluginContext } from './plugins.ts';

export function testSpec(over: Partial<ClusterSpec> = {}): ClusterSpec {
  return {
    name: 'kw',
    region: 'us-west-2',
    kubernetesVersion: '1.31',
    vpc: {
      id: 'vpc-0a1b2c3d4e5f60718',
      cidr: '192.168.0.0/16',
      subnets: [
        { id: 'subnet-0aaaaaaaaaaaaaaa1', name: 'SubnetPublicUSWEST2A', az: 'us-west-2a', cidr: '192.168.0.0/19', public: true },
        { id: 'subnet-0bbbbbbbbbbbbbbb2', name: 'SubnetPublicUSWEST2B', az: 'us-west-2b', cidr: '192.168.32.0/19', public: true },
        { id: 'subnet-0ccccccccccccccc3', name: 'SubnetPublicUSWEST2C', az: 'us-west-2c', cidr: '192.168.64.0/19', public: true },
        { id: 'subnet-0ddddddddddddddd4', name: 'SubnetPrivateUSWEST2A', az: 'us-west-2a', cidr: '192.168.96.0/19', public: false },
        { id: 'subnet-0eeeeeeeeeeeeeee5', name: 'SubnetPrivateUSWEST2B', az: 'us-west-2b', cidr: '192.168.128.0/19', public: false },
        { id: 'subnet-0fffffffffffffff6', name: 'SubnetPrivateUSWEST2C', az: 'us-west-2c', cidr: '192.168.160.0/19', public: false },
      ],
    },
    availabilityZones: ['us-west-2a', 'us-west-2b', 'us-west-2c'],
    serviceIPv4CIDR: '10.100.0.0/16',
    nodeGroups: [
      {
        name: 'ng-1',
        managed: true,
        instanceType: 'm5.large',
        desiredCapacity: 3,
        availabilityZones: ['us-west-2a', 'us-west-2b', 'us-west-2c'],
        privateNetworking: false,
        labels: {},
      },
    ],
    cni: { type: 'vpc-cni', vpcCni: { env: {}, version: 'v1.19.2' } },
    source: 'test',
    ...over,
  };
}

export interface FakeCni extends CniPlugin {
  /** When set, podAdd fails with this text. */
  failWith?: string;
  adds: string[];
  dels: string[];
}

/** A CNI that hands out 10.<node#>.0.<n> from a fixed pool and makes one netns per pod. */
export function fakeCni(opts: { capacity?: number; poolSize?: number } = {}): FakeCni {
  const cni: FakeCni = {
    name: 'fake-cni',
    adds: [],
    dels: [],
    nodeStart(ctx: PluginContext) {
      const ps = ctx.cluster.pluginState as Record<string, { pools: Record<string, string[]> }>;
      ps.fake ??= { pools: {} };
      const n = ctx.cluster.nodes.indexOf(ctx.node) + 1;
      ps.fake.pools[ctx.node.name] = Array.from({ length: opts.poolSize ?? 20 }, (_, i) => `10.${n}.0.${i + 2}`);
    },
    podCapacity() {
      return opts.capacity ?? 29;
    },
    podAdd(ctx: PluginContext, pod: V1Pod): CniAddResult {
      if (cni.failWith) return { ok: false, error: cni.failWith };
      const ps = ctx.cluster.pluginState as Record<string, { pools: Record<string, string[]> }>;
      const pool = ps.fake.pools[ctx.node.name];
      const ip = pool.shift();
      if (!ip) return { ok: false, error: 'add cmd: failed to assign an IP address to container' };
      const netns = `cni-${pod.metadata!.uid}`;
      newNetns(ctx.host, netns);
      cni.adds.push(`${pod.metadata!.name}@${ctx.node.name}=${ip}`);
      return { ok: true, ips: [ip], netns };
    },
    podDelete(ctx: PluginContext, pod: V1Pod) {
      const ps = ctx.cluster.pluginState as Record<string, { pools: Record<string, string[]> }>;
      const ip = pod.status?.podIP;
      if (ip) ps.fake.pools[ctx.node.name].push(ip);
      const netns = `cni-${pod.metadata!.uid}`;
      if (ctx.host.namespaces[netns]) delNetns(ctx.host, netns);
      cni.dels.push(pod.metadata!.name!);
    },
  };
  return cni;
}
