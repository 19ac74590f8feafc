// Small in-memory clusters for the VPC CNI's tests: one VPC, one subnet, bare nodes.
import type { ClusterSpec } from '../../inputs/cluster-spec.ts';
import type { ClusterState, NodeRecord } from '../../control-plane/types.ts';
import type { Eni } from '../../aws/types.ts';
import type { Host } from '../../node-state/types.ts';
import { ROOT_NS } from '../../node-state/types.ts';
import { addAddress, addLink, addRoute, getNs } from '../../node-state/ops.ts';
import { createVpc, getSubnet, subnetGateway, vpcDnsServer } from '../../aws/vpc.ts';
import { launchInstance } from '../../aws/ec2.ts';
import { cidrContains, parseCidr4 } from '../../aws/ip.ts';
import { EC2_DHCP_LEASE, ENI_MTU, PRIMARY_ROUTE_METRIC } from '../../control-plane/nodes.ts';
import { seedRng } from '../../k8s/rand.ts';

export function testSpec(
  opts: { subnetCidr?: string; env?: Record<string, string>; version?: string; podSubnetCidr?: string } = {},
): ClusterSpec {
  return {
    name: 'kw',
    region: 'us-west-2',
    kubernetesVersion: '1.31',
    vpc: {
      id: 'vpc-0123456789abcdef0',
      cidr: '192.168.0.0/16',
      subnets: [
        { id: 'subnet-0aaaaaaaaaaaaaaaa', name: 'SubnetPrivateUSWEST2A', az: 'us-west-2a', cidr: opts.subnetCidr ?? '192.168.64.0/19', public: false },
        ...(opts.podSubnetCidr
          ? [{ id: 'subnet-0bbbbbbbbbbbbbbbb', name: 'PodSubnetUSWEST2A', az: 'us-west-2a', cidr: opts.podSubnetCidr, public: false }]
          : []),
      ],
    },
    availabilityZones: ['us-west-2a'],
    serviceIPv4CIDR: '10.100.0.0/16',
    nodeGroups: [],
    cni: { type: 'vpc-cni', vpcCni: { env: opts.env ?? {}, version: opts.version ?? 'v1.19.2' } },
    source: 'test',
  };
}

export function testCluster(spec: ClusterSpec, seed = 1): ClusterState {
  return {
    spec,
    seed,
    rng: seedRng(seed),
    clock: 0,
    objects: {},
    nodes: [],
    hosts: {},
    vpc: createVpc(spec),
    events: [],
    pluginState: {},
  };
}

/** Launches an instance (primary ENI only) and records its node; the caller starts the CNI. */
export function addTestNode(cluster: ClusterState, instanceType: string, podCapacity: number): NodeRecord {
  const subnet = cluster.spec.vpc.subnets[0];
  const { instanceId, primaryEni } = launchInstance(cluster.vpc, { subnetId: subnet.id, rng: cluster, securityGroups: ['sg-0cluster0000000000'] });
  const rec: NodeRecord = {
    name: `ip-${primaryEni.primaryIp.replaceAll('.', '-')}.us-west-2.compute.internal`,
    nodeGroup: 'ng',
    instanceType,
    instanceId,
    az: subnet.az,
    subnetId: subnet.id,
    primaryIp: primaryEni.primaryIp,
    podCapacity,
  };
  cluster.nodes.push(rec);
  return rec;
}

/**
 * The primary ENI brought up as control-plane/nodes.ts configurePrimaryInterface does (DHCP
 * address and routes, metric 512), under the name the OS gives it: "ens5" on AL2023 (udev
 * predictable names; nodes.ts still uses eth0, which is AL2's and Bottlerocket's name).
 */
export function bringUpPrimary(cluster: ClusterState, host: Host, eni: Eni, ifname: string): void {
  const ns = getNs(host, ROOT_NS);
  const subnet = getSubnet(cluster.vpc, eni.subnetId);
  const c = parseCidr4(subnet.cidr);
  addLink(ns, { name: ifname, kind: 'device', mac: eni.mac, mtu: ENI_MTU, eniId: eni.id, qdisc: 'mq', up: true });
  const addr = addAddress(ns, ifname, `${eni.primaryIp}/${c.prefixLen}`, { broadcast: '+', metric: PRIMARY_ROUTE_METRIC });
  addr.flags.push('dynamic');
  addr.validLft = EC2_DHCP_LEASE;
  addr.preferredLft = EC2_DHCP_LEASE;
  const gw = subnetGateway(subnet);
  const base = { dev: ifname, proto: 'dhcp' as const, src: eni.primaryIp, metric: PRIMARY_ROUTE_METRIC };
  addRoute(ns, { ...base, dst: `${gw}/32`, scope: 'link' });
  addRoute(ns, { ...base, dst: 'default', via: gw });
  const dns = vpcDnsServer(cluster.vpc);
  if (cidrContains(c, dns)) addRoute(ns, { ...base, dst: `${dns}/32`, scope: 'link' });
  else addRoute(ns, { ...base, dst: `${dns}/32`, via: gw });
}
