// kube-proxy (iptables mode) configuration as kubewire models it. Field names follow the
// KubeProxyConfiguration / command-line flags; defaults are the upstream defaults unless noted.
// See docs/kube-proxy.md for what EKS sets.

import { KubewireError } from '../errors.ts';
import { parseCidrSloppy, parseIpSloppy, type IpFamily } from './ip.ts';

export type DetectLocalMode = 'ClusterCIDR' | 'NodeCIDR' | 'BridgeInterface' | 'InterfaceNamePrefix';

/** nfacct counters kube-proxy (≥1.29) tries to create; rules use them only when they exist. */
export const NFACCT_CT_STATE_INVALID = 'ct_state_invalid_dropped_pkts';
export const NFACCT_LOCALHOST_NODEPORTS = 'localhost_nps_accepted_pkts';

export interface ProxyConfig {
  /** --hostname-override / the Node name kube-proxy runs on (endpoints with this nodeName are local). */
  nodeName: string;
  /** Node IPs (Node .status.addresses InternalIP), at most one per family is used. */
  nodeIPs: string[];
  /** The family this proxier instance handles (iptables for IPv4, ip6tables for IPv6). */
  ipFamily: IpFamily;
  /** --cluster-cidr: comma-separated list; the CIDR of this family drives local-traffic detection. Empty = none. */
  clusterCIDR: string;
  /** --detect-local-mode (default ClusterCIDR). */
  detectLocalMode: DetectLocalMode;
  /** Node .spec.podCIDRs, used by detectLocalMode NodeCIDR. */
  podCIDRs: string[];
  /** --pod-bridge-interface (detectLocalMode BridgeInterface). */
  bridgeInterface: string;
  /** --pod-interface-name-prefix (detectLocalMode InterfaceNamePrefix). */
  interfaceNamePrefix: string;
  /** --masquerade-all. */
  masqueradeAll: boolean;
  /** --iptables-masquerade-bit (0..31, default 14). */
  masqueradeBit: number;
  /**
   * Literal mark text written into the rules. Default: Go's `%#08x` of 1<<masqueradeBit, i.e.
   * "0x00004000" as real kube-proxy writes it; the upstream unit tests inject "0x4000".
   */
  masqueradeMark?: string;
  /** --nodeport-addresses: CIDRs, or ["primary"]; empty = all local addresses. */
  nodePortAddresses: string[];
  /** --iptables-localhost-nodeports (default true; only meaningful for IPv4). */
  localhostNodePorts: boolean;
  /** Whether the iptables binary supports MASQUERADE --random-fully (true on every current distro). */
  randomFully: boolean;
  /** nfacct counters that exist on the node. */
  nfacctCounters: string[];
  /** net.netfilter.nf_conntrack_tcp_be_liberal is non-zero (kube-proxy then writes no INVALID drop). */
  conntrackTCPBeLiberal: boolean;
  /** Labels of kube-proxy's own Node (topology.kubernetes.io/zone drives topology hints). */
  nodeLabels: Record<string, string>;
  /** Local interface addresses of the node (for nodePortAddresses); default: nodeIPs plus loopback. */
  nodeAddresses?: string[];
  /** Feature gate PreferSameTrafficDistribution (beta, on by default since 1.34). */
  preferSameTrafficDistribution: boolean;
  /** iptables.syncPeriod in seconds (default 30): throttles stale-chain cleanup in large clusters. */
  syncPeriodSeconds: number;
}

export const DEFAULT_PROXY_CONFIG: ProxyConfig = {
  nodeName: '',
  nodeIPs: [],
  ipFamily: 'IPv4',
  clusterCIDR: '',
  detectLocalMode: 'ClusterCIDR',
  podCIDRs: [],
  bridgeInterface: '',
  interfaceNamePrefix: '',
  masqueradeAll: false,
  masqueradeBit: 14,
  nodePortAddresses: [],
  localhostNodePorts: true,
  randomFully: true,
  nfacctCounters: [NFACCT_CT_STATE_INVALID, NFACCT_LOCALHOST_NODEPORTS],
  conntrackTCPBeLiberal: false,
  nodeLabels: {},
  preferSameTrafficDistribution: true,
  syncPeriodSeconds: 30,
};

export function resolveConfig(partial: Partial<ProxyConfig> = {}): ProxyConfig {
  const c: ProxyConfig = { ...DEFAULT_PROXY_CONFIG };
  for (const [k, v] of Object.entries(partial)) {
    if (v !== undefined) (c as unknown as Record<string, unknown>)[k] = v;
  }
  if (!Number.isInteger(c.masqueradeBit) || c.masqueradeBit < 0 || c.masqueradeBit > 31) {
    throw new KubewireError(`masqueradeBit must be an integer between 0 and 31 (got ${c.masqueradeBit})`);
  }
  if (c.ipFamily !== 'IPv4' && c.ipFamily !== 'IPv6') {
    throw new KubewireError(`ipFamily must be IPv4 or IPv6 (got ${String(c.ipFamily)})`);
  }
  for (const ip of c.nodeIPs) {
    if (!parseIpSloppy(ip)) throw new KubewireError(`node IP ${JSON.stringify(ip)} is not an IP address`);
  }
  for (const cidr of splitList(c.clusterCIDR)) {
    if (!parseCidrSloppy(cidr)) throw new KubewireError(`cluster CIDR ${JSON.stringify(cidr)} is not a CIDR`);
  }
  for (const a of c.nodePortAddresses) {
    if (a !== 'primary' && !parseCidrSloppy(a)) {
      throw new KubewireError(`nodePortAddresses entry ${JSON.stringify(a)} must be a valid CIDR or "primary"`);
    }
  }
  if (c.nodePortAddresses.includes('primary') && c.nodePortAddresses.length > 1) {
    throw new KubewireError('nodePortAddresses: "primary" cannot be combined with other values');
  }
  return c;
}

export function splitList(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

/**
 * Go's fmt.Sprintf("%#08x", v): the digits are zero-padded to 8 and then "0x" is prefixed
 * (the prefix does not count toward the width), e.g. 0x4000 → "0x00004000".
 */
export function goHexMark(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}

export function masqueradeMark(c: ProxyConfig): string {
  return c.masqueradeMark ?? goHexMark(2 ** c.masqueradeBit);
}

/** The node IP of this proxier's family (first match), used by loadBalancerSourceRanges. */
export function nodeIpOfFamily(c: ProxyConfig): string | undefined {
  for (const s of c.nodeIPs) {
    const ip = parseIpSloppy(s);
    if (ip && ip.family === c.ipFamily) return ip.text;
  }
  return undefined;
}
