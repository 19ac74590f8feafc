// Calico in VXLAN mode on EKS as a CniPlugin: calico-node's tunnel-address allocator, Felix's
// VXLAN manager (vxlan.calico, per-peer static ARP + FDB, remote-block routes), route manager
// (blackholes for local blocks), endpoint manager (pod /32 routes) and base iptables, and the
// calico CNI plugin + calico-ipam per pod. Spec: /work/shared/research/calico.md (§2–§12, §14).

import type { V1Pod } from '../../k8s/types.ts';
import type { CniAddResult, CniPlugin, PluginContext } from '../../control-plane/plugins.ts';
import type { ClusterState, NodeRecord } from '../../control-plane/types.ts';
import type { CalicoSettings } from '../../inputs/cluster-spec.ts';
import { ROOT_NS, TABLE_MAIN, type Host, type NetNs, type Route } from '../../node-state/types.ts';
import {
  addAddress,
  addFdb,
  addLink,
  addNeighbour,
  addRoute,
  addVethPair,
  bootLoopback,
  delFdb,
  delLink,
  delNeighbour,
  delNetns,
  delRoute,
  findLink,
  getNs,
  moveLink,
  newNetns,
  replaceRoute,
  setLink,
  setLinkUp,
  setSysctl,
} from '../../node-state/ops.ts';
import { instanceLimits } from '../../aws/instance-limits.ts';
import { touchObject } from '../../control-plane/store.ts';
import { ipToU32, parseCidr4 } from '../../aws/ip.ts';
import { randHex } from '../../k8s/rand.ts';
import { sha1Hex } from '../vpc-cni/sha1.ts';
import { secondaryIpMaxPods } from '../vpc-cni/max-pods.ts';
import { sandboxNetnsName } from '../vpc-cni/plugin.ts';
import { affineBlocks, allocations, autoAssign, blockOf, MAX_BLOCKS_PER_HOST, newIpamState, poolFromSettings, releaseByHandle, tunnelHandle, type IpamState } from './ipam.ts';
import { applyFelixIptables, calicoIpsets, type IpSetData, type WorkloadEndpoint } from './iptables.ts';
import { parseCalicoVersion, versionFeatures, type CalicoFeatures } from './version.ts';
import { felixPolicyInput, felixPolicyIpsets } from './policy.ts';

export const VXLAN_IF = 'vxlan.calico';
export const VXLAN_VNI = 4096;
export const VXLAN_PORT = 4789;
/** Felix's blackhole / same-subnet route protocol. */
export const FELIX_ROUTE_PROTO = 80;
/** ipv4NormalRoutePriority: the metric Felix gives pod routes from v3.32. */
export const POD_ROUTE_METRIC = 1024;
export const POD_GATEWAY = '169.254.1.1';
export const HOST_VETH_MAC = 'ee:ee:ee:ee:ee:ee';
export const CONTAINER_IF = 'eth0';
/** CNI conf network name (handle IDs are "<network>.<containerID>"). */
export const CNI_NETWORK_NAME = 'k8s-pod-network';
/** Felix MTUIfacePattern default. */
export const MTU_IFACE_PATTERN = /^((en|wl|ww|sl|ib)[Pcopsvx].*|(eth|wlan|wwan).*)/;
/** VXLAN overhead over an IPv4 underlay. */
export const VXLAN_OVERHEAD = 50;
/** Host MTU Felix assumes when no interface matches the pattern. */
export const FALLBACK_HOST_MTU = 1460;

export const DEFAULT_CALICO: CalicoSettings = {
  version: 'v3.32.1',
  ipPoolCidr: '172.16.0.0/16',
  blockSize: 26,
  vxlanMode: 'Always',
  ipipMode: 'Never',
  natOutgoing: true,
};

/** Calico host-side interface: prefix + first 11 hex chars of sha1("<namespace>.<pod>") (§3). */
export function calicoVethName(namespace: string, pod: string, prefix = 'cali'): string {
  return prefix + sha1Hex(`${namespace}.${pod}`).slice(0, 11);
}

/** Felix's VTEP MAC for a Linux node without vxlanTunnelMACAddr: 0x66 + first 5 bytes of sha1(nodename) (§5). */
export function vtepMac(nodeName: string): string {
  const h = sha1Hex(nodeName).slice(0, 10);
  return ['66', ...h.match(/../g)!].join(':');
}

export interface CalicoPodRecord {
  ip: string;
  serviceAccount?: string;
  handle: string;
  netns: string;
  hostIf: string;
}

export interface CalicoNodeRecord {
  nodeIp: string;
  /** Prefix length of the node address (for CrossSubnet). */
  nodePrefixLen: number;
  parentIf: string;
  tunnelIp?: string;
  vtepMac: string;
  vxlanMtu: number;
  pods: Record<string, CalicoPodRecord>;
  /** Felix-owned state last programmed, so a resync removes what is no longer wanted. */
  programmed: { routes: string[]; neighbours: string[]; fdb: string[] };
}

export interface CalicoState {
  settings: CalicoSettings;
  ipam: IpamState;
  nodes: Record<string, CalicoNodeRecord>;
}

export function settingsOf(cluster: ClusterState): CalicoSettings {
  return { ...DEFAULT_CALICO, ...(cluster.spec.cni.calico ?? {}) };
}

export function calicoState(cluster: ClusterState): CalicoState {
  let s = cluster.pluginState['calico'] as CalicoState | undefined;
  if (!s) {
    const settings = settingsOf(cluster);
    s = { settings, ipam: newIpamState(poolFromSettings(settings)), nodes: {} };
    cluster.pluginState['calico'] = s;
  }
  return s;
}

function features(s: CalicoState): CalicoFeatures {
  return versionFeatures(parseCalicoVersion(s.settings.version));
}

/** Felix's host MTU: the smallest MTU among up interfaces matching MTUIfacePattern. */
export function hostMtu(ns: NetNs): number {
  const mtus = ns.links.filter((l) => l.up && MTU_IFACE_PATTERN.test(l.name)).map((l) => l.mtu);
  return mtus.length ? Math.min(...mtus) : FALLBACK_HOST_MTU;
}

/** The interface holding the node IP and that address's prefix length (calico-node's autodetection result). */
function parentOf(ns: NetNs, nodeIp: string): { dev: string; prefixLen: number } {
  const a = ns.addresses.find((x) => x.family === 4 && x.local === nodeIp);
  if (!a) return { dev: 'eth0', prefixLen: 32 };
  return { dev: a.dev, prefixLen: a.prefixlen };
}

function podKeyOf(pod: V1Pod): { key: string; namespace: string; name: string } {
  const namespace = pod.metadata?.namespace ?? 'default';
  const name = pod.metadata?.name ?? '';
  return { key: `${namespace}/${name}`, namespace, name };
}

function sameSubnet(a: CalicoNodeRecord, b: CalicoNodeRecord): boolean {
  const len = a.nodePrefixLen;
  const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
  return ((ipToU32(a.nodeIp) & mask) >>> 0) === ((ipToU32(b.nodeIp) & mask) >>> 0);
}

interface WantedRoute {
  spec: Partial<Route> & { dst: string };
}

/** The Felix-owned routes node `me` wants in its main table (§7.1). */
export function wantedRoutes(s: CalicoState, me: string): WantedRoute[] {
  const f = features(s);
  const mine = s.nodes[me]!;
  const out: WantedRoute[] = [];
  const mtu = f.vxlanRouteMtu ? { mtu: mine.vxlanMtu } : {};
  const vxlanOn = s.settings.vxlanMode !== 'Never';
  for (const b of Object.values(s.ipam.blocks)) {
    if (!b.affinity) continue;
    if (b.affinity === me) {
      out.push({ spec: { dst: b.cidr, type: 'blackhole', proto: FELIX_ROUTE_PROTO } });
      continue;
    }
    const peer = s.nodes[b.affinity];
    if (!peer?.tunnelIp || !vxlanOn) continue;
    if (s.settings.vxlanMode === 'CrossSubnet' && sameSubnet(mine, peer)) {
      out.push({ spec: { dst: b.cidr, via: peer.nodeIp, dev: mine.parentIf, proto: FELIX_ROUTE_PROTO, onlink: true } });
    } else {
      out.push({ spec: { dst: b.cidr, via: peer.tunnelIp, dev: VXLAN_IF, onlink: true, ...mtu } });
    }
  }
  // Borrowed workload addresses and tunnel addresses outside their node's own blocks (§7.4).
  for (const a of allocations(s.ipam)) {
    const host = a.attrs['node'];
    if (!host || host === me) continue;
    const blk = blockOf(s.ipam, a.ip);
    if (!blk || blk.affinity === host) continue;
    const peer = s.nodes[host];
    if (!peer?.tunnelIp || !vxlanOn) continue;
    if (a.handle === tunnelHandle(host)) out.push({ spec: { dst: `${a.ip}/32`, dev: VXLAN_IF, scope: 'link', ...mtu } });
    else out.push({ spec: { dst: `${a.ip}/32`, via: peer.tunnelIp, dev: VXLAN_IF, onlink: true, ...mtu } });
  }
  return out;
}

function routeId(r: { dst: string }): string {
  return r.dst.includes('/') ? r.dst : `${r.dst}/32`;
}

/**
 * Felix's VXLAN and route managers on one node: vxlan.calico's static ARP and FDB entries for
 * every peer with a VTEP, routes to remote blocks, blackholes for local blocks. Removes what an
 * earlier pass programmed and is no longer wanted.
 */
export function syncNode(cluster: ClusterState, nodeName: string): void {
  const s = calicoState(cluster);
  const me = s.nodes[nodeName];
  const host = cluster.hosts[nodeName];
  if (!me || !host) return;
  const ns = getNs(host, ROOT_NS);
  const haveVxlan = !!findLink(ns, VXLAN_IF);

  // Neighbours + FDB first (a route via a tunnel IP needs them to forward).
  const wantNeigh: Record<string, string> = {};
  const wantFdb: Record<string, string> = {};
  if (haveVxlan) {
    for (const [name, peer] of Object.entries(s.nodes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (name === nodeName || !peer.tunnelIp) continue;
      wantNeigh[peer.tunnelIp] = peer.vtepMac;
      wantFdb[peer.vtepMac] = peer.nodeIp;
    }
  }
  for (const ip of me.programmed.neighbours) {
    if (wantNeigh[ip] === undefined) {
      try {
        delNeighbour(ns, { dst: ip, dev: VXLAN_IF });
      } catch {
        /* already gone */
      }
    }
  }
  for (const [ip, mac] of Object.entries(wantNeigh)) addNeighbour(ns, { dst: ip, dev: VXLAN_IF, lladdr: mac, state: 'PERMANENT' }, { replace: true });
  for (const mac of me.programmed.fdb) {
    if (wantFdb[mac] === undefined) {
      try {
        delFdb(ns, { mac, dev: VXLAN_IF });
      } catch {
        /* already gone */
      }
    }
  }
  for (const [mac, dst] of Object.entries(wantFdb)) addFdb(ns, { mac, dev: VXLAN_IF, dst, self: true, permanent: true }, { replace: true });

  const wanted = wantedRoutes(s, nodeName).filter((w) => haveVxlan || w.spec.dev !== VXLAN_IF);
  const wantIds = new Set(wanted.map((w) => routeId(w.spec)));
  for (const id of me.programmed.routes) {
    if (wantIds.has(id)) continue;
    const i = ns.routes.findIndex((r) => r.family === 4 && r.table === TABLE_MAIN && routeId(r) === id && (r.dev === VXLAN_IF || r.type === 'blackhole' || r.proto === FELIX_ROUTE_PROTO));
    if (i >= 0) ns.routes.splice(i, 1);
  }
  for (const w of wanted) replaceRoute(ns, { table: TABLE_MAIN, ...w.spec });
  me.programmed = { routes: [...wantIds], neighbours: Object.keys(wantNeigh), fdb: Object.keys(wantFdb) };
}

/** Resync every started node (routes depend on other nodes' blocks and VTEPs). */
export function syncAllNodes(cluster: ClusterState): void {
  const s = calicoState(cluster);
  for (const name of Object.keys(s.nodes)) syncNode(cluster, name);
}

/** The ipsets Felix programs on a node (for the engine's `-m set` evaluation). */
export function nodeIpsets(cluster: ClusterState, nodeName: string): Record<string, IpSetData> {
  const s = calicoState(cluster);
  return { ...calicoIpsets(s, nodeName), ...felixPolicyIpsets(cluster, s.settings.version, s.nodes[nodeName]?.pods ?? {}) };
}

/** Sets annotations on the Node object (a patch: new resourceVersion) when they change. */
function annotateNode(cluster: ClusterState, name: string, want: Record<string, string>): void {
  const n = cluster.objects[`Node//${name}`];
  if (!n) return;
  const cur = n.metadata.annotations ?? {};
  if (Object.entries(want).every(([k, v]) => cur[k] === v)) return;
  n.metadata.annotations = { ...cur, ...want };
  touchObject(cluster, n);
}

/** calico-node start on one node: tunnel address, vxlan.calico, base iptables, then Felix's sync. */
function startNode(ctx: PluginContext): void {
  const { cluster, node, host } = ctx;
  const s = calicoState(cluster);
  const f = features(s);
  const root = getNs(host, ROOT_NS);
  const parent = parentOf(root, node.primaryIp);
  const vxlanMtu = s.settings.mtu ?? hostMtu(root) - VXLAN_OVERHEAD;
  const rec: CalicoNodeRecord = s.nodes[node.name] ?? {
    nodeIp: node.primaryIp,
    nodePrefixLen: parent.prefixLen,
    parentIf: parent.dev,
    vtepMac: vtepMac(node.name),
    vxlanMtu,
    pods: {},
    programmed: { routes: [], neighbours: [], fdb: [] },
  };
  s.nodes[node.name] = rec;

  // Tunnel-address allocator: one address from a VXLAN-enabled pool (§4.5).
  if (s.settings.vxlanMode !== 'Never' && !rec.tunnelIp) {
    const a = autoAssign(s.ipam, node.name, tunnelHandle(node.name), { node: node.name, type: 'vxlanTunnelAddress' });
    if (a) rec.tunnelIp = a.ip;
  }

  // calico-node records what it found on the Kubernetes Node (KDD keeps the Calico Node there, §4.5).
  annotateNode(cluster, node.name, {
    'projectcalico.org/IPv4Address': `${rec.nodeIp}/${rec.nodePrefixLen}`,
    ...(rec.tunnelIp ? { 'projectcalico.org/IPv4VXLANTunnelAddr': rec.tunnelIp } : {}),
  });

  // Felix: vxlan.calico (§6).
  if (rec.tunnelIp && !findLink(root, VXLAN_IF)) {
    addLink(root, {
      name: VXLAN_IF,
      kind: 'vxlan',
      mac: rec.vtepMac,
      mtu: rec.vxlanMtu,
      vxlan: { vni: VXLAN_VNI, port: VXLAN_PORT, local: rec.nodeIp, dev: rec.parentIf, learning: false, udpCsum: true },
    });
    setLinkUp(host, ROOT_NS, VXLAN_IF, true);
    addAddress(root, VXLAN_IF, `${rec.tunnelIp}/32`);
  }

  // Felix's base iptables (§10, §11).
  root.netfilter = applyFelixIptables(root.netfilter, { features: f, settings: s.settings, vxlan: !!rec.tunnelIp, ...felixPolicyInput(cluster, s.settings.version, rec.pods, endpointsOf(rec)) });
}

/**
 * The CNI ADD error when calico-ipam has no address (as kubelet shows it in FailedCreatePodSandBox):
 * the per-host block limit, or the pool exhausted (no block to claim and nothing to borrow).
 */
function ipamError(s: CalicoState, node: string): string {
  const limit = affineBlocks(s.ipam, node).length >= MAX_BLOCKS_PER_HOST;
  const why = limit ? 'cannot allocate new block due to per host block limit' : 'failed to request 1 IPv4 addresses. IPAM allocated only 0';
  return `plugin type="calico" failed (add): ${why}`;
}

/** The Calico plugin plus Felix's periodic resync (iptables refresh: hooks back on top of the built-in chains). */
export interface CalicoPlugin extends CniPlugin {
  /** Felix's periodic refresh on one node (call after other agents, e.g. kube-proxy, touched iptables). */
  resync(ctx: PluginContext): void;
}

/** Felix's refresh of one node: routes/ARP/FDB, then iptables (its insert-mode hooks return to the top). */
export function felixResync(cluster: ClusterState, nodeName: string): void {
  const s = calicoState(cluster);
  const rec = s.nodes[nodeName];
  const host = cluster.hosts[nodeName];
  if (!rec || !host) return;
  syncNode(cluster, nodeName);
  const root = getNs(host, ROOT_NS);
  root.netfilter = applyFelixIptables(root.netfilter, { features: features(s), settings: s.settings, vxlan: !!rec.tunnelIp, ...felixPolicyInput(cluster, s.settings.version, rec.pods, endpointsOf(rec)) });
}

export function createCalicoVxlan(): CalicoPlugin {
  return {
    ipsets(cluster: ClusterState, node: string, netns: string) {
      // Felix keeps its sets in the node's root namespace only.
      return netns === ROOT_NS ? nodeIpsets(cluster, node) : undefined;
    },
    resync(ctx: PluginContext): void {
      felixResync(ctx.cluster, ctx.node.name);
    },

    name: 'calico-vxlan',

    podCapacity(ctx: PluginContext): number {
      // EKS's bootstrap keeps the ENI-based eni-max-pods value unless --max-pods / maxPodsPerNode
      // is given (research §13); the control plane applies maxPodsPerNode itself.
      const l = instanceLimits(ctx.node.instanceType);
      return secondaryIpMaxPods(l.enis, l.ipv4PerEni);
    },

    nodeStart(ctx: PluginContext): void {
      startNode(ctx);
      syncAllNodes(ctx.cluster);
    },

    podAdd(ctx: PluginContext, pod: V1Pod): CniAddResult {
      const { cluster, node, host } = ctx;
      const s = calicoState(cluster);
      const f = features(s);
      const rec = s.nodes[node.name];
      if (!rec) return { ok: false, error: 'plugin type="calico" failed (add): stat /var/lib/calico/nodename: no such file or directory: check that the calico/node container is running and has mounted /var/lib/calico/' };
      const { key, namespace, name } = podKeyOf(pod);
      const existing = rec.pods[key];
      if (existing) return { ok: true, ips: [existing.ip], netns: existing.netns, hostInterface: existing.hostIf };

      const containerId = randHex(cluster, 64);
      const handle = `${CNI_NETWORK_NAME}.${containerId}`;
      const a = autoAssign(s.ipam, node.name, handle, { namespace, node: node.name, pod: name, timestamp: String(cluster.clock) });
      if (!a) return { ok: false, error: ipamError(s, node.name) };

      const hostIf = calicoVethName(namespace, name);
      const netns = sandboxNetnsName(cluster);
      const root = getNs(host, ROOT_NS);
      const pns = newNetns(host, netns);
      bootLoopback(host, netns);
      if (findLink(root, hostIf)) delLink(host, ROOT_NS, hostIf);
      // The calico CNI dataplane (cni-plugin/pkg/dataplane/linux): both ends are created inside the
      // pod netns (LinkAttrs literal: TxQLen 0, so neither end shows a qlen), the host end gets
      // ee:ee:ee:ee:ee:ee, both go up (host end first), the pod's routes, address and ip_forward are
      // set, then the host end moves to the host netns (arriving down), gets its sysctls, goes up
      // and gets its /32 route.
      addVethPair(host, netns, CONTAINER_IF, netns, hostIf, { mtu: rec.vxlanMtu });
      setLink(host, netns, CONTAINER_IF, { txqlen: 0 });
      setLink(host, netns, hostIf, { txqlen: 0, mac: HOST_VETH_MAC });
      setLinkUp(host, netns, hostIf, true);
      setLinkUp(host, netns, CONTAINER_IF, true);
      addRoute(pns, { dst: `${POD_GATEWAY}/32`, dev: CONTAINER_IF, scope: 'link' });
      addRoute(pns, { dst: 'default', via: POD_GATEWAY, dev: CONTAINER_IF });
      addAddress(pns, CONTAINER_IF, `${a.ip}/32`);
      setSysctl(pns, 'net.ipv4.ip_forward', '0');
      moveLink(host, netns, hostIf, ROOT_NS);
      setSysctl(root, `net.ipv4.conf.${hostIf}.route_localnet`, '1');
      setSysctl(root, `net.ipv4.neigh.${hostIf}.proxy_delay`, '0');
      setSysctl(root, `net.ipv4.conf.${hostIf}.proxy_arp`, '1');
      setSysctl(root, `net.ipv4.conf.${hostIf}.forwarding`, '1');
      setSysctl(root, `net.ipv6.conf.${hostIf}.accept_ra`, '0');
      setLinkUp(host, ROOT_NS, hostIf, true);
      // CNI host route (proto boot); from v3.32 Felix replaces it with its metric-1024 copy.
      replaceRoute(root, { dst: `${a.ip}/32`, dev: hostIf, scope: 'link', ...(f.podRouteMetric ? { metric: POD_ROUTE_METRIC } : {}) });
      // Felix: rp_filter of the endpoint = the host's conf/default value.
      const rp = root.sysctls['net.ipv4.conf.default.rp_filter'];
      if (rp !== undefined) setSysctl(root, `net.ipv4.conf.${hostIf}.rp_filter`, rp);

      rec.pods[key] = { ip: a.ip, handle, netns, hostIf, serviceAccount: pod.spec?.serviceAccountName ?? 'default' };
      // A newly claimed block or a borrowed address changes every node's routes.
      if (a.borrowed || !rec.programmed.routes.includes(a.block)) syncAllNodes(cluster);
      root.netfilter = applyFelixIptables(root.netfilter, { features: f, settings: s.settings, vxlan: !!rec.tunnelIp, ...felixPolicyInput(cluster, s.settings.version, rec.pods, endpointsOf(rec)) });
      return { ok: true, ips: [a.ip], netns, hostInterface: hostIf };
    },

    podDelete(ctx: PluginContext, pod: V1Pod): void {
      const { cluster, node, host } = ctx;
      const s = calicoState(cluster);
      const f = features(s);
      const rec = s.nodes[node.name];
      if (!rec) return;
      const { key } = podKeyOf(pod);
      const w = rec.pods[key];
      if (!w) return;
      const root = getNs(host, ROOT_NS);
      // CNI DEL deletes the container end; the host end and its route vanish with it.
      if (host.namespaces[w.netns]) delNetns(host, w.netns);
      try {
        delRoute(root, { dst: `${w.ip}/32`, table: TABLE_MAIN });
      } catch {
        /* removed with the veth */
      }
      const borrowed = blockOf(s.ipam, w.ip)?.affinity !== node.name;
      releaseByHandle(s.ipam, w.handle);
      delete rec.pods[key];
      // Blocks stay affine when they empty; only a borrowed address's /32 routes go away.
      if (borrowed) syncAllNodes(cluster);
      root.netfilter = applyFelixIptables(root.netfilter, { features: f, settings: s.settings, vxlan: !!rec.tunnelIp, ...felixPolicyInput(cluster, s.settings.version, rec.pods, endpointsOf(rec)) });
    },
  };
}

function endpointsOf(rec: CalicoNodeRecord): WorkloadEndpoint[] {
  return Object.entries(rec.pods).map(([k, p]) => ({ iface: p.hostIf, namespace: k.split('/')[0]!, serviceAccount: p.serviceAccount }));
}

/** The node's affine blocks (for tests and the CLI). */
export function nodeBlocks(cluster: ClusterState, node: NodeRecord | string): string[] {
  return affineBlocks(calicoState(cluster).ipam, typeof node === 'string' ? node : node.name).map((b) => b.cidr);
}

/** Pool CIDR check used by callers that want to know if an address is a Calico pod address. */
export function inPool(cluster: ClusterState, ip: string): boolean {
  const c = parseCidr4(calicoState(cluster).settings.ipPoolCidr);
  const v = ipToU32(ip);
  return v >= c.base && v < c.base + c.size;
}

export type { Host };
