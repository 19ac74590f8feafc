// One kube-proxy (iptables mode) full sync: the exact text it feeds to
// `iptables-restore --noflush --counters` (filter table, then nat table).
// Service ports are visited in a fixed order (sorted by port name, then protocol); real
// kube-proxy walks a Go map, so only the order within one service port is significant.

import type { V1EndpointSlice, V1Service } from '../k8s/types.ts';
import { isServiceChainName } from './chain-names.ts';
import {
  NFACCT_CT_STATE_INVALID,
  NFACCT_LOCALHOST_NODEPORTS,
  masqueradeMark,
  nodeIpOfFamily,
  resolveConfig,
  splitList,
  type ProxyConfig,
} from './config.ts';
import { categorizeEndpoints, endpointsBySlicePort, sepChain, type EndpointInfo } from './endpoints.ts';
import { cidrContains, parseCidrSloppy, parseIpSloppy, isLoopback, type ParsedCidr } from './ip.ts';
import { externallyAccessiblePort, portKey, servicePortsOf, type ServicePortInfo } from './service-ports.ts';

export const KUBE_SERVICES = 'KUBE-SERVICES';
export const KUBE_EXTERNAL_SERVICES = 'KUBE-EXTERNAL-SERVICES';
export const KUBE_NODEPORTS = 'KUBE-NODEPORTS';
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
export const KUBE_FORWARD = 'KUBE-FORWARD';
export const KUBE_PROXY_FIREWALL = 'KUBE-PROXY-FIREWALL';
export const KUBE_FIREWALL = 'KUBE-FIREWALL';
export const KUBE_PROXY_CANARY = 'KUBE-PROXY-CANARY';
export const KUBE_KUBELET_CANARY = 'KUBE-KUBELET-CANARY';

/** Above this many endpoints (all service ports, all conditions) per-endpoint comments are dropped. */
export const LARGE_CLUSTER_ENDPOINTS_THRESHOLD = 1000;

const NODEPORTS_COMMENT = '"kubernetes service nodeports; NOTE: this must be the last rule in this chain"';

export interface SyncInput {
  services: V1Service[];
  slices: V1EndpointSlice[];
  config: Partial<ProxyConfig>;
  /** nat chains present in the kernel before the sync; stale KUBE-SVC/SVL/EXT/FW/SEP ones are deleted. */
  existingNatChains?: string[];
  /**
   * The last stale-chain cleanup ran less than syncPeriod ago. In large-cluster mode kube-proxy then
   * skips the cleanup (it needs an expensive iptables-save); otherwise it always cleans up.
   */
  cleanupThrottled?: boolean;
}

export interface SyncResult {
  /** The iptables-restore input. */
  text: string;
  /** KUBE-SVC/SVL/EXT/FW/SEP chains written by this sync. */
  activeNatChains: string[];
  /** Stale chains flushed and deleted by this sync. */
  deletedChains: string[];
  /** Whether this sync looked for stale chains (false when throttled in large-cluster mode). */
  cleanupRan: boolean;
  servicePorts: number;
  totalEndpoints: number;
  largeClusterMode: boolean;
  filterRules: number;
  natRules: number;
}

interface LocalDetector {
  ifLocal: string;
  ifNotLocal: string;
}

function localDetector(c: ProxyConfig): LocalDetector | undefined {
  const cidrOf = (list: string[]): string | undefined => {
    for (const s of list) {
      const p = parseCidrSloppy(s);
      if (p && p.family === c.ipFamily) return p.text;
    }
    return undefined;
  };
  switch (c.detectLocalMode) {
    case 'ClusterCIDR': {
      const cidr = cidrOf(splitList(c.clusterCIDR));
      return cidr ? { ifLocal: `-s ${cidr}`, ifNotLocal: `! -s ${cidr}` } : undefined;
    }
    case 'NodeCIDR': {
      const cidr = cidrOf(c.podCIDRs);
      return cidr ? { ifLocal: `-s ${cidr}`, ifNotLocal: `! -s ${cidr}` } : undefined;
    }
    case 'BridgeInterface':
      return c.bridgeInterface ? { ifLocal: `-i ${c.bridgeInterface}`, ifNotLocal: `! -i ${c.bridgeInterface}` } : undefined;
    case 'InterfaceNamePrefix':
      return c.interfaceNamePrefix
        ? { ifLocal: `-i ${c.interfaceNamePrefix}+`, ifNotLocal: `! -i ${c.interfaceNamePrefix}+` }
        : undefined;
    default:
      return undefined;
  }
}

interface NodePortAddresses {
  matchAll: boolean;
  cidrs: ParsedCidr[];
  containsIPv4Loopback: boolean;
}

/** proxyutil.NewNodePortAddresses, with "primary" expanded to the node IPs as kube-proxy's server does. */
function nodePortAddresses(c: ProxyConfig): NodePortAddresses {
  let strs = c.nodePortAddresses;
  if (strs.length === 1 && strs[0] === 'primary') {
    strs = [];
    for (const fam of ['IPv4', 'IPv6'] as const) {
      const ip = c.nodeIPs.map((s) => parseIpSloppy(s)).find((p) => p && p.family === fam);
      if (ip && !isLoopback(ip)) strs.push(`${ip.text}/${fam === 'IPv4' ? 32 : 128}`);
    }
  }
  const mine = strs.map((s) => parseCidrSloppy(s)).filter((p): p is ParsedCidr => !!p && p.family === c.ipFamily);
  const zero = c.ipFamily === 'IPv4' ? parseCidrSloppy('0.0.0.0/0')! : parseCidrSloppy('::/0')!;
  const list = mine.length === 0 ? [zero] : mine;
  const res: NodePortAddresses = { matchAll: false, cidrs: [], containsIPv4Loopback: false };
  const loop = parseIpSloppy('127.0.0.1')!;
  for (const cidr of list) {
    if (cidr.family === 'IPv4' && (cidr.bytes[0] === 127 || cidrContains(cidr, loop))) res.containsIPv4Loopback = true;
    if (cidr.prefix === 0) {
      res.matchAll = true;
      break;
    }
    res.cidrs.push(cidr);
  }
  return res;
}

function compareStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Builds the full-sync restore input; see syncRules for the plain text. */
export function syncRulesDetailed(input: SyncInput): SyncResult {
  const c = resolveConfig(input.config);
  const family = c.ipFamily;
  const isIPv6 = family === 'IPv6';
  const mark = masqueradeMark(c);
  const npa = nodePortAddresses(c);
  const localhostNodePorts = c.localhostNodePorts && npa.containsIPv4Loopback && !isIPv6;
  const detector = localDetector(c);
  const nfacct = new Set(c.nfacctCounters);
  const nodeIP = nodeIpOfFamily(c);
  const nodeIPParsed = nodeIP ? parseIpSloppy(nodeIP) : undefined;

  // Service ports and their endpoints.
  const portMap = new Map<string, ServicePortInfo>();
  for (const svc of input.services) for (const sp of servicePortsOf(svc, family)) portMap.set(portKey(sp), sp);
  const ports = [...portMap.values()].sort(
    (a, b) => compareStr(a.nameString, b.nameString) || compareStr(a.protocol, b.protocol),
  );
  const epMap = endpointsBySlicePort(input.slices, family, c.nodeName, c.preferSameTrafficDistribution);

  let totalEndpoints = 0;
  for (const sp of ports) totalEndpoints += epMap.get(portKey(sp))?.length ?? 0;
  const largeCluster = totalEndpoints > LARGE_CLUSTER_ENDPOINTS_THRESHOLD;

  const filterChains: string[] = [];
  const filterRules: string[] = [];
  const natChains: string[] = [];
  const natRules: string[] = [];
  const chainLine = (name: string) => `:${name} - [0:0]`;

  for (const ch of [KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL]) {
    filterChains.push(chainLine(ch));
  }
  for (const ch of [KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ]) natChains.push(chainLine(ch));

  natRules.push(`-A ${KUBE_POSTROUTING} -m mark ! --mark ${mark}/${mark} -j RETURN`);
  natRules.push(`-A ${KUBE_POSTROUTING} -j MARK --xor-mark ${mark}`);
  natRules.push(
    `-A ${KUBE_POSTROUTING} -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE` +
      (c.randomFully ? ' --random-fully' : ''),
  );
  natRules.push(`-A ${KUBE_MARK_MASQ} -j MARK --or-mark ${mark}`);

  if (!isIPv6 && localhostNodePorts) {
    filterChains.push(chainLine(KUBE_FIREWALL));
    filterRules.push(
      `-A ${KUBE_FIREWALL} -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
    );
  }

  const active = new Set<string>();

  for (const sp of ports) {
    const P = sp.proto;
    const N = sp.nameString;
    const all = epMap.get(portKey(sp)) ?? [];
    const cat = categorizeEndpoints(all, sp, c.nodeName, c.nodeLabels, c.preferSameTrafficDistribution);
    const hasEndpoints = cat.hasAnyEndpoints;
    const { svc: clusterChain, svl: localChain, ext: extChain, fw: fwChain } = sp.chains;
    const usesCluster = cat.clusterEndpoints.length > 0 && (!sp.internalPolicyLocal || externallyAccessiblePort(sp));
    const usesLocal =
      cat.localEndpoints.length > 0 &&
      (sp.internalPolicyLocal || (sp.externalPolicyLocal && externallyAccessiblePort(sp)));

    let internalChain = clusterChain;
    let hasInternal = hasEndpoints;
    if (sp.internalPolicyLocal) {
      internalChain = localChain;
      if (cat.localEndpoints.length === 0) hasInternal = false;
    }
    let externalPolicyChain = clusterChain;
    let hasExternal = hasEndpoints;
    if (sp.externalPolicyLocal) {
      externalPolicyChain = localChain;
      if (cat.localEndpoints.length === 0) hasExternal = false;
    }
    const usesExt = hasEndpoints && externallyAccessiblePort(sp);
    const usesFW = hasEndpoints && sp.loadBalancerVIPs.length > 0 && sp.loadBalancerSourceRanges.length > 0;
    const lbChain = usesFW ? fwChain : extChain;

    let internalTarget = '';
    let internalComment = '';
    let externalTarget = '';
    let externalComment = '';
    if (!hasEndpoints) {
      internalTarget = externalTarget = 'REJECT';
      internalComment = externalComment = `"${N} has no endpoints"`;
    } else {
      if (!hasInternal) {
        internalTarget = 'DROP';
        internalComment = `"${N} has no local endpoints"`;
      }
      if (!hasExternal) {
        externalTarget = 'DROP';
        externalComment = `"${N} has no local endpoints"`;
      }
    }

    const match = (ip: string, port: number) => `-m ${P} -p ${P} -d ${ip} --dport ${port}`;

    // Cluster IP.
    if (hasInternal) {
      natRules.push(`-A ${KUBE_SERVICES} -m comment --comment "${N} cluster IP" ${match(sp.clusterIP, sp.port)} -j ${internalChain}`);
    } else {
      filterRules.push(`-A ${KUBE_SERVICES} -m comment --comment ${internalComment} ${match(sp.clusterIP, sp.port)} -j ${internalTarget}`);
    }
    // External IPs.
    for (const ip of sp.externalIPs) {
      if (hasEndpoints) {
        natRules.push(`-A ${KUBE_SERVICES} -m comment --comment "${N} external IP" ${match(ip, sp.port)} -j ${extChain}`);
      }
      if (!hasExternal) {
        filterRules.push(`-A ${KUBE_EXTERNAL_SERVICES} -m comment --comment ${externalComment} ${match(ip, sp.port)} -j ${externalTarget}`);
      }
    }
    // Load-balancer ingress IPs.
    for (const ip of sp.loadBalancerVIPs) {
      if (hasEndpoints) {
        natRules.push(`-A ${KUBE_SERVICES} -m comment --comment "${N} loadbalancer IP" ${match(ip, sp.port)} -j ${lbChain}`);
      }
      if (usesFW) {
        filterRules.push(
          `-A ${KUBE_PROXY_FIREWALL} -m comment --comment "${N} traffic not accepted by ${fwChain}" ${match(ip, sp.port)} -j DROP`,
        );
      }
    }
    if (!hasExternal) {
      for (const ip of sp.loadBalancerVIPs) {
        filterRules.push(`-A ${KUBE_EXTERNAL_SERVICES} -m comment --comment ${externalComment} ${match(ip, sp.port)} -j ${externalTarget}`);
      }
    }
    // Node port.
    if (sp.nodePort !== 0) {
      if (hasEndpoints) {
        if (localhostNodePorts && family === 'IPv4' && nfacct.has(NFACCT_LOCALHOST_NODEPORTS)) {
          natRules.push(
            `-A ${KUBE_NODEPORTS} -m comment --comment ${N} -m ${P} -p ${P} -d 127.0.0.0/8 --dport ${sp.nodePort} -m nfacct --nfacct-name ${NFACCT_LOCALHOST_NODEPORTS} -j ${extChain}`,
          );
        }
        natRules.push(`-A ${KUBE_NODEPORTS} -m comment --comment ${N} -m ${P} -p ${P} --dport ${sp.nodePort} -j ${extChain}`);
      }
      if (!hasExternal) {
        filterRules.push(
          `-A ${KUBE_EXTERNAL_SERVICES} -m comment --comment ${externalComment} -m addrtype --dst-type LOCAL -m ${P} -p ${P} --dport ${sp.nodePort} -j ${externalTarget}`,
        );
      }
    }
    // Health-check node port (independent of endpoints).
    if (sp.healthCheckNodePort !== 0) {
      filterRules.push(
        `-A ${KUBE_NODEPORTS} -m comment --comment "${N} health check node port" -m tcp -p tcp --dport ${sp.healthCheckNodePort} -j ACCEPT`,
      );
    }

    // Internal traffic: masquerade off-cluster sources reaching the cluster IP.
    if (hasInternal) {
      const args = `-m comment --comment "${N} cluster IP" ${match(sp.clusterIP, sp.port)}`;
      if (c.masqueradeAll) natRules.push(`-A ${internalChain} ${args} -j ${KUBE_MARK_MASQ}`);
      else if (detector) natRules.push(`-A ${internalChain} ${args} ${detector.ifNotLocal} -j ${KUBE_MARK_MASQ}`);
    }

    // External destinations.
    if (usesExt) {
      natChains.push(chainLine(extChain));
      active.add(extChain);
      if (!sp.externalPolicyLocal) {
        natRules.push(`-A ${extChain} -m comment --comment "masquerade traffic for ${N} external destinations" -j ${KUBE_MARK_MASQ}`);
      } else {
        if (detector) {
          natRules.push(
            `-A ${extChain} -m comment --comment "pod traffic for ${N} external destinations" ${detector.ifLocal} -j ${clusterChain}`,
          );
        }
        natRules.push(
          `-A ${extChain} -m comment --comment "masquerade LOCAL traffic for ${N} external destinations" -m addrtype --src-type LOCAL -j ${KUBE_MARK_MASQ}`,
        );
        natRules.push(
          `-A ${extChain} -m comment --comment "route LOCAL traffic for ${N} external destinations" -m addrtype --src-type LOCAL -j ${clusterChain}`,
        );
      }
      if (hasExternal) natRules.push(`-A ${extChain} -j ${externalPolicyChain}`);
    }

    // loadBalancerSourceRanges firewall.
    if (usesFW) {
      natChains.push(chainLine(fwChain));
      active.add(fwChain);
      const head = `-A ${fwChain} -m comment --comment "${N} loadbalancer IP"`;
      let allowFromNode = false;
      for (const r of sp.loadBalancerSourceRanges) {
        natRules.push(`${head} -s ${r.text} -j ${extChain}`);
        if (nodeIPParsed && cidrContains(r, nodeIPParsed)) allowFromNode = true;
      }
      if (allowFromNode) for (const ip of sp.loadBalancerVIPs) natRules.push(`${head} -s ${ip} -j ${extChain}`);
      natRules.push(`-A ${fwChain} -m comment --comment "other traffic to ${N} will be dropped by ${KUBE_PROXY_FIREWALL}"`);
    }

    const writeDispatch = (chain: string, eps: EndpointInfo[]) => {
      const seps = eps.map((ep) => sepChain(sp, ep));
      if (sp.sessionAffinityClientIP) {
        eps.forEach((ep, i) => {
          const cm = largeCluster ? '' : ` -m comment --comment "${N} -> ${ep.endpoint}"`;
          natRules.push(
            `-A ${chain}${cm} -m recent --name ${seps[i]} --rcheck --seconds ${sp.stickyMaxAgeSeconds} --reap -j ${seps[i]}`,
          );
        });
      }
      const n = eps.length;
      eps.forEach((ep, i) => {
        const cm = largeCluster ? '' : ` -m comment --comment "${N} -> ${ep.endpoint}"`;
        const stat = i < n - 1 ? ` -m statistic --mode random --probability ${probability(n - i)}` : '';
        natRules.push(`-A ${chain}${cm}${stat} -j ${seps[i]}`);
      });
    };
    if (usesCluster) {
      natChains.push(chainLine(clusterChain));
      active.add(clusterChain);
      writeDispatch(clusterChain, cat.clusterEndpoints);
    }
    if (usesLocal) {
      natChains.push(chainLine(localChain));
      active.add(localChain);
      writeDispatch(localChain, cat.localEndpoints);
    }

    // Endpoint chains.
    const cm = largeCluster ? '' : ` -m comment --comment ${N}`;
    for (const ep of cat.allReachable) {
      const sep = sepChain(sp, ep);
      natChains.push(chainLine(sep));
      active.add(sep);
      natRules.push(`-A ${sep}${cm} -s ${ep.ip} -j ${KUBE_MARK_MASQ}`);
      const recent = sp.sessionAffinityClientIP ? ` -m recent --name ${sep} --set` : '';
      natRules.push(`-A ${sep}${cm}${recent} -m ${P} -p ${P} -j DNAT --to-destination ${ep.endpoint}`);
    }
  }

  // Stale per-service chains left in the kernel: flush (chain line) and delete.
  const deleted: string[] = [];
  const cleanupRan = !largeCluster || !input.cleanupThrottled;
  for (const ch of cleanupRan ? [...new Set(input.existingNatChains ?? [])].sort() : []) {
    if (!isServiceChainName(ch) || active.has(ch)) continue;
    natChains.push(chainLine(ch));
    natRules.push(`-X ${ch}`);
    deleted.push(ch);
  }

  // The node-ports catch-all must be the last rule of nat KUBE-SERVICES.
  if (npa.matchAll) {
    let dest = '-m addrtype --dst-type LOCAL';
    if (isIPv6) dest += ' ! -d ::1/128';
    else if (!localhostNodePorts) dest += ' ! -d 127.0.0.0/8';
    natRules.push(`-A ${KUBE_SERVICES} -m comment --comment ${NODEPORTS_COMMENT} ${dest} -j ${KUBE_NODEPORTS}`);
  } else {
    for (const ip of nodeIPsMatching(c, npa)) {
      const p = parseIpSloppy(ip)!;
      if (isLoopback(p) && (isIPv6 || !localhostNodePorts)) continue;
      natRules.push(`-A ${KUBE_SERVICES} -m comment --comment ${NODEPORTS_COMMENT} -d ${ip} -j ${KUBE_NODEPORTS}`);
    }
  }

  if (!c.conntrackTCPBeLiberal) {
    const acct = nfacct.has(NFACCT_CT_STATE_INVALID) ? ` -m nfacct --nfacct-name ${NFACCT_CT_STATE_INVALID}` : '';
    filterRules.push(`-A ${KUBE_FORWARD} -m conntrack --ctstate INVALID${acct} -j DROP`);
  }
  filterRules.push(`-A ${KUBE_FORWARD} -m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`);
  filterRules.push(
    `-A ${KUBE_FORWARD} -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  );

  const text =
    '*filter\n' +
    filterChains.join('\n') +
    '\n' +
    (filterRules.length ? filterRules.join('\n') + '\n' : '') +
    'COMMIT\n*nat\n' +
    natChains.join('\n') +
    '\n' +
    natRules.join('\n') +
    '\nCOMMIT\n';
  return {
    text,
    activeNatChains: [...active],
    deletedChains: deleted,
    cleanupRan,
    servicePorts: ports.length,
    totalEndpoints,
    largeClusterMode: largeCluster,
    filterRules: filterRules.length,
    natRules: natRules.length,
  };
}

/** The iptables-restore input of one full kube-proxy sync (filter table then nat table). */
export function syncRules(input: SyncInput): string {
  return syncRulesDetailed(input).text;
}

const probCache: string[] = [];

/** 1/n formatted like Go's "%0.10f". */
export function probability(n: number): string {
  let s = probCache[n];
  if (s === undefined) {
    s = formatFixed10(1 / n);
    probCache[n] = s;
  }
  return s;
}

/**
 * Go's %0.10f. Both Go and toFixed round the exact binary value of the double, so they agree
 * except on an exact tie, where Go rounds half to even and toFixed rounds up (1/2048).
 */
export function formatFixed10(v: number): string {
  const s = v.toFixed(10);
  const long = v.toFixed(100);
  const dot = long.indexOf('.');
  const rest = long.slice(dot + 11);
  if (rest[0] === '5' && /^50*$/.test(rest)) {
    const truncated = long.slice(0, dot + 11);
    const last = Number(truncated[truncated.length - 1]);
    if (last % 2 === 0) return truncated;
  }
  return s;
}

/** Local addresses inside nodePortAddresses (GetNodeIPs), deduplicated, in address order. */
function nodeIPsMatching(c: ProxyConfig, npa: NodePortAddresses): string[] {
  const addrs = c.nodeAddresses ?? [...c.nodeIPs, '127.0.0.1', '::1'];
  const out: string[] = [];
  const seen = new Set<string>();
  for (const cidr of npa.cidrs) {
    for (const a of addrs) {
      const ip = parseIpSloppy(a.split('/')[0]);
      if (!ip || !cidrContains(cidr, ip) || seen.has(ip.text)) continue;
      seen.add(ip.text);
      out.push(ip.text);
    }
  }
  return out;
}
