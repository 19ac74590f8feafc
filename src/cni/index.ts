// Which networking plugins a cluster runs, from its spec.
import type { ClusterSpec } from '../inputs/cluster-spec.ts';
import type { CniPlugin, ServiceProxy } from '../control-plane/plugins.ts';
import { createVpcCni } from './vpc-cni/plugin.ts';
import { createKubeProxy } from '../kube-proxy/proxy.ts';
import { KubewireError } from '../errors.ts';

export interface Plugins {
  cni: CniPlugin;
  proxy: ServiceProxy;
}

export function pluginsFor(spec: ClusterSpec): Plugins {
  switch (spec.cni.type) {
    case 'vpc-cni':
      return { cni: createVpcCni(), proxy: createKubeProxy() };
    case 'calico-vxlan':
      throw new KubewireError(`${spec.source}: kubewire.cni "calico-vxlan" is not implemented yet; use the VPC CNI (the default) for now`);
  }
}
