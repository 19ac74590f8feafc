// The CNI a node's container runtime runs after a live migration from the VPC CNI to Calico.
// containerd loads the first network config in /etc/cni/net.d by file name and uses it for every
// ADD and DEL: aws-node never removes its 10-aws.conflist (deleting the DaemonSet leaves it, with
// every rule, route, iptables chain and attached ENI ipamd made) and Calico's install-cni only
// writes 10-calico.conflist, so the migration removes 10-aws.conflist on each node, as replacing
// the nodes would. Then:
// - new pods: Calico CNI ADD (calico-ipam address, cali veth);
// - pods wired by the VPC CNI keep their VPC IP, veth, host route and ip rules until deleted; their
//   DEL goes to Calico too, which deletes the pod's eth0 (the host veth and its /32 route go with
//   it) and finds no calico-ipam handle to release. The VPC CNI's per-pod ip rules and the
//   secondary IP on the ENI stay: nothing that knew about them runs any more.
// With 10-aws.conflist kept, ADD still reaches aws-cni, which cannot reach ipamd.

import type { V1Pod } from '../k8s/types.ts';
import type { CniAddResult, CniPlugin, PluginContext } from './plugins.ts';
import type { ClusterState } from './types.ts';
import { delNetns } from '../node-state/ops.ts';
import { createCalicoVxlan, calicoState } from '../cni/calico/plugin.ts';
import { podSandbox } from './kubelet.ts';
import { ERR_IPAMD_GONE } from '../cni/vpc-cni/plugin.ts';

export { ERR_IPAMD_GONE };

export interface CniConfDir {
  /** File names in /etc/cni/net.d per node, sorted as containerd reads them. */
  files: Record<string, string[]>;
}

export function cniConfDir(state: ClusterState): CniConfDir {
  const ps = state.pluginState as Record<string, unknown>;
  if (!ps['cni-conf']) {
    const files: Record<string, string[]> = {};
    const first = state.spec.cni.type === 'vpc-cni' || state.spec.cni.migration ? '10-aws.conflist' : '10-calico.conflist';
    for (const n of state.nodes) files[n.name] = [first];
    ps['cni-conf'] = { files } satisfies CniConfDir;
  }
  return ps['cni-conf'] as CniConfDir;
}

/** The network config containerd uses on a node: the first file by name. */
export function activeConf(state: ClusterState, node: string): string | undefined {
  return [...(cniConfDir(state).files[node] ?? [])].sort()[0];
}

export function writeConf(state: ClusterState, node: string, file: string): void {
  const d = cniConfDir(state);
  const list = d.files[node] ?? (d.files[node] = []);
  if (!list.includes(file)) list.push(file);
  list.sort();
}

export function removeConf(state: ClusterState, node: string, file: string): boolean {
  const d = cniConfDir(state);
  const list = d.files[node] ?? [];
  const i = list.indexOf(file);
  if (i < 0) return false;
  list.splice(i, 1);
  return true;
}

/** The plugin of a cluster migrated from the VPC CNI to Calico VXLAN (mixed pods). */
export function createMigratedCni(): CniPlugin {
  const calico = createCalicoVxlan();
  return {
    name: 'calico-vxlan',
    ipsets: calico.ipsets,
    resync: calico.resync,
    nodeStart: calico.nodeStart,
    // kubelet keeps the --max-pods the node was launched with (EKS bootstrap's ENI-based value).
    podCapacity: (ctx) => ctx.node.podCapacity || calico.podCapacity(ctx),

    podAdd(ctx: PluginContext, pod: V1Pod): CniAddResult {
      if (activeConf(ctx.cluster, ctx.node.name) === '10-aws.conflist') return { ok: false, error: ERR_IPAMD_GONE };
      return calico.podAdd(ctx, pod);
    },

    podDelete(ctx: PluginContext, pod: V1Pod): void {
      const namespace = pod.metadata?.namespace ?? 'default';
      const name = pod.metadata?.name ?? '';
      if (calicoState(ctx.cluster).nodes[ctx.node.name]?.pods[`${namespace}/${name}`]) {
        calico.podDelete(ctx, pod);
        return;
      }
      // A pod the VPC CNI wired: Calico's DEL removes its eth0 (the veth pair goes, and the host
      // route with the host end); the runtime then removes the namespace.
      const sb = podSandbox(ctx.cluster, namespace, name);
      if (sb?.netns && ctx.host.namespaces[sb.netns]) delNetns(ctx.host, sb.netns);
    },
  };
}
