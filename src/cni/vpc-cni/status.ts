// `kubewire vpc-cni status`: what ipamd holds on each node (its datastore and warm-pool
// settings), rendered as text or as JSON.

import { KubewireError } from '../../errors.ts';
import type { ClusterState } from '../../control-plane/types.ts';
import { getEni } from '../../aws/vpc.ts';
import { parseAwsNodeEnv } from './config.ts';
import { awsNodeState, ipStats, type IpamdNode } from './ipamd.ts';
import { eniRouteTable } from './plugin.ts';

export interface EniStatus {
  eniId: string;
  device: number;
  primary: boolean;
  primaryIp: string;
  routeTable: string;
  /** Secondary IPs ("a.b.c.d/32") or delegated prefixes ("a.b.c.d/28") in the datastore. */
  cidrs: string[];
  /** "namespace/name" → pod IP for the pods holding an address of this ENI. */
  pods: Array<{ pod: string; ip: string }>;
  /** Addresses released less than IP_COOLDOWN_PERIOD ago. */
  coolingDown: string[];
}

export interface NodeStatus {
  node: string;
  instanceId: string;
  instanceType: string;
  mode: 'secondary-ip' | 'prefix-delegation';
  maxPods: number;
  maxEnis: number;
  maxIpsPerEni: number;
  warmEniTarget: number;
  warmIpTarget: number;
  minimumIpTarget: number;
  warmPrefixTarget: number;
  totalIPs: number;
  assignedIPs: number;
  cooldownIPs: number;
  enis: EniStatus[];
}

export function ipamdStatus(cluster: ClusterState, nodeName?: string): NodeStatus[] {
  if (cluster.spec.cni.type !== 'vpc-cni') {
    throw new KubewireError(`the cluster runs ${cluster.spec.cni.type}, not the Amazon VPC CNI`);
  }
  if (cluster.objects['Namespace//kube-system'] && !cluster.objects['DaemonSet/kube-system/aws-node']) {
    // ipamd runs in the aws-node pods; with the DaemonSet gone its introspection endpoint is too.
    throw new KubewireError('aws-node is not running (its DaemonSet was deleted): no ipamd to ask on :61679');
  }
  const cfg = parseAwsNodeEnv(cluster.spec.cni.vpcCni.env ?? {});
  const all = awsNodeState(cluster).nodes;
  const names = nodeName ? [nodeName] : cluster.nodes.map((n) => n.name).filter((n) => all[n]);
  const now = cluster.clock;
  return names.map((name) => {
    const n: IpamdNode | undefined = all[name];
    if (!n) throw new KubewireError(`aws-node is not running on node ${name} (no ipamd state)`);
    const s = ipStats(n, cfg, now);
    return {
      node: n.node,
      instanceId: n.instanceId,
      instanceType: n.instanceType,
      mode: n.prefixDelegation ? 'prefix-delegation' : 'secondary-ip',
      maxPods: n.maxPods,
      maxEnis: n.maxEni,
      maxIpsPerEni: n.maxIpsPerEni,
      warmEniTarget: cfg.warmEniTarget,
      warmIpTarget: cfg.warmIpTarget,
      minimumIpTarget: cfg.minimumIpTarget,
      warmPrefixTarget: cfg.warmPrefixTarget,
      totalIPs: s.totalIPs,
      assignedIPs: s.assignedIPs,
      cooldownIPs: s.cooldownIPs,
      enis: [...n.enis]
        .sort((a, b) => a.deviceNumber - b.deviceNumber)
        .map((e) => ({
          eniId: e.id,
          device: e.deviceNumber,
          primary: e.isPrimary,
          primaryIp: getEni(cluster.vpc, e.id).primaryIp,
          routeTable: e.deviceNumber === 0 ? 'main' : String(eniRouteTable(e.deviceNumber)),
          cidrs: e.cidrs.map((c) => c.cidr),
          pods: e.cidrs.flatMap((c) => c.addresses.filter((a) => a.pod !== undefined).map((a) => ({ pod: a.pod as string, ip: a.ip }))),
          coolingDown: e.cidrs.flatMap((c) =>
            c.addresses.filter((a) => a.pod === undefined && a.unassignedAt !== undefined && now - a.unassignedAt <= cfg.ipCooldownPeriod).map((a) => a.ip),
          ),
        })),
    };
  });
}

function table(rows: string[][]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i] + 3))).join('').trimEnd()).join('\n') + '\n';
}

export function renderIpamdStatus(st: NodeStatus[]): string {
  const out: string[] = [];
  for (const n of st) {
    const targets =
      n.mode === 'prefix-delegation'
        ? `WARM_PREFIX_TARGET=${n.warmPrefixTarget} WARM_IP_TARGET=${n.warmIpTarget} MINIMUM_IP_TARGET=${n.minimumIpTarget}`
        : `WARM_ENI_TARGET=${n.warmEniTarget} WARM_IP_TARGET=${n.warmIpTarget} MINIMUM_IP_TARGET=${n.minimumIpTarget}`;
    let s = `Node:      ${n.node}\n`;
    s += `Instance:  ${n.instanceId} (${n.instanceType}), max ENIs ${n.maxEnis}, ${n.mode === 'prefix-delegation' ? 'IPs per ENI (prefixes × 16)' : 'secondary IPs per ENI'} ${n.maxIpsPerEni}\n`;
    s += `Mode:      ${n.mode === 'prefix-delegation' ? 'prefix delegation' : 'secondary IP'}; ${targets}\n`;
    s += `Pool:      ${n.totalIPs} IPs, ${n.assignedIPs} assigned, ${n.cooldownIPs} cooling down; max pods ${n.maxPods}\n`;
    const rows = [['ENI', 'DEVICE', 'TABLE', 'PRIMARY IP', n.mode === 'prefix-delegation' ? 'PREFIXES' : 'SECONDARY IPS', 'ASSIGNED']];
    for (const e of n.enis) {
      rows.push([`${e.eniId}${e.primary ? ' (primary)' : ''}`, String(e.device), e.routeTable, e.primaryIp, String(e.cidrs.length), String(e.pods.length)]);
    }
    s += '\n' + table(rows);
    const pods = n.enis.flatMap((e) => e.pods.map((p) => [p.pod, p.ip, e.eniId]));
    if (pods.length) s += '\n' + table([['POD', 'IP', 'ENI'], ...pods.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))]);
    out.push(s);
  }
  return out.join('\n');
}
