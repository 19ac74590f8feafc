// Removing what aws-node left on a node after a migration to Calico (what replacing or rebooting
// the node does for it; a running node keeps it forever because nothing owns it any more):
// the VPC CNI's ip rules (to-pod 512, fwmark 1024, external-service 1535, from-pod 1536) and its
// iptables (AWS-SNAT-CHAIN-0, AWS-CONNMARK-CHAIN-0, the jumps to them and the "AWS, …" CONNMARK
// rules). It matters: the leftover AWS-SNAT-CHAIN-0 SNATs pod traffic to anything outside the VPC
// CIDR — the Calico pool included — to the node IP, so a pod's reply to it leaves the other node
// unencapsulated with its pool address and the ENI source/destination check drops it.
// The secondary ENIs stay attached with their IPs (only detaching them in EC2 frees those).

import type { ClusterState } from './types.ts';
import type { NetfilterRule } from '../netfilter/types.ts';
import { ROOT_NS } from '../node-state/types.ts';
import { formatRuleSpec } from '../netfilter/rule-text.ts';
import { KubewireError } from '../errors.ts';
import { EXTERNAL_SERVICE_IP_RULE_PRIORITY, FROM_POD_RULE_PRIORITY, HOST_RULE_PRIORITY, TO_CONTAINER_RULE_PRIORITY } from '../cni/vpc-cni/plugin.ts';
import { kubeletState } from './kubelet.ts';
import { calicoState } from '../cni/calico/plugin.ts';
import { migrationRecord } from './migration.ts';

const VPC_CNI_RULE_PRIORITIES = new Set([TO_CONTAINER_RULE_PRIORITY, HOST_RULE_PRIORITY, EXTERNAL_SERVICE_IP_RULE_PRIORITY, FROM_POD_RULE_PRIORITY]);

function isAwsRule(r: NetfilterRule): boolean {
  if (r.target?.name.startsWith('AWS-')) return true;
  return r.matches.some((m) => m.module === 'comment' && m.options.some((o) => o.name === 'comment' && o.values.some((v) => v === 'AWS' || v.startsWith('AWS,') || v.startsWith('AWS '))));
}

export interface CleanupResult {
  node: string;
  /** The equivalent commands run on the node. */
  commands: string[];
}

/** Pods on `node` that still run with the VPC CNI's wiring (the cleanup would cut them off). */
export function vpcWiredPods(state: ClusterState, node: string): string[] {
  const calico = calicoState(state).nodes[node]?.pods ?? {};
  return Object.entries(kubeletState(state).sandboxes)
    .filter(([key, sb]) => sb.node === node && sb.netns && sb.ready && !calico[key])
    .map(([key]) => key)
    .sort();
}

export function cleanupAwsNode(state: ClusterState, nodes: string[]): CleanupResult[] {
  if (!migrationRecord(state)) throw new KubewireError('nothing to clean up: the cluster was not migrated from the VPC CNI (kubewire cni migrate calico-vxlan)');
  const names = nodes.length ? nodes : state.nodes.map((n) => n.name);
  for (const n of names) {
    const left = vpcWiredPods(state, n);
    if (left.length) {
      throw new KubewireError(`node ${n} still runs ${left.length} pod(s) wired by the VPC CNI (${left.join(', ')}): recreate them first (kubectl rollout restart, or delete bare pods), or they lose their ip rules`);
    }
  }
  const out: CleanupResult[] = [];
  for (const n of names) {
    const root = state.hosts[n].namespaces[ROOT_NS];
    const commands: string[] = [];
    for (const r of root.rules.filter((x) => x.family === 4 && VPC_CNI_RULE_PRIORITIES.has(x.priority))) {
      const sel = [r.from ? `from ${r.from}` : '', r.to ? `to ${r.to}` : '', r.fwmark !== undefined ? `fwmark 0x${r.fwmark.toString(16)}/0x${(r.fwmask ?? 0xffffffff).toString(16)}` : ''].filter(Boolean).join(' ');
      commands.push(`ip rule del priority ${r.priority}${sel ? ' ' + sel : ''}`);
    }
    root.rules = root.rules.filter((x) => !(x.family === 4 && VPC_CNI_RULE_PRIORITIES.has(x.priority)));
    for (const t of root.netfilter.tables) {
      for (const c of t.chains) {
        if (!c.name.startsWith('AWS-')) for (const r of c.rules.filter(isAwsRule)) commands.push(`iptables -t ${t.name} -D ${c.name} ${formatRuleSpec(r).trim()}`);
        c.rules = c.rules.filter((r) => !isAwsRule(r));
      }
      for (const c of t.chains.filter((x) => x.name.startsWith('AWS-'))) commands.push(`iptables -t ${t.name} -F ${c.name} && iptables -t ${t.name} -X ${c.name}`);
      t.chains = t.chains.filter((x) => !x.name.startsWith('AWS-'));
    }
    out.push({ node: n, commands });
  }
  return out;
}
