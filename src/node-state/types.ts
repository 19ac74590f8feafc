// Vendor-neutral model of one host's Linux networking. Plain data only (JSON-serialisable),
// so it can be persisted, diffed, sent to the browser and applied to a real kernel by the lab.
// Field names follow iproute2's vocabulary so renderers map 1:1 onto `ip` output.

import type { NetfilterState } from '../netfilter/types.ts';

export type Family = 4 | 6;

/** One host (an EC2 node): its root namespace plus one namespace per non-hostNetwork pod. */
export interface Host {
  name: string;
  /** Namespace name → namespace. The root namespace is always called "root". */
  namespaces: Record<string, NetNs>;
}

export const ROOT_NS = 'root';

export interface NetNs {
  name: string;
  /** netnsid this namespace assigns to peer namespaces (ip link shows `link-netnsid N`). */
  netnsIds: Record<string, number>;
  links: Link[];
  addresses: Address[];
  routes: Route[];
  rules: Rule[];
  neighbours: Neighbour[];
  fdb: FdbEntry[];
  /** Only sysctls that change forwarding decisions, keyed like sysctl(8): "net.ipv4.ip_forward". */
  sysctls: Record<string, string>;
  /** IPv4 netfilter (iptables); ip6tables state is kept separately. */
  netfilter: NetfilterState;
  netfilter6: NetfilterState;
  /** Next ifindex the kernel would hand out in this namespace. */
  nextIfindex: number;
  /**
   * Routing tables that exist, in creation order (a table is created by its first route and
   * never goes away). IPv4 starts with main; IPv6 with main and local. Absent: derived from routes.
   */
  fibTables?: number[];
  fib6Tables?: number[];
}

export type LinkKind = 'loopback' | 'device' | 'veth' | 'vxlan' | 'dummy' | 'bridge' | 'ipip';

export interface VethInfo {
  /** Peer's namespace and device name (the peer lives on the same host). */
  peerNs: string;
  peerName: string;
  peerIfindex: number;
}

export interface VxlanInfo {
  vni: number;
  /** UDP destination port (Calico and the IANA default: 4789; Linux default when unset: 8472). */
  port: number;
  local?: string;
  /** Underlay device name. */
  dev?: string;
  learning: boolean;
  srcPortMin?: number;
  srcPortMax?: number;
  ttl?: number;
  udpCsum?: boolean;
}

export interface Link {
  ifindex: number;
  name: string;
  kind: LinkKind;
  mtu: number;
  /** Lower-case colon-separated MAC; loopback is 00:00:00:00:00:00. */
  mac: string;
  broadcast: string;
  /** Administrative state (ip link set up). */
  up: boolean;
  /** Carrier (LOWER_UP); a veth has carrier only when its peer is up. */
  carrier: boolean;
  noarp?: boolean;
  qdisc: string;
  txqlen: number;
  group?: string;
  master?: string;
  alias?: string;
  /** Alternative names (`ip link property add ... altname`), e.g. the PCI path name enp0s5 of ens5. */
  altnames?: string[];
  /** Physical-device model for ENIs: which ENI this interface is. */
  eniId?: string;
  veth?: VethInfo;
  vxlan?: VxlanInfo;
  /** Extra IFF_* flags to show (e.g. "PROMISC"). */
  extraFlags?: string[];
  /**
   * IPv6 IF_READY: the link has had carrier since it was last brought up. Set by the operations;
   * a later carrier loss keeps it, so new addresses still complete DAD.
   */
  ipv6Ready?: boolean;
}

export type AddrScope = 'global' | 'link' | 'host' | 'site' | number;

export interface Address {
  /** Device name in this namespace. */
  dev: string;
  family: Family;
  local: string;
  prefixlen: number;
  /** IPv4 broadcast (ip addr add ... brd +). */
  broadcast?: string;
  scope: AddrScope;
  label?: string;
  /** ip-address flags: secondary, noprefixroute, dynamic, permanent (v6), nodad ... */
  flags: string[];
  /** Seconds or 'forever'. */
  validLft: number | 'forever';
  preferredLft: number | 'forever';
  /** Metric of the prefix route (`ip addr add ... metric N`, IFA_RT_PRIORITY); `ip addr` shows it. */
  metric?: number;
}

export const TABLE_LOCAL = 255;
export const TABLE_MAIN = 254;
export const TABLE_DEFAULT = 253;

export type RouteType =
  | 'unicast'
  | 'local'
  | 'broadcast'
  | 'anycast'
  | 'multicast'
  | 'blackhole'
  | 'unreachable'
  | 'prohibit'
  | 'throw'
  | 'nat';

export type RouteScope = 'universe' | 'site' | 'link' | 'host' | 'nowhere' | number;

export type RouteProto = 'kernel' | 'boot' | 'static' | 'dhcp' | 'redirect' | 'ra' | 'bird' | number;

export interface Route {
  family: Family;
  table: number;
  type: RouteType;
  /** "default" or a prefix in canonical form ("10.0.0.0/24"; host routes keep "/32"). */
  dst: string;
  tos?: number;
  via?: string;
  dev?: string;
  proto: RouteProto;
  scope: RouteScope;
  src?: string;
  metric?: number;
  onlink?: boolean;
  mtu?: number;
  /** ip route flags that only the kernel sets, e.g. "linkdown". */
  flags?: string[];
  pref?: 'low' | 'medium' | 'high';
}

export interface Rule {
  family: Family;
  priority: number;
  not?: boolean;
  /** "all" when absent. */
  from?: string;
  to?: string;
  iif?: string;
  oif?: string;
  fwmark?: number;
  fwmask?: number;
  tos?: number;
  /** Table number; 255/254/253 print as local/main/default. */
  table?: number;
  action?: 'table' | 'goto' | 'blackhole' | 'unreachable' | 'prohibit' | 'nop';
  gotoPriority?: number;
  suppressPrefixlength?: number;
  protocol?: RouteProto;
}

export type NeighState =
  | 'PERMANENT'
  | 'NOARP'
  | 'REACHABLE'
  | 'STALE'
  | 'DELAY'
  | 'PROBE'
  | 'FAILED'
  | 'INCOMPLETE'
  | 'NONE';

export interface Neighbour {
  family: Family;
  dst: string;
  dev: string;
  lladdr?: string;
  state: NeighState;
  router?: boolean;
  /** A proxy entry (ip neigh add proxy ...). */
  proxy?: boolean;
}

export interface FdbEntry {
  mac: string;
  dev: string;
  /** Remote VTEP for vxlan devices. */
  dst?: string;
  vlan?: number;
  master?: string;
  self: boolean;
  permanent: boolean;
  /** "static" entries etc. */
  state?: 'permanent' | 'static' | 'reachable' | 'stale';
  port?: number;
  vni?: number;
  via?: string;
}
