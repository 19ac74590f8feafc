// Operations on the node-state model that do what the Linux kernel (6.x) does for the same
// netlink request: ifindex and netnsid allocation, carrier, automatic addresses and routes,
// route flush on link down, and the kernel's validation with iproute2's error text.
// Every function mutates the plain-data model in place. Browser-safe.
//
// Behaviour was checked against Linux 6.18 + iproute2 6.1 in network namespaces (see
// ops.test.ts and the differential tests under src/render/iproute2/).

import { KubewireError } from '../errors.ts';
import { emptyNetfilter } from '../netfilter/types.ts';
import {
  broadcastOf,
  canonicalAddr,
  canonicalDst,
  eui64LinkLocal,
  formatAddr,
  formatPrefix,
  maskOf,
  networkOf,
  normalizeMac,
  parseAddr,
  parsePrefix,
  prefixContains,
} from './addr.ts';
import { gatewayLookup4 } from './fib.ts';
import {
  ROOT_NS,
  TABLE_LOCAL,
  TABLE_MAIN,
  TABLE_DEFAULT,
  type AddrScope,
  type Address,
  type FdbEntry,
  type Family,
  type Host,
  type Link,
  type LinkKind,
  type NeighState,
  type Neighbour,
  type NetNs,
  type Route,
  type RouteScope,
  type Rule,
} from './types.ts';

// ---------------------------------------------------------------------------------------------
// Hosts, namespaces, sysctls

/** Namespace-wide sysctls (kernel defaults for a fresh namespace) that change forwarding. */
const NS_SYSCTL_DEFAULTS: Record<string, string> = {
  'net.ipv4.ip_forward': '0',
  'net.ipv4.ip_nonlocal_bind': '0',
  'net.ipv6.ip_nonlocal_bind': '0',
};
/** Per-interface IPv4 sysctls: exist as conf.all, conf.default and conf.<dev>. */
const CONF4_DEFAULTS: Record<string, string> = {
  forwarding: '0',
  rp_filter: '0',
  proxy_arp: '0',
  accept_local: '0',
  route_localnet: '0',
  promote_secondaries: '0',
  src_valid_mark: '0',
};
/** Per-interface IPv6 sysctls. */
const CONF6_DEFAULTS: Record<string, string> = {
  forwarding: '0',
  disable_ipv6: '0',
  accept_ra: '1',
  addr_gen_mode: '0',
  keep_addr_on_down: '0',
  accept_dad: '1',
};

/** sysctl(8) spelling of a device name inside a key: dots become slashes ("vxlan/calico"). */
export function sysctlDev(dev: string): string {
  return dev.replace(/\./g, '/');
}

/** The sysctls a fresh namespace has (before any device other than lo exists). */
export function freshSysctls(): Record<string, string> {
  const s: Record<string, string> = { ...NS_SYSCTL_DEFAULTS };
  for (const scope of ['all', 'default']) {
    for (const [k, v] of Object.entries(CONF4_DEFAULTS)) s[`net.ipv4.conf.${scope}.${k}`] = v;
    for (const [k, v] of Object.entries(CONF6_DEFAULTS)) s[`net.ipv6.conf.${scope}.${k}`] = v;
  }
  // conf.all.accept_dad is 0 in the kernel; new devices inherit conf.default (1).
  s['net.ipv6.conf.all.accept_dad'] = '0';
  return s;
}

const initSysctls = freshSysctls;

function initDevSysctls(ns: NetNs, dev: string, kind?: LinkKind): void {
  const d = sysctlDev(dev);
  for (const k of Object.keys(CONF4_DEFAULTS)) ns.sysctls[`net.ipv4.conf.${d}.${k}`] = ns.sysctls[`net.ipv4.conf.default.${k}`] ?? CONF4_DEFAULTS[k];
  for (const k of Object.keys(CONF6_DEFAULTS)) ns.sysctls[`net.ipv6.conf.${d}.${k}`] = ns.sysctls[`net.ipv6.conf.default.${k}`] ?? CONF6_DEFAULTS[k];
  // Loopback never runs DAD.
  if (kind === 'loopback') ns.sysctls[`net.ipv6.conf.${d}.accept_dad`] = '-1';
}

function dropDevSysctls(ns: NetNs, dev: string): Record<string, string> {
  const d = sysctlDev(dev);
  const saved: Record<string, string> = {};
  for (const fam of ['ipv4', 'ipv6']) {
    for (const sect of ['conf', 'neigh']) {
      const pre = `net.${fam}.${sect}.${d}.`;
      for (const k of Object.keys(ns.sysctls)) {
        if (k.startsWith(pre)) {
          saved[`${fam}.${sect}.${k.slice(pre.length)}`] = ns.sysctls[k];
          delete ns.sysctls[k];
        }
      }
    }
  }
  return saved;
}

/** A fresh network namespace as `ip netns add` leaves it: lo DOWN, no addresses, default rules. */
function makeNetns(name: string): NetNs {
  const ns: NetNs = {
    name,
    netnsIds: {},
    links: [],
    addresses: [],
    routes: [],
    rules: [
      { family: 4, priority: 0, table: TABLE_LOCAL, action: 'table' },
      { family: 4, priority: 32766, table: TABLE_MAIN, action: 'table' },
      { family: 4, priority: 32767, table: TABLE_DEFAULT, action: 'table' },
      // IPv6 has no "default" table rule.
      { family: 6, priority: 0, table: TABLE_LOCAL, action: 'table' },
      { family: 6, priority: 32766, table: TABLE_MAIN, action: 'table' },
    ],
    neighbours: [],
    fdb: [],
    sysctls: initSysctls(),
    netfilter: emptyNetfilter(),
    netfilter6: emptyNetfilter(),
    nextIfindex: 1,
    fibTables: [TABLE_MAIN],
    fib6Tables: [TABLE_MAIN, TABLE_LOCAL],
  };
  addLink(ns, { name: 'lo', kind: 'loopback' });
  return ns;
}

/** Tables that exist in the namespace for a family, in creation order. */
export function fibTables(ns: NetNs, family: Family): number[] {
  const have = family === 4 ? ns.fibTables : ns.fib6Tables;
  if (have) return have;
  const base = family === 4 ? [TABLE_MAIN] : [TABLE_MAIN, TABLE_LOCAL];
  for (const r of ns.routes) if (r.family === family && !base.includes(r.table)) base.push(r.table);
  return base;
}

function ensureTable(ns: NetNs, family: Family, table: number): void {
  const list = fibTables(ns, family);
  if (!list.includes(table)) list.push(table);
  if (family === 4) ns.fibTables = list;
  else ns.fib6Tables = list;
}

/**
 * A host after boot: root namespace "root" with lo UP (127.0.0.1/8, ::1/128 and their local
 * routes), the default policy rules and kernel-default sysctls.
 */
export function newHost(name: string): Host {
  const root = makeNetns(ROOT_NS);
  const host: Host = { name, namespaces: { [ROOT_NS]: root } };
  bootLoopback(host, ROOT_NS);
  return host;
}

/** Brings lo up as a booting system (or a CNI inside a pod namespace) does. */
export function bootLoopback(host: Host, nsName: string): void {
  setLinkUp(host, nsName, 'lo', true);
}

/** `ip netns add NAME`: a fresh namespace (lo DOWN, no addresses, default rules). */
export function newNetns(host: Host, name: string): NetNs {
  if (!name) throw new KubewireError('namespace name must not be empty');
  if (host.namespaces[name]) throw new KubewireError(`Cannot create namespace file "/var/run/netns/${name}": File exists`);
  const ns = makeNetns(name);
  host.namespaces[name] = ns;
  return ns;
}

/** `ip netns del NAME`: its links go away; veth peers in other namespaces are deleted too. */
export function delNetns(host: Host, name: string): void {
  const ns = getNs(host, name);
  if (name === ROOT_NS) throw new KubewireError('cannot delete the root namespace');
  for (const l of [...ns.links]) {
    if (l.veth) delLink(host, name, l.name);
  }
  delete host.namespaces[name];
  for (const other of Object.values(host.namespaces)) delete other.netnsIds[name];
}

export function getNs(host: Host, nsName: string): NetNs {
  const ns = host.namespaces[nsName];
  if (!ns) throw new KubewireError(`Cannot open network namespace "${nsName}": No such file or directory`);
  return ns;
}

export function findLink(ns: NetNs, dev: string): Link | undefined {
  return ns.links.find((l) => l.name === dev);
}

function mustLink(ns: NetNs, dev: string): Link {
  const l = findLink(ns, dev);
  if (!l) throw new KubewireError(`Cannot find device "${dev}"`);
  return l;
}

/** Reads a sysctl, resolving unset per-device keys from conf.default as the kernel does at creation. */
export function getSysctl(ns: NetNs, key: string): string | undefined {
  return ns.sysctls[key];
}

/**
 * sysctl -w KEY=VALUE. Forwarding keys propagate like the kernel: net.ipv4.ip_forward and
 * net.ipv4.conf.all.forwarding set all, default and every device; net.ipv6.conf.all.forwarding
 * sets default and every device.
 */
export function setSysctl(ns: NetNs, key: string, value: string): void {
  if (!/^net\.[A-Za-z0-9_./-]+$/.test(key)) throw new KubewireError(`sysctl: cannot stat /proc/sys/${key.replace(/\./g, '/')}: No such file or directory`);
  const known =
    key in ns.sysctls ||
    /^net\.ipv4\.conf\.[^.]+\.[a-z_]+$/.test(key) ||
    /^net\.ipv6\.conf\.[^.]+\.[a-z_]+$/.test(key) ||
    /^net\.(ipv4|ipv6|core|bridge|netfilter)\./.test(key);
  if (!known) throw new KubewireError(`sysctl: cannot stat /proc/sys/${key.replace(/\./g, '/')}: No such file or directory`);
  const m = /^net\.(ipv4|ipv6)\.(?:conf|neigh)\.([^.]+)\.([a-z_]+)$/.exec(key);
  if (m && m[2] !== 'all' && m[2] !== 'default') {
    const devName = m[2].replace(/\//g, '.');
    if (!findLink(ns, devName)) throw new KubewireError(`sysctl: cannot stat /proc/sys/${key.replace(/\./g, '/')}: No such file or directory`);
  }
  const v = String(value);
  if (key === 'net.ipv4.ip_forward' || key === 'net.ipv4.conf.all.forwarding') {
    ns.sysctls['net.ipv4.ip_forward'] = v;
    ns.sysctls['net.ipv4.conf.all.forwarding'] = v;
    ns.sysctls['net.ipv4.conf.default.forwarding'] = v;
    for (const l of ns.links) ns.sysctls[`net.ipv4.conf.${sysctlDev(l.name)}.forwarding`] = v;
    return;
  }
  if (key === 'net.ipv6.conf.all.forwarding') {
    ns.sysctls[key] = v;
    ns.sysctls['net.ipv6.conf.default.forwarding'] = v;
    for (const l of ns.links) ns.sysctls[`net.ipv6.conf.${sysctlDev(l.name)}.forwarding`] = v;
    refreshAnycast(ns);
    return;
  }
  ns.sysctls[key] = v;
  if (/^net\.ipv6\.conf\.[^.]+\.forwarding$/.test(key)) refreshAnycast(ns);
}

// ---------------------------------------------------------------------------------------------
// Links

/** FNV-1a over a string, 32-bit. */
function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * A locally administered unicast MAC as eth_random_addr() makes, but derived from a seed so
 * the model is deterministic. Callers that know the real MAC (ENIs) pass it instead.
 */
export function deterministicMac(seed: string): string {
  const a = fnv1a(seed);
  const b = fnv1a(seed, a ^ 0x9e3779b9);
  const bytes = [(a >>> 24) & 255, (a >>> 16) & 255, (a >>> 8) & 255, a & 255, (b >>> 8) & 255, b & 255];
  bytes[0] = (bytes[0] & 0xfe) | 0x02;
  return bytes.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

function allocIfindex(ns: NetNs, wanted?: number): number {
  const used = new Set(ns.links.map((l) => l.ifindex));
  if (wanted !== undefined) {
    if (used.has(wanted)) throw new KubewireError(`RTNETLINK answers: File exists (ifindex ${wanted} in use)`);
    return wanted;
  }
  let i = Math.max(1, ns.nextIfindex);
  while (used.has(i)) i++;
  ns.nextIfindex = i + 1;
  return i;
}

const KIND_DEFAULTS: Record<LinkKind, { mtu: number; txqlen: number; noQueue: boolean }> = {
  loopback: { mtu: 65536, txqlen: 1000, noQueue: true },
  device: { mtu: 1500, txqlen: 1000, noQueue: false },
  veth: { mtu: 1500, txqlen: 1000, noQueue: true },
  vxlan: { mtu: 1500, txqlen: 1000, noQueue: true },
  dummy: { mtu: 1500, txqlen: 1000, noQueue: true },
  bridge: { mtu: 1500, txqlen: 1000, noQueue: true },
  ipip: { mtu: 1480, txqlen: 1000, noQueue: true },
};

/** Qdisc the kernel attaches the first time a device goes up (before that: "noop"). */
export function defaultQdisc(kind: LinkKind): string {
  return KIND_DEFAULTS[kind].noQueue ? 'noqueue' : 'mq';
}

const IFNAMSIZ = 16;

function checkIfname(name: string): void {
  if (name.length === 0 || name.length >= IFNAMSIZ || /[\s/:]/.test(name) || name === '.' || name === '..') {
    throw new KubewireError(`"${name}" is not a valid ifname`);
  }
}

/**
 * `ip link add NAME type KIND`: ifindex from the namespace counter, kernel defaults (mtu, qdisc
 * noop until first up, txqlen 1000, carrier) and a deterministic MAC unless one is given.
 */
export function addLink(ns: NetNs, link: Partial<Link> & { name: string; kind: LinkKind }): Link {
  checkIfname(link.name);
  if (findLink(ns, link.name)) throw new KubewireError('RTNETLINK answers: File exists');
  const d = KIND_DEFAULTS[link.kind];
  const ifindex = allocIfindex(ns, link.ifindex);
  const isLo = link.kind === 'loopback';
  let mtu = link.mtu ?? d.mtu;
  if (link.kind === 'vxlan' && link.vxlan?.dev) {
    // vxlan_config_apply: the MTU is capped at (and defaults to) the underlay MTU minus the
    // 50-byte IPv4 VXLAN headroom.
    const lower = findLink(ns, link.vxlan.dev);
    if (!lower) throw new KubewireError(`Cannot find device "${link.vxlan.dev}"`);
    mtu = Math.min(link.mtu ?? Infinity, lower.mtu - 50);
  }
  const l: Link = {
    ifindex,
    name: link.name,
    kind: link.kind,
    mtu,
    mac: isLo ? '00:00:00:00:00:00' : normalizeMac(link.mac ?? deterministicMac(`${ns.name}/${link.name}/${ifindex}`)),
    broadcast: link.broadcast ?? (isLo ? '00:00:00:00:00:00' : 'ff:ff:ff:ff:ff:ff'),
    up: false,
    // Physical devices, loopback and vxlan report carrier by themselves; veth and bridge do not.
    carrier: link.carrier ?? (link.kind === 'device' || link.kind === 'loopback' || link.kind === 'vxlan' || link.kind === 'dummy' || link.kind === 'ipip'),
    qdisc: link.qdisc ?? 'noop',
    txqlen: link.txqlen ?? d.txqlen,
  };
  if (link.noarp !== undefined) l.noarp = link.noarp;
  if (link.group !== undefined) l.group = link.group;
  if (link.master !== undefined) l.master = link.master;
  if (link.alias !== undefined) l.alias = link.alias;
  if (link.altnames?.length) l.altnames = [...link.altnames];
  if (link.eniId !== undefined) l.eniId = link.eniId;
  if (link.veth !== undefined) l.veth = { ...link.veth };
  if (link.vxlan !== undefined) l.vxlan = { ...link.vxlan };
  if (link.extraFlags !== undefined) l.extraFlags = [...link.extraFlags];
  ns.links.push(l);
  ns.links.sort((a, b) => a.ifindex - b.ifindex);
  initDevSysctls(ns, l.name, l.kind);
  if (link.up) {
    // Allowed for convenience; equivalent to a later `ip link set up`.
    l.qdisc = link.qdisc ?? defaultQdisc(l.kind);
    l.up = true;
    onLinkStateChange(ns, l, false, false);
  }
  return l;
}

/** netnsid that `ns` uses for `peer`, allocating the lowest free id on first use (peernet2id_alloc). */
export function netnsIdFor(ns: NetNs, peer: string): number {
  const have = ns.netnsIds[peer];
  if (have !== undefined) return have;
  const used = new Set(Object.values(ns.netnsIds));
  let id = 0;
  while (used.has(id)) id++;
  ns.netnsIds[peer] = id;
  return id;
}

/**
 * `ip link add NAME_A type veth peer name NAME_B netns NS_B`, run in NS_A. The kernel registers
 * the peer first, so in one namespace the peer gets the lower ifindex. Both ends start down
 * without carrier. Each namespace learns a netnsid for the other (first reference).
 */
export function addVethPair(
  host: Host,
  nsA: string,
  nameA: string,
  nsB: string,
  nameB: string,
  opts: { mtu?: number; macA?: string; macB?: string } = {},
): [Link, Link] {
  const a = getNs(host, nsA);
  const b = getNs(host, nsB);
  checkIfname(nameA);
  checkIfname(nameB);
  if (findLink(a, nameA) || findLink(b, nameB) || (nsA === nsB && nameA === nameB)) throw new KubewireError('RTNETLINK answers: File exists');
  const lb = addLink(b, { name: nameB, kind: 'veth', mtu: opts.mtu, mac: opts.macB, carrier: false });
  const la = addLink(a, { name: nameA, kind: 'veth', mtu: opts.mtu, mac: opts.macA, carrier: false });
  la.veth = { peerNs: nsB, peerName: nameB, peerIfindex: lb.ifindex };
  lb.veth = { peerNs: nsA, peerName: nameA, peerIfindex: la.ifindex };
  if (nsA !== nsB) {
    netnsIdFor(a, nsB);
    netnsIdFor(b, nsA);
  }
  return [la, lb];
}

function vethPeer(host: Host, l: Link): { ns: NetNs; link: Link } | undefined {
  if (!l.veth) return undefined;
  const pns = host.namespaces[l.veth.peerNs];
  const pl = pns && findLink(pns, l.veth.peerName);
  return pns && pl ? { ns: pns, link: pl } : undefined;
}

/**
 * `ip link set DEV up|down`. Brings carrier along (veth: both ends up), attaches the default
 * qdisc on first up, adds IPv4 broadcast/prefix routes for the device's addresses, creates the
 * IPv6 link-local address (EUI-64) once the link is up with carrier, and on down flushes the
 * device's IPv4 routes (except host-scope local routes) and its IPv6 addresses and routes.
 */
export function setLinkUp(host: Host, nsName: string, dev: string, up = true): void {
  const ns = getNs(host, nsName);
  const l = mustLink(ns, dev);
  if (l.up === up) return;
  const wasReady = l.up && l.carrier;
  if (up) {
    if (l.qdisc === 'noop') l.qdisc = defaultQdisc(l.kind);
    l.up = true;
    // inetdev_event(NETDEV_UP): loopback gets 127.0.0.1/8 scope host, whatever else it holds
    // (inet_insert_ifa refuses only the same address and mask again).
    if (l.kind === 'loopback' && !ns.addresses.some((a) => a.dev === l.name && a.family === 4 && a.local === '127.0.0.1' && a.prefixlen === 8)) {
      addAddress(ns, l.name, '127.0.0.1/8', { scope: 'host' });
    }
    const peer = vethPeer(host, l);
    if (l.kind === 'veth') {
      if (peer && peer.link.up) {
        l.carrier = true;
        const peerWasReady = peer.link.up && peer.link.carrier;
        peer.link.carrier = true;
        onLinkStateChange(peer.ns, peer.link, peerWasReady, true);
      }
    }
    onLinkStateChange(ns, l, wasReady, false);
  } else {
    l.up = false;
    const peer = vethPeer(host, l);
    if (l.kind === 'veth') {
      l.carrier = false;
      if (peer) {
        const peerWasReady = peer.link.up && peer.link.carrier;
        peer.link.carrier = false;
        onLinkStateChange(peer.ns, peer.link, peerWasReady, true);
      }
    }
    onLinkStateChange(ns, l, wasReady, false);
  }
}

/** Physical carrier of a device (an ENI being attached, a cable pulled). */
export function setCarrier(host: Host, nsName: string, dev: string, carrier: boolean): void {
  const ns = getNs(host, nsName);
  const l = mustLink(ns, dev);
  if (l.carrier === carrier) return;
  const wasReady = l.up && l.carrier;
  l.carrier = carrier;
  onLinkStateChange(ns, l, wasReady, true);
}

/** Reacts to a change of (admin up, carrier) on `l` as the IPv4 FIB and IPv6 addrconf do. */
function onLinkStateChange(ns: NetNs, l: Link, wasReady: boolean, carrierOnly: boolean): void {
  const ready = l.up && l.carrier;
  if (!l.up) {
    if (!carrierOnly) linkDown(ns, l);
  } else if (!carrierOnly) {
    // NETDEV_UP: IPv4 re-adds broadcast and prefix routes of every address.
    for (const a of ns.addresses.filter((x) => x.dev === l.name && x.family === 4)) addIpv4AddrRoutes(ns, l, a);
    ipv6LinkUp(ns, l);
  }
  if (ready && !wasReady) ipv6LinkReady(ns, l);
  refreshLinkdown(ns);
}

function linkDown(ns: NetNs, l: Link): void {
  delete l.ipv6Ready;
  // fib_sync_down_dev(NETDEV_DOWN): every IPv4 route whose nexthop uses the device dies, except
  // routes of scope host (the local routes of its addresses).
  ns.routes = ns.routes.filter((r) => !(r.family === 4 && r.dev === l.name && r.scope !== 'host'));
  // addrconf_ifdown (keep_addr_on_down=0): IPv6 addresses and routes of the device go away.
  const keep = getSysctl(ns, `net.ipv6.conf.${sysctlDev(l.name)}.keep_addr_on_down`) === '1';
  if (l.kind === 'loopback') {
    ns.addresses = ns.addresses.filter((a) => !(a.family === 6 && a.dev === l.name));
  } else if (!keep) {
    ns.addresses = ns.addresses.filter((a) => !(a.family === 6 && a.dev === l.name));
  } else {
    ns.addresses = ns.addresses.filter((a) => !(a.family === 6 && a.dev === l.name && a.scope === 'link'));
    for (const a of ns.addresses) if (a.family === 6 && a.dev === l.name && !a.flags.includes('tentative')) a.flags.push('tentative');
  }
  ns.routes = ns.routes.filter((r) => !(r.family === 6 && r.dev === l.name));
  // Neighbours on a downed device are flushed (neigh_ifdown), permanent ones included.
  ns.neighbours = ns.neighbours.filter((n) => n.dev !== l.name || n.proxy);
}

function ipv6Disabled(ns: NetNs, dev: string): boolean {
  return getSysctl(ns, `net.ipv6.conf.${sysctlDev(dev)}.disable_ipv6`) === '1';
}

/** DAD runs for this address (so it stays tentative until the link has carrier). */
function dadApplies(ns: NetNs, l: Link, a: Address): boolean {
  if (a.flags.includes('nodad') || l.kind === 'loopback' || l.noarp) return false;
  const v = Number(getSysctl(ns, `net.ipv6.conf.${sysctlDev(l.name)}.accept_dad`) ?? '1');
  const all = Number(getSysctl(ns, 'net.ipv6.conf.all.accept_dad') ?? '0');
  // addrconf_dad_begin: DAD is skipped when both the device's and conf.all's accept_dad < 1.
  return v >= 1 || all >= 1;
}

/**
 * Admin up (NETDEV_UP, addrconf_permanent_addr): prefix routes of the addresses configured
 * while the link was down. No ff00::/8 yet: that comes with carrier or with the next address.
 */
function ipv6LinkUp(ns: NetNs, l: Link): void {
  if (ipv6Disabled(ns, l.name)) return;
  for (const a of ns.addresses.filter((x) => x.dev === l.name && x.family === 6)) addIpv6AddrRoutes(ns, l, a);
}

/** addrconf_add_dev: the device's ff00::/8 multicast route (only possible while it is up). */
function ipv6AddDev(ns: NetNs, l: Link): void {
  if (l.kind === 'loopback' || !l.up || ipv6Disabled(ns, l.name)) return;
  addRouteRaw(ns, { family: 6, table: TABLE_LOCAL, type: 'multicast', dst: 'ff00::/8', dev: l.name, proto: 'kernel', scope: 'universe', metric: 256, pref: 'medium' });
}

/** The link became up with carrier: addrconf_dev_config and DAD completion. */
function ipv6LinkReady(ns: NetNs, l: Link): void {
  const d = sysctlDev(l.name);
  if (ipv6Disabled(ns, l.name)) return;
  l.ipv6Ready = true;
  if (l.kind === 'loopback') {
    if (!ns.addresses.some((a) => a.dev === l.name && a.family === 6 && a.local === '::1')) {
      insertIpv6Address(ns, { dev: l.name, family: 6, local: '::1', prefixlen: 128, scope: 'host', flags: ['permanent'], validLft: 'forever', preferredLft: 'forever' });
    }
  } else {
    ipv6AddDev(ns, l);
    const mode = getSysctl(ns, `net.ipv6.conf.${d}.addr_gen_mode`) ?? '0';
    const hasMac = l.mac !== '00:00:00:00:00:00' && !l.noarp;
    if (mode === '0' && hasMac && !ns.addresses.some((a) => a.dev === l.name && a.family === 6 && a.scope === 'link')) {
      insertIpv6Address(ns, { dev: l.name, family: 6, local: eui64LinkLocal(l.mac), prefixlen: 64, scope: 'link', flags: ['permanent'], validLft: 'forever', preferredLft: 'forever' });
    }
  }
  for (const a of ns.addresses.filter((x) => x.dev === l.name && x.family === 6)) {
    a.flags = a.flags.filter((f) => f !== 'tentative');
    addIpv6AddrRoutes(ns, l, a);
  }
  refreshAnycast(ns);
}

/** Recomputes the "linkdown" flag of every route: nexthop device up but without carrier. */
function refreshLinkdown(ns: NetNs): void {
  for (const r of ns.routes) {
    const l = r.dev ? findLink(ns, r.dev) : undefined;
    const exempt = r.family === 4 ? r.scope === 'host' : r.type === 'local' || r.type === 'anycast';
    const down = !!l && !exempt && !l.carrier;
    const flags = (r.flags ?? []).filter((f) => f !== 'linkdown');
    if (down) flags.push('linkdown');
    if (flags.length) r.flags = flags;
    else delete r.flags;
  }
}

/**
 * Moves a link to another namespace (`ip link set DEV netns NS [name NEW]`): keeps its ifindex
 * unless taken there; addresses and routes through it are removed (the device goes down).
 */
export function moveLink(host: Host, fromNs: string, dev: string, toNs: string, opts: { name?: string } = {}): Link {
  const src = getNs(host, fromNs);
  const dst = getNs(host, toNs);
  const l = mustLink(src, dev);
  const newName = opts.name ?? l.name;
  checkIfname(newName);
  if (findLink(dst, newName)) throw new KubewireError('RTNETLINK answers: File exists');
  if (l.up) setLinkUp(host, fromNs, dev, false);
  // Unregister in the old namespace: everything that referenced the device goes.
  purgeDevice(src, dev);
  src.links = src.links.filter((x) => x !== l);
  dropDevSysctls(src, dev);
  const taken = dst.links.some((x) => x.ifindex === l.ifindex);
  l.ifindex = taken ? allocIfindex(dst) : l.ifindex;
  l.name = newName;
  dst.links.push(l);
  dst.links.sort((a, b) => a.ifindex - b.ifindex);
  initDevSysctls(dst, newName);
  if (l.veth) {
    const peer = vethPeer(host, l);
    if (peer) {
      peer.link.veth = { peerNs: toNs, peerName: newName, peerIfindex: l.ifindex };
      if (peer.ns.name !== toNs) {
        netnsIdFor(peer.ns, toNs);
        netnsIdFor(dst, peer.ns.name);
      }
      l.veth = { ...l.veth };
    }
  }
  return l;
}

function purgeDevice(ns: NetNs, dev: string): void {
  ns.addresses = ns.addresses.filter((a) => a.dev !== dev);
  ns.routes = ns.routes.filter((r) => r.dev !== dev);
  ns.neighbours = ns.neighbours.filter((n) => n.dev !== dev);
  ns.fdb = ns.fdb.filter((f) => f.dev !== dev);
}

/** `ip link del DEV`; deleting one end of a veth deletes the other. */
export function delLink(host: Host, nsName: string, dev: string): void {
  const ns = getNs(host, nsName);
  const l = mustLink(ns, dev);
  if (l.kind === 'loopback') throw new KubewireError('RTNETLINK answers: Operation not supported');
  const peer = vethPeer(host, l);
  if (l.up) setLinkUp(host, nsName, dev, false);
  purgeDevice(ns, dev);
  ns.links = ns.links.filter((x) => x !== l);
  dropDevSysctls(ns, dev);
  if (peer) {
    if (peer.link.up) setLinkUp(host, peer.ns.name, peer.link.name, false);
    purgeDevice(peer.ns, peer.link.name);
    peer.ns.links = peer.ns.links.filter((x) => x !== peer.link);
    dropDevSysctls(peer.ns, peer.link.name);
  }
}

/** `ip link set DEV mtu N address MAC alias TEXT master BR txqueuelen N`. */
export function setLink(host: Host, nsName: string, dev: string, p: { mtu?: number; mac?: string; alias?: string; master?: string | null; txqlen?: number; name?: string }): void {
  const ns = getNs(host, nsName);
  const l = mustLink(ns, dev);
  if (p.mtu !== undefined) {
    if (!Number.isInteger(p.mtu) || p.mtu < 68 || p.mtu > 65535) throw new KubewireError(`Error: mtu less than device minimum.`);
    l.mtu = p.mtu;
  }
  if (p.mac !== undefined) l.mac = normalizeMac(p.mac);
  if (p.alias !== undefined) l.alias = p.alias;
  if (p.txqlen !== undefined) l.txqlen = p.txqlen;
  if (p.master === null) delete l.master;
  else if (p.master !== undefined) {
    const m = mustLink(ns, p.master);
    if (m.kind !== 'bridge') throw new KubewireError('Error: Device can not be enslaved while up.');
    l.master = m.name;
  }
  if (p.name !== undefined && p.name !== l.name) {
    checkIfname(p.name);
    if (l.up) throw new KubewireError('RTNETLINK answers: Device or resource busy');
    if (findLink(ns, p.name)) throw new KubewireError('RTNETLINK answers: File exists');
    const old = l.name;
    const saved = dropDevSysctls(ns, old);
    l.name = p.name;
    for (const [k, v] of Object.entries(saved)) {
      const [fam, sect, ...rest] = k.split('.');
      ns.sysctls[`net.${fam}.${sect}.${sysctlDev(p.name)}.${rest.join('.')}`] = v;
    }
    for (const a of ns.addresses) if (a.dev === old) a.dev = p.name;
    for (const r of ns.routes) if (r.dev === old) r.dev = p.name;
    for (const n of ns.neighbours) if (n.dev === old) n.dev = p.name;
    for (const f of ns.fdb) if (f.dev === old) f.dev = p.name;
    for (const r of ns.rules) {
      if (r.iif === old) r.iif = p.name;
      if (r.oif === old) r.oif = p.name;
    }
    const peer = vethPeer(host, { ...l, name: old });
    if (peer && peer.link.veth) peer.link.veth.peerName = p.name;
  }
}

// ---------------------------------------------------------------------------------------------
// Addresses

/** Numeric scope (rtnetlink RT_SCOPE_*) of a named scope. */
export function scopeNum(s: AddrScope | RouteScope): number {
  if (typeof s === 'number') return s;
  switch (s) {
    case 'global':
    case 'universe':
      return 0;
    case 'site':
      return 200;
    case 'link':
      return 253;
    case 'host':
      return 254;
    case 'nowhere':
      return 255;
  }
}

/** IPv6 source-address scope used to order a device's address list (ipv6_addr_src_scope). */
function v6SrcScope(addr: string): number {
  const p = parseAddr(addr);
  if (!p) return 14;
  const v = p.value;
  if (v === 1n) return 1; // loopback: node-local
  if (v >> 118n === 0x3fan) return 2; // fe80::/10 link-local
  if (v >> 118n === 0x3fbn) return 5; // fec0::/10 site-local
  return 14;
}

function insertIpv6Address(ns: NetNs, a: Address): void {
  // ipv6_link_dev_addr: the list is kept by scope, highest first; a new address goes before the
  // first one of the same or lower scope (so newer addresses of one scope come first).
  const sc = v6SrcScope(a.local);
  const devAddrs = ns.addresses.filter((x) => x.dev === a.dev && x.family === 6);
  const before = devAddrs.find((x) => sc >= v6SrcScope(x.local));
  if (before) ns.addresses.splice(ns.addresses.indexOf(before), 0, a);
  else ns.addresses.push(a);
}

export interface AddAddressOpts {
  scope?: AddrScope;
  /** IPv4 broadcast: an address, or "+" to compute it from the prefix (as `brd +`). */
  broadcast?: string;
  noprefixroute?: boolean;
  label?: string;
  /** IPv6: skip DAD (`nodad`). */
  nodad?: boolean;
  /** Route metric for the prefix route (`metric N`). */
  metric?: number;
}

/**
 * `ip addr add CIDR dev DEV`. Adds the kernel's routes: IPv4 `local` host route (table local),
 * the subnet-directed broadcast route and the connected prefix route (main; type local on lo)
 * once the device is up; IPv6 prefix route (metric 256) and local route once the link is ready.
 */
export function addAddress(ns: NetNs, dev: string, cidr: string, opts: AddAddressOpts = {}): Address {
  const l = mustLink(ns, dev);
  const p = parsePrefix(cidr);
  if (!p) throw new KubewireError(`Error: any valid prefix is expected rather than "${cidr}".`);
  const local = formatAddr(p.family, p.addr);
  if (p.family === 4) {
    if (opts.label !== undefined && opts.label !== dev && !opts.label.startsWith(`${dev}:`)) {
      throw new KubewireError(`"${opts.label}" is not a valid label (must be "${dev}" or start with "${dev}:")`);
    }
    const scope = opts.scope ?? (p.addr >> 24n === 127n ? 'host' : 'global');
    const mine = ns.addresses.filter((a) => a.dev === dev && a.family === 4);
    const mask = maskOf(32, p.len);
    let secondary = false;
    for (const a of mine) {
      const ap = parsePrefix(`${a.local}/${a.prefixlen}`)!;
      if (a.prefixlen === p.len && (ap.addr & mask) === (p.addr & mask)) {
        if (a.local === local) throw new KubewireError('Error: ipv4: Address already assigned.', { exitCode: 2 });
        if (scopeNum(a.scope) !== scopeNum(scope)) throw new KubewireError('Error: ipv4: Invalid scope value.', { exitCode: 2 });
        secondary = true;
      }
    }
    let broadcast: string | undefined;
    if (opts.broadcast === '+') broadcast = p.len < 31 ? formatAddr(4, broadcastOf(p)) : undefined;
    else if (opts.broadcast === '-') broadcast = p.len < 31 ? formatAddr(4, networkOf(p)) : undefined;
    else if (opts.broadcast !== undefined) broadcast = canonicalAddr(opts.broadcast);
    const flags: string[] = [];
    if (secondary) flags.push('secondary');
    if (opts.noprefixroute) flags.push('noprefixroute');
    const a: Address = { dev, family: 4, local, prefixlen: p.len, scope, flags, validLft: 'forever', preferredLft: 'forever' };
    if (broadcast !== undefined) a.broadcast = broadcast;
    if (opts.label !== undefined && opts.label !== dev) a.label = opts.label;
    // __inet_insert_ifa: a primary goes after the last primary of the same or wider scope;
    // a secondary goes to the end of the device's list.
    const devList = ns.addresses.filter((x) => x.dev === dev && x.family === 4);
    let insertAfter: Address | undefined;
    if (secondary) insertAfter = devList[devList.length - 1];
    else {
      for (const x of devList) if (!x.flags.includes('secondary') && scopeNum(scope) <= scopeNum(x.scope)) insertAfter = x;
    }
    if (insertAfter) ns.addresses.splice(ns.addresses.indexOf(insertAfter) + 1, 0, a);
    else {
      const firstOfDev = devList[0];
      if (firstOfDev) ns.addresses.splice(ns.addresses.indexOf(firstOfDev), 0, a);
      else ns.addresses.push(a);
    }
    if (opts.metric !== undefined) a.metric = opts.metric;
    addIpv4AddrRoutes(ns, l, a);
    refreshLinkdown(ns);
    return a;
  }
  // IPv6
  if (ns.addresses.some((a) => a.dev === dev && a.family === 6 && a.local === local)) {
    throw new KubewireError('Error: ipv6: address already assigned.', { exitCode: 2 });
  }
  const v6scope: AddrScope = opts.scope ?? (local === '::1' ? 'host' : v6SrcScope(local) === 2 ? 'link' : 'global');
  // DAD runs once the link has been ready since it came up (IF_READY), even if the carrier has
  // gone again since; before that the address waits, tentative.
  const ready = l.up && (l.carrier || !!l.ipv6Ready);
  const flags: string[] = [];
  if (opts.nodad) flags.push('nodad');
  if (opts.noprefixroute) flags.push('noprefixroute');
  flags.push('permanent');
  const a: Address = { dev, family: 6, local, prefixlen: p.len, scope: v6scope, flags, validLft: 'forever', preferredLft: 'forever' };
  // The model is the settled state: DAD has finished wherever it could run (link with carrier).
  if (!ready && dadApplies(ns, l, a)) flags.push('tentative');
  if (opts.metric !== undefined) a.metric = opts.metric;
  // inet6_addr_add: addrconf_add_dev first (ff00::/8), then the address and its prefix route;
  // route additions through a down device fail silently.
  ipv6AddDev(ns, l);
  insertIpv6Address(ns, a);
  addIpv6AddrRoutes(ns, l, a);
  refreshAnycast(ns);
  refreshLinkdown(ns);
  return a;
}

function primaryFor(ns: NetNs, a: Address): Address {
  if (!a.flags.includes('secondary')) return a;
  const mask = maskOf(32, a.prefixlen);
  const me = parsePrefix(a.local)!.addr & mask;
  return (
    ns.addresses.find(
      (x) => x.dev === a.dev && x.family === 4 && !x.flags.includes('secondary') && x.prefixlen === a.prefixlen && (parsePrefix(x.local)!.addr & mask) === me,
    ) ?? a
  );
}

/** fib_add_ifaddr. */
function addIpv4AddrRoutes(ns: NetNs, l: Link, a: Address): void {
  const prim = primaryFor(ns, a);
  const p = parsePrefix(`${a.local}/${a.prefixlen}`)!;
  addRouteRaw(ns, { family: 4, table: TABLE_LOCAL, type: 'local', dst: `${a.local}/32`, dev: l.name, proto: 'kernel', scope: 'host', src: prim.local });
  if (!l.up) return;
  if (a.broadcast && a.broadcast !== '255.255.255.255') {
    addRouteRaw(ns, { family: 4, table: TABLE_LOCAL, type: 'broadcast', dst: `${a.broadcast}/32`, dev: l.name, proto: 'kernel', scope: 'link', src: prim.local });
  }
  const net = networkOf(p);
  if (net !== 0n && !a.flags.includes('secondary') && (net !== p.addr || a.prefixlen < 32)) {
    if (!a.flags.includes('noprefixroute')) {
      const isLo = l.kind === 'loopback';
      const r: Route = {
        family: 4,
        table: isLo ? TABLE_LOCAL : TABLE_MAIN,
        type: isLo ? 'local' : 'unicast',
        dst: formatPrefix(4, net, a.prefixlen),
        dev: l.name,
        proto: 'kernel',
        scope: isLo ? 'host' : 'link',
        src: prim.local,
      };
      const metric = a.metric;
      if (metric) r.metric = metric;
      addRouteRaw(ns, r);
    }
    // Subnet-directed broadcast (the network address route was dropped in Linux 5.x).
    if (a.prefixlen < 31) {
      addRouteRaw(ns, { family: 4, table: TABLE_LOCAL, type: 'broadcast', dst: `${formatAddr(4, broadcastOf(p))}/32`, dev: l.name, proto: 'kernel', scope: 'link', src: prim.local });
    }
  }
}

function addIpv6AddrRoutes(ns: NetNs, l: Link, a: Address): void {
  if (!l.up) return;
  const p = parsePrefix(`${a.local}/${a.prefixlen}`)!;
  if (a.prefixlen < 128 && !a.flags.includes('noprefixroute')) {
    const metric = a.metric ?? 256;
    addRouteRaw(ns, { family: 6, table: TABLE_MAIN, type: 'unicast', dst: formatPrefix(6, networkOf(p), a.prefixlen), dev: l.name, proto: 'kernel', scope: 'universe', metric, pref: 'medium' });
  }
  // The local route appears once DAD has completed.
  if (a.flags.includes('tentative')) return;
  addRouteRaw(ns, { family: 6, table: TABLE_LOCAL, type: 'local', dst: `${a.local}/128`, dev: l.name, proto: 'kernel', scope: 'universe', metric: 0, pref: 'medium' });
}

/** Subnet-router anycast routes (`anycast PREFIX:: ... table local`) on IPv6-forwarding links. */
function refreshAnycast(ns: NetNs): void {
  const want = new Map<string, Route>();
  for (const a of ns.addresses) {
    if (a.family !== 6 || a.flags.includes('tentative') || a.prefixlen >= 127) continue;
    const l = findLink(ns, a.dev);
    if (!l || l.kind === 'loopback' || !l.up) continue;
    if (getSysctl(ns, `net.ipv6.conf.${sysctlDev(a.dev)}.forwarding`) !== '1') continue;
    const p = parsePrefix(`${a.local}/${a.prefixlen}`)!;
    const dst = `${formatAddr(6, networkOf(p))}/128`;
    want.set(`${a.dev}|${dst}`, { family: 6, table: TABLE_LOCAL, type: 'anycast', dst, dev: a.dev, proto: 'kernel', scope: 'universe', metric: 0, pref: 'medium' });
  }
  ns.routes = ns.routes.filter((r) => !(r.family === 6 && r.type === 'anycast' && r.proto === 'kernel' && !want.has(`${r.dev}|${r.dst}`)));
  for (const [k, r] of want) {
    if (!ns.routes.some((x) => x.family === 6 && x.type === 'anycast' && `${x.dev}|${x.dst}` === k)) addRouteRaw(ns, r);
  }
}

/** `ip addr del CIDR dev DEV`; removes the routes the address brought. */
export function delAddress(ns: NetNs, dev: string, cidr: string): void {
  mustLink(ns, dev);
  const p = parsePrefix(cidr);
  if (!p) throw new KubewireError(`Error: any valid prefix is expected rather than "${cidr}".`);
  const local = formatAddr(p.family, p.addr);
  const hasLen = cidr.includes('/');
  const a = ns.addresses.find((x) => x.dev === dev && x.family === p.family && x.local === local && (!hasLen || x.prefixlen === p.len));
  if (!a) {
    throw new KubewireError(p.family === 4 ? 'Error: ipv4: Address not found.' : 'Error: ipv6: address not found.', { exitCode: 2 });
  }
  const l = mustLink(ns, dev);
  if (p.family === 6) {
    ns.addresses = ns.addresses.filter((x) => x !== a);
    const ap = parsePrefix(`${a.local}/${a.prefixlen}`)!;
    const net = formatPrefix(6, networkOf(ap), a.prefixlen);
    const stillPrefix = ns.addresses.some((x) => x.dev === dev && x.family === 6 && x.prefixlen === a.prefixlen && formatPrefix(6, networkOf(parsePrefix(`${x.local}/${x.prefixlen}`)!), x.prefixlen) === net);
    ns.routes = ns.routes.filter(
      (r) => !(r.family === 6 && r.dev === dev && r.proto === 'kernel' && ((r.type === 'local' && r.dst === `${local}/128`) || (!stillPrefix && r.type === 'unicast' && r.dst === net))),
    );
    refreshAnycast(ns);
    return;
  }
  // IPv4: deleting a primary deletes its secondaries unless promote_secondaries is set.
  const removed: Address[] = [a];
  let promoted: Address | undefined;
  if (!a.flags.includes('secondary')) {
    const mask = maskOf(32, a.prefixlen);
    const net = parsePrefix(a.local)!.addr & mask;
    const secs = ns.addresses.filter((x) => x.dev === dev && x.family === 4 && x.flags.includes('secondary') && x.prefixlen === a.prefixlen && (parsePrefix(x.local)!.addr & mask) === net);
    const promote = getSysctl(ns, `net.ipv4.conf.${sysctlDev(dev)}.promote_secondaries`) === '1' || getSysctl(ns, 'net.ipv4.conf.all.promote_secondaries') === '1';
    if (promote && secs.length) {
      promoted = secs[0];
    } else removed.push(...secs);
  }
  // Secondaries go first (__inet_del_ifa), each while the rest of the list is still there.
  for (const x of [...removed.slice(1), removed[0]]) {
    const prim = primaryFor(ns, x);
    ns.addresses = ns.addresses.filter((y) => y !== x);
    removeIpv4AddrRoutes(ns, x, prim);
  }
  if (promoted) {
    // The promoted secondary becomes primary; its routes are re-added with itself as source.
    promoted.flags = promoted.flags.filter((f) => f !== 'secondary');
    const idx = ns.addresses.indexOf(promoted);
    ns.addresses.splice(idx, 1);
    const devList = ns.addresses.filter((x) => x.dev === dev && x.family === 4);
    let after: Address | undefined;
    for (const x of devList) if (!x.flags.includes('secondary') && scopeNum(promoted.scope) <= scopeNum(x.scope)) after = x;
    if (after) ns.addresses.splice(ns.addresses.indexOf(after) + 1, 0, promoted);
    else if (devList[0]) ns.addresses.splice(ns.addresses.indexOf(devList[0]), 0, promoted);
    else ns.addresses.push(promoted);
    // Other secondaries' local routes point at the new primary.
    for (const x of ns.addresses.filter((y) => y.dev === dev && y.family === 4 && (y === promoted || primaryFor(ns, y) === promoted))) {
      ns.routes = ns.routes.filter((r) => !(r.family === 4 && r.proto === 'kernel' && r.dev === dev && r.type === 'local' && r.dst === `${x.local}/32`));
      addIpv4AddrRoutes(ns, l, x);
    }
  }
  refreshLinkdown(ns);
}

/**
 * fib_del_ifaddr: removes the prefix route, the broadcast routes and the local route an address
 * brought, unless another address of the same device still needs them; when the address is gone
 * from the host entirely, routes using it as preferred source are flushed too.
 */
function removeIpv4AddrRoutes(ns: NetNs, a: Address, prim: Address, iprim?: Address): void {
  const p = parsePrefix(`${a.local}/${a.prefixlen}`)!;
  const mask = maskOf(32, a.prefixlen);
  const addr = p.addr;
  const brd = broadcastOf(p);
  const any = addr & mask;
  const dev = a.dev;
  const del = (type: Route['type'], dst: bigint, len: number, table: number) => {
    const d = `${formatAddr(4, dst)}/${len}`;
    const i = ns.routes.findIndex((r) => r.family === 4 && r.proto === 'kernel' && r.type === type && r.table === table && r.dst === d && r.dev === dev && r.src === prim.local);
    if (i >= 0) ns.routes.splice(i, 1);
  };
  let subnet = false;
  const l = findLink(ns, dev);
  if (!a.flags.includes('secondary') && any !== 0n && (any !== addr || a.prefixlen < 32)) {
    if (!a.flags.includes('noprefixroute')) {
      const isLo = l?.kind === 'loopback';
      const d = formatPrefix(4, any, a.prefixlen);
      const i = ns.routes.findIndex((r) => r.family === 4 && r.proto === 'kernel' && r.type === (isLo ? 'local' : 'unicast') && r.table === (isLo ? TABLE_LOCAL : TABLE_MAIN) && r.dst === d && r.dev === dev && r.src === prim.local);
      if (i >= 0) ns.routes.splice(i, 1);
    }
    subnet = true;
  }
  const u = (x: string | undefined) => (x === undefined ? undefined : parsePrefix(x)!.addr);
  const aBrd = u(a.broadcast);
  let localOk = false;
  let brdOk = aBrd === undefined;
  let brd1Ok = false;
  let brd0Ok = false;
  for (const b of ns.addresses.filter((x) => x.dev === dev && x.family === 4)) {
    if (b === a) continue;
    const bp = parsePrefix(`${b.local}/${b.prefixlen}`)!;
    if (iprim && b.prefixlen === iprim.prefixlen && (bp.addr & maskOf(32, iprim.prefixlen)) === (parsePrefix(iprim.local)!.addr & maskOf(32, iprim.prefixlen))) continue;
    let prim1: Address;
    if (b.flags.includes('secondary')) {
      prim1 = primaryFor(ns, b);
      if (prim1.local !== prim.local) continue;
    } else {
      if (b.local !== prim.local) continue;
      prim1 = b;
    }
    const bBrd = u(b.broadcast);
    if (b.local === a.local) localOk = true;
    if (aBrd !== undefined && bBrd === aBrd) brdOk = true;
    if (bBrd === brd) brd1Ok = true;
    if (bBrd === any) brd0Ok = true;
    if (prim1 === b && b.prefixlen < 31) {
      const brd1 = broadcastOf(bp);
      const any1 = bp.addr & maskOf(32, b.prefixlen);
      if (any1 !== 0n) {
        if (aBrd !== undefined && (aBrd === brd1 || aBrd === any1)) brdOk = true;
        if (brd === brd1 || brd === any1) brd1Ok = true;
        if (any === brd1 || any === any1) brd0Ok = true;
      }
    }
  }
  if (!brdOk && aBrd !== undefined) del('broadcast', aBrd, 32, TABLE_LOCAL);
  if (subnet && a.prefixlen < 31) {
    if (!brd1Ok) del('broadcast', brd, 32, TABLE_LOCAL);
    if (!brd0Ok) del('broadcast', any, 32, TABLE_LOCAL);
  }
  if (!localOk) {
    del('local', addr, 32, TABLE_LOCAL);
    const stillLocal = ns.routes.some((r) => r.family === 4 && r.table === TABLE_LOCAL && r.type === 'local' && r.dst === `${a.local}/32`);
    if (!stillLocal) {
      // fib_sync_down_addr: routes preferring the vanished address as source are flushed.
      ns.routes = ns.routes.filter((r) => !(r.family === 4 && r.src === a.local));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Routes

function routeKey(r: Route): string {
  if (r.family === 4) return `4|${r.table}|${r.dst}|${r.tos ?? 0}|${r.metric ?? 0}`;
  // fib6_add_rt2node: with NLM_F_EXCL any route of the same prefix and metric is a conflict
  // (ECMP siblings come only from `append` or multipath).
  return `6|${r.table}|${r.dst}|${r.metric ?? 1024}`;
}

/**
 * Adds a kernel-made route. Like fib_magic (NLM_F_APPEND) an identical route is not added
 * twice, but the same prefix through another device is appended (two ENIs in one subnet).
 */
function addRouteRaw(ns: NetNs, r: Route): void {
  const k = `${routeKey(r)}|${r.type}|${r.dev ?? ''}|${r.src ?? ''}`;
  if (ns.routes.some((x) => `${routeKey(x)}|${x.type}|${x.dev ?? ''}|${x.src ?? ''}` === k)) return;
  ensureTable(ns, r.family, r.table);
  ns.routes.push(r);
}

export interface RouteSpec extends Partial<Route> {
  dst: string;
}

function linkReadyForRoutes(l: Link): boolean {
  return l.up;
}

/**
 * `ip [-6] route add`. Fills in what the kernel does (table main, proto boot, scope from type
 * and gateway, IPv6 metric 1024 and pref medium) and validates like fib_check_nh:
 * the gateway must be reachable via a scope-link route (unless onlink), the device must be up.
 */
export function addRoute(ns: NetNs, spec: RouteSpec): Route {
  const r = withTableOnKernelError(ns, spec, () => normalizeRoute(ns, spec, 'add'));
  const k = routeKey(r);
  if (ns.routes.some((x) => routeKey(x) === k)) throw new KubewireError('RTNETLINK answers: File exists', { exitCode: 2 });
  ensureTable(ns, r.family, r.table);
  ns.routes.push(r);
  refreshLinkdown(ns);
  return r;
}

/** `ip route replace`: like add, but an existing route with the same key is replaced. */
export function replaceRoute(ns: NetNs, spec: RouteSpec): Route {
  const r = withTableOnKernelError(ns, spec, () => normalizeRoute(ns, spec, 'add'));
  const k = routeKey(r);
  const i = ns.routes.findIndex((x) => (r.family === 4 ? routeKey(x) === k : x.family === 6 && x.table === r.table && x.dst === r.dst && (x.metric ?? 1024) === (r.metric ?? 1024)));
  ensureTable(ns, r.family, r.table);
  if (i >= 0) ns.routes[i] = r;
  else ns.routes.push(r);
  refreshLinkdown(ns);
  return r;
}

/**
 * inet_rtm_newroute creates the IPv4 table before it validates the nexthop, so a rejected
 * route still leaves its table behind (iproute2-side errors such as an unknown device do not).
 */
function withTableOnKernelError(ns: NetNs, spec: RouteSpec, fn: () => Route): Route {
  try {
    return fn();
  } catch (e) {
    if (e instanceof KubewireError && e.exitCode === 2) {
      const fam = spec.family ?? (spec.dst === 'default' ? (spec.via ? parseAddr(spec.via)?.family : 4) : parsePrefix(spec.dst)?.family);
      if (fam === 4) {
        const type = spec.type ?? 'unicast';
        ensureTable(ns, 4, spec.table ?? (type === 'local' || type === 'broadcast' || type === 'nat' || type === 'anycast' ? TABLE_LOCAL : TABLE_MAIN));
      }
    }
    throw e;
  }
}

function normalizeRoute(ns: NetNs, spec: RouteSpec, op: 'add' | 'del'): Route {
  const fam: Family | undefined = spec.family ?? (spec.dst === 'default' ? (spec.via ? (parseAddr(spec.via)?.family ?? 4) : 4) : undefined);
  const d = canonicalDst(spec.dst, fam);
  const family = d.family;
  const type = spec.type ?? 'unicast';
  const table = spec.table ?? (type === 'local' || type === 'broadcast' || type === 'nat' || type === 'anycast' ? TABLE_LOCAL : TABLE_MAIN);
  const r: Route = { family, table, type, dst: d.dst, proto: spec.proto ?? 'boot', scope: 'universe' };
  if (spec.tos !== undefined) r.tos = spec.tos;
  if (spec.metric !== undefined && !(family === 4 && spec.metric === 0)) r.metric = spec.metric;
  if (family === 6) {
    r.metric = spec.metric ?? 1024;
    r.pref = spec.pref ?? 'medium';
  }
  if (spec.mtu !== undefined) r.mtu = spec.mtu;
  if (spec.src !== undefined) {
    const s = parseAddr(spec.src);
    if (!s || s.family !== family) throw new KubewireError(`Error: inet prefix is expected rather than "${spec.src}".`);
    r.src = formatAddr(family, s.value);
  }
  let dev: Link | undefined;
  if (spec.dev !== undefined) {
    dev = findLink(ns, spec.dev);
    if (!dev) throw new KubewireError(`Cannot find device "${spec.dev}"`);
    r.dev = dev.name;
  }
  if (spec.via !== undefined) {
    const g = parseAddr(spec.via);
    if (!g) throw new KubewireError(`Error: inet address is expected rather than "${spec.via}".`);
    if (g.family !== family && family === 4) throw new KubewireError('Error: Gateway family mismatch.');
    r.via = formatAddr(g.family, g.value);
  }
  if (spec.onlink) r.onlink = true;
  const isUnicastLike = type === 'unicast' || type === 'local' || type === 'broadcast' || type === 'anycast' || type === 'multicast';
  // Scope defaults as iproute2 computes them (ip route add): host for local, link for
  // broadcast/multicast/anycast and for unicast without gateway, universe otherwise.
  if (spec.scope !== undefined) r.scope = spec.scope;
  else if (family === 4) {
    if (type === 'local' || type === 'nat') r.scope = 'host';
    else if (type === 'broadcast' || type === 'multicast' || type === 'anycast') r.scope = 'link';
    else if (type === 'unicast' && !r.via) r.scope = 'link';
  }
  if (op === 'del') return r;
  if (family === 4 && !isUnicastLike) {
    // blackhole/unreachable/prohibit/throw: no nexthop allowed.
    if (r.via || r.dev) throw new KubewireError('Error: Gateway, device and multipath can not be specified for this route type.', { exitCode: 2 });
    return r;
  }
  if (family === 6 && !isUnicastLike) return r;
  if (!r.via && !dev) throw new KubewireError('RTNETLINK answers: No such device', { exitCode: 2 });
  if (family === 4) checkNhV4(ns, r, dev);
  else checkNhV6(ns, r, dev);
  return r;
}

function checkNhV4(ns: NetNs, r: Route, dev: Link | undefined): void {
  if (!r.via) {
    if (!dev) throw new KubewireError('Error: Device for nexthop is not up.', { exitCode: 2 });
    if (!linkReadyForRoutes(dev)) throw new KubewireError('Error: Device for nexthop is not up.', { exitCode: 2 });
    return;
  }
  const gw = parseAddr(r.via)!;
  if (r.onlink) {
    if (!dev) throw new KubewireError('Error: Nexthop device required for onlink.', { exitCode: 2 });
    if (!dev.up) throw new KubewireError('Error: Nexthop device is not up.', { exitCode: 2 });
    const t = addrType4(ns, r.table, gw.value);
    if (t !== 'unicast') throw new KubewireError('Error: Nexthop has invalid gateway.', { exitCode: 2 });
    return;
  }
  // fib_check_nh_v4_gw: look the gateway up with scope >= link (only connected or local routes),
  // in the route's table first, then through the policy rules.
  const res = gatewayLookup4(ns, r.via, dev?.name, r.table, fibTables(ns, 4));
  if (!res || (res.type !== 'unicast' && res.type !== 'local')) throw new KubewireError('Error: Nexthop has invalid gateway.', { exitCode: 2 });
  const nhDev = res.dev ? findLink(ns, res.dev) : undefined;
  if (!dev) {
    if (!nhDev) throw new KubewireError('Error: Nexthop has invalid gateway.', { exitCode: 2 });
    r.dev = nhDev.name;
    dev = nhDev;
  }
  if (!dev.up) throw new KubewireError('Error: Nexthop device is not up.', { exitCode: 2 });
}

function checkNhV6(ns: NetNs, r: Route, dev: Link | undefined): void {
  // fib6_nh_init: after the gateway checks, the nexthop device must be up.
  const devUp = (d: Link | undefined) => {
    if (d && !d.up) throw new KubewireError('Error: Nexthop device is not up.', { exitCode: 2 });
  };
  if (!r.via) {
    if (!dev) throw new KubewireError('Error: Nexthop has invalid gateway.', { exitCode: 2 });
    devUp(dev);
    return;
  }
  const gw = parseAddr(r.via)!;
  if (gw.family !== 6) {
    // RFC 5549 style IPv4 nexthop for an IPv6 route.
    if (!dev) throw new KubewireError('Error: Nexthop has invalid gateway.', { exitCode: 2 });
    return;
  }
  const isLinkLocal = gw.value >> 118n === 0x3fan;
  if (isLinkLocal || r.onlink) {
    if (!dev) throw new KubewireError(isLinkLocal ? 'Error: Egress device not specified.' : 'Error: Nexthop device required for onlink.', { exitCode: 2 });
    devUp(dev);
    return;
  }
  if (ns.addresses.some((a) => a.family === 6 && a.local === r.via)) throw new KubewireError('Error: Gateway can not be a local address.', { exitCode: 2 });
  const hit = ns.routes
    .filter((x) => x.family === 6 && x.table === TABLE_MAIN && !x.via && x.dev && (!dev || x.dev === dev.name) && x.type === 'unicast')
    .filter((x) => x.dst === 'default' || prefixContains(parsePrefix(x.dst)!, gw.value))
    .sort((a, b) => dstLen(b.dst) - dstLen(a.dst))[0];
  if (!hit) throw new KubewireError('RTNETLINK answers: No route to host', { exitCode: 2 });
  if (!dev) r.dev = hit.dev;
  devUp(dev ?? (hit.dev ? findLink(ns, hit.dev) : undefined));
}

function dstLen(dst: string): number {
  if (dst === 'default') return 0;
  return Number(dst.slice(dst.indexOf('/') + 1));
}

function routeMatches(r: Route, addr: bigint): boolean {
  if (r.dst === 'default') return true;
  const p = parsePrefix(r.dst);
  return !!p && p.family === r.family && prefixContains(p, addr);
}

/** Type of an IPv4 address as fib_addr_type sees it in the given table context. */
function addrType4(ns: NetNs, _table: number, addr: bigint): string {
  const local = ns.routes.find((x) => x.family === 4 && x.table === TABLE_LOCAL && (x.type === 'local' || x.type === 'broadcast') && routeMatches(x, addr) && dstLen(x.dst) === 32);
  if (local) return local.type;
  if (addr === 0xffffffffn || addr >> 28n === 0xen) return addr === 0xffffffffn ? 'broadcast' : 'multicast';
  return 'unicast';
}

/** `ip route del`: matches on the given fields like the kernel (dst, table, tos, metric; gateway/dev if given). */
export function delRoute(ns: NetNs, spec: RouteSpec): void {
  const r = normalizeRoute(ns, spec, 'del');
  if (!fibTables(ns, r.family).includes(r.table)) throw new KubewireError('Error: FIB table does not exist.', { exitCode: 2 });
  // fib_table_delete walks the aliases of the prefix in their order (TOS as given, 0 when not;
  // lowest metric first) and removes the first that matches every given attribute.
  const order = (x: Route) => ns.routes.indexOf(x);
  const cands = ns.routes
    .filter((x) => x.family === r.family && x.table === r.table && x.dst === r.dst)
    .sort((a, b) => (a.metric ?? (r.family === 6 ? 1024 : 0)) - (b.metric ?? (r.family === 6 ? 1024 : 0)) || order(a) - order(b));
  const hit = cands.find(
    (x) =>
      (spec.type === undefined || x.type === r.type) &&
      (r.family === 6 || (x.tos ?? 0) === (spec.tos ?? 0)) &&
      (spec.metric === undefined || (x.metric ?? (r.family === 6 ? 1024 : 0)) === spec.metric) &&
      (spec.via === undefined || x.via === r.via) &&
      (spec.dev === undefined || x.dev === r.dev) &&
      (spec.proto === undefined || x.proto === spec.proto) &&
      (spec.scope === undefined || x.scope === spec.scope) &&
      (spec.src === undefined || x.src === r.src),
  );
  if (!hit) throw new KubewireError('RTNETLINK answers: No such process', { exitCode: 2 });
  ns.routes.splice(ns.routes.indexOf(hit), 1);
}

// ---------------------------------------------------------------------------------------------
// Rules

function canonRuleSel(v: string | undefined, family: Family): string | undefined {
  if (v === undefined || v === 'all' || v === 'any' || v === 'default') return undefined;
  const d = canonicalDst(v.includes('/') ? v : `${v}/${family === 4 ? 32 : 128}`, family);
  return d.dst === 'default' ? undefined : d.dst;
}

/**
 * `ip [-6] rule add`. Without a priority the kernel uses (priority of the second rule) − 1,
 * i.e. 32765, 32764, ... A rule goes after existing rules of the same priority.
 */
export function addRule(ns: NetNs, spec: Partial<Rule>): Rule {
  const family: Family = spec.family ?? (familyOfSel(spec.from) ?? familyOfSel(spec.to) ?? 4);
  const list = ns.rules.filter((x) => x.family === family);
  let priority = spec.priority;
  if (priority === undefined) {
    priority = list.length >= 2 && list[1].priority > 0 ? list[1].priority - 1 : 0;
  }
  const r: Rule = { family, priority };
  if (spec.not) r.not = true;
  const from = canonRuleSel(spec.from, family);
  const to = canonRuleSel(spec.to, family);
  if (from) r.from = from;
  if (to) r.to = to;
  if (spec.iif) r.iif = spec.iif;
  if (spec.oif) r.oif = spec.oif;
  if (spec.fwmark !== undefined) r.fwmark = spec.fwmark;
  if (spec.fwmask !== undefined) r.fwmask = spec.fwmask;
  if (spec.tos !== undefined) r.tos = spec.tos;
  r.action = spec.action ?? 'table';
  if (r.action === 'table') r.table = spec.table ?? TABLE_MAIN;
  if (spec.gotoPriority !== undefined) r.gotoPriority = spec.gotoPriority;
  if (spec.suppressPrefixlength !== undefined) r.suppressPrefixlength = spec.suppressPrefixlength;
  if (spec.protocol !== undefined) r.protocol = spec.protocol;
  const same = (a: Rule) => JSON.stringify({ ...a, protocol: undefined }) === JSON.stringify({ ...r, protocol: undefined });
  if (ns.rules.some(same)) throw new KubewireError('RTNETLINK answers: File exists', { exitCode: 2 });
  // Insert after the last rule of this family with priority <= new priority.
  let at = -1;
  for (let i = 0; i < ns.rules.length; i++) if (ns.rules[i].family === family && ns.rules[i].priority <= priority) at = i;
  if (at < 0) {
    const first = ns.rules.findIndex((x) => x.family === family);
    ns.rules.splice(first < 0 ? ns.rules.length : first, 0, r);
  } else ns.rules.splice(at + 1, 0, r);
  return r;
}

function familyOfSel(v: string | undefined): Family | undefined {
  if (!v || v === 'all') return undefined;
  const s = v.includes('/') ? v.slice(0, v.indexOf('/')) : v;
  return parseAddr(s)?.family;
}

/** `ip rule del`: removes the first rule matching every given selector. */
export function delRule(ns: NetNs, spec: Partial<Rule>): void {
  const family: Family = spec.family ?? (familyOfSel(spec.from) ?? familyOfSel(spec.to) ?? 4);
  const from = spec.from === undefined ? undefined : canonRuleSel(spec.from, family) ?? 'all';
  const to = spec.to === undefined ? undefined : canonRuleSel(spec.to, family) ?? 'all';
  const i = ns.rules.findIndex(
    (x) =>
      x.family === family &&
      (spec.priority === undefined || x.priority === spec.priority) &&
      (from === undefined || (x.from ?? 'all') === from) &&
      (to === undefined || (x.to ?? 'all') === to) &&
      (spec.table === undefined || x.table === spec.table) &&
      (spec.iif === undefined || x.iif === spec.iif) &&
      (spec.oif === undefined || x.oif === spec.oif) &&
      (spec.fwmark === undefined || x.fwmark === spec.fwmark),
  );
  if (i < 0) throw new KubewireError('RTNETLINK answers: No such file or directory', { exitCode: 2 });
  ns.rules.splice(i, 1);
}

// ---------------------------------------------------------------------------------------------
// Neighbours and FDB

/** `ip neigh add|replace ADDR lladdr MAC dev DEV nud STATE` (default nud permanent). */
export function addNeighbour(ns: NetNs, n: { dst: string; dev: string; lladdr?: string; state?: NeighState; router?: boolean; proxy?: boolean }, opts: { replace?: boolean } = {}): Neighbour {
  mustLink(ns, n.dev);
  const a = parseAddr(n.dst);
  if (!a) throw new KubewireError(`Error: inet address is expected rather than "${n.dst}".`);
  const dst = formatAddr(a.family, a.value);
  const e: Neighbour = { family: a.family, dst, dev: n.dev, state: n.state ?? 'PERMANENT' };
  if (n.lladdr !== undefined) e.lladdr = normalizeMac(n.lladdr);
  if (n.router) e.router = true;
  if (n.proxy) e.proxy = true;
  const i = ns.neighbours.findIndex((x) => x.family === e.family && x.dst === dst && x.dev === n.dev && !!x.proxy === !!n.proxy);
  if (i >= 0) {
    if (!opts.replace) throw new KubewireError('RTNETLINK answers: File exists', { exitCode: 2 });
    ns.neighbours[i] = e;
  } else ns.neighbours.push(e);
  return e;
}

export function delNeighbour(ns: NetNs, n: { dst: string; dev: string; proxy?: boolean }): void {
  const dst = canonicalAddr(n.dst);
  const i = ns.neighbours.findIndex((x) => x.dst === dst && x.dev === n.dev && !!x.proxy === !!n.proxy);
  if (i < 0) throw new KubewireError('RTNETLINK answers: No such file or directory', { exitCode: 2 });
  ns.neighbours.splice(i, 1);
}

/** `bridge fdb add|append MAC dev DEV dst IP self permanent` (vxlan remote entries). */
export function addFdb(ns: NetNs, e: Partial<FdbEntry> & { mac: string; dev: string }, opts: { append?: boolean; replace?: boolean } = {}): FdbEntry {
  const l = mustLink(ns, e.dev);
  const entry: FdbEntry = { mac: normalizeMac(e.mac), dev: l.name, self: e.self ?? true, permanent: e.permanent ?? true };
  if (e.dst !== undefined) entry.dst = canonicalAddr(e.dst);
  if (e.vlan !== undefined) entry.vlan = e.vlan;
  if (e.master !== undefined) entry.master = e.master;
  if (e.state !== undefined) entry.state = e.state;
  if (e.port !== undefined) entry.port = e.port;
  if (e.vni !== undefined) entry.vni = e.vni;
  if (e.via !== undefined) entry.via = e.via;
  if (l.kind === 'vxlan' && !entry.dst && entry.mac !== '00:00:00:00:00:00') {
    // A vxlan FDB entry needs a remote.
    throw new KubewireError('RTNETLINK answers: Invalid argument', { exitCode: 2 });
  }
  const i = ns.fdb.findIndex((x) => x.mac === entry.mac && x.dev === entry.dev && (x.vlan ?? 0) === (entry.vlan ?? 0));
  if (i >= 0) {
    if (opts.replace) ns.fdb[i] = entry;
    else if (opts.append && l.kind === 'vxlan') {
      if (ns.fdb.some((x) => x.mac === entry.mac && x.dev === entry.dev && x.dst === entry.dst)) throw new KubewireError('RTNETLINK answers: File exists', { exitCode: 2 });
      ns.fdb.push(entry);
    } else throw new KubewireError('RTNETLINK answers: File exists', { exitCode: 2 });
  } else ns.fdb.push(entry);
  return entry;
}

export function delFdb(ns: NetNs, e: { mac: string; dev: string; dst?: string }): void {
  const mac = normalizeMac(e.mac);
  const dst = e.dst === undefined ? undefined : canonicalAddr(e.dst);
  const i = ns.fdb.findIndex((x) => x.mac === mac && x.dev === e.dev && (dst === undefined || x.dst === dst));
  if (i < 0) throw new KubewireError('RTNETLINK answers: No such file or directory', { exitCode: 2 });
  ns.fdb.splice(i, 1);
}
