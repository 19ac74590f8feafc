// IPv4 route lookup as the kernel does it for a locally generated packet (ip_route_output):
// policy rules in priority order (fib_rules_lookup / fib4_rule_match), longest-prefix match in
// each table (fib_table_lookup: TOS, metric order, nexthop device filters), error codes of
// blackhole/unreachable/prohibit routes and rules, and source address selection
// (fib_result_prefsrc / inet_select_addr). Pure and browser-safe: the one FIB of the model, used
// by `ip route get` and by the packet engine (src/engine/route.ts builds its input/output routing
// decisions on fibRules4, fibTableLookup4 and selectSource4).

import { maskOf, parseAddr, parsePrefix, formatIpv4 } from './addr.ts';
import { devConf, devMaxConf, devOrConf } from './inet-conf.ts';
import { scopeNum } from './ops.ts';
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

export type FibErrno = 'ENETUNREACH' | 'EHOSTUNREACH' | 'EACCES' | 'EINVAL' | 'EXDEV';

export const ERRNO_TEXT: Record<FibErrno, string> = {
  ENETUNREACH: 'Network is unreachable',
  EHOSTUNREACH: 'No route to host',
  EACCES: 'Permission denied',
  EINVAL: 'Invalid argument',
  EXDEV: 'Invalid cross-device link',
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

/** One table's answer: a usable route, an error route (blackhole, unreachable, prohibit), or none (throw, or no match: EAGAIN). */
export type TableResult = { route: Route } | { errno: FibErrno; route: Route } | { again: true };

/** fib_table_lookup of `dst` in one table (no policy rules): what addrtype and the rules consult. */
export function fibTableLookup4(ns: NetNs, table: number, dst: string, opts: { tos?: number; oif?: string; minScope?: number } = {}): TableResult {
  const d = v4(dst);
  if (d === undefined) return { again: true };
  return tableLookup(ns, table, d, opts.tos ?? 0, opts.oif, opts.minScope ?? 0);
}

/** fib_table_lookup for output (scope universe). */
function tableLookup(ns: NetNs, table: number, dst: bigint, tos: number, oif?: string, minScope = 0): TableResult {
  const cands = ns.routes.filter((r) => r.family === 4 && r.table === table && inPrefix(r.dst, dst) && scopeNum(r.scope) >= minScope);
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

/**
 * inet_select_addr(dev, dst, scope): the first primary address of `dev` whose scope is within
 * `scope`, preferring one whose subnet holds `dst`; else the first primary address of any device
 * (loopback first, then ifindex order) that is not link-scoped.
 */
export function selectSource4(ns: NetNs, dev: string | undefined, dst: string | undefined, scope: number): string | undefined {
  // RT_SCOPE_HOST, or RT_SCOPE_LINK with route_localnet (127/8 usable beyond the host).
  const localnet = dev !== undefined && devOrConf(ns, dev, 'route_localnet') ? 253 : 254;
  const d = dst === undefined ? undefined : v4(dst);
  let addr: string | undefined;
  for (const a of dev === undefined ? [] : primaries(ns, dev)) {
    if (Math.min(scopeNum(a.scope), localnet) > scope) continue;
    if (d === undefined || d === 0n || inPrefix(`${a.local}/${a.prefixlen}`, d)) return a.local;
    if (!addr) addr = a.local;
  }
  if (addr) return addr;
  for (const l of [...ns.links].sort((x, y) => (x.kind === 'loopback' ? -1 : y.kind === 'loopback' ? 1 : x.ifindex - y.ifindex))) {
    for (const a of primaries(ns, l.name)) {
      const sc = scopeNum(a.scope);
      if (sc !== 253 && sc <= scope) return a.local;
    }
  }
  return undefined;
}

/**
 * ip_route_output_key_hash_rcu's check of a source the sender chose: a multicast or limited
 * broadcast source is EINVAL (0.0.0.0/8 no longer is, since Linux 5.3); any other must be one of
 * ours (__ip_dev_find: an address, or a local route in table local), else ENETUNREACH.
 */
export function outputSourceError4(ns: NetNs, src: string): { errno: 'EINVAL' | 'ENETUNREACH'; reason: string } | undefined {
  const v = v4(src);
  if (v === undefined) return { errno: 'EINVAL', reason: `source ${src} is not an IPv4 address` };
  if (isMulticast(v) || v === 0xffffffffn) return { errno: 'EINVAL', reason: `source ${src} is ${isMulticast(v) ? 'multicast' : 'the limited broadcast'}` };
  const local = ns.addresses.some((a) => a.family === 4 && a.local === src) || ns.routes.some((r) => r.family === 4 && r.table === 255 && r.type === 'local' && inPrefix(r.dst, v));
  return local ? undefined : { errno: 'ENETUNREACH', reason: `source ${src} is not a local address` };
}

/** fib_result_prefsrc: a route's preferred source, its `src` or inet_select_addr for its device, gateway and scope. */
export function routePrefSrc4(ns: NetNs, r: Route): string | undefined {
  return r.src ?? selectSource4(ns, r.dev, r.via, scopeNum(r.scope));
}

/** Route lookup for a packet the host itself sends (ip_route_output_key). */
export function fibLookup4(ns: NetNs, q: FibQuery4): FibResult4 {
  const dst = v4(q.dst);
  if (dst === undefined) return { ok: false, errno: 'EINVAL' };
  const srcGiven = q.src !== undefined ? v4(q.src) : 0n;
  if (srcGiven === undefined) return { ok: false, errno: 'EINVAL' };
  if (q.src !== undefined) {
    const bad = outputSourceError4(ns, q.src);
    if (bad) return { ok: false, errno: bad.errno };
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

/** What the policy rules decided: the route and the table it came from (as stored), or an errno. */
export type FibDecision4 = { ok: true; route: Route; table: number; rule: Rule } | { ok: false; errno: FibErrno; rule?: Rule; route?: Route; table?: number };

/**
 * fib_lookup through the policy rules (fib_rules_lookup + fib4_rule_action + fib4_rule_suppress),
 * in priority order: goto, nop and the blackhole/unreachable/prohibit actions; each table's
 * longest match, where a throw route or no match goes on to the next rule; suppress_prefixlength
 * only for a usable route (an error route ends the lookup first, as fib_rules_lookup does).
 */
export function fibRules4(ns: NetNs, q: FibQuery4, minScope = 0): FibDecision4 {
  const dst = v4(q.dst);
  const src = q.src === undefined ? 0n : v4(q.src);
  if (dst === undefined || src === undefined) return { ok: false, errno: 'EINVAL' };
  const fq = { dst, src, mark: (q.mark ?? 0) >>> 0, iif: q.iif ?? 'lo', oif: q.oif, tos: q.tos ?? 0 };
  // The kernel keeps rules sorted by priority (equal priorities in insertion order).
  const rules = ns.rules.filter((r) => r.family === 4).sort((a, b) => a.priority - b.priority);
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
      // Only forward; a goto whose target does not exist is skipped.
      const target = rules.findIndex((r) => r.priority === rule.gotoPriority);
      i = target > i ? target : i + 1;
      continue;
    }
    const table = rule.table ?? 254;
    const res = tableLookup(ns, table, dst, fq.tos, q.oif, minScope);
    if ('again' in res) {
      i++;
      continue;
    }
    if ('errno' in res) return { ok: false, errno: res.errno, rule, route: res.route, table };
    if (rule.suppressPrefixlength !== undefined && prefixLen(res.route.dst) <= rule.suppressPrefixlength) {
      i++;
      continue;
    }
    return { ok: true, route: res.route, table, rule };
  }
  return { ok: false, errno: 'ENETUNREACH' };
}

function rulesLookup(ns: NetNs, q: FibQuery4, dst: bigint, srcGiven: bigint, minScope = 0): FibResult4 {
  const qq: FibQuery4 = { ...q, dst: formatIpv4(Number(dst)) };
  if (srcGiven !== 0n || q.src !== undefined) qq.src = formatIpv4(Number(srcGiven));
  const res = fibRules4(ns, qq, minScope);
  if (!res.ok) return { ok: false, errno: res.errno, rule: res.rule, route: res.route };
  return finish(ns, res.route, res.table === 255 && defaultRulesOnly(ns) ? 254 : res.table, res.rule, q, dst);
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

// ---------------------------------------------------------------------------------------------
// Input path: a packet received on a device (ip_route_input_slow).

export interface FibInputQuery4 {
  dst: string;
  src: string;
  /** Device the packet arrived on. */
  iif: string;
  mark?: number;
  tos?: number;
}

export type FibInputResult4 =
  | {
      ok: true;
      /** local: delivered to this host; broadcast: local broadcast; unicast: forwarded. */
      type: 'local' | 'broadcast' | 'unicast';
      route?: Route;
      table: number;
      rule?: Rule;
      /** Output device (lo for local delivery). */
      dev: string;
      via?: string;
      /** The kernel would send an ICMP redirect (out of the device it came in on, source on-link). */
      redirect?: boolean;
    }
  | { ok: false; errno: FibErrno; reason: string; rule?: Rule; route?: Route };

/** IN_DEV_TX_REDIRECTS: send_redirects (conf.all OR conf.<dev>; the kernel's default is 1). */
function txRedirects(ns: NetNs, dev: string): boolean {
  return Math.max(Number(ns.sysctls['net.ipv4.conf.all.send_redirects'] ?? '1'), Number(ns.sysctls[`net.ipv4.conf.${dev.replace(/\./g, '/')}.send_redirects`] ?? '1')) === 1;
}

function isLocalAddr(ns: NetNs, a: bigint): boolean {
  return ns.addresses.some((x) => x.family === 4 && v4(x.local) === a);
}

/** fib4_has_custom_rules: any IPv4 rule besides the three a namespace starts with. */
export function hasCustomRules4(ns: NetNs): boolean {
  return !defaultRulesOnly(ns);
}

function customLocalRoutes(ns: NetNs): boolean {
  return ns.routes.some((r) => r.family === 4 && r.table === 255 && r.proto !== 'kernel');
}

/** Resolves via the rules like the output path but for a given iif/oif context. */
function lookupRaw(ns: NetNs, dst: bigint, src: bigint, iif: string, mark: number, tos: number, oif?: string): FibResult4 {
  const q: FibQuery4 = { dst: formatIpv4(Number(dst)), iif, mark, tos };
  if (oif !== undefined) q.oif = oif;
  return rulesLookup(ns, q, dst, src);
}

/** A received packet's source to check: its addresses, input device, and the output device of its route (forwarding). */
export interface SourceCheck4 {
  src: string;
  dst: string;
  iif: string;
  oif?: string;
  mark?: number;
  tos?: number;
}

export type SourceVerdict4 = { ok: true; onlink: boolean } | { ok: false; errno: 'EINVAL' | 'EXDEV'; reason: string };

/**
 * fib_validate_source: reverse-path check of the source. Fails with EINVAL for a source that is
 * one of our addresses or not unicast-routable, EXDEV when rp_filter (1 strict: the route back
 * must leave by `iif`; 2 loose: any route back) rejects it. Without rp_filter the full check
 * still runs once custom rules or local routes exist, or when forwarding back out of `iif` with
 * redirects on. `onlink`: the source is directly connected through `iif` (the positive return).
 */
export function validateSource4(ns: NetNs, q: SourceCheck4): SourceVerdict4 {
  const src = v4(q.src);
  const dst = v4(q.dst);
  if (src === undefined || dst === undefined) return { ok: false, errno: 'EINVAL', reason: 'not IPv4 addresses' };
  const { iif, oif } = q;
  const rpf = devMaxConf(ns, iif, 'rp_filter');
  const acceptLocal = devOrConf(ns, iif, 'accept_local');
  const srcValidMark = devOrConf(ns, iif, 'src_valid_mark');
  if (!rpf && (iif !== oif || !txRedirects(ns, iif))) {
    if (acceptLocal) return { ok: true, onlink: false };
    if (!customLocalRoutes(ns) && !hasCustomRules4(ns)) {
      return isLocalAddr(ns, src) ? { ok: false, errno: 'EINVAL', reason: `source ${q.src} is a local address (accept_local=0 on ${iif})` } : { ok: true, onlink: false };
    }
  }
  const m = srcValidMark ? (q.mark ?? 0) : 0;
  const noAddr = !ns.addresses.some((a) => a.family === 4 && a.dev === iif);
  const back = lookupRaw(ns, src, dst, oif ?? 'lo', m, q.tos ?? 0);
  if (!back.ok) return rpf ? { ok: false, errno: 'EXDEV', reason: `rp_filter=${rpf} on ${iif}: no route back to ${q.src}` } : { ok: true, onlink: false };
  if (back.type !== 'unicast' && !(back.type === 'local' && acceptLocal)) return { ok: false, errno: 'EINVAL', reason: `the route back to ${q.src} is ${back.type}` };
  // fib_info_nh_uses_dev: the route's own device (a local route's is the address's device).
  const nhDev = back.route?.dev ?? back.dev;
  if (nhDev === iif || (back.type === 'local' && iif === 'lo')) return { ok: true, onlink: !back.via };
  if (noAddr) return rpf ? { ok: false, errno: 'EXDEV', reason: `rp_filter=${rpf} on ${iif} (no address): the route back to ${q.src} leaves by ${nhDev}` } : { ok: true, onlink: false };
  if (rpf === 1) return { ok: false, errno: 'EXDEV', reason: `rp_filter=1 on ${iif}: the route back to ${q.src} leaves by ${nhDev}` };
  return { ok: true, onlink: false };
}

function isMulticast(a: bigint): boolean {
  return a >> 28n === 0xen;
}

/** Route decision for a packet received on `iif` (what `ip route get DST from SRC iif DEV` shows). */
export function fibLookupInput4(ns: NetNs, q: FibInputQuery4): FibInputResult4 {
  const dst = v4(q.dst);
  const src = v4(q.src);
  if (dst === undefined || src === undefined) return { ok: false, errno: 'EINVAL', reason: 'not IPv4 addresses' };
  const l = ns.links.find((x) => x.name === q.iif);
  if (!l) return { ok: false, errno: 'EINVAL', reason: `no device ${q.iif}` };
  const mark = (q.mark ?? 0) >>> 0;
  const tos = q.tos ?? 0;
  const lbcast = 0xffffffffn;
  if (isMulticast(src) || src === lbcast) return { ok: false, errno: 'EINVAL', reason: 'martian source' };
  if (dst === lbcast || (src === 0n && dst === 0n)) return { ok: true, type: 'broadcast', table: 0, dev: 'lo' };
  // Only 0.0.0.0 itself: the rest of 0.0.0.0/8 is an ordinary address on current kernels (6.x).
  if (src === 0n) return { ok: false, errno: 'EINVAL', reason: 'martian source' };
  if (dst === 0n) return { ok: false, errno: 'EINVAL', reason: 'martian destination' };
  const localnet = devOrConf(ns, q.iif, 'route_localnet');
  if (dst >> 24n === 127n) {
    if (!localnet) return { ok: false, errno: 'EINVAL', reason: 'martian destination' };
  } else if (src >> 24n === 127n && !localnet) return { ok: false, errno: 'EINVAL', reason: 'martian source' };
  const forward = devConf(ns, q.iif, 'forwarding') === 1;
  const res = lookupRaw(ns, dst, src, q.iif, mark, tos);
  if (!res.ok) return { ok: false, errno: forward ? res.errno : 'EHOSTUNREACH', reason: forward ? 'no route' : `no route, and forwarding is off on ${q.iif}`, rule: res.rule, route: res.route };
  const table = res.table;
  if (res.type === 'broadcast') return { ok: true, type: 'broadcast', route: res.route, table, rule: res.rule, dev: 'lo' };
  if (res.type === 'local') {
    const v = validateSource4(ns, { src: q.src, dst: q.dst, iif: q.iif, mark, tos });
    if (!v.ok) return { ok: false, errno: 'EINVAL', reason: 'martian source (reverse path)', rule: res.rule, route: res.route };
    return { ok: true, type: 'local', route: res.route, table, rule: res.rule, dev: 'lo' };
  }
  if (!forward) return { ok: false, errno: 'EHOSTUNREACH', reason: `forwarding is off on ${q.iif}`, rule: res.rule, route: res.route };
  if (res.type !== 'unicast') return { ok: false, errno: 'EINVAL', reason: 'martian destination', rule: res.rule, route: res.route };
  const v = validateSource4(ns, { src: q.src, dst: q.dst, iif: q.iif, oif: res.dev, mark, tos });
  if (!v.ok) return { ok: false, errno: v.errno, reason: v.errno === 'EXDEV' ? 'reverse path filter' : 'martian source', rule: res.rule, route: res.route };
  const out: FibInputResult4 = { ok: true, type: 'unicast', route: res.route, table, rule: res.rule, dev: res.dev };
  if (res.via) out.via = res.via;
  // __mkroute_input: same device out as in, source on-link (shared_media defaults to 1).
  if (res.dev === q.iif && v.onlink && txRedirects(ns, res.dev)) out.redirect = true;
  return out;
}

/**
 * The lookup fib_check_nh_v4_gw does to validate a gateway: only routes of scope link or host,
 * through `oif` if given, in the route's own table first (unless main) and then through the
 * policy rules. Returns the route type and device, or undefined ("Nexthop has invalid gateway").
 */
export function gatewayLookup4(ns: NetNs, gw: string, oif: string | undefined, table: number, tablesExisting: number[]): { type: RouteType; dev?: string } | undefined {
  const g = v4(gw);
  if (g === undefined) return undefined;
  const LINK = 253;
  if (table !== 254 && tablesExisting.includes(table)) {
    const res = tableLookup(ns, table, g, 0, oif, LINK);
    if ('route' in res) return { type: res.route.type, dev: res.route.dev };
  }
  const q: FibQuery4 = { dst: gw };
  if (oif !== undefined) q.oif = oif;
  const res = rulesLookup(ns, q, g, 0n, LINK);
  if (!res.ok || !res.route) return undefined;
  return { type: res.route.type, dev: res.route.dev };
}
