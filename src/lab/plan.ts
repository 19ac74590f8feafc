// Pure planning for the live lab (browser-safe: text only): real namespace names for the model's
// namespaces, and the VPC fabric that joins the nodes' ENIs.
//
// Names: every lab has a short random id; all it creates is named `kw-<id>-...` so a leftover
// can be found by prefix. Node root namespaces are `kw-<id>-n<i>`, pod namespaces
// `kw-<id>-n<i>p<j>`, the fabric `kw-<id>-vpc`. Fabric-side devices are `n<i>e<k>` (node i,
// ENI device index k), well under IFNAMSIZ.

import type { ClusterState } from '../control-plane/types.ts';
import type { Eni } from '../aws/types.ts';
import { ROOT_NS } from '../node-state/types.ts';
import { freshSysctls, sysctlDev } from '../node-state/ops.ts';

export const LAB_PREFIX = 'kw';
/** Matches every namespace a lab creates (and nothing the test helpers' `kwt-` namespaces use). */
export const LAB_NS_RE = /^kw-[0-9a-f]{4}-/;

/** The same for labs made with another prefix (tests use their own, so `down --all` stays theirs). */
export function labNsRe(prefix = LAB_PREFIX): RegExp {
  return new RegExp(`^${prefix}-[0-9a-f]{4}-`);
}

/** A lab prefix: 2-4 lower-case letters. */
export function validPrefix(p: string): boolean {
  return /^[a-z]{2,4}$/.test(p);
}

export interface NodeNames {
  /** Node name (EKS). */
  node: string;
  index: number;
  /** Model namespace name → real namespace name. */
  ns: Record<string, string>;
}

export interface EniLink {
  node: string;
  /** Device in the node's root namespace (eth0, eth1, ...). */
  dev: string;
  /** Device in the fabric namespace. */
  fabricDev: string;
  eniId: string;
  mtu: number;
  /** The ENI's MAC (the node device's). */
  mac: string;
}

export interface LabPlan {
  id: string;
  fabricNs: string;
  nodes: NodeNames[];
  enis: EniLink[];
  /** Fabric commands, for `ip -n FABRIC -batch -` after the fabric devices exist. */
  fabricIp: string[];
  /** Fabric netfilter (iptables-restore text): source/destination check per ENI. */
  fabricIptables: string;
  fabricSysctls: string[];
}

export function nsPrefix(id: string, prefix = LAB_PREFIX): string {
  return `${prefix}-${id}-`;
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The VPC router's address in a subnet (the first usable: base + 1). */
export function subnetGateway(cidr: string): string {
  const [base] = cidr.split('/');
  return intToIp(ipToInt(base) + 1);
}

/** The addresses of an IPv4 prefix (a /32 is one address; at most a /24 is expanded). */
export function prefixAddresses(p: string): string[] {
  const [base, len] = p.split('/');
  const n = 2 ** (32 - Number(len ?? 32));
  if (n > 256) return [];
  const b = ipToInt(base);
  return Array.from({ length: n }, (_, i) => intToIp(b + i));
}

/** Every IPv4 address or prefix the ENI owns (primary, secondaries, delegated /28 prefixes). */
export function eniOwned(e: Eni): string[] {
  return [`${e.primaryIp}/32`, ...e.secondaryIps.map((ip) => `${ip}/32`), ...e.prefixes];
}

export function planLab(state: ClusterState, id: string, prefix = LAB_PREFIX): LabPlan {
  const pre = nsPrefix(id, prefix);
  const nodes: NodeNames[] = [];
  const enis: EniLink[] = [];
  state.nodes.forEach((n, i) => {
    const host = state.hosts[n.name];
    if (!host) return;
    const ns: Record<string, string> = { [ROOT_NS]: `${pre}n${i}` };
    const pods = Object.keys(host.namespaces).filter((x) => x !== ROOT_NS).sort();
    pods.forEach((p, j) => (ns[p] = `${pre}n${i}p${j}`));
    nodes.push({ node: n.name, index: i, ns });
    for (const l of host.namespaces[ROOT_NS].links) {
      if (l.kind !== 'device' || !l.eniId) continue;
      const k = /^eth(\d+)$/.exec(l.name)?.[1] ?? String(enis.filter((e) => e.node === n.name).length);
      enis.push({ node: n.name, dev: l.name, fabricDev: `n${i}e${k}`, eniId: l.eniId, mtu: l.mtu, mac: l.mac });
    }
  });
  const byId = new Map(state.vpc.enis.map((e) => [e.id, e]));
  const fabricIp: string[] = ['link set dev lo up'];
  for (const s of state.vpc.subnets) fabricIp.push(`address add ${subnetGateway(s.cidr)}/32 dev lo`);
  const nf: string[] = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];
  const sdcRules: string[] = [];
  for (const l of enis) {
    fabricIp.push(`link set dev ${l.fabricDev} mtu ${l.mtu} up`);
    const e = byId.get(l.eniId);
    if (!e) continue;
    // The VPC knows which ENI (MAC) owns each address: no ARP towards the nodes, which do not
    // answer for their pods' secondary IPs.
    for (const p of eniOwned(e)) {
      fabricIp.push(`route add ${p} dev ${l.fabricDev}`);
      for (const ip of prefixAddresses(p)) fabricIp.push(`neigh replace ${ip} lladdr ${l.mac} dev ${l.fabricDev} nud permanent`);
    }
    if (e.sourceDestCheck) {
      const chain = `SDC-${l.fabricDev}`;
      nf.push(`:${chain} - [0:0]`);
      sdcRules.push(`-A FORWARD -i ${l.fabricDev} -j ${chain}`, `-A FORWARD -o ${l.fabricDev} -j ${chain.replace('SDC', 'DDC')}`);
      nf.push(`:${chain.replace('SDC', 'DDC')} - [0:0]`);
      for (const p of eniOwned(e)) {
        sdcRules.push(`-A ${chain} -s ${p} -j RETURN`);
        sdcRules.push(`-A ${chain.replace('SDC', 'DDC')} -d ${p} -j RETURN`);
      }
      sdcRules.push(`-A ${chain} -j DROP`, `-A ${chain.replace('SDC', 'DDC')} -j DROP`);
    }
  }
  const fabricIptables = [...nf, ...sdcRules, 'COMMIT', ''].join('\n');
  const fabricSysctls = [
    'net.ipv4.ip_forward=1',
    'net.ipv4.conf.all.rp_filter=0',
    'net.ipv4.conf.default.rp_filter=0',
    'net.ipv4.conf.all.proxy_arp=1',
    'net.ipv4.conf.default.proxy_arp=1',
    'net.ipv6.conf.all.disable_ipv6=1',
    'net.ipv6.conf.default.disable_ipv6=1',
  ];
  return { id, fabricNs: `${pre}vpc`, nodes, enis, fabricIp, fabricIptables, fabricSysctls };
}

/**
 * IPv6 DAD off while `lab up` builds, back to the model's values once the addresses settled.
 *
 * DAD only delays: an address stays "tentative" for about a second after its link gets carrier,
 * then shows exactly as with DAD off (this lab's MACs are unique, DAD never fails). Where the model
 * keeps an address tentative (a link without carrier or admin down: the kernel never runs DAD
 * there), DAD off would show it without the flag, so such namespaces keep DAD on. For the others,
 * `before` (sysctl lines, run right after `ip netns add`, before any link exists: devices inherit
 * conf.default when they are registered in a namespace, a veth moved in included) and `after`
 * (the model's conf.all, conf.default and per-device accept_dad, run once the addresses settled),
 * so `sysctl` shows the model's values too.
 */
export interface DadPlan {
  /** Real namespace → sysctl lines before any link is made. */
  before: Record<string, string[]>;
  /** Real namespace → sysctl lines restoring the model's accept_dad values. */
  after: Record<string, string[]>;
  /** Real namespaces that keep DAD on (the model has a tentative IPv6 address there). */
  keep: string[];
}

export function planDadOff(state: ClusterState, nodes: NodeNames[]): DadPlan {
  const fresh = freshSysctls();
  const out: DadPlan = { before: {}, after: {}, keep: [] };
  for (const nn of nodes) {
    for (const [m, ns] of Object.entries(state.hosts[nn.node].namespaces)) {
      const real = nn.ns[m];
      if (ns.addresses.some((a) => a.family === 6 && a.flags.includes('tentative'))) {
        out.keep.push(real);
        continue;
      }
      const v = (k: string) => ns.sysctls[k] ?? fresh[k] ?? '1';
      out.before[real] = ['net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0'];
      const after = ['all', 'default'].map((d) => `net.ipv6.conf.${d}.accept_dad=${v(`net.ipv6.conf.${d}.accept_dad`)}`);
      // lo exists before `before` runs (made with the namespace): its value is never changed.
      for (const l of ns.links) {
        if (l.kind === 'loopback') continue;
        const k = `net.ipv6.conf.${sysctlDev(l.name)}.accept_dad`;
        after.push(`${k}=${ns.sysctls[k] ?? v('net.ipv6.conf.default.accept_dad')}`);
      }
      out.after[real] = after;
    }
  }
  return out;
}
