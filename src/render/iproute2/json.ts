// `ip -j` (JSON) output of iproute2 6.1: same records and key order as its print_* functions
// in JSON context, compact, one array per command followed by a newline.

import type { Address, Host, Link, NetNs, Route, Rule } from '../../node-state/types.ts';
import { linkFlags, linkType, operState, protoName, scopeName, scopeNum, tableName } from './common.ts';
import { deviceAddresses, type LinkFilter } from './link.ts';
import { sortedTableRoutes, tableOrderFor, type RouteFilter, matchesRouteFilter } from './route.ts';

type J = Record<string, unknown>;

const FOREVER = 4294967295;

function linkJson(ns: NetNs, l: Link, withMode: boolean, withLinkLayer = true): J {
  const o: J = { ifindex: l.ifindex };
  if (l.veth) {
    if (l.veth.peerNs === ns.name) o.link = l.veth.peerName;
    else o.link_index = l.veth.peerIfindex;
  }
  o.ifname = l.name;
  o.flags = linkFlags(undefined, ns, l);
  o.mtu = l.mtu;
  o.qdisc = l.qdisc;
  if (l.master) o.master = l.master;
  o.operstate = operState(ns, l);
  if (withMode) o.linkmode = 'DEFAULT';
  o.group = l.group ?? 'default';
  if (l.txqlen) o.txqlen = l.txqlen;
  // With a family filter (`ip -4 addr`) the link-layer line is not printed, in JSON too.
  if (withLinkLayer) {
    o.link_type = linkType(l);
    o.address = l.mac;
    o.broadcast = l.broadcast;
  }
  if (l.veth && l.veth.peerNs !== ns.name) o.link_netnsid = ns.netnsIds[l.veth.peerNs] ?? 0;
  if (l.alias) o.ifalias = l.alias;
  if (l.altnames?.length) o.altnames = [...l.altnames];
  return o;
}

function addrJson(a: Address): J {
  const o: J = { family: a.family === 4 ? 'inet' : 'inet6', local: a.local, prefixlen: a.prefixlen };
  if (a.metric) o.metric = a.metric;
  if (a.family === 4 && a.broadcast) o.broadcast = a.broadcast;
  o.scope = scopeName(a.scope);
  const fl = a.flags;
  if (fl.includes('secondary')) o[a.family === 6 ? 'temporary' : 'secondary'] = true;
  if (a.family === 6) for (const x of ['nodad', 'optimistic', 'dadfailed', 'home', 'deprecated', 'tentative']) if (fl.includes(x)) o[x] = true;
  if (a.validLft !== 'forever' || fl.includes('dynamic')) o.dynamic = true;
  if (a.family === 6 && fl.includes('mngtmpaddr')) o.mngtmpaddr = true;
  if (fl.includes('noprefixroute')) o.noprefixroute = true;
  if (fl.includes('autojoin')) o.autojoin = true;
  if (a.family === 4) o.label = a.label ?? a.dev;
  o.valid_life_time = a.validLft === 'forever' ? FOREVER : a.validLft;
  o.preferred_life_time = a.preferredLft === 'forever' ? FOREVER : a.preferredLft;
  return o;
}

function selectLinks(ns: NetNs, f: LinkFilter): Link[] {
  let links = [...ns.links].sort((a, b) => a.ifindex - b.ifindex);
  if (f.dev !== undefined) links = links.filter((l) => l.name === f.dev);
  if (f.up) links = links.filter((l) => l.up);
  if (f.type !== undefined) links = links.filter((l) => l.kind !== 'device' && l.kind !== 'loopback' && l.kind === f.type);
  if (f.master !== undefined) links = links.filter((l) => l.master === f.master);
  return links;
}

export function linksJson(_host: Host | undefined, ns: NetNs, f: LinkFilter = {}): string {
  return JSON.stringify(selectLinks(ns, f).map((l) => linkJson(ns, l, true))) + '\n';
}

export function addrsJson(ns: NetNs, f: LinkFilter = {}): string {
  const out: J[] = [];
  for (const l of selectLinks(ns, f)) {
    const addrs = deviceAddresses(ns, l.name, f.family);
    if (f.family !== undefined && addrs.length === 0) continue;
    const o = linkJson(ns, l, false, f.family === undefined);
    o.addr_info = addrs.map(addrJson);
    out.push(o);
  }
  return JSON.stringify(out) + '\n';
}

function routeJson(r: Route, showTable: boolean, f: RouteFilter): J {
  const o: J = {};
  if (r.type !== 'unicast') o.type = r.type;
  o.dst = r.dst === 'default' ? 'default' : hostless(r);
  if (r.tos) o.tos = `0x${r.tos.toString(16)}`;
  if (r.via) o.gateway = r.via;
  if (r.dev && f.dev === undefined) o.dev = r.dev;
  if (showTable && r.table !== 254) o.table = tableName(r.table);
  if (r.proto !== 'boot' && f.proto === undefined) o.protocol = protoName(r.proto);
  if (scopeNum(r.scope) !== 0 && f.scope === undefined) o.scope = scopeName(r.scope);
  if (r.src) o.prefsrc = r.src;
  if (r.metric !== undefined && !(r.family === 4 && r.metric === 0)) o.metric = r.metric;
  const flags: string[] = [];
  for (const fl of ['dead', 'onlink', 'pervasive', 'offload', 'trap', 'notify', 'linkdown', 'unresolved']) {
    if (fl === 'onlink' ? r.onlink : (r.flags ?? []).includes(fl)) flags.push(fl);
  }
  o.flags = flags;
  if (r.mtu !== undefined) o.metrics = [{ mtu: r.mtu }];
  if (r.family === 6) o.pref = r.pref ?? 'medium';
  return o;
}

function hostless(r: Route): string {
  const slash = r.dst.indexOf('/');
  const len = Number(r.dst.slice(slash + 1));
  return len === (r.family === 4 ? 32 : 128) ? r.dst.slice(0, slash) : r.dst;
}

export function routesJson(ns: NetNs, f: RouteFilter = {}): string {
  const table = f.table ?? 254;
  const families: Array<4 | 6> = f.family ? [f.family] : table === 'all' ? [4, 6] : [4];
  const out: J[] = [];
  for (const fam of families) {
    const tables = table === 'all' ? tableOrderFor(ns, fam) : [table];
    for (const t of tables) for (const r of sortedTableRoutes(ns, fam, t)) if (matchesRouteFilter(r, f)) out.push(routeJson(r, table === 'all', f));
  }
  return JSON.stringify(out) + '\n';
}

function selJson(o: J, key: 'src' | 'dst', v: string | undefined, family: 4 | 6): void {
  if (!v) {
    if (key === 'src') o.src = 'all';
    return;
  }
  const slash = v.indexOf('/');
  const len = Number(v.slice(slash + 1));
  o[key] = v.slice(0, slash);
  if (len !== (family === 4 ? 32 : 128)) o[`${key}len`] = len;
}

export function rulesJson(ns: NetNs, family: 4 | 6): string {
  const exists = (d: string) => ns.links.some((l) => l.name === d);
  const out: J[] = [];
  for (const r of ns.rules.filter((x) => x.family === family)) out.push(ruleJson(r, exists));
  return JSON.stringify(out) + '\n';
}

function ruleJson(r: Rule, exists: (d: string) => boolean): J {
  const o: J = { priority: r.priority };
  if (r.not) o.not = null;
  selJson(o, 'src', r.from, r.family);
  selJson(o, 'dst', r.to, r.family);
  if (r.tos) o.tos = `0x${r.tos.toString(16)}`;
  if (r.fwmark !== undefined || r.fwmask !== undefined) {
    o.fwmark = `0x${(r.fwmark ?? 0).toString(16)}`;
    if (r.fwmask !== undefined && r.fwmask !== 0xffffffff) o.fwmask = `0x${r.fwmask.toString(16)}`;
  }
  if (r.iif) {
    o.iif = r.iif;
    if (!exists(r.iif)) o.iif_detached = null;
  }
  if (r.oif) {
    o.oif = r.oif;
    if (!exists(r.oif)) o.oif_detached = null;
  }
  const action = r.action ?? 'table';
  if (action === 'table') o.table = tableName(r.table ?? 254);
  else if (action === 'goto') o.goto = r.gotoPriority;
  else o.action = action;
  if (r.suppressPrefixlength !== undefined) o.suppress_prefixlen = r.suppressPrefixlength;
  if (r.protocol !== undefined && protoName(r.protocol) !== 'boot' && protoName(r.protocol) !== 'unspec') o.protocol = protoName(r.protocol);
  return o;
}

export function neighJson(ns: NetNs, f: { family?: 4 | 6; dev?: string } = {}): string {
  const out: J[] = [];
  for (const fam of f.family ? [f.family] : ([4, 6] as const)) {
    for (const n of ns.neighbours) {
      if (n.family !== fam || n.proxy) continue;
      if (f.dev !== undefined && n.dev !== f.dev) continue;
      const o: J = { dst: n.dst };
      if (f.dev === undefined) o.dev = n.dev;
      if (n.lladdr) o.lladdr = n.lladdr;
      if (n.router) o.router = null;
      o.state = [n.state];
      out.push(o);
    }
  }
  return JSON.stringify(out) + '\n';
}
