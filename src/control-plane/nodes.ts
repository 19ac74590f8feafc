// EKS worker nodes: EC2 instances launched per node group (round-robin over the group's AZs,
// as the Auto Scaling group balances them), their Node objects as kubelet + the AWS cloud
// provider register them, and their boot-time host networking (eth0 configured by
// systemd-networkd/amazon-ec2-net-utils from DHCP, then the CNI's node start).

import type { ClusterSpec, NodeGroupSpec } from '../inputs/cluster-spec.ts';
import type { KObject, V1Node } from '../k8s/types.ts';
import { ec2PrivateDnsName } from '../k8s/naming.ts';
import { nextU32, randHex, randInt, randUuid } from '../k8s/rand.ts';
import { KubewireError } from '../errors.ts';
import { addAddress, addLink, addRoute, getNs, newHost, setSysctl } from '../node-state/ops.ts';
import { applyKubeletIptables } from '../kube-proxy/proxy.ts';
import { ROOT_NS, type Host } from '../node-state/types.ts';
import { launchInstance } from '../aws/ec2.ts';
import { cidrContains, parseCidr4 } from '../aws/ip.ts';
import { getSubnet, newResourceId, subnetGateway, vpcDnsServer } from '../aws/vpc.ts';
import type { Eni } from '../aws/types.ts';
import { findInstanceLimits } from '../aws/instance-limits.ts';
import type { CniPlugin } from './plugins.ts';
import type { ClusterState, NodeRecord } from './types.ts';
import { createObject } from './store.ts';
import { recordEvent } from './events.ts';

/** Interface name of the primary ENI on the node. */
export const PRIMARY_IFNAME = 'eth0';
/** amazon-ec2-net-utils: RouteMetric = 512 + 10 × device index. */
export const PRIMARY_ROUTE_METRIC = 512;
/** DHCP lease EC2 hands out (seconds); shows as valid_lft/preferred_lft on eth0's address. */
export const EC2_DHCP_LEASE = 3600;
/** ENA MTU inside a VPC (jumbo frames). */
export const ENI_MTU = 9001;

/** kubelet version string EKS AMIs report per Kubernetes minor (latest published patch we know). */
const KUBELET_VERSIONS: Record<string, string> = {
  '1.28': 'v1.28.15-eks-473151a',
  '1.29': 'v1.29.15-eks-473151a',
  '1.30': 'v1.30.11-eks-473151a',
  '1.31': 'v1.31.7-eks-473151a',
  '1.32': 'v1.32.3-eks-473151a',
  '1.33': 'v1.33.0-eks-802817d',
};

export function kubeletVersion(k8sVersion: string): string {
  const minor = /^v?(1\.\d+)/.exec(k8sVersion)?.[1] ?? k8sVersion;
  return KUBELET_VERSIONS[minor] ?? `v${minor}.0-eks-0000000`;
}

/** Graviton families (a digit followed by "g", e.g. m6g, c7gn, t4g) are arm64. */
export function instanceArch(instanceType: string): 'amd64' | 'arm64' {
  const family = instanceType.split('.')[0];
  return /^[a-z]+\d+g[a-z]*$/.test(family) || family === 'a1' ? 'arm64' : 'amd64';
}

/** EC2 public DNS name for an auto-assigned public IP. */
function ec2PublicDnsName(ip: string, region: string): string {
  const dashed = ip.split('.').join('-');
  return region === 'us-east-1' ? `ec2-${dashed}.compute-1.amazonaws.com` : `ec2-${dashed}.${region}.compute.amazonaws.com`;
}

/** AZ id as EC2 names it ("usw2-az1"); the letter → number mapping is per account, we use the letter order. */
export function zoneId(region: string, az: string): string {
  const [geo, dir = '', num = ''] = region.split('-');
  const d = dir.replace(/north|south|east|west|central/g, (m) => (m === 'central' ? 'c' : m[0]));
  const idx = az.slice(region.length).charCodeAt(0) - 96;
  return `${geo}${d}${num}-az${idx}`;
}

function choosePublicIp(state: ClusterState): string {
  // Auto-assigned public IPs come from Amazon's pools; draw one from a few well-known /8s.
  const firsts = [3, 18, 34, 35, 44, 52, 54];
  const a = firsts[randInt(state, firsts.length)];
  const r = nextU32(state);
  return `${a}.${(r >>> 16) & 255}.${(r >>> 8) & 255}.${Math.max(1, r & 254)}`;
}

interface Placement {
  group: NodeGroupSpec;
  az: string;
  subnetId: string;
}

/** Instances per group spread round-robin over the group's AZs, in the public or private subnet of each. */
export function placeNodes(spec: ClusterSpec): Placement[] {
  const out: Placement[] = [];
  for (const g of spec.nodeGroups) {
    const azs = g.availabilityZones.length > 0 ? g.availabilityZones : spec.availabilityZones;
    if (azs.length === 0) throw new KubewireError(`node group "${g.name}" has no availability zones`);
    for (let i = 0; i < g.desiredCapacity; i++) {
      const az = azs[i % azs.length];
      const wantPublic = !g.privateNetworking;
      const subnet =
        spec.vpc.subnets.find((s) => s.az === az && s.public === wantPublic) ??
        undefined;
      if (!subnet) {
        throw new KubewireError(
          `node group "${g.name}": no ${wantPublic ? 'public' : 'private'} subnet in availability zone ${az}`,
        );
      }
      out.push({ group: g, az, subnetId: subnet.id });
    }
  }
  return out;
}

/** Per node group: the AMI and the eksctl launch template managed nodes report in labels. */
interface GroupIds {
  ami: string;
  launchTemplate: string;
}

function nodeLabels(spec: ClusterSpec, g: NodeGroupSpec, name: string, az: string, ids: GroupIds, instanceId: string, cloudProviderHash: string): Record<string, string> {
  const arch = instanceArch(g.instanceType);
  const l: Record<string, string> = {
    'alpha.eksctl.io/cluster-name': spec.name,
    'alpha.eksctl.io/nodegroup-name': g.name,
    'beta.kubernetes.io/arch': arch,
    'beta.kubernetes.io/instance-type': g.instanceType,
    'beta.kubernetes.io/os': 'linux',
  };
  if (g.managed) {
    l['eks.amazonaws.com/capacityType'] = 'ON_DEMAND';
    l['eks.amazonaws.com/nodegroup'] = g.name;
    l['eks.amazonaws.com/nodegroup-image'] = ids.ami;
    l['eks.amazonaws.com/sourceLaunchTemplateId'] = ids.launchTemplate;
    l['eks.amazonaws.com/sourceLaunchTemplateVersion'] = '1';
  } else {
    l['alpha.eksctl.io/instance-id'] = instanceId;
    l['node-lifecycle'] = 'on-demand';
  }
  l['k8s.io/cloud-provider-aws'] = cloudProviderHash;
  Object.assign(l, {
    'failure-domain.beta.kubernetes.io/region': spec.region,
    'failure-domain.beta.kubernetes.io/zone': az,
    'kubernetes.io/arch': arch,
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'node.kubernetes.io/instance-type': g.instanceType,
    'topology.k8s.aws/zone-id': zoneId(spec.region, az),
    'topology.kubernetes.io/region': spec.region,
    'topology.kubernetes.io/zone': az,
  });
  Object.assign(l, g.labels);
  return Object.fromEntries(Object.entries(l).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The primary ENI's interface name on the EKS AL2023 AMI: systemd's predictable names, so the
 * ENA device of a Nitro instance (PCI slot 5) is ens5 with the path name enp0s5 as altname, and
 * a Xen instance's vif is enX0 (amazon-linux-2023#686 shows exactly one altname on EKS nodes).
 */
export function primaryInterface(instanceType: string): { name: string; altnames: string[] } {
  const hv = findInstanceLimits(instanceType)?.hypervisor;
  return hv === 'xen' ? { name: 'enX0', altnames: [] } : { name: 'ens5', altnames: ['enp0s5'] };
}

/** The primary ENI as the AL2023 EKS AMI brings it up: DHCP address + routes with metric 512. */
export function configurePrimaryInterface(
  state: ClusterState,
  host: Host,
  eni: Eni,
  nic: { name: string; altnames: string[] } = { name: PRIMARY_IFNAME, altnames: [] },
): void {
  const dev = nic.name;
  const ns = getNs(host, ROOT_NS);
  const subnet = getSubnet(state.vpc, eni.subnetId);
  const c = parseCidr4(subnet.cidr);
  addLink(ns, { name: dev, kind: 'device', mac: eni.mac, mtu: ENI_MTU, eniId: eni.id, qdisc: 'mq', up: true, ...(nic.altnames.length ? { altnames: [...nic.altnames] } : {}) });
  const addr = addAddress(ns, dev, `${eni.primaryIp}/${c.prefixLen}`, { broadcast: '+', metric: PRIMARY_ROUTE_METRIC });
  addr.flags.push('dynamic');
  addr.validLft = EC2_DHCP_LEASE;
  addr.preferredLft = EC2_DHCP_LEASE;
  const gw = subnetGateway(subnet);
  const base = { dev, proto: 'dhcp' as const, src: eni.primaryIp, metric: PRIMARY_ROUTE_METRIC };
  addRoute(ns, { ...base, dst: `${gw}/32`, scope: 'link' });
  addRoute(ns, { ...base, dst: 'default', via: gw });
  const dns = vpcDnsServer(state.vpc);
  if (dns !== eni.primaryIp) {
    if (cidrContains(c, dns)) addRoute(ns, { ...base, dst: `${dns}/32`, scope: 'link' });
    else addRoute(ns, { ...base, dst: `${dns}/32`, via: gw });
  }
}

/**
 * What the EKS AMI and kubelet set before any pod runs: IPv4 forwarding on (the AMI's sysctl
 * config for Kubernetes nodes), and kubelet's own iptables chains (KUBE-FIREWALL and friends).
 */
function bootKernelAndKubelet(host: Host): void {
  const ns = getNs(host, ROOT_NS);
  setSysctl(ns, 'net.ipv4.ip_forward', '1');
  applyKubeletIptables(ns, 4);
  applyKubeletIptables(ns, 6);
}

/** Launches every node group's instances, registers their Node objects and boots their networking. */
export function createNodes(state: ClusterState, cni: CniPlugin): void {
  const spec = state.spec;
  const clusterSg = `sg-0${randHex(state, 16)}`;
  const cloudProviderHash = randHex(state, 32);
  const groupIds = new Map<string, GroupIds>();
  for (const p of placeNodes(spec)) {
    if (!groupIds.has(p.group.name)) groupIds.set(p.group.name, { ami: newResourceId(state.vpc, 'ami'), launchTemplate: newResourceId(state.vpc, 'lt') });
    const { instanceId, primaryEni } = launchInstance(state.vpc, { subnetId: p.subnetId, rng: state, securityGroups: [clusterSg] });
    const name = ec2PrivateDnsName(primaryEni.primaryIp, spec.region);
    const record: NodeRecord = {
      name,
      nodeGroup: p.group.name,
      instanceType: p.group.instanceType,
      instanceId,
      az: p.az,
      subnetId: p.subnetId,
      primaryIp: primaryEni.primaryIp,
      podCapacity: 0,
    };
    const host = newHost(name);
    configurePrimaryInterface(state, host, primaryEni, primaryInterface(p.group.instanceType));
    bootKernelAndKubelet(host);
    state.nodes.push(record);
    state.hosts[name] = host;
    const ctx = { cluster: state, node: record, host };
    record.podCapacity = p.group.maxPodsPerNode ?? cni.podCapacity(ctx);
    const publicIp = getSubnet(state.vpc, p.subnetId).public ? choosePublicIp(state) : undefined;
    createObject(state, nodeObject(state, record, publicIp, nodeLabels(spec, p.group, name, p.az, groupIds.get(p.group.name)!, instanceId, cloudProviderHash)));
    cni.nodeStart(ctx);
    const nodeObj = { kind: 'Node', metadata: { name, namespace: 'default' } };
    recordEvent(state, nodeObj, 'Normal', 'Starting', 'Starting kubelet.', 'kubelet');
    for (const st of ['NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID']) {
      recordEvent(state, nodeObj, 'Normal', st, `Node ${name} status is now: ${st}`, 'kubelet');
    }
    recordEvent(state, nodeObj, 'Normal', 'NodeAllocatableEnforced', 'Updated Node Allocatable limit across pods', 'kubelet');
    recordEvent(state, nodeObj, 'Normal', 'RegisteredNode', `Node ${name} event: Registered Node ${name} in Controller`, 'node-controller');
    recordEvent(state, nodeObj, 'Normal', 'NodeReady', `Node ${name} status is now: NodeReady`, 'kubelet');
  }
}

function nodeObject(state: ClusterState, r: NodeRecord, publicIp: string | undefined, labels: Record<string, string>): V1Node & KObject {
  const spec = state.spec;
  const now = new Date(Date.UTC(2025, 0, 1) + state.clock * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const addresses = [{ address: r.primaryIp, type: 'InternalIP' }];
  if (publicIp) addresses.push({ address: publicIp, type: 'ExternalIP' });
  addresses.push({ address: r.name, type: 'InternalDNS' });
  if (publicIp) addresses.push({ address: ec2PublicDnsName(publicIp, spec.region), type: 'ExternalDNS' });
  addresses.push({ address: r.name, type: 'Hostname' });
  const cond = (type: string, status: string, reason: string, message: string) => ({
    lastHeartbeatTime: now,
    lastTransitionTime: now,
    message,
    reason,
    status,
    type,
  });
  const arch = instanceArch(r.instanceType);
  const kv = kubeletVersion(spec.kubernetesVersion);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: r.name,
      labels,
      annotations: {
        'alpha.kubernetes.io/provided-node-ip': r.primaryIp,
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: { providerID: `aws:///${r.az}/${r.instanceId}` },
    status: {
      addresses,
      allocatable: { pods: String(r.podCapacity) },
      capacity: { pods: String(r.podCapacity) },
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: arch,
        bootID: randUuid(state),
        containerRuntimeVersion: 'containerd://1.7.27',
        kernelVersion: `6.1.132-147.221.amzn2023.${arch === 'arm64' ? 'aarch64' : 'x86_64'}`,
        kubeProxyVersion: kv,
        kubeletVersion: kv,
        machineID: randHex(state, 32),
        operatingSystem: 'linux',
        osImage: 'Amazon Linux 2023.7.20250428',
        systemUUID: `ec2${randHex(state, 5)}-${randHex(state, 4)}-${randHex(state, 4)}-${randHex(state, 4)}-${randHex(state, 12)}`,
      },
    },
  } as unknown as V1Node & KObject;
}
