// kube-proxy (iptables mode) as a ServiceProxy plugin: a full sync of one node from the cluster's
// Services and EndpointSlices, applied to the root namespace's netfilter state the way kube-proxy
// does it: ensure canary chains and built-in-chain jump rules, then one
// `iptables-restore --noflush --counters` of the generated text (stale service chains deleted).

import type { PluginContext, ServiceProxy } from '../control-plane/plugins.ts';
import type { V1EndpointSlice, V1Node, V1Service } from '../k8s/types.ts';
import { ROOT_NS, type NetNs } from '../node-state/types.ts';
import { setSysctl } from '../node-state/ops.ts';
import { iptablesRestore } from '../netfilter/restore.ts';
import { formatRuleSpec } from '../netfilter/rule-text.ts';
import { emptyNetfilter, type NetfilterState, type TableName } from '../netfilter/types.ts';
import { resolveConfig, type ProxyConfig } from './config.ts';
import { parseIpSloppy, type IpFamily } from './ip.ts';
import { CANARY_TABLES, KUBE_PROXY_CANARY, KUBE_PROXY_JUMP_RULES, kubeletIptablesSetup } from './jump-rules.ts';
import { syncRulesDetailed, type SyncResult } from './rules.ts';

const BUILTIN: Record<TableName, readonly string[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

function famNum(f: IpFamily): 4 | 6 {
  return f === 'IPv6' ? 6 : 4;
}

function hasChain(state: NetfilterState, table: TableName, chain: string): boolean {
  return !!state.tables.find((t) => t.name === table)?.chains.some((c) => c.name === chain);
}

/** iptables -t TABLE -N CHAIN unless it exists (EnsureChain). */
export function ensureChain(state: NetfilterState, table: TableName, chain: string, family: 4 | 6): NetfilterState {
  if (hasChain(state, table, chain)) return state;
  return iptablesRestore(state, `*${table}\n:${chain} - [0:0]\nCOMMIT\n`, { noflush: true, family, file: 'iptables -N' });
}

/** The canonical (iptables-save) spec of `args` as it would be stored in `chain`. */
function canonicalSpec(table: TableName, chain: string, args: string, family: 4 | 6): string {
  const decl = BUILTIN[table].includes(chain) ? `:${chain} ACCEPT [0:0]` : `:${chain} - [0:0]`;
  const target = /(?:^| )-[jg] (\S+)/.exec(args)?.[1];
  const targetDecl = target && /^[A-Z0-9-]+$/.test(target) && target.startsWith('KUBE-') ? `:${target} - [0:0]\n` : '';
  const scratch = iptablesRestore(emptyNetfilter(), `*${table}\n${decl}\n${targetDecl}-A ${chain} ${args}\nCOMMIT\n`, {
    family,
    file: 'iptables -C',
  });
  const rule = scratch.tables.find((t) => t.name === table)!.chains.find((c) => c.name === chain)!.rules[0];
  return formatRuleSpec(rule);
}

/** iptables -C, then -I CHAIN 1 / -A CHAIN if the rule is missing (EnsureRule). */
export function ensureRule(
  state: NetfilterState,
  table: TableName,
  chain: string,
  args: string,
  position: 'prepend' | 'append',
  family: 4 | 6,
): NetfilterState {
  const spec = canonicalSpec(table, chain, args, family);
  const existing = state.tables.find((t) => t.name === table)?.chains.find((c) => c.name === chain);
  if (existing && existing.rules.some((r) => formatRuleSpec(r) === spec)) return state;
  const cmd = position === 'prepend' ? `-I ${chain} 1` : `-A ${chain}`;
  return iptablesRestore(state, `*${table}\n${cmd} ${args}\nCOMMIT\n`, { noflush: true, family, file: 'iptables' });
}

/** What kubelet does to a node's iptables at start (and whenever its canary disappears). */
export function applyKubeletIptables(ns: NetNs, family: 4 | 6): void {
  const key = family === 6 ? 'netfilter6' : 'netfilter';
  let st = ns[key];
  const setup = kubeletIptablesSetup(family);
  for (const c of setup.chains) st = ensureChain(st, c.table, c.chain, family);
  for (const r of setup.rules) st = ensureRule(st, r.table, r.chain, r.args, r.position, family);
  ns[key] = st;
}

/**
 * What one full kube-proxy sync does to a namespace's iptables (or ip6tables) state: ensure the
 * canary chains, ensure the built-in-chain jump rules (prepending missing ones), then
 * `iptables-restore --noflush --counters` of the sync text. Returns the new state.
 */
export function applyKubeProxySync(state: NetfilterState, restoreInput: string, family: 4 | 6): NetfilterState {
  let st = state;
  for (const t of CANARY_TABLES) st = ensureChain(st, t, KUBE_PROXY_CANARY, family);
  for (const j of KUBE_PROXY_JUMP_RULES) {
    st = ensureChain(st, j.table, j.target, family);
    st = ensureRule(st, j.table, j.chain, j.args, j.position, family);
  }
  return iptablesRestore(st, restoreInput, { noflush: true, counters: true, family, file: 'kube-proxy sync' });
}

export interface KubeProxySync {
  node: string;
  family: IpFamily;
  result: SyncResult;
}

export interface KubeProxy extends ServiceProxy {
  /** The last sync per node and family (restore input and counts), for inspection. */
  readonly lastSync: Map<string, KubeProxySync>;
}

function objectsOfKind<T>(objects: Record<string, unknown>, kind: string): T[] {
  const out: T[] = [];
  const prefix = `${kind}/`;
  for (const k of Object.keys(objects)) if (k.startsWith(prefix)) out.push(objects[k] as T);
  return out;
}

/**
 * kube-proxy in iptables mode. `config` overrides the defaults (see ProxyConfig); the node name,
 * node IP, node labels, pod CIDRs and local addresses come from the node being synced.
 */
export function createKubeProxy(config: Partial<ProxyConfig> = {}): KubeProxy {
  const lastSync = new Map<string, KubeProxySync>();
  /** Logical time (cluster clock, seconds) of the last stale-chain cleanup, per node and family. */
  const lastCleanup = new Map<string, number>();
  return {
    name: 'kube-proxy',
    lastSync,
    syncNode(ctx: PluginContext): void {
      const root = ctx.host.namespaces[ROOT_NS];
      const objects = ctx.cluster.objects as Record<string, unknown>;
      const services = objectsOfKind<V1Service>(objects, 'Service');
      const slices = objectsOfKind<V1EndpointSlice>(objects, 'EndpointSlice');
      const nodeObj = objects[`Node//${ctx.node.name}`] as V1Node | undefined;
      const primary = parseIpSloppy(ctx.node.primaryIp);
      const family: IpFamily = config.ipFamily ?? primary?.family ?? 'IPv4';
      const fam = famNum(family);
      const key = fam === 6 ? 'netfilter6' : 'netfilter';
      const nodeAddresses = root.addresses.filter((a) => a.family === fam).map((a) => a.local);

      // conntrack.tcpBeLiberal makes kube-proxy set the sysctl; the proxier then reads the sysctl
      // (whoever set it) to decide whether to write the INVALID drop rule.
      const LIBERAL = 'net.netfilter.nf_conntrack_tcp_be_liberal';
      if (config.conntrackTCPBeLiberal) setSysctl(root, LIBERAL, '1');
      const liberalNow = (root.sysctls[LIBERAL] ?? '0') !== '0';

      const cfg = resolveConfig({
        nodeName: ctx.node.name,
        nodeIPs: [ctx.node.primaryIp],
        nodeLabels: (nodeObj?.metadata?.labels as Record<string, string> | undefined) ?? {},
        podCIDRs: nodeObj?.spec?.podCIDRs ?? (nodeObj?.spec?.podCIDR ? [nodeObj.spec.podCIDR] : []),
        nodeAddresses,
        ...config,
        conntrackTCPBeLiberal: liberalNow,
        ipFamily: family,
      });

      const existingNatChains = root[key].tables.find((t) => t.name === 'nat')?.chains.map((c) => c.name) ?? [];
      const syncKey = `${ctx.node.name}/${family}`;
      const now = ctx.cluster.clock ?? 0;
      const prevCleanup = lastCleanup.get(syncKey);
      const cleanupThrottled = prevCleanup !== undefined && now - prevCleanup <= cfg.syncPeriodSeconds;
      const result = syncRulesDetailed({ services, slices, config: cfg, existingNatChains, cleanupThrottled });
      if (result.cleanupRan) lastCleanup.set(syncKey, now);
      const st = applyKubeProxySync(root[key], result.text, fam);
      root[key] = st;

      // kube-proxy sets route_localnet so that 127.0.0.1:<nodePort> works (IPv4, localhostNodePorts).
      if (fam === 4 && result.text.includes(':KUBE-FIREWALL - [0:0]')) {
        setSysctl(root, 'net.ipv4.conf.all.route_localnet', '1');
      }
      lastSync.set(syncKey, { node: ctx.node.name, family, result });
    },
  };
}
