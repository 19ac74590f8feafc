// Which networking plugins a cluster runs, from its spec.
import type { ClusterSpec } from '../inputs/cluster-spec.ts';
import type { ClusterState } from '../control-plane/types.ts';
import type { CniPlugin, ServiceProxy } from '../control-plane/plugins.ts';
import { createVpcCni } from './vpc-cni/plugin.ts';
import { createCalicoVxlan } from './calico/plugin.ts';
import { createKubeProxy } from '../kube-proxy/proxy.ts';
import { createMigratedCni } from '../control-plane/cni-switch.ts';

export interface Plugins {
  cni: CniPlugin;
  proxy: ServiceProxy;
}

export function pluginsFor(spec: ClusterSpec): Plugins {
  switch (spec.cni.type) {
    case 'vpc-cni':
      return { cni: createVpcCni(), proxy: createKubeProxy() };
    case 'calico-vxlan':
      // Migrated on a running cluster: Calico, with the VPC CNI's pods still wired until recreated.
      if (spec.cni.migration) return { cni: createMigratedCni(), proxy: createKubeProxy() };
      // aws-node is removed; Calico provides CNI + IPAM, kube-proxy stays (iptables mode).
      return { cni: createCalicoVxlan(), proxy: createKubeProxy() };
  }
}

/** The ipsets the cluster's CNI agent keeps per node namespace, in the form the engine reads. */
export function ipsetsOf(state: ClusterState): ((node: string, netns: string) => Record<string, { type: string; members: string[] }> | undefined) | undefined {
  const cni = pluginsFor(state.spec).cni;
  return cni.ipsets ? (node, netns) => cni.ipsets!(state, node, netns) : undefined;
}
