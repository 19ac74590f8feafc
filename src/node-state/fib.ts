// IPv4 route lookup as the kernel does it for a locally generated packet (ip_route_output):
// policy rules in priority order (fib_rules_lookup / fib4_rule_match), longest-prefix match in
// each table (fib_table_lookup: TOS, metric order, nexthop device filters), error codes of
// blackhole/unreachable/prohibit routes and rules, and source address selection
// (fib_result_prefsrc / inet_select_addr). Pure and browser-safe: the packet simulator and
// `ip route get` both use it.

import { maskOf, parseAddr, parsePrefix, formatIpv4 } from './addr.ts';
import type { Address, NetNs, Route, RouteType, Rule } from './types.ts';

export interface FibQuery4 {
  dst: string;
  /** Source address chosen by the sender (`ip route get ... from`), else selected. */
  src?: string;
  /** Packet mark (fwmark). */
  mark?: number;
  /** Output device restriction (SO_BINDTODEVICE, `oif`). */
  oif?: string;
  tos?: number;
  /** Input device for rule matching; locally generated packets match `iif lo`. */
  iif?: string;
}

export type FibErrno = 'ENETUNREACH' | 'EHOSTUNREACH' | 'EACCES' | 'EINVAL';

export const ERRNO_TEXT: Record<FibErrno, string> = {
  ENETUNREACH: 'Network is unreachable',
  EHOSTUNREACH: 'No route to host',
  EACCES: 'Permission denied',
  EINVAL: 'Invalid argument',
};

export type FibResult4 =
  | {
      ok: true;
      type: RouteType;
      /** The route (absent when an `oif` lookup found none and the kernel assumed on-link). */
      route?: Route;
      /**
       * Table the kernel reports: the one the route was found in, except that without custom
       * rules local and main are one merged table reported as main; 0 for the on-link guess.
       */
      table: number;
      rule?: Rule;
      /** Output device (lo for local delivery) and gateway. */
      dev: string;
      via?: string;
      /** Source address the kernel selects (or the one given). */
      src?: string;
    }
  | { ok: false; errno: FibErrno; rule?: Rule; route?: Route };

function v4(s: string): bigint | undefined {
  const p = parseAddr(s);
  return p && p.family === 4 ? p.value : undefined;
}

function inPrefix(prefix: string, addr: bigint): boolean {
  if (prefix === 'default') return true;
  const p = parsePrefix(prefix);
  if (!p || p.family !== 4) return false;
  const m = maskOf(32, p.len);
  return (p.addr & m) === (addr & m);
}

function prefixLen(dst: string): number {
  return dst === 'default' ? 0 : Number(dst.slice(dst.indexOf('/') + 1));
}

/** fib4_rule_match + the generic selectors of fib_rule_match. */
function ruleMatches(ns: NetNs, r: Rule, q: { dst: bigint; src: bigint; mark: number; iif: string; oif?: string; tos: number }): boolean {
  let m = true;
  if (r.iif !== undefined) m = m && r.iif === q.iif && ns.links.some((l) => l.name === r.iif);
  if (r.oif !== undefined) m = m && r.oif === q.oif && ns.links.some((l) => l.name === r.oif);
  if (r.fwmark !== undefined || r.fwmask !== undefined) {
    const mask = r.fwmask ?? 0xffffffff;
    m = m && (((q.mark ^ (r.fwmark ?? 0)) & mask) >>> 0) === 0;
  }
  if (r.from) m = m && inPrefix(r.from, q.src);
  if (r.to) m = m && inPrefix(r.to, q.dst);
  if (r.tos) m = m && r.tos === q.tos;
  return r.not ? !m : m;
}

const TYPE_ERRNO: Partial<Record<RouteType, FibErrno>> = { blackhole: 'EINVAL', unreachable: 'EHOSTUNREACH', prohibit: 'EACCES' };

type TableResult = { route: Route } | { errno: FibErrno; route: Route } | { again: true };

/** fib_table_lookup for output (scope universe). */
function tableLookup(ns: NetNs, table: number, dst: bigint, tos: number, oif?: string): TableResult {
  const cands = ns.routes.filter((r) => r.family === 4 && r.table === table && inPrefix(r.dst, dst));
  // Longest prefix first; inside a prefix, TOS-specific routes first, then metric.
  cands.sort((a, b) => prefixLen(b.dst) - prefixLen(a.dst) || (b.tos ?? 0) - (a.tos ?? 0) || (a.metric ?? 0) - (b.metric ?? 0));
  for (const r of cands) {
    if (r.tos && r.tos !== tos) continue;
    const err = TYPE_ERRNO[r.type];
    if (err) return { errno: err, route: r };
    if (r.type === 'throw') return { again: true };
    if (r.dev) {
      const l = ns.links.find((x) => x.name === r.dev);
      if (!l || !l.up) continue;
      if (oif !== undefined && r.dev !== oif && r.type !== 'local' && r.type !== 'broadcast') continue;
    }
    return { route: r };
  }
  return { again: true };
}

function primaries(ns: NetNs, dev: string): Address[] {
  return ns.addresses.filter((a) => a.dev === dev && a.family === 4 && !a.flags.includes('secondary'));
}

function scopeNum(s: Route['scope'] | Address['scope']): number {
  if (typeof s === 'number') return s;
  return s === 'host' ? 254 : s === 'link' ? 253 : s === 'site' ? 200 : s === 'nowhere' ? 255 : 0;
}

/** inet_select_addr(dev, dst, scope). */
export function selectSource4(ns: NetNs, dev: string, dst: string | undefined, scope: number): string | undefined {
  const localnet = ns.sysctls[`net.ipv4.conf.${dev.replace(/\./g, '/')}.route_localnet`] === '1' ? 253 : 254;
  const d = dst === undefined ? undefined : v4(dst);
  let addr: string | undefined;
  for (const a of primaries(ns, dev)) {
    if (Math.min(scopeNum(a.scope), localnet) > scope) continue;
    if (d === undefined || d === 0n || inPrefix(`${a.local}/${a.prefixlen}`, d)) return a.local;
    if (!addr) addr = a.local;
  }
  if (addr) return addr;
  // Any device (lo first): the first primary address that is not link-scoped.
  for (const l of [...ns.links].sort((x, y) => x.ifindex - y.ifindex)) {
    for (const a of primaries(ns, l.name)) {
      const sc = scopeNum(a.scope);
      if (sc !== 253 && sc <= scope) return a.local;
    }
  }
  return undefined;
}

/** Route lookup for a packet the host itself sends (ip_route_output_key). */
export function fibLookup4(ns: NetNs, q: FibQuery4): FibResult4 {
  const dst = v4(q.dst);
  if (dst === undefined) return { ok: false, errno: 'EINVAL' };
  const srcGiven = q.src !== undefined ? v4(q.src) : 0n;
  if (srcGiven === undefined) return { ok: false, errno: 'EINVAL' };
  if (q.src !== undefined) {
    const isLocal = ns.addresses.some((a) => a.family === 4 && a.local === q.src) ||
      ns.routes.some((r) => r.family === 4 && r.table === 255 && r.type === 'local' && inPrefix(r.dst, srcGiven));
    if (!isLocal) return { ok: false, errno: 'ENETUNREACH' };
  }
  let oifDev: string | undefined;
  if (q.oif !== undefined) {
    const l = ns.links.find((x) => x.name === q.oif);
    if (!l || !l.up) return { ok: false, errno: 'ENETUNREACH' };
    oifDev = l.name;
  }
  const res = rulesLookup(ns, q, dst, srcGiven);
  if (!res.ok && oifDev !== undefined) {
    // "Apparently, routing tables are wrong. Assume, that the destination is on link."
    return { ok: true, type: 'unicast', table: 0, dev: oifDev, src: q.src ?? selectSource4(ns, oifDev, undefined, 253) };
  }
  return res;
}

/** True while the namespace has only the default IPv4 rules (local and main stay merged). */
function defaultRulesOnly(ns: NetNs): boolean {
  const rs = ns.rules.filter((r) => r.family === 4);
  const want = [
    [0, 255],
    [32766, 254],
    [32767, 253],
  ];
  return rs.length === 3 && rs.every((r, i) => r.priority === want[i][0] && r.table === want[i][1] && (r.action ?? 'table') === 'table' && !r.from && !r.to && !r.iif && !r.oif && r.fwmark === undefined && !r.not && !r.tos && r.suppressPrefixlength === undefined);
}

function rulesLookup(ns: NetNs, q: FibQuery4, dst: bigint, srcGiven: bigint): FibResult4 {
  const fq = { dst, src: srcGiven, mark: (q.mark ?? 0) >>> 0, iif: q.iif ?? 'lo', oif: q.oif, tos: q.tos ?? 0 };
  const rules = ns.rules.filter((r) => r.family === 4);
  let i = 0;
  while (i < rules.length) {
    const rule = rules[i];
    if (!ruleMatches(ns, rule, fq)) {
      i++;
      continue;
    }
    const action = rule.action ?? 'table';
    if (action === 'blackhole') return { ok: false, errno: 'EINVAL', rule };
    // Rule actions: FR_ACT_UNREACHABLE is -ENETUNREACH (an unreachable *route* is -EHOSTUNREACH).
    if (action === 'unreachable') return { ok: false, errno: 'ENETUNREACH', rule };
    if (action === 'prohibit') return { ok: false, errno: 'EACCES', rule };
    if (action === 'nop') {
      i++;
      continue;
    }
    if (action === 'goto') {
      const target = rules.findIndex((r) => r.priority === rule.gotoPriority);
      i = target > i ? target : i + 1;
      continue;
    }
    const table = rule.table ?? 254;
    const res = tableLookup(ns, table, dst, fq.tos, q.oif);
    if ('again' in res) {
      i++;
      continue;
    }
    if ('errno' in res) return { ok: false, errno: res.errno, rule, route: res.route };
    const r = res.route;
    if (rule.suppressPrefixlength !== undefined && prefixLen(r.dst) <= rule.suppressPrefixlength) {
      i++;
      continue;
    }
    return finish(ns, r, table === 255 && defaultRulesOnly(ns) ? 254 : table, rule, q, dst);
  }
  return { ok: false, errno: 'ENETUNREACH' };
}

function finish(ns: NetNs, r: Route, table: number, rule: Rule, q: FibQuery4, dst: bigint): FibResult4 {
  const base = { ok: true as const, type: r.type, route: r, table, rule };
  if (r.type === 'local') {
    return { ...base, dev: 'lo', src: q.src ?? r.src ?? formatIpv4(Number(dst)) };
  }
  const dev = r.dev ?? 'lo';
  let src = q.src;
  if (src === undefined) src = r.src ?? selectSource4(ns, dev, r.via, scopeNum(r.scope));
  const out: FibResult4 = { ...base, dev, src };
  if (r.via) out.via = r.via;
  return out;
}
