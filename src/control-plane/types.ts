// Cluster state: what the API server stores plus what the cloud and the nodes hold.
// Plain data, so it can be persisted as JSON and rebuilt deterministically.

import type { ClusterSpec } from '../inputs/cluster-spec.ts';
import type { KObject } from '../k8s/types.ts';
import type { Host } from '../node-state/types.ts';
import type { VpcState } from '../aws/types.ts';

export interface NodeRecord {
  /** EKS name, e.g. "ip-192-168-12-34.us-west-2.compute.internal". */
  name: string;
  nodeGroup: string;
  instanceType: string;
  instanceId: string;
  az: string;
  subnetId: string;
  primaryIp: string;
  /** Pods kubelet advertises (CNI capacity, or the maxPodsPerNode override). */
  podCapacity: number;
}

export interface ClusterEvent {
  namespace: string;
  /** e.g. "Pod", "Node". */
  kind: string;
  name: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** Reporting component, e.g. "default-scheduler", "kubelet". */
  source: string;
  count: number;
  /** Logical clock (seconds since cluster creation) of first and last occurrence. */
  firstTimestamp: number;
  lastTimestamp: number;
}

export interface ClusterState {
  spec: ClusterSpec;
  seed: number;
  /** Deterministic PRNG state (advanced by every random choice). */
  rng: number;
  /** Logical clock in seconds since cluster creation; advanced by each operation. */
  clock: number;
  /** API objects keyed "<kind>/<namespace>/<name>" ("<kind>//<name>" for cluster-scoped). */
  objects: Record<string, KObject>;
  nodes: NodeRecord[];
  hosts: Record<string, Host>;
  vpc: VpcState;
  events: ClusterEvent[];
  /** Plugin-private persisted state (e.g. ipamd pools), by plugin name. */
  pluginState: Record<string, unknown>;
}
