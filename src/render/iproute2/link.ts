// `ip link`, `ip addr`, `ip -br link`, `ip -br addr` as iproute2 6.1 prints them.

import type { Address, Host, Link, NetNs } from '../../node-state/types.ts';
import { linkFlags, linkType, nameAndLink, netnsSuffix, operState, scopeName, type RenderOptions } from './common.ts';

export interface LinkFilter {
  dev?: string;
  /** `type KIND` (veth, vxlan, bridge, dummy, ipip); physical devices have no kind. */
  type?: string;
  /** `master DEV`. */
  master?: string;
  /** Only links that are up (`ip link show up`). */
  up?: boolean;
  /** Address families to show in `ip addr` (default both). */
  family?: 4 | 6;
}

function selectLinks(ns: NetNs, f: LinkFilter): Link[] {
  let links = [...ns.links].sort((a, b) => a.ifindex - b.ifindex);
  if (f.dev !== undefined) links = links.filter((l) => l.name === f.dev);
  if (f.up) links = links.filter((l) => l.up);
  if (f.type !== undefined) links = links.filter((l) => l.kind !== 'device' && l.kind !== 'loopback' && l.kind === f.type);
  if (f.master !== undefined) links = links.filter((l) => l.master === f.master);
  return links;
}

/**
 * `ip -6 addr` asks the kernel for AF_INET6 link info (inet6_fill_ifinfo), which carries no
 * qdisc, group or netnsid: the header is shorter and a veth's peer index is resolved as a
 * device of this namespace.
 */
function inet6Name(ns: NetNs, l: Link): string {
  if (!l.veth) return l.name;
  const other = ns.links.find((x) => x.ifindex === l.veth!.peerIfindex);
  return `${l.name}@${other ? other.name : `if${l.veth.peerIfindex}`}`;
}

function inet6LinkHeader(ns: NetNs, l: Link): string {
  const name = inet6Name(ns, l);
  let flags = linkFlagsNoMdown(ns, l);
  if (l.veth) {
    const other = ns.links.find((x) => x.ifindex === l.veth!.peerIfindex);
    // An index unknown here yields flags -1 in iproute2's cache: no M-DOWN.
    if (other && !other.up) flags = [...flags, 'M-DOWN'];
  }
  return `${l.ifindex}: ${name}: <${flags.join(',')}> mtu ${l.mtu} state ${operState(ns, l)} ${l.txqlen ? `qlen ${l.txqlen}` : ''}\n`;
}

function linkFlagsNoMdown(ns: NetNs, l: Link): string[] {
  return linkFlags(undefined, ns, l).filter((x) => x !== 'M-DOWN');
}

/** First line of a link, as in `ip link` (withMode) or `ip addr`. */
function linkHeader(host: Host | undefined, ns: NetNs, l: Link, withMode: boolean): string {
  let s = `${l.ifindex}: ${nameAndLink(ns, l)}: <${linkFlags(host, ns, l).join(',')}> mtu ${l.mtu} qdisc ${l.qdisc}`;
  if (l.master) s += ` master ${l.master}`;
  s += ` state ${operState(ns, l)}`;
  if (withMode) s += ' mode DEFAULT';
  // A zero txqueuelen is not printed (the separating space stays).
  s += ` group ${l.group ?? 'default'} ${l.txqlen ? `qlen ${l.txqlen}` : ''}\n`;
  return s;
}

function linkLine2(ns: NetNs, l: Link, opts: RenderOptions): string {
  let s = `    link/${linkType(l)} ${l.mac} brd ${l.broadcast}${netnsSuffix(ns, l, opts)}\n`;
  if (l.alias) s += `    alias ${l.alias}\n`;
  for (const a of l.altnames ?? []) s += `    altname ${a}\n`;
  return s;
}

/** Extra text of `ip -d link` for a vxlan device (iproute2 6.1 on Linux 6.18). */
function detailLines(l: Link): string {
  // Figures printed by -d that come from the device itself (kernel defaults).
  const common = ` promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 \n`;
  let s = common;
  if (l.kind === 'vxlan' && l.vxlan) {
    const v = l.vxlan;
    let t = `    vxlan id ${v.vni}`;
    if (v.local) t += ` local ${v.local}`;
    if (v.dev) t += ` dev ${v.dev}`;
    t += ` srcport ${v.srcPortMin ?? 0} ${v.srcPortMax ?? 0} dstport ${v.port}`;
    if (!v.learning) t += ' nolearning';
    t += ` ttl ${v.ttl ? v.ttl : 'auto'} ageing 300`;
    t += v.udpCsum === false ? ' noudpcsum' : ' udpcsum';
    t += ' noudp6zerocsumtx noudp6zerocsumrx';
    t += ' addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size 65536 tso_max_segs 65535 gro_max_size 65536 \n';
    s += t;
  } else if (l.kind === 'veth') {
    s += '    veth addrgenmode eui64 numtxqueues 2 numrxqueues 2 gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 \n';
  } else {
    return '';
  }
  return s;
}

/** `ip [-d] link [show [dev] DEV]`. */
export function renderLinks(host: Host | undefined, ns: NetNs, f: LinkFilter = {}, opts: RenderOptions & { details?: boolean } = {}): string {
  let out = '';
  for (const l of selectLinks(ns, f)) {
    out += linkHeader(host, ns, l, true);
    let second = linkLine2(ns, l, opts);
    if (opts.details) {
      const d = detailLines(l);
      if (d) {
        // -d continues the link/ether line with device details instead of ending it.
        const nl = second.indexOf('\n');
        second = second.slice(0, nl) + d + second.slice(nl + 1);
      }
    }
    out += second;
  }
  return out;
}

function addrFlags(a: Address): string {
  const fl = a.flags;
  let s = '';
  // print_ifa_flags order; "permanent" is implied, "dynamic" shows when it is absent.
  if (fl.includes('secondary')) s += a.family === 6 ? 'temporary ' : 'secondary ';
  if (a.family === 6) {
    for (const x of ['nodad', 'optimistic', 'dadfailed', 'home', 'deprecated', 'tentative']) if (fl.includes(x)) s += `${x} `;
  }
  if (a.validLft !== 'forever' || fl.includes('dynamic')) s += 'dynamic ';
  if (a.family === 6 && fl.includes('mngtmpaddr')) s += 'mngtmpaddr ';
  if (fl.includes('noprefixroute')) s += 'noprefixroute ';
  if (fl.includes('autojoin')) s += 'autojoin ';
  if (a.family === 6 && fl.includes('stable-privacy')) s += 'stable-privacy ';
  return s;
}

function lft(v: number | 'forever'): string {
  return v === 'forever' ? 'forever' : `${v}sec`;
}

function addrLines(a: Address): string {
  let s = `    ${a.family === 4 ? 'inet' : 'inet6'} ${a.local}/${a.prefixlen} `;
  if (a.metric) s += `metric ${a.metric} `;
  if (a.family === 4 && a.broadcast) s += `brd ${a.broadcast} `;
  s += `scope ${scopeName(a.scope)} `;
  s += addrFlags(a);
  if (a.family === 4) s += a.label ?? a.dev;
  s += `\n       valid_lft ${lft(a.validLft)} preferred_lft ${lft(a.preferredLft)}\n`;
  return s;
}

/** Addresses of one device in display order: IPv4 list, then IPv6 list. */
export function deviceAddresses(ns: NetNs, dev: string, family?: 4 | 6): Address[] {
  const v4 = family === 6 ? [] : ns.addresses.filter((a) => a.dev === dev && a.family === 4);
  const v6 = family === 4 ? [] : ns.addresses.filter((a) => a.dev === dev && a.family === 6);
  return [...v4, ...v6];
}

/** `ip addr [show [dev] DEV]`, `ip -4 addr`, `ip -6 addr`. */
export function renderAddrs(host: Host | undefined, ns: NetNs, f: LinkFilter = {}, opts: RenderOptions = {}): string {
  let out = '';
  for (const l of selectLinks(ns, f)) {
    const addrs = deviceAddresses(ns, l.name, f.family);
    // With a family filter, links without addresses of that family are left out.
    if (f.family !== undefined && addrs.length === 0) continue;
    // `ip -6 addr` without a device dumps AF_INET6 link info (short header); with a device, or
    // with -4, the full link message is used and, the link/ether line being left out, its
    // link-netns part ends the first line.
    if (f.family === 6 && f.dev === undefined) out += inet6LinkHeader(ns, l);
    else if (f.family !== undefined) out += linkHeader(host, ns, l, false).replace(/\n$/, `${netnsSuffix(ns, l, opts)}\n`);
    else out += linkHeader(host, ns, l, false);
    if (f.family === undefined) out += linkLine2(ns, l, opts);
    for (const a of addrs) out += addrLines(a);
  }
  return out;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** `ip -br link`. */
export function renderLinksBrief(host: Host | undefined, ns: NetNs, f: LinkFilter = {}): string {
  let out = '';
  for (const l of selectLinks(ns, f)) {
    out += `${pad(nameAndLink(ns, l), 16)} ${pad(operState(ns, l), 14)} ${l.mac} <${linkFlags(host, ns, l).join(',')}> \n`;
  }
  return out;
}

/** `ip -br addr`. */
export function renderAddrsBrief(ns: NetNs, f: LinkFilter = {}): string {
  let out = '';
  for (const l of selectLinks(ns, f)) {
    const addrs = deviceAddresses(ns, l.name, f.family);
    if (f.family !== undefined && addrs.length === 0) continue;
    const name = f.family === 6 && f.dev === undefined ? inet6Name(ns, l) : nameAndLink(ns, l);
    out += `${pad(name, 16)} ${pad(operState(ns, l), 14)} `;
    for (const a of addrs) out += `${a.local}/${a.prefixlen} ${a.metric ? `metric ${a.metric} ` : ''}`;
    out += '\n';
  }
  return out;
}
