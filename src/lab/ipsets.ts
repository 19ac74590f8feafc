// The ipsets a namespace needs before its iptables rules load (`-m set --match-set NAME` fails on
// a missing set). The node-state model has no ipsets of its own; Calico's Felix keeps them (the
// engine's walk gets them the same way).
import type { ClusterState } from '../control-plane/types.ts';
import { ROOT_NS } from '../node-state/types.ts';
import { nodeIpsets } from '../cni/calico/plugin.ts';

export interface LabIpSet {
  type: string;
  members: string[];
}

export type IpsetSource = (node: string, netns: string) => Record<string, LabIpSet> | undefined;

/** The cluster's ipsets per node namespace (Calico's Felix sets in the root namespace). */
export function clusterIpsets(state: ClusterState): IpsetSource {
  return (node, netns) => (state.spec.cni.type === 'calico-vxlan' && netns === ROOT_NS ? nodeIpsets(state, node) : undefined);
}

/** `ipset restore` input that creates the sets with their members (IPv4). */
export function ipsetRestoreText(sets: Record<string, LabIpSet>): string {
  const out: string[] = [];
  for (const [name, s] of Object.entries(sets)) {
    out.push(`create ${name} ${s.type} family inet`);
    for (const m of s.members) out.push(`add ${name} ${m}`);
  }
  return out.length ? out.join('\n') + '\n' : '';
}
