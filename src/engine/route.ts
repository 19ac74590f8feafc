// IPv4 routing decisions as the kernel takes them (net/ipv4/fib_rules.c, fib_trie.c, route.c,
// fib_frontend.c): policy rules by priority, per-table longest-prefix match, route types, source
// address selection (inet_select_addr), the input path (local / forward / martian / no route) and
// reverse-path validation (fib_validate_source with rp_filter, accept_local, src_valid_mark).
// Pure functions over a NetNs; nothing here mutates state.

import type { NetNs, Route, Rule } from '../node-state/types.ts';
import { TABLE_LOCAL } from '../node-state/types.ts';
import { routeLine, ruleLine } from '../render/iproute2/route.ts';
import { scopeNum } from '../render/iproute2/common.ts';
import { inPrefix4, ip4, prefixLen4 } from './packet.ts';

/** What a lookup is keyed on (struct flowi4, the parts kubewire models). */
export interface Flow {
  dst: string;
  /** Absent: 0.0.0.0 (a local sender that has not bound a source). */
  src?: string;
  /** Input device; locally generated traffic uses "lo" like the kernel (LOOPBACK_IFINDEX). */
  iif?: string;
  oif?: string;
  mark?: number;
  tos?: number;
}

export interface RuleRef {
  priority: number;
  /** `ip rule` line. */
  text: string;
}

export interface RouteRef {
  table: number;
  /** `ip route show table all` line of the chosen route. */
  text: string;
  route: Route;
}

/** errno-style failure of a FIB lookup. */
export type FibError = 'ENETUNREACH' | 'EHOSTUNREACH' | 'EACCES' | 'EINVAL';

export type FibResult =
  | { ok: true; route: Route; table: number; rule?: RuleRef; ref: RouteRef }
  | { ok: false; error: FibError; route?: Route; table?: number; rule?: RuleRef; ref?: RouteRef; reason: string };

const ERR_TEXT: Record<FibError, string> = {
  ENETUNREACH: 'Network is unreachable',
  EHOSTUNREACH: 'No route to host',
  EACCES: 'Permission denied',
  EINVAL: 'Invalid argument',
};

export function fibErrorText(e: FibError): string {
  return ERR_TEXT[e];
}

function routeRef(r: Route): RouteRef {
  return { table: r.table, text: routeLine(r, { showTable: true, hideDev: false }).trimEnd(), route: r };
}

function ruleRef(r: Rule): RuleRef {
  return { priority: r.priority, text: ruleLine(r) };
}

function linkUp(ns: NetNs, dev: string | undefined): boolean {
  if (!dev) return true;
  const l = ns.links.find((x) => x.name === dev);
  return !!l && l.up;
}

/**
 * fib_table_lookup: the longest matching prefix; among routes of one prefix, a TOS-specific route
 * for that TOS first, then the lowest metric, then insertion order. Routes through a device that is
 * administratively down are dead; with `oif`, only routes out of that device count.
 */
export function tableLookup(ns: NetNs, table: number, dst: string, opts: { oif?: string; tos?: number } = {}): Route | undefined {
  let best: Route | undefined;
  let bestLen = -1;
  let bestTos = false;
  for (const r of ns.routes) {
    if (r.family !== 4 || r.table !== table) continue;
    if (!inPrefix4(dst, r.dst)) continue;
    if (r.tos && r.tos !== (opts.tos ?? 0)) continue;
    if (r.dev && !linkUp(ns, r.dev)) continue;
    if (opts.oif && r.dev && r.dev !== opts.oif) continue;
    const len = prefixLen4(r.dst);
    const tosHit = !!r.tos;
    if (len > bestLen) {
      best = r;
      bestLen = len;
      bestTos = tosHit;
      continue;
    }
    if (len < bestLen || !best) continue;
    if (tosHit && !bestTos) {
      best = r;
      bestTos = true;
      continue;
    }
    if (tosHit === bestTos && (r.metric ?? 0) < (best.metric ?? 0)) best = r;
  }
  return best;
}

const DEFAULT_RULES = new Set(['0:255', '32766:254', '32767:253']);

/** fib4_has_custom_rules: any IPv4 rule besides the three the kernel starts with. */
export function hasCustomRules(ns: NetNs): boolean {
  return ns.rules.some((r) => r.family === 4 && !DEFAULT_RULES.has(`${r.priority}:${r.table ?? 254}`));
}

function ruleMatches(r: Rule, f: Flow): boolean {
  let m = true;
  if (r.from && !inPrefix4(f.src ?? '0.0.0.0', r.from)) m = false;
  if (m && r.to && !inPrefix4(f.dst, r.to)) m = false;
  if (m && r.iif && r.iif !== (f.iif ?? 'lo')) m = false;
  if (m && r.oif && r.oif !== f.oif) m = false;
  if (m && (r.fwmark !== undefined || r.fwmask !== undefined)) {
    const mask = r.fwmask ?? 0xffffffff;
    if ((((r.fwmark ?? 0) ^ (f.mark ?? 0)) & mask) >>> 0 !== 0) m = false;
  }
  if (m && r.tos && r.tos !== (f.tos ?? 0)) m = false;
  return r.not ? !m : m;
}

const TYPE_ERROR: Partial<Record<Route['type'], FibError>> = {
  blackhole: 'EINVAL',
  unreachable: 'EHOSTUNREACH',
  prohibit: 'EACCES',
};

/** fib_lookup through the policy rules (fib_rules_lookup + fib4_rule_action + suppress). */
export function fibLookup(ns: NetNs, f: Flow): FibResult {
  const rules = ns.rules.filter((r) => r.family === 4).sort((a, b) => a.priority - b.priority);
  let i = 0;
  let steps = 0;
  while (i < rules.length) {
    const r = rules[i];
    if (++steps > 10000) break;
    if (!ruleMatches(r, f)) {
      i++;
      continue;
    }
    const action = r.action ?? 'table';
    if (action === 'goto') {
      const target = rules.findIndex((x) => x.priority === r.gotoPriority);
      // An unresolved goto (no rule with that priority) is skipped.
      if (target < 0 || target <= i) {
        i++;
        continue;
      }
      i = target;
      continue;
    }
    if (action === 'nop') {
      i++;
      continue;
    }
    if (action === 'blackhole') return { ok: false, error: 'EINVAL', rule: ruleRef(r), reason: `ip rule ${r.priority} is a blackhole rule` };
    if (action === 'unreachable') return { ok: false, error: 'ENETUNREACH', rule: ruleRef(r), reason: `ip rule ${r.priority} is an unreachable rule` };
    if (action === 'prohibit') return { ok: false, error: 'EACCES', rule: ruleRef(r), reason: `ip rule ${r.priority} is a prohibit rule` };
    const table = r.table ?? 254;
    const route = tableLookup(ns, table, f.dst, { oif: f.oif, tos: f.tos });
    if (!route || route.type === 'throw') {
      i++;
      continue;
    }
    if (r.suppressPrefixlength !== undefined && prefixLen4(route.dst) <= r.suppressPrefixlength) {
      i++;
      continue;
    }
    const err = TYPE_ERROR[route.type];
    if (err) return { ok: false, error: err, route, table, rule: ruleRef(r), ref: routeRef(route), reason: `${route.type} route` };
    return { ok: true, route, table, rule: ruleRef(r), ref: routeRef(route) };
  }
  return { ok: false, error: 'ENETUNREACH', reason: 'no route matched in any table the rules selected' };
}

/** Address types as inet_addr_type / inet_dev_addr_type report them. */
export type AddrType = 'UNICAST' | 'LOCAL' | 'BROADCAST' | 'MULTICAST' | 'BLACKHOLE' | 'UNREACHABLE' | 'PROHIBIT' | 'THROW' | 'ANYCAST' | 'NAT';

/**
 * __inet_dev_addr_type: 0.0.0.0/8 and 255.255.255.255 are BROADCAST, 224/4 MULTICAST; otherwise
 * the type of the longest match in the local table, or UNICAST. With `dev`, a local-table route
 * counts only when its device is `dev` (addrtype --limit-iface-in/out).
 */
export function addrType(ns: NetNs, addr: string, dev?: string): AddrType {
  const v = ip4(addr);
  if (v === undefined) return 'UNICAST';
  if (v >>> 24 === 0 || v === 0xffffffff) return 'BROADCAST';
  if (v >>> 28 === 0xe) return 'MULTICAST';
  const r = tableLookup(ns, TABLE_LOCAL, addr);
  if (!r) return 'UNICAST';
  if (dev !== undefined && r.dev !== dev) return 'UNICAST';
  return r.type.toUpperCase() as AddrType;
}

/** Is `addr` one of this namespace's own addresses (local table type local)? */
export function isLocalAddress(ns: NetNs, addr: string): boolean {
  return addrType(ns, addr) === 'LOCAL';
}

function sysctl(ns: NetNs, key: string, fallback = '0'): string {
  return ns.sysctls[key] ?? fallback;
}

/** IN_DEV_CONF for per-device IPv4 settings: the device's value (or conf.default when unknown). */
export function devConf(ns: NetNs, dev: string, name: string): number {
  return Number(ns.sysctls[`net.ipv4.conf.${dev.replace(/\./g, '/')}.${name}`] ?? sysctl(ns, `net.ipv4.conf.default.${name}`));
}

/** IN_DEV_ORCONF: conf.all OR conf.<dev>. */
export function devOrConf(ns: NetNs, dev: string, name: string): boolean {
  return Number(sysctl(ns, `net.ipv4.conf.all.${name}`)) !== 0 || devConf(ns, dev, name) !== 0;
}

/** IN_DEV_MAXCONF: the larger of conf.all and conf.<dev> (rp_filter). */
export function devMaxConf(ns: NetNs, dev: string, name: string): number {
  return Math.max(Number(sysctl(ns, `net.ipv4.conf.all.${name}`)), devConf(ns, dev, name));
}

/** IN_DEV_FORWARD: conf.<dev>.forwarding (net.ipv4.ip_forward writes every device's). */
export function forwardingEnabled(ns: NetNs, dev: string): boolean {
  return devConf(ns, dev, 'forwarding') !== 0;
}

/**
 * inet_select_addr(dev, dst, scope): the first primary address of `dev` whose scope is within
 * `scope`, preferring one whose subnet holds `dst`; else the first non-link-scope primary address
 * of any device (loopback first, then ifindex order).
 */
export function selectSourceAddress(ns: NetNs, dev: string | undefined, dst: string | undefined, scope: number): string | undefined {
  const localnet = dev && devOrConf(ns, dev, 'route_localnet') ? 253 : 255;
  let addr: string | undefined;
  if (dev) {
    for (const a of ns.addresses) {
      if (a.family !== 4 || a.dev !== dev || a.flags.includes('secondary')) continue;
      if (Math.min(scopeNum(a.scope), localnet) > scope) continue;
      if (!dst || inPrefix4(dst, `${a.local}/${a.prefixlen}`)) {
        addr = a.local;
        break;
      }
      addr ??= a.local;
    }
    if (addr) return addr;
  }
  const links = [...ns.links].sort((a, b) => (a.kind === 'loopback' ? -1 : b.kind === 'loopback' ? 1 : a.ifindex - b.ifindex));
  for (const l of links) {
    for (const a of ns.addresses) {
      if (a.family !== 4 || a.dev !== l.name || a.flags.includes('secondary')) continue;
      const s = scopeNum(a.scope);
      if (s !== 253 && s <= scope) return a.local;
    }
  }
  return undefined;
}

/** The preferred source of a route (fib_result_prefsrc): its `src`, else inet_select_addr. */
export function routePrefSrc(ns: NetNs, r: Route): string | undefined {
  if (r.src) return r.src;
  return selectSourceAddress(ns, r.dev, r.via, scopeNum(r.scope));
}

/** The next hop a route sends `dst` to: its gateway, else the destination itself. */
export function nextHop(r: Route, dst: string): string {
  return r.via ?? dst;
}

export interface OutputRoute {
  ok: true;
  kind: 'local' | 'unicast' | 'broadcast';
  dev: string;
  src: string;
  nexthop: string;
  fib: Extract<FibResult, { ok: true }>;
}

export type OutputResult = OutputRoute | { ok: false; error: FibError; reason: string; fib: FibResult };

/** ip_route_output_key: the route of a locally generated packet and its source address. */
export function routeOutput(ns: NetNs, f: Flow): OutputResult {
  const flow: Flow = { ...f, iif: 'lo' };
  if (f.src) {
    // ip_route_output_key_hash_rcu: a given source must be one of our addresses (no IP_TRANSPARENT).
    const v = ip4(f.src) ?? 0;
    const m = isMartian(v);
    if (m === 'multicast' || m === 'lbcast' || m === 'zeronet') {
      return { ok: false, error: 'EINVAL', reason: `source ${f.src} is ${m}`, fib: { ok: false, error: 'EINVAL', reason: `source ${f.src} is ${m}` } };
    }
    if (!isLocalAddress(ns, f.src)) {
      const reason = `source ${f.src} is not a local address`;
      return { ok: false, error: 'ENETUNREACH', reason, fib: { ok: false, error: 'ENETUNREACH', reason } };
    }
  }
  const fib = fibLookup(ns, flow);
  if (!fib.ok) return { ok: false, error: fib.error, reason: fib.reason, fib };
  const r = fib.route;
  if (r.type === 'local') {
    return { ok: true, kind: 'local', dev: 'lo', src: f.src ?? r.src ?? f.dst, nexthop: f.dst, fib };
  }
  const src = f.src ?? routePrefSrc(ns, r);
  if (!src) return { ok: false, error: 'EINVAL', reason: `no source address for ${r.dev ?? '?'}`, fib };
  return { ok: true, kind: r.type === 'broadcast' ? 'broadcast' : 'unicast', dev: r.dev ?? 'lo', src, nexthop: nextHop(r, f.dst), fib };
}

export type InputResult =
  | { ok: true; kind: 'local'; fib: Extract<FibResult, { ok: true }> }
  | { ok: true; kind: 'broadcast'; fib?: Extract<FibResult, { ok: true }> }
  | { ok: true; kind: 'forward'; dev: string; nexthop: string; fib: Extract<FibResult, { ok: true }> }
  | {
      ok: false;
      kind: 'martian-source' | 'martian-destination' | 'no-route' | 'forwarding-disabled';
      error?: FibError;
      /** ICMP the kernel answers with (ip_error), if any. */
      icmp?: 'net-unreachable' | 'host-unreachable' | 'admin-prohibited';
      reason: string;
      fib?: FibResult;
    };

function isMartian(v: number): 'zeronet' | 'loopback' | 'multicast' | 'lbcast' | undefined {
  if (v === 0xffffffff) return 'lbcast';
  if (v >>> 28 === 0xe) return 'multicast';
  if (v >>> 24 === 0) return 'zeronet';
  if (v >>> 24 === 127) return 'loopback';
  return undefined;
}

/** ip_route_input_slow for a unicast packet arriving on `iif`. */
export function routeInput(ns: NetNs, pkt: { src: string; dst: string; mark: number; tos?: number }, iif: string): InputResult {
  const s = ip4(pkt.src) ?? 0;
  const d = ip4(pkt.dst) ?? 0;
  const sm = isMartian(s);
  const dm = isMartian(d);
  if (sm === 'multicast' || sm === 'lbcast') return { ok: false, kind: 'martian-source', reason: `source ${pkt.src} is ${sm}` };
  if (d === 0xffffffff || (s === 0 && d === 0)) return { ok: true, kind: 'broadcast' };
  if (sm === 'zeronet') return { ok: false, kind: 'martian-source', reason: `source ${pkt.src} is in 0.0.0.0/8` };
  if (dm === 'zeronet') return { ok: false, kind: 'martian-destination', reason: `destination ${pkt.dst} is in 0.0.0.0/8` };
  if (iif !== 'lo' && !devOrConf(ns, iif, 'route_localnet')) {
    if (dm === 'loopback') return { ok: false, kind: 'martian-destination', reason: `destination ${pkt.dst} is loopback (route_localnet=0 on ${iif})` };
    if (sm === 'loopback') return { ok: false, kind: 'martian-source', reason: `source ${pkt.src} is loopback (route_localnet=0 on ${iif})` };
  }
  const flow: Flow = { dst: pkt.dst, src: pkt.src, iif, mark: pkt.mark, tos: pkt.tos };
  const fib = fibLookup(ns, flow);
  const fwd = forwardingEnabled(ns, iif);
  if (!fib.ok) {
    const error: FibError = fwd ? fib.error : 'EHOSTUNREACH';
    const icmp = !fwd ? undefined : error === 'EHOSTUNREACH' ? 'host-unreachable' : error === 'ENETUNREACH' ? 'net-unreachable' : error === 'EACCES' ? 'admin-prohibited' : undefined;
    return { ok: false, kind: 'no-route', error, icmp, reason: fib.reason, fib };
  }
  const r = fib.route;
  if (r.type === 'broadcast') return { ok: true, kind: 'broadcast', fib };
  if (r.type === 'local') {
    const v = validateSource(ns, pkt.src, pkt.dst, iif, pkt.mark);
    if (!v.ok) return { ok: false, kind: 'martian-source', reason: v.reason, fib };
    return { ok: true, kind: 'local', fib };
  }
  if (!fwd) return { ok: false, kind: 'forwarding-disabled', error: 'EHOSTUNREACH', reason: `net.ipv4.conf.${iif}.forwarding=0`, fib };
  if (r.type !== 'unicast') return { ok: false, kind: 'martian-destination', reason: `${r.type} route`, fib };
  const v = validateSource(ns, pkt.src, pkt.dst, iif, pkt.mark);
  if (!v.ok) return { ok: false, kind: 'martian-source', reason: v.reason, fib };
  return { ok: true, kind: 'forward', dev: r.dev ?? 'lo', nexthop: nextHop(r, pkt.dst), fib };
}

/**
 * fib_validate_source: reverse-path check of `src` arriving on `iif`. rp_filter 1 (strict) needs the
 * reverse route to leave through `iif`; 2 (loose) needs any unicast reverse route. Without
 * rp_filter the full check still runs once custom rules or local routes exist (a source that is a
 * local address is then refused unless accept_local).
 */
export function validateSource(ns: NetNs, src: string, dst: string, iif: string, mark: number): { ok: true } | { ok: false; reason: string } {
  const rpf = devMaxConf(ns, iif, 'rp_filter');
  const acceptLocal = devOrConf(ns, iif, 'accept_local');
  if (!rpf) {
    if (acceptLocal) return { ok: true };
    const customLocal = ns.routes.some((r) => r.family === 4 && r.table === TABLE_LOCAL && r.proto !== 'kernel');
    if (!hasCustomRules(ns) && !customLocal) {
      if (isLocalAddress(ns, src) && iif !== 'lo') return { ok: false, reason: `source ${src} is a local address (accept_local=0)` };
      return { ok: true };
    }
  }
  const flow: Flow = { dst: src, src: dst, iif: 'lo', mark: devOrConf(ns, iif, 'src_valid_mark') ? mark : 0 };
  const noAddr = !ns.addresses.some((a) => a.family === 4 && a.dev === iif);
  const fib = fibLookup(ns, flow);
  if (!fib.ok) {
    if (rpf) return { ok: false, reason: `rp_filter=${rpf} on ${iif}: no route back to ${src}` };
    return { ok: true };
  }
  const t = fib.route.type;
  if (t !== 'unicast' && !(t === 'local' && acceptLocal)) return { ok: false, reason: `reverse route to ${src} is ${t}` };
  if (fib.route.dev === iif) return { ok: true };
  if (noAddr) {
    if (rpf) return { ok: false, reason: `rp_filter=${rpf} on ${iif} (no address): route back to ${src} leaves via ${fib.route.dev}` };
    return { ok: true };
  }
  if (rpf === 1) return { ok: false, reason: `rp_filter=1 on ${iif}: route back to ${src} leaves via ${fib.route.dev}` };
  return { ok: true };
}
