// The engine's IPv4 routing decisions (net/ipv4/route.c, fib_frontend.c): the output route of a
// locally generated packet with its source address, the input path (local / forward / martian /
// no route, the ICMP the kernel answers with), reverse-path validation (fib_validate_source with
// rp_filter, accept_local, src_valid_mark) and address types. The FIB itself (policy rules,
// per-table longest-prefix match, inet_select_addr) is node-state's (src/node-state/fib.ts); this
// adds the deciding rule and route as text for the trace. Pure functions over a NetNs.

import type { NetNs, Route, Rule } from '../node-state/types.ts';
import { TABLE_LOCAL } from '../node-state/types.ts';
import { fibRules4, fibTableLookup4, outputSourceError4, routePrefSrc4, selectSource4, validateSource4, type FibQuery4 } from '../node-state/fib.ts';
import { devOrConf, forwardingEnabled } from '../node-state/inet-conf.ts';
import { routeLine, ruleLine } from '../render/iproute2/route.ts';
import { ip4 } from './packet.ts';

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

/** fib_lookup through the policy rules (node-state's FIB), with the deciding rule and route as text. */
export function fibLookup(ns: NetNs, f: Flow): FibResult {
  const q: FibQuery4 = { dst: f.dst, iif: f.iif ?? 'lo', mark: f.mark, tos: f.tos };
  if (f.src !== undefined) q.src = f.src;
  if (f.oif !== undefined) q.oif = f.oif;
  const d = fibRules4(ns, q);
  if (d.ok) return { ok: true, route: d.route, table: d.table, rule: ruleRef(d.rule), ref: routeRef(d.route) };
  // The lookup itself never fails the reverse-path check (EXDEV is validate_source's).
  const error = d.errno as FibError;
  const rule = d.rule ? ruleRef(d.rule) : undefined;
  if (d.route) return { ok: false, error, route: d.route, table: d.table, rule, ref: routeRef(d.route), reason: `${d.route.type} route` };
  if (d.rule) return { ok: false, error, rule, reason: `ip rule ${d.rule.priority} is ${d.rule.action === 'unreachable' ? 'an' : 'a'} ${d.rule.action} rule` };
  return { ok: false, error, reason: 'no route matched in any table the rules selected' };
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
  // An error or throw route (or none) in table local: RTN_UNICAST, as __inet_dev_addr_type.
  const r = fibTableLookup4(ns, TABLE_LOCAL, addr);
  if (!('route' in r) || 'errno' in r) return 'UNICAST';
  if (dev !== undefined && r.route.dev !== dev) return 'UNICAST';
  return r.route.type.toUpperCase() as AddrType;
}

/** Is `addr` one of this namespace's own addresses (local table type local)? */
export function isLocalAddress(ns: NetNs, addr: string): boolean {
  return addrType(ns, addr) === 'LOCAL';
}

export { devConf, devOrConf, devMaxConf, forwardingEnabled } from '../node-state/inet-conf.ts';

/** inet_select_addr (node-state's): the source address for `dst` out of `dev` within `scope`. */
export const selectSourceAddress = selectSource4;

/** The preferred source of a route (fib_result_prefsrc): node-state's routePrefSrc4. */
export const routePrefSrc = routePrefSrc4;

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
    // A given source must be one of ours (no IP_TRANSPARENT).
    const bad = outputSourceError4(ns, f.src);
    if (bad) return { ok: false, error: bad.errno, reason: bad.reason, fib: { ok: false, error: bad.errno, reason: bad.reason } };
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
  // 0.0.0.0 only: the rest of 0.0.0.0/8 is an ordinary address on current kernels (6.x).
  if (v === 0) return 'zeronet';
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
  if (sm === 'zeronet') return { ok: false, kind: 'martian-source', reason: `source ${pkt.src} is 0.0.0.0` };
  if (dm === 'zeronet') return { ok: false, kind: 'martian-destination', reason: `destination ${pkt.dst} is 0.0.0.0` };
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
  const v = validateSource(ns, pkt.src, pkt.dst, iif, pkt.mark, r.dev);
  if (!v.ok) return { ok: false, kind: 'martian-source', reason: v.reason, fib };
  return { ok: true, kind: 'forward', dev: r.dev ?? 'lo', nexthop: nextHop(r, pkt.dst), fib };
}

/**
 * fib_validate_source (node-state's validateSource4): reverse-path check of `src` arriving on
 * `iif`, for a packet routed out of `oif` (forwarding) or delivered locally (no `oif`).
 */
export function validateSource(ns: NetNs, src: string, dst: string, iif: string, mark: number, oif?: string): { ok: true } | { ok: false; reason: string } {
  const v = validateSource4(ns, { src, dst, iif, oif, mark });
  return v.ok ? { ok: true } : { ok: false, reason: v.reason };
}
