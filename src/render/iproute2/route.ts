// `ip route`, `ip -6 route`, `ip route show table N|local|main|all`, `ip rule`, `ip neigh`,
// `bridge fdb show`: iproute2 6.1 text in the kernel's dump order.
//
// Dump order (Linux 6.x):
// - tables in hash-bucket order (id & 255), newest table first inside a bucket;
// - IPv4 in a table: FIB trie order, i.e. by network address; at one address, longer prefixes
//   first, then higher TOS, then lower metric, then insertion order;
// - IPv6 in a table: post-order walk of the fib6 radix tree (a more specific prefix before the
//   prefix containing it, bit 0 before bit 1), routes of one prefix by metric, then insertion.

import { parsePrefix, maskOf } from '../../node-state/addr.ts';
import { fibTables } from '../../node-state/ops.ts';
import type { FdbEntry, Host, NetNs, Route, Rule } from '../../node-state/types.ts';
import { protoName, scopeName, scopeNum, tableName } from './common.ts';

export interface RouteFilter {
  /** Address family; undefined = both (only `table all` lists both without -4/-6). */
  family?: 4 | 6;
  /** A table id, or 'all' (0). Default main. */
  table?: number | 'all';
  dev?: string;
  proto?: string;
  scope?: string;
  type?: string;
  /** `ip route show [exact] PREFIX`: routes to exactly this prefix. */
  exact?: string;
  /** `ip route show root PREFIX`: routes inside PREFIX (as long or longer). */
  root?: string;
  /** `ip route show match PREFIX`: routes covering PREFIX (as long or shorter). */
  match?: string;
}

function dstNet(r: Route): { net: bigint; len: number; bits: number } {
  const bits = r.family === 4 ? 32 : 128;
  if (r.dst === 'default') return { net: 0n, len: 0, bits };
  const p = parsePrefix(r.dst)!;
  return { net: p.addr & maskOf(p.bits, p.len), len: p.len, bits };
}

function cmpV4(a: Route, b: Route): number {
  const da = dstNet(a);
  const db = dstNet(b);
  if (da.net !== db.net) return da.net < db.net ? -1 : 1;
  if (da.len !== db.len) return db.len - da.len;
  if ((a.tos ?? 0) !== (b.tos ?? 0)) return (b.tos ?? 0) - (a.tos ?? 0);
  return (a.metric ?? 0) - (b.metric ?? 0);
}

function bitAt(v: bigint, i: number, bits: number): number {
  return Number((v >> BigInt(bits - 1 - i)) & 1n);
}

function cmpV6(a: Route, b: Route): number {
  const da = dstNet(a);
  const db = dstNet(b);
  const m = Math.min(da.len, db.len);
  for (let i = 0; i < m; i++) {
    const x = bitAt(da.net, i, 128);
    const y = bitAt(db.net, i, 128);
    if (x !== y) return x - y;
  }
  if (da.len !== db.len) return db.len - da.len;
  return (a.metric ?? 1024) - (b.metric ?? 1024);
}

/** Tables in the order the kernel dumps them. */
export function tableOrderFor(ns: NetNs, family: 4 | 6): number[] {
  const seen: number[] = [];
  for (const r of ns.routes) if (r.family === family && !seen.includes(r.table)) seen.push(r.table);
  // Newer tables go to the head of their hash bucket.
  const created = fibTables(ns, family);
  return seen.sort((a, b) => {
    const ha = a & 255;
    const hb = b & 255;
    if (ha !== hb) return ha - hb;
    return created.indexOf(b) - created.indexOf(a);
  });
}

export function sortedTableRoutes(ns: NetNs, family: 4 | 6, table: number): Route[] {
  const rs = ns.routes.filter((r) => r.family === family && r.table === table);
  // Array.prototype.sort is stable, so insertion order breaks ties.
  return rs.sort(family === 4 ? cmpV4 : cmpV6);
}

function dstText(r: Route): string {
  if (r.dst === 'default') return 'default';
  const slash = r.dst.indexOf('/');
  const len = Number(r.dst.slice(slash + 1));
  const host = r.family === 4 ? 32 : 128;
  return len === host ? r.dst.slice(0, slash) : r.dst;
}

/** One route line (print_route). */
export function routeLine(r: Route, f: { showTable: boolean; hideDev: boolean; hideProto?: boolean; hideScope?: boolean }): string {
  let s = '';
  if (r.type !== 'unicast') s += `${r.type} `;
  s += `${dstText(r)} `;
  if (r.tos) s += `tos 0x${r.tos.toString(16)} `;
  if (r.via) s += `via ${r.family === 6 && !r.via.includes(':') ? `inet ${r.via}` : r.via} `;
  if (r.dev && !f.hideDev) s += `dev ${r.dev} `;
  if (f.showTable && r.table !== 254) s += `table ${tableName(r.table)} `;
  // A selector given on the command line is not repeated in the output.
  if (r.proto !== 'boot' && !f.hideProto) s += `proto ${protoName(r.proto)} `;
  if (scopeNum(r.scope) !== 0 && !f.hideScope) s += `scope ${scopeName(r.scope)} `;
  if (r.src) s += `src ${r.src} `;
  if (r.metric !== undefined && !(r.family === 4 && r.metric === 0)) s += `metric ${r.metric} `;
  for (const fl of ['dead', 'onlink', 'pervasive', 'offload', 'trap', 'notify', 'linkdown', 'unresolved']) {
    if (fl === 'onlink' ? r.onlink : (r.flags ?? []).includes(fl)) s += `${fl} `;
  }
  if (r.mtu !== undefined) s += `mtu ${r.mtu} `;
  if (r.family === 6) s += `pref ${r.pref ?? 'medium'}`;
  return s + '\n';
}

export function matchesRouteFilter(r: Route, f: RouteFilter): boolean {
  if (f.dev !== undefined && r.dev !== f.dev) return false;
  if (f.proto !== undefined && protoName(r.proto) !== f.proto) return false;
  if (f.scope !== undefined && scopeName(r.scope) !== f.scope) return false;
  if (f.type !== undefined && r.type !== f.type) return false;
  if (f.exact !== undefined && r.dst !== f.exact) return false;
  if (f.root !== undefined || f.match !== undefined) {
    const d = dstNet(r);
    const sel = f.root ?? f.match!;
    const p = sel === 'default' ? { addr: 0n, len: 0, bits: d.bits as 32 | 128 } : parsePrefix(sel);
    if (!p || p.bits !== d.bits) return false;
    const net = p.addr & maskOf(p.bits, p.len);
    if (f.root !== undefined) return d.len >= p.len && (d.net & maskOf(p.bits, p.len)) === net;
    return d.len <= p.len && (net & maskOf(p.bits, d.len)) === d.net;
  }
  return true;
}

/** `ip [-4|-6] route [show] [table T] [dev D] [proto P] [scope S] [type T]`. */
export function renderRoutes(ns: NetNs, f: RouteFilter = {}): string {
  const table = f.table ?? 254;
  const families: Array<4 | 6> = f.family ? [f.family] : table === 'all' ? [4, 6] : [4];
  let out = '';
  for (const fam of families) {
    const tables = table === 'all' ? tableOrderFor(ns, fam) : [table];
    for (const t of tables) {
      for (const r of sortedTableRoutes(ns, fam, t)) {
        if (!matchesRouteFilter(r, f)) continue;
        // iproute2 hides the routing cache-like kernel routes of type other than unicast only
        // when a type filter says so; `ip route show table main` lists everything in main.
        out += routeLine(r, { showTable: table === 'all', hideDev: f.dev !== undefined, hideProto: f.proto !== undefined, hideScope: f.scope !== undefined });
      }
    }
  }
  return out;
}

/** `ip [-6] rule [list|show]`. */
export function renderRules(ns: NetNs, family: 4 | 6 = 4): string {
  let out = '';
  const rules = ns.rules.filter((r) => r.family === family);
  const exists = (d: string) => ns.links.some((l) => l.name === d);
  for (const r of rules) out += ruleLine(r, exists) + '\n';
  return out;
}

/** One `ip rule` line; `devExists` marks iif/oif devices that are gone as "[detached]". */
export function ruleLine(r: Rule, devExists: (dev: string) => boolean = () => true): string {
  let s = `${r.priority}:\t`;
  if (r.not) s += 'not ';
  s += `from ${selText(r.from, r.family)}`;
  if (r.to) s += ` to ${selText(r.to, r.family)}`;
  if (r.tos) s += ` tos 0x${r.tos.toString(16)}`;
  if (r.fwmark !== undefined || r.fwmask !== undefined) {
    s += ` fwmark 0x${(r.fwmark ?? 0).toString(16)}`;
    if (r.fwmask !== undefined && r.fwmask !== 0xffffffff) s += `/0x${r.fwmask.toString(16)}`;
  }
  if (r.iif) s += ` iif ${r.iif}${devExists(r.iif) ? '' : ' [detached]'}`;
  if (r.oif) s += ` oif ${r.oif}${devExists(r.oif) ? '' : ' [detached]'}`;
  const action = r.action ?? 'table';
  if (action === 'table') s += ` lookup ${tableName(r.table ?? 254)}`;
  else if (action === 'goto') s += ` goto ${r.gotoPriority}`;
  else if (action === 'nop') s += ' nop';
  else s += ` ${action}`;
  if (r.suppressPrefixlength !== undefined) s += ` suppress_prefixlength ${r.suppressPrefixlength}`;
  if (r.protocol !== undefined && protoName(r.protocol) !== 'boot' && protoName(r.protocol) !== 'unspec') s += ` proto ${protoName(r.protocol)}`;
  return s;
}

function selText(v: string | undefined, family: 4 | 6): string {
  if (!v) return 'all';
  const host = family === 4 ? '/32' : '/128';
  return v.endsWith(host) ? v.slice(0, -host.length) : v;
}

/** `ip [-4|-6] neigh [show] [dev D] [proxy]`. */
export function renderNeighbours(ns: NetNs, f: { family?: 4 | 6; dev?: string; proxy?: boolean } = {}): string {
  let out = '';
  // The kernel dumps its neighbour hash table (random hash seed); IPv4 before IPv6. Here:
  // insertion order. Compare sorted when checking against a real kernel.
  const fams: Array<4 | 6> = f.family ? [f.family] : [4, 6];
  for (const fam of fams) {
    for (const n of ns.neighbours) {
      if (n.family !== fam || !!n.proxy !== !!f.proxy) continue;
      if (f.dev !== undefined && n.dev !== f.dev) continue;
      let s = `${n.dst} `;
      if (f.dev === undefined) s += `dev ${n.dev} `;
      if (n.proxy) {
        out += `${s}proxy \n`;
        continue;
      }
      if (n.lladdr) s += `lladdr ${n.lladdr} `;
      if (n.router) s += 'router ';
      s += `${n.state} `;
      out += s + '\n';
    }
  }
  return out;
}

/** `bridge fdb show [dev D]`: vxlan entries and the multicast addresses of every device. */
export function renderFdb(host: Host | undefined, ns: NetNs, f: { dev?: string } = {}): string {
  let out = '';
  for (const l of [...ns.links].sort((a, b) => a.ifindex - b.ifindex)) {
    if (f.dev !== undefined && l.name !== f.dev) continue;
    const devPart = f.dev === undefined ? `dev ${l.name} ` : '';
    if (l.kind === 'vxlan') {
      // vxlan dumps only its own table; Linux >= 6.16 keeps it in a list, newest first
      // (older kernels dump hash buckets).
      const entries = ns.fdb.filter((e) => e.dev === l.name);
      for (const e of [...entries].reverse()) out += fdbLine(e, devPart);
      continue;
    }
    if (l.kind === 'loopback') continue;
    for (const mac of multicastMacs(ns, l.name)) out += `${mac} ${devPart}self permanent\n`;
    for (const e of ns.fdb.filter((x) => x.dev === l.name)) out += fdbLine(e, devPart);
  }
  void host;
  return out;
}

function fdbLine(e: FdbEntry, devPart: string): string {
  let s = `${e.mac} ${devPart}`;
  if (e.vlan !== undefined) s += `vlan ${e.vlan} `;
  if (e.dst) s += `dst ${e.dst} `;
  if (e.port !== undefined) s += `port ${e.port} `;
  if (e.vni !== undefined) s += `vni ${e.vni} `;
  if (e.via) s += `via ${e.via} `;
  if (e.self) s += 'self ';
  if (e.master) s += `master ${e.master} `;
  s += e.permanent ? 'permanent' : e.state === 'static' ? 'static' : '';
  return s.trimEnd() + '\n';
}

/**
 * The device's multicast list (dev->mc) as ndo_dflt_fdb_dump shows it: all-nodes (joined when
 * IPv6 initialises the device), all-hosts 224.0.0.1 once up, all-routers when IPv6 forwarding,
 * and the solicited-node group of each IPv6 address.
 */
export function multicastMacs(ns: NetNs, dev: string): string[] {
  const l = ns.links.find((x) => x.name === dev);
  if (!l) return [];
  const out: string[] = ['33:33:00:00:00:01'];
  if (l.up) out.push('01:00:5e:00:00:01');
  const fwd = ns.sysctls[`net.ipv6.conf.${dev.replace(/\./g, '/')}.forwarding`] === '1';
  if (fwd && l.up) out.push('33:33:00:00:00:02');
  const v6 = ns.addresses.filter((a) => a.dev === dev && a.family === 6);
  // Addresses are joined in the order they were configured; the model keeps IPv6 addresses
  // newest-first per scope, so walk them in reverse. Subnet-router anycast addresses (IPv6
  // forwarding) join their solicited-node group too. The kernel's list is in join order, which
  // depends on history (links going down and up); this is the order of a monotonic history.
  const groups: bigint[] = [];
  for (const a of [...v6].reverse()) {
    const p = parsePrefix(a.local);
    if (p) groups.push(p.addr);
  }
  for (const r of ns.routes) {
    if (r.family === 6 && r.type === 'anycast' && r.dev === dev) {
      const p = parsePrefix(r.dst);
      if (p) groups.push(p.addr);
    }
  }
  for (const g of groups) {
    const low = g & 0xffffffn;
    const mac = `33:33:ff:${[(low >> 16n) & 255n, (low >> 8n) & 255n, low & 255n].map((x) => x.toString(16).padStart(2, '0')).join(':')}`;
    if (!out.includes(mac)) out.push(mac);
  }
  return out;
}
