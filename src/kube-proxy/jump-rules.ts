// Rules kube-proxy and kubelet keep in the built-in chains, outside the restore input.
// Both use "ensure" semantics (iptables -N if missing; -C, then -I/-A if missing), so a rule that is
// already present stays where it is, and a missing prepended rule goes to the top of its chain.

import type { TableName } from '../netfilter/types.ts';
import {
  KUBE_EXTERNAL_SERVICES,
  KUBE_FIREWALL,
  KUBE_FORWARD,
  KUBE_KUBELET_CANARY,
  KUBE_NODEPORTS,
  KUBE_POSTROUTING,
  KUBE_PROXY_CANARY,
  KUBE_PROXY_FIREWALL,
  KUBE_SERVICES,
} from './rules.ts';

export interface JumpRule {
  table: TableName;
  /** Built-in chain holding the rule. */
  chain: string;
  /** Chain jumped to (ensured to exist first). */
  target: string;
  /** Rule arguments as the component passes them to iptables (without -A/-I CHAIN). */
  args: string;
  position: 'prepend' | 'append';
}

const NEW = '-m conntrack --ctstate NEW ';

function jump(table: TableName, chain: string, target: string, comment: string, extra = ''): JumpRule {
  const c = comment === '' ? '' : `-m comment --comment "${comment}" `;
  return { table, chain, target, args: `${extra}${c}-j ${target}`, position: 'prepend' };
}

/**
 * kube-proxy's jump rules, in the order it ensures them on every full sync (iptablesJumpChains,
 * then its copy of kubelet's KUBE-FIREWALL jumps, which it writes but never deletes).
 */
export const KUBE_PROXY_JUMP_RULES: readonly JumpRule[] = [
  jump('filter', 'INPUT', KUBE_EXTERNAL_SERVICES, 'kubernetes externally-visible service portals', NEW),
  jump('filter', 'FORWARD', KUBE_EXTERNAL_SERVICES, 'kubernetes externally-visible service portals', NEW),
  jump('filter', 'INPUT', KUBE_NODEPORTS, 'kubernetes health check service ports'),
  jump('filter', 'FORWARD', KUBE_SERVICES, 'kubernetes service portals', NEW),
  jump('filter', 'OUTPUT', KUBE_SERVICES, 'kubernetes service portals', NEW),
  jump('filter', 'FORWARD', KUBE_FORWARD, 'kubernetes forwarding rules'),
  jump('filter', 'INPUT', KUBE_PROXY_FIREWALL, 'kubernetes load balancer firewall', NEW),
  jump('filter', 'OUTPUT', KUBE_PROXY_FIREWALL, 'kubernetes load balancer firewall', NEW),
  jump('filter', 'FORWARD', KUBE_PROXY_FIREWALL, 'kubernetes load balancer firewall', NEW),
  jump('nat', 'OUTPUT', KUBE_SERVICES, 'kubernetes service portals'),
  jump('nat', 'PREROUTING', KUBE_SERVICES, 'kubernetes service portals'),
  jump('nat', 'POSTROUTING', KUBE_POSTROUTING, 'kubernetes postrouting rules'),
  jump('filter', 'INPUT', KUBE_FIREWALL, ''),
  jump('filter', 'OUTPUT', KUBE_FIREWALL, ''),
];

/** Tables holding the canary chains kube-proxy (KUBE-PROXY-CANARY) and kubelet (KUBE-KUBELET-CANARY) watch. */
export const CANARY_TABLES: readonly TableName[] = ['mangle', 'nat', 'filter'];
export { KUBE_PROXY_CANARY, KUBE_KUBELET_CANARY };

/** kubelet's iptables setup (pkg/kubelet/kubelet_network_linux.go, ≥1.28), per family. */
export interface KubeletIptablesSetup {
  chains: { table: TableName; chain: string }[];
  rules: { table: TableName; chain: string; args: string; position: 'prepend' | 'append' }[];
}

export function kubeletIptablesSetup(family: 4 | 6): KubeletIptablesSetup {
  const chains: KubeletIptablesSetup['chains'] = CANARY_TABLES.map((t) => ({ table: t, chain: KUBE_KUBELET_CANARY }));
  chains.push({ table: 'mangle', chain: 'KUBE-IPTABLES-HINT' });
  const rules: KubeletIptablesSetup['rules'] = [];
  if (family === 4) {
    chains.push({ table: 'filter', chain: KUBE_FIREWALL });
    rules.push({
      table: 'filter',
      chain: KUBE_FIREWALL,
      args: '-m comment --comment "block incoming localnet connections" --dst 127.0.0.0/8 ! --src 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
      position: 'append',
    });
    rules.push({ table: 'filter', chain: 'INPUT', args: `-j ${KUBE_FIREWALL}`, position: 'prepend' });
    rules.push({ table: 'filter', chain: 'OUTPUT', args: `-j ${KUBE_FIREWALL}`, position: 'prepend' });
  }
  return { chains, rules };
}
