// The contract between the control plane and the networking plugins (CNIs and Service proxies).
// Plugins write node state only as the real components do: links/addresses/routes/rules/neighbours
// through node-state operations, and netfilter as iptables-restore text applied to the namespace.

import type { V1Pod } from '../k8s/types.ts';
import type { Host } from '../node-state/types.ts';
import type { ClusterState, NodeRecord } from './types.ts';

export interface PluginContext {
  cluster: ClusterState;
  node: NodeRecord;
  host: Host;
}

export type CniAddResult =
  | {
      ok: true;
      /** Pod IPs in order (IPv4 first). */
      ips: string[];
      /** Name of the pod's network namespace on the host (a key of host.namespaces). */
      netns: string;
      /** Host-side interface (e.g. "eni1a2b3c4d5e6" or "cali1234567890a"), for traces and captures. */
      hostInterface?: string;
    }
  | {
      ok: false;
      /** The plugin's error text as kubelet would put it in the FailedCreatePodSandBox event. */
      error: string;
    };

export interface CniPlugin {
  readonly name: string;
  /** Node boot: the instance and its primary ENI exist; set up host networking. */
  nodeStart(ctx: PluginContext): void;
  /** Pods kubelet advertises as capacity (before any maxPodsPerNode override). */
  podCapacity(ctx: PluginContext): number;
  /** CNI ADD for a non-hostNetwork pod scheduled on ctx.node. */
  podAdd(ctx: PluginContext, pod: V1Pod): CniAddResult;
  /** CNI DEL. Must undo podAdd. */
  podDelete(ctx: PluginContext, pod: V1Pod): void;
  /**
   * The CNI agent's periodic refresh after other components changed the node (e.g. Felix
   * re-inserting its jumps at the top of the built-in chains after kube-proxy's sync).
   */
  resync?(ctx: PluginContext): void;
  /** The kernel ipsets the agent keeps in a namespace of the node, by set name (for `-m set`). */
  ipsets?(cluster: import('./types.ts').ClusterState, node: string, netns: string): Record<string, { type: string; members: string[] }> | undefined;
}

export interface ServiceProxy {
  readonly name: string;
  /** Full sync of one node from the cluster's Services and EndpointSlices. */
  syncNode(ctx: PluginContext): void;
}
