// A pod's /etc/resolv.conf as kubelet writes it (pkg/kubelet/network/dns/dns.go):
// - ClusterFirst (the default): nameserver = kube-dns's ClusterIP, search <ns>.svc.<domain>
//   svc.<domain> <domain> + the node's search domains, options ndots:5. On EKS the node's search
//   domain is the VPC's DHCP domain: <region>.compute.internal (ec2.internal in us-east-1).
// - hostNetwork pods with ClusterFirst fall back to Default; ClusterFirstWithHostNet keeps it.
// - Default: the node's resolv.conf: the Amazon-provided resolver (VPC base + 2), the DHCP domain.
// - None: only spec.dnsConfig.
// spec.dnsConfig then appends nameservers (at most 3 kept), search domains (deduplicated, at most
// 32) and options (a later value replaces an earlier one of the same name).

import type { ClusterState } from '../../control-plane/types.ts';
import { ec2InternalDomain } from '../../k8s/naming.ts';
import { vpcDnsServer } from '../../aws/vpc.ts';
import type { ResolvConf } from '../../wire/dns.ts';

export const CLUSTER_DOMAIN = 'cluster.local';

export interface PodDnsSpec {
  hostNetwork?: boolean;
  dnsPolicy?: string;
  dnsConfig?: { nameservers?: string[]; searches?: string[]; options?: Array<{ name: string; value?: string }> };
}

export interface PodResolv extends ResolvConf {
  /** Resolver options other than ndots (timeout, attempts), as name → value. */
  options: Record<string, string | undefined>;
  /** Which policy produced it (after kubelet's hostNetwork fallback). */
  policy: 'ClusterFirst' | 'Default' | 'None';
}

export function kubeDnsIp(state: ClusterState): string | undefined {
  const svc = state.objects['Service/kube-system/kube-dns'] as { spec?: { clusterIP?: string } } | undefined;
  const ip = svc?.spec?.clusterIP;
  return ip && ip !== 'None' ? ip : undefined;
}

/** The node's resolv.conf as kubelet reads it (AL2023: systemd-resolved's upstream file). */
export function nodeResolv(state: ClusterState): PodResolv {
  return { nameservers: [vpcDnsServer(state.vpc)], search: [ec2InternalDomain(state.spec.region)], ndots: 1, options: {}, policy: 'Default' };
}

export function podResolv(state: ClusterState, namespace: string, spec: PodDnsSpec): PodResolv {
  let policy = spec.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'ClusterFirst' && spec.hostNetwork) policy = 'Default';
  const dnsIp = kubeDnsIp(state);
  let base: PodResolv;
  if ((policy === 'ClusterFirst' || policy === 'ClusterFirstWithHostNet') && dnsIp) {
    const host = nodeResolv(state);
    base = {
      nameservers: [dnsIp],
      search: [`${namespace}.svc.${CLUSTER_DOMAIN}`, `svc.${CLUSTER_DOMAIN}`, CLUSTER_DOMAIN, ...host.search],
      ndots: 5,
      options: {},
      policy: 'ClusterFirst',
    };
  } else if (policy === 'None') {
    base = { nameservers: [], search: [], ndots: 1, options: {}, policy: 'None' };
  } else {
    // Default, or ClusterFirst without a cluster DNS service (kubelet falls back to the host's).
    base = nodeResolv(state);
  }
  const cfg = spec.dnsConfig;
  if (cfg) {
    base.nameservers = [...base.nameservers, ...(cfg.nameservers ?? [])].slice(0, 3);
    const search: string[] = [];
    for (const s of [...base.search, ...(cfg.searches ?? [])]) if (!search.includes(s)) search.push(s);
    base.search = search.slice(0, 32);
    for (const o of cfg.options ?? []) {
      if (o.name === 'ndots' && o.value !== undefined && /^\d+$/.test(o.value)) base.ndots = Math.min(15, Number(o.value));
      else base.options[o.name] = o.value;
    }
  }
  return base;
}

/** glibc's per-try timeout and tries (resolv.conf options timeout:N attempts:N; defaults 5 and 2). */
export function resolverTiming(r: PodResolv): { timeoutS: number; attempts: number } {
  const num = (v: string | undefined, d: number, max: number) => (v !== undefined && /^\d+$/.test(v) ? Math.max(1, Math.min(max, Number(v))) : d);
  return { timeoutS: num(r.options.timeout, 5, 30), attempts: num(r.options.attempts, 2, 5) };
}
