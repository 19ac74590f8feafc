// Resolving what a user names (a node, a pod) to where it lives in the simulated cluster.
import type { ClusterState, NodeRecord } from '../control-plane/types.ts';
import { podSandbox } from '../control-plane/kubelet.ts';
import { CLUSTER_EPOCH_MS } from '../control-plane/store.ts';
import { ROOT_NS } from '../node-state/types.ts';
import { KubewireError } from '../errors.ts';

/** A node by full name, short name (ip-192-168-1-2), instance id or any of its IPs. */
export function findNode(state: ClusterState, want: string): NodeRecord {
  const n = state.nodes.find(
    (x) => x.name === want || x.name.split('.')[0] === want || x.instanceId === want || x.primaryIp === want,
  );
  if (n) return n;
  const names = state.nodes.map((x) => x.name).join(', ');
  throw new KubewireError(`node "${want}" not found (nodes: ${names})`);
}

/** The host and network namespace a pod's containers see (the node's root one for hostNetwork pods). */
export function findPodNetns(state: ClusterState, namespace: string, name: string): { node: string; netns: string } {
  const pod = state.objects[`Pod/${namespace}/${name}`] as { spec?: { nodeName?: string; hostNetwork?: boolean } } | undefined;
  if (!pod) throw new KubewireError(`Error from server (NotFound): pods "${name}" not found`);
  const node = pod.spec?.nodeName;
  if (!node) throw new KubewireError(`pod ${namespace}/${name} is not scheduled to a node yet (Pending)`);
  if (pod.spec?.hostNetwork) return { node, netns: ROOT_NS };
  const sb = podSandbox(state, namespace, name);
  if (!sb?.netns || !state.hosts[node]?.namespaces[sb.netns]) {
    throw new KubewireError(`pod ${namespace}/${name} has no network namespace yet (sandbox not created${sb?.error ? `: ${sb.error}` : ''})`);
  }
  return { node, netns: sb.netns };
}

/** The simulated wall-clock time now (cluster creation is a fixed epoch, so output is reproducible). */
export function simulatedDate(state: ClusterState): Date {
  return new Date(CLUSTER_EPOCH_MS + state.clock * 1000);
}
