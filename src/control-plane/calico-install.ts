// The objects a Calico install puts into a running EKS cluster, per install path of the Calico EKS
// guide (research/calico.md §4.1, §13): the Tigera operator (tigera-operator.yaml + an Installation
// with kubernetesProvider EKS, CNI Calico, BGP Disabled; the operator then renders calico-system),
// or the calico-vxlan.yaml manifest (everything in kube-system, pool from calico-node's env).
// Workloads are kept to what decides networking: which pods run on the host network (calico-node,
// typha, the operator) and which need a pod address from Calico (kube-controllers, csi-node-driver).

import type { KObject } from '../k8s/types.ts';
import type { CalicoSettings } from '../inputs/cluster-spec.ts';
import type { CalicoInstall } from '../inputs/calico-migrate.ts';

const OPERATOR_VERSION: Record<string, string> = { '3.26': 'v1.30.0', '3.27': 'v1.32.0', '3.28': 'v1.34.0', '3.29': 'v1.36.0', '3.30': 'v1.38.0', '3.31': 'v1.40.0', '3.32': 'v1.40.1' };

const NODE_TOLERATIONS = [
  { effect: 'NoSchedule', operator: 'Exists' },
  { key: 'CriticalAddonsOnly', operator: 'Exists' },
  { effect: 'NoExecute', operator: 'Exists' },
];

function ns(name: string, labels: Record<string, string> = {}): KObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } };
}

function daemonSet(name: string, namespace: string, image: string, o: { hostNetwork: boolean; env?: Record<string, string>; sa?: string }): KObject {
  const labels = { 'k8s-app': name };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace, labels: { ...labels } },
    spec: {
      selector: { matchLabels: labels },
      updateStrategy: { rollingUpdate: { maxUnavailable: 1 }, type: 'RollingUpdate' },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name,
              image,
              ...(o.env ? { env: Object.entries(o.env).map(([k, value]) => ({ name: k, value })) } : {}),
              securityContext: { privileged: true },
            },
          ],
          ...(o.hostNetwork ? { hostNetwork: true } : {}),
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          priorityClassName: 'system-node-critical',
          serviceAccountName: o.sa ?? name,
          tolerations: NODE_TOLERATIONS,
        },
      },
    },
  };
}

function deployment(name: string, namespace: string, image: string, o: { hostNetwork: boolean; replicas?: number; sa?: string }): KObject {
  const labels = { 'k8s-app': name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { ...labels } },
    spec: {
      replicas: o.replicas ?? 1,
      selector: { matchLabels: labels },
      strategy: { type: 'Recreate' },
      template: {
        metadata: { labels },
        spec: {
          containers: [{ name, image }],
          ...(o.hostNetwork ? { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } : {}),
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          priorityClassName: 'system-cluster-critical',
          serviceAccountName: o.sa ?? name,
          tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }, { effect: 'NoSchedule', key: 'node-role.kubernetes.io/master' }, { effect: 'NoSchedule', key: 'node-role.kubernetes.io/control-plane' }],
        },
      },
    },
  };
}

function encapsulation(c: CalicoSettings): string {
  if (c.vxlanMode === 'Always') return 'VXLAN';
  if (c.vxlanMode === 'CrossSubnet') return 'VXLANCrossSubnet';
  return 'None';
}

/** The custom resources (not stored as API objects by kubewire; shown and kept in the migration record). */
export function calicoCustomResources(install: CalicoInstall, c: CalicoSettings): KObject[] {
  const pool: KObject = {
    apiVersion: 'crd.projectcalico.org/v1',
    kind: 'IPPool',
    metadata: { name: 'default-ipv4-ippool' },
    spec: {
      allowedUses: ['Workload', 'Tunnel'],
      blockSize: c.blockSize,
      cidr: c.ipPoolCidr,
      ipipMode: c.ipipMode,
      natOutgoing: c.natOutgoing,
      nodeSelector: 'all()',
      vxlanMode: c.vxlanMode,
    },
  } as KObject;
  if (install === 'manifest') return [pool];
  const installation: KObject = {
    apiVersion: 'operator.tigera.io/v1',
    kind: 'Installation',
    metadata: { name: 'default' },
    spec: {
      kubernetesProvider: 'EKS',
      cni: { type: 'Calico', ipam: { type: 'Calico' } },
      calicoNetwork: {
        bgp: 'Disabled',
        ...(c.mtu !== undefined ? { mtu: c.mtu } : {}),
        ipPools: [{ name: 'default-ipv4-ippool', cidr: c.ipPoolCidr, blockSize: c.blockSize, encapsulation: encapsulation(c), natOutgoing: c.natOutgoing ? 'Enabled' : 'Disabled', nodeSelector: 'all()' }],
      },
    },
  } as KObject;
  const apiServer = { apiVersion: 'operator.tigera.io/v1', kind: 'APIServer', metadata: { name: 'default' }, spec: {} } as KObject;
  return [installation, apiServer, pool];
}

/** The namespaces and workloads the install creates, in creation order. */
export function calicoInstallObjects(install: CalicoInstall, c: CalicoSettings): KObject[] {
  const v = c.version;
  if (install === 'manifest') {
    const env: Record<string, string> = {
      DATASTORE_TYPE: 'kubernetes',
      CALICO_NETWORKING_BACKEND: 'vxlan',
      CLUSTER_TYPE: 'k8s',
      CALICO_IPV4POOL_CIDR: c.ipPoolCidr,
      CALICO_IPV4POOL_BLOCK_SIZE: String(c.blockSize),
      CALICO_IPV4POOL_IPIP: c.ipipMode,
      CALICO_IPV4POOL_VXLAN: c.vxlanMode,
      CALICO_IPV4POOL_NAT_OUTGOING: String(c.natOutgoing),
      FELIX_IPINIPMTU: '0',
      FELIX_VXLANMTU: String(c.mtu ?? 0),
      // The Calico EKS guide's manifest tab adds this: Felix turns the ENI check off for CrossSubnet.
      FELIX_AWSSRCDSTCHECK: 'Disable',
      FELIX_DEFAULTENDPOINTTOHOSTACTION: 'ACCEPT',
    };
    return [
      daemonSet('calico-node', 'kube-system', `docker.io/calico/node:${v}`, { hostNetwork: true, env }),
      deployment('calico-kube-controllers', 'kube-system', `docker.io/calico/kube-controllers:${v}`, { hostNetwork: false }),
    ];
  }
  const minor = v.replace(/^v/, '').split('.').slice(0, 2).join('.');
  const op = OPERATOR_VERSION[minor] ?? 'v1.40.1';
  return [
    ns('tigera-operator', { name: 'tigera-operator' }),
    deployment('tigera-operator', 'tigera-operator', `quay.io/tigera/operator:${op}`, { hostNetwork: true }),
    ns('calico-system', { name: 'calico-system', 'pod-security.kubernetes.io/enforce': 'privileged', 'pod-security.kubernetes.io/enforce-version': 'latest' }),
    daemonSet('calico-node', 'calico-system', `quay.io/calico/node:${v}`, { hostNetwork: true }),
    deployment('calico-typha', 'calico-system', `quay.io/calico/typha:${v}`, { hostNetwork: true }),
    deployment('calico-kube-controllers', 'calico-system', `quay.io/calico/kube-controllers:${v}`, { hostNetwork: false }),
    daemonSet('csi-node-driver', 'calico-system', `quay.io/calico/csi:${v}`, { hostNetwork: false }),
  ];
}
