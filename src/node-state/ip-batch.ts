// Renders a Host model as the commands that build the same state in real network namespaces:
// `ip -batch` lines, `bridge -batch` lines and sysctl settings, per namespace, in an order the
// kernel accepts. The live lab runs exactly these; the differential tests use them to build
// the kernel side. Browser-safe (it only produces text).
//
// How the model maps onto a real kernel:
// - ifindexes are reproduced with `ip link add ... index N` (veth peers too);
// - physical devices (kind "device", the ENIs) become multi-queue tap devices, which show
//   `qdisc mq` like an ENA NIC; they need a process holding each queue for carrier (the
//   `taps` list says which) and are created with placeholder links filling lower ifindexes,
//   since tuntap cannot choose its ifindex;
// - netnsids are set explicitly (`netns set PEER ID`) before any veth crosses namespaces;
// - IPv6 DAD is switched off (accept_dad=0) so addresses settle at once; it is not visible in
//   any `ip` output.

import { KubewireError } from '../errors.ts';
import { freshSysctls, sysctlDev } from './ops.ts';
import { kernelRouteDiff, replayForKernelRoutes } from './shadow.ts';
import { ROOT_NS, TABLE_LOCAL, TABLE_MAIN, type Host, type Link, type NetNs, type Route, type Rule, type Address } from './types.ts';

export type BatchTool = 'ip' | 'ip6' | 'bridge' | 'sysctl' | 'tuntap';

export interface BatchStep {
  /** Model namespace name (key of host.namespaces). */
  ns: string;
  /** After this step, attach the carrier holders of the taps it created (see `taps`). */
  holdTaps?: boolean;
  /** Milliseconds to wait after the step. */
  waitAfterMs?: number;
  /**
   * Wait until this device of the step's namespace is ready for IPv6 (its ff00::/8 route shows
   * in `ip -6 route show table local`): a veth's carrier reaches addrconf through linkwatch,
   * asynchronously and sometimes up to a second later.
   */
  waitReady?: string;
  /**
   * ip: lines for `ip -n NS -batch -`; ip6: the same with `-6`; bridge: `bridge -n NS -batch -`;
   * sysctl: "key=value" lines for `ip netns exec NS sysctl -w`; tuntap: lines for `ip -n NS -batch -`
   * that create taps (run after the tap holders are not needed yet; carrier comes later).
   */
  tool: BatchTool;
  lines: string[];
}

export interface HostBatch {
  steps: BatchStep[];
  /** Tap devices (model kind "device") per namespace that need a holder process for carrier. */
  taps: Array<{ ns: string; dev: string }>;
}

export interface BatchOptions {
  /** Model namespace name → real namespace name (default: the same). */
  names?: Record<string, string>;
  /**
   * Switch IPv6 DAD off (accept_dad=0) so addresses settle at once. Off by default: it changes
   * what the kernel shows for addresses on links without carrier (no "tentative").
   */
  disableDad?: boolean;
}

function q(s: string): string {
  // ip -batch splits on whitespace and honours double quotes.
  return /[\s"\\]/.test(s) ? `"${s.replace(/(["\\])/g, '\\$1')}"` : s;
}

function linkCreateArgs(l: Link): string {
  const parts = [`${q(l.name)} index ${l.ifindex}`];
  if (l.kind !== 'loopback') parts.push(`address ${l.mac}`);
  parts.push(`mtu ${l.mtu}`);
  if (l.txqlen !== 1000) parts.push(`txqueuelen ${l.txqlen}`);
  return parts.join(' ');
}

function vxlanArgs(ns: NetNs, l: Link): string {
  const v = l.vxlan;
  if (!v) throw new KubewireError(`vxlan link ${l.name} has no vxlan parameters`);
  const p = [`type vxlan id ${v.vni}`];
  if (v.local) p.push(`local ${v.local}`);
  if (v.dev) {
    if (!ns.links.some((x) => x.name === v.dev)) throw new KubewireError(`vxlan ${l.name}: underlay device ${v.dev} not found`);
    p.push(`dev ${v.dev}`);
  }
  p.push(`dstport ${v.port}`);
  if (v.srcPortMin !== undefined && v.srcPortMax !== undefined) p.push(`srcport ${v.srcPortMin} ${v.srcPortMax}`);
  if (v.ttl !== undefined) p.push(`ttl ${v.ttl}`);
  if (!v.learning) p.push('nolearning');
  if (v.udpCsum === false) p.push('noudpcsum');
  return p.join(' ');
}

function scopeText(s: Route['scope']): string {
  return typeof s === 'number' ? String(s) : s === 'universe' ? 'global' : s;
}

function defaultScope(r: Route): Route['scope'] {
  if (r.family === 6) return 'universe';
  if (r.type === 'local' || r.type === 'nat') return 'host';
  if (r.type === 'broadcast' || r.type === 'multicast' || r.type === 'anycast') return 'link';
  if (r.type === 'unicast' && !r.via) return 'link';
  return 'universe';
}

/** One `route add` line (without the leading `ip`). */
export function routeAddLine(r: Route): string {
  const p: string[] = ['route add'];
  if (r.type !== 'unicast') p.push(r.type);
  p.push(r.dst === 'default' ? (r.family === 6 ? '::/0' : '0.0.0.0/0') : r.dst);
  if (r.tos) p.push(`tos 0x${r.tos.toString(16)}`);
  if (r.table !== TABLE_MAIN && !(r.table === TABLE_LOCAL && (r.type === 'local' || r.type === 'broadcast' || r.type === 'nat' || r.type === 'anycast'))) p.push(`table ${r.table}`);
  if (r.table === TABLE_MAIN && (r.type === 'local' || r.type === 'broadcast' || r.type === 'nat' || r.type === 'anycast')) p.push('table main');
  if (r.proto !== 'boot') p.push(`proto ${r.proto}`);
  if (r.scope !== defaultScope(r)) p.push(`scope ${scopeText(r.scope)}`);
  if (r.metric !== undefined && !(r.family === 6 && r.metric === 1024)) p.push(`metric ${r.metric}`);
  if (r.via) p.push(`via ${r.via}`);
  if (r.dev) p.push(`dev ${q(r.dev)}`);
  if (r.src) p.push(`src ${r.src}`);
  if (r.mtu !== undefined) p.push(`mtu ${r.mtu}`);
  if (r.pref && r.pref !== 'medium') p.push(`pref ${r.pref}`);
  if (r.onlink) p.push('onlink');
  return p.join(' ');
}

function tableName(t: number): string {
  return t === 255 ? 'local' : t === 254 ? 'main' : t === 253 ? 'default' : String(t);
}

/** One `rule add` line. */
export function ruleAddLine(r: Rule): string {
  const p: string[] = ['rule add', `pref ${r.priority}`];
  if (r.not) p.push('not');
  if (r.from) p.push(`from ${r.from}`);
  if (r.to) p.push(`to ${r.to}`);
  if (r.tos) p.push(`tos 0x${r.tos.toString(16)}`);
  if (r.fwmark !== undefined) p.push(`fwmark 0x${r.fwmark.toString(16)}${r.fwmask !== undefined ? `/0x${r.fwmask.toString(16)}` : ''}`);
  if (r.iif) p.push(`iif ${q(r.iif)}`);
  if (r.oif) p.push(`oif ${q(r.oif)}`);
  if (r.protocol !== undefined) p.push(`protocol ${r.protocol}`);
  const action = r.action ?? 'table';
  if (action === 'table') p.push(`lookup ${tableName(r.table ?? TABLE_MAIN)}`);
  else if (action === 'goto') p.push(`goto ${r.gotoPriority}`);
  else p.push(action);
  if (r.suppressPrefixlength !== undefined) p.push(`suppress_prefixlength ${r.suppressPrefixlength}`);
  return p.join(' ');
}

function ruleDelLine(r: Rule): string {
  return ruleAddLine(r).replace(/^rule add/, 'rule del');
}

const DEFAULT_RULES: Rule[] = [
  { family: 4, priority: 0, table: 255, action: 'table' },
  { family: 4, priority: 32766, table: 254, action: 'table' },
  { family: 4, priority: 32767, table: 253, action: 'table' },
  { family: 6, priority: 0, table: 255, action: 'table' },
  { family: 6, priority: 32766, table: 254, action: 'table' },
];

function sameRule(a: Rule, b: Rule): boolean {
  return ruleAddLine(a) === ruleAddLine(b) && a.family === b.family;
}

function addrLine(a: Address): string {
  const p = [`address add ${a.local}/${a.prefixlen}`];
  if (a.broadcast) p.push(`broadcast ${a.broadcast}`);
  const autoScope = a.family === 4 ? (a.local.startsWith('127.') ? 'host' : 'global') : a.local === '::1' ? 'host' : a.local.startsWith('fe80:') ? 'link' : 'global';
  if (a.scope !== autoScope) p.push(`scope ${a.scope}`);
  p.push(`dev ${q(a.dev)}`);
  if (a.label && a.label !== a.dev) p.push(`label ${q(a.label)}`);
  if (a.flags.includes('noprefixroute')) p.push('noprefixroute');
  if (a.flags.includes('nodad')) p.push('nodad');
  const metric = a.metric;
  if (metric !== undefined) p.push(`metric ${metric}`);
  if (a.validLft !== 'forever' || a.preferredLft !== 'forever') p.push(`valid_lft ${a.validLft} preferred_lft ${a.preferredLft}`);
  return p.join(' ');
}

/** Kernel-made addresses that reappear by themselves (lo's, IPv6 link-local EUI-64). */
function isAutoAddress(ns: NetNs, a: Address): boolean {
  const l = ns.links.find((x) => x.name === a.dev);
  if (!l) return false;
  if (l.kind === 'loopback' && l.up && ((a.family === 4 && a.local === '127.0.0.1' && a.prefixlen === 8) || (a.family === 6 && a.local === '::1'))) return true;
  if (a.family === 6 && a.scope === 'link' && a.prefixlen === 64 && a.local.startsWith('fe80::') && !a.flags.includes('nodad')) return true;
  return false;
}

/**
 * Links that are up, in the order the model brought them up: the kernel lists same-prefix
 * routes of several devices in that order, and the model's ff00::/8 routes record it.
 */
function linksInUpOrder(ns: NetNs): Link[] {
  const upOrder = (l: Link) => {
    if (l.kind === 'loopback') return -1;
    const i = ns.routes.findIndex((r) => r.family === 6 && r.type === 'multicast' && r.dst === 'ff00::/8' && r.dev === l.name);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  return ns.links.filter((l) => l.up).sort((a, b) => upOrder(a) - upOrder(b) || a.ifindex - b.ifindex);
}

/** One `route del` line matching exactly this (kernel-made) route. */
export function routeDelLine(r: Route): string {
  const p: string[] = ['route del'];
  if (r.type !== 'unicast') p.push(r.type);
  p.push(r.dst === 'default' ? (r.family === 6 ? '::/0' : '0.0.0.0/0') : r.dst);
  if (r.tos) p.push(`tos 0x${r.tos.toString(16)}`);
  p.push(`table ${r.table}`);
  p.push(`proto ${r.proto}`);
  p.push(`scope ${scopeText(r.scope)}`);
  if (r.metric !== undefined) p.push(`metric ${r.metric}`);
  if (r.via) p.push(`via ${r.via}`);
  if (r.dev) p.push(`dev ${q(r.dev)}`);
  if (r.src) p.push(`src ${r.src}`);
  return p.join(' ');
}

/** A sysctl of one device (net.ipv4.conf.eth0.rp_filter, net.ipv4.neigh.cali1.proxy_delay). */
export function perDeviceKey(k: string): boolean {
  const m = /^net\.ipv[46]\.(conf|neigh)\.([^.]+)\./.exec(k);
  return !!m && m[2] !== 'all' && m[2] !== 'default';
}

function v6Addrs(ns: NetNs): Address[] {
  return ns.addresses.filter((a) => a.family === 6 && !isAutoAddress(ns, a));
}

/** Whether an IPv6 address must be added after its link is up to reproduce the model. */
function v6AfterUp(ns: NetNs, a: Address): boolean {
  const l = ns.links.find((x) => x.name === a.dev);
  if (!l || !l.up) return false;
  if (l.carrier) return true;
  return ns.routes.some((r) => r.family === 6 && r.type === 'multicast' && r.dev === l.name);
}

/**
 * The commands that build `host` in real namespaces. Steps must run in order; each step runs in
 * its namespace (already created with `ip netns add`). Taps listed in `taps` need a holder
 * process attached after their step for carrier (see src/testing/netns.node.ts).
 */
export function hostToBatch(host: Host, opts: BatchOptions = {}): HostBatch {
  const realName = (n: string) => opts.names?.[n] ?? n;
  const steps: BatchStep[] = [];
  const taps: Array<{ ns: string; dev: string }> = [];
  const nsNames = Object.keys(host.namespaces).sort((a, b) => (a === ROOT_NS ? -1 : b === ROOT_NS ? 1 : a < b ? -1 : a > b ? 1 : 0));
  const fresh = freshSysctls();

  // 1. Namespace-wide sysctls and DAD off.
  for (const n of nsNames) {
    const ns = host.namespaces[n];
    const lines: string[] = opts.disableDad ? ['net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0'] : [];
    for (const [k, v] of Object.entries(ns.sysctls)) {
      if (!perDeviceKey(k)) {
        if (fresh[k] !== v) lines.push(`${k}=${v}`);
      }
    }
    if (lines.length) steps.push({ ns: n, tool: 'sysctl', lines });
  }
  // 2. netnsids, before anything makes the kernel pick one.
  for (const n of nsNames) {
    const ns = host.namespaces[n];
    const lines = Object.entries(ns.netnsIds)
      .sort((a, b) => a[1] - b[1])
      .filter(([peer]) => host.namespaces[peer])
      .map(([peer, id]) => `netns set ${q(realName(peer))} ${id}`);
    if (lines.length) steps.push({ ns: n, tool: 'ip', lines });
  }
  // 3a. taps for physical devices first, with placeholder links filling the free ifindexes
  // below them (deleted again at once). They get their carrier holder right after, before any
  // veth exists: a veth without carrier takes its operstate from the device that has its peer's
  // ifindex in its own namespace, evaluated when the kernel's linkwatch gets to it.
  for (const n of nsNames) {
    const ns = host.namespaces[n];
    const devs = ns.links.filter((l) => l.kind === 'device');
    if (!devs.length) continue;
    const lines: string[] = [];
    const occupied = new Set<number>(ns.links.filter((l) => l.kind === 'loopback').map((l) => l.ifindex));
    const placeholders: string[] = [];
    for (const d of [...devs].sort((a, b) => a.ifindex - b.ifindex)) {
      for (let i = 2; i < d.ifindex; i++) {
        if (!occupied.has(i)) {
          const name = `kwph${i}`;
          lines.push(`link add ${name} index ${i} type ifb`);
          placeholders.push(name);
          occupied.add(i);
        }
      }
      lines.push(`tuntap add mode tap multi_queue name ${q(d.name)}`);
      occupied.add(d.ifindex);
      taps.push({ ns: n, dev: d.name });
    }
    for (const p of placeholders) lines.push(`link del ${p}`);
    for (const d of devs) {
      lines.push(`link set dev ${q(d.name)} address ${d.mac} mtu ${d.mtu}${d.txqlen !== 1000 ? ` txqueuelen ${d.txqlen}` : ''}`);
    }
    steps.push({ ns: n, tool: 'ip', lines, holdTaps: true });
  }
  // 3b. veth pairs (both ifindexes explicit), created from the first namespace that sees them.
  const made = new Set<string>();
  for (const n of nsNames) {
    const ns = host.namespaces[n];
    const lines: string[] = [];
    for (const l of ns.links) {
      if (l.kind !== 'veth' || !l.veth) continue;
      const key = `${n}/${l.name}`;
      if (made.has(key)) continue;
      const pns = host.namespaces[l.veth.peerNs];
      const peer = pns?.links.find((x) => x.name === l.veth!.peerName);
      if (!pns || !peer) throw new KubewireError(`veth ${l.name} in ${n}: peer ${l.veth.peerNs}/${l.veth.peerName} not found`);
      made.add(key);
      made.add(`${l.veth.peerNs}/${peer.name}`);
      const netnsPart = l.veth.peerNs === n ? '' : ` netns ${q(realName(l.veth.peerNs))}`;
      lines.push(`link add ${linkCreateArgs(l)} type veth peer name ${linkCreateArgs(peer)}${netnsPart}`);
    }
    if (lines.length) steps.push({ ns: n, tool: 'ip', lines });
  }
  // 3c. the other links.
  for (const n of nsNames) {
    const ns = host.namespaces[n];
    const lines: string[] = [];
    for (const l of ns.links) {
      if (l.kind === 'loopback' || l.kind === 'veth' || l.kind === 'device') continue;
      if (l.kind === 'vxlan') lines.push(`link add ${linkCreateArgs(l)} ${vxlanArgs(ns, l)}`);
      else if (l.kind === 'bridge') lines.push(`link add ${linkCreateArgs(l)} type bridge`);
      else if (l.kind === 'dummy') lines.push(`link add ${linkCreateArgs(l)} type dummy`);
      else if (l.kind === 'ipip') lines.push(`link add ${linkCreateArgs(l)} type ipip`);
    }
    for (const l of ns.links) {
      const extra: string[] = [];
      if (l.master) extra.push(`master ${q(l.master)}`);
      if (l.alias) extra.push(`alias ${q(l.alias)}`);
      if (l.kind === 'loopback' && l.mtu !== 65536) extra.push(`mtu ${l.mtu}`);
      if (extra.length) lines.push(`link set dev ${q(l.name)} ${extra.join(' ')}`);
      for (const a of l.altnames ?? []) lines.push(`link property add dev ${q(l.name)} altname ${q(a)}`);
    }
    if (lines.length) steps.push({ ns: n, tool: 'ip', lines });
  }
  // 4. per-device sysctls that differ from what the device inherited.
  for (const n of nsNames) {
    const ns = host.namespaces[n];
    const lines: string[] = [];
    for (const l of ns.links) {
      const d = sysctlDev(l.name);
      if (opts.disableDad) lines.push(`net.ipv6.conf.${d}.accept_dad=0`);
      for (const fam of ['ipv4', 'ipv6']) {
        for (const sect of ['conf', 'neigh']) {
          const pre = `net.${fam}.${sect}.${d}.`;
          for (const [k, v] of Object.entries(ns.sysctls)) {
            if (!k.startsWith(pre)) continue;
            const inherited = ns.sysctls[`net.${fam}.${sect}.default.${k.slice(pre.length)}`];
            if (inherited !== v) lines.push(`${k}=${v}`);
          }
        }
      }
    }
    if (lines.length) steps.push({ ns: n, tool: 'sysctl', lines });
  }
  // 5a. addresses. IPv4 in list order (the kernel keeps insertion order); IPv6 of one scope
  // is listed newest first, so those are added in reverse.
  for (const n of nsNames) {
    const ns = host.namespaces[n];
    const ip: string[] = [];
    for (const a of ns.addresses) if (a.family === 4 && !isAutoAddress(ns, a)) ip.push(addrLine(a));
    for (const a of [...v6Addrs(ns)].reverse()) if (!v6AfterUp(ns, a)) ip.push(addrLine(a));
    if (ip.length) steps.push({ ns: n, tool: 'ip', lines: ip });
  }
  // 5b. link up. The kernel lists same-prefix routes of several devices (fe80::/64, ff00::/8,
  // two ENIs in one subnet) in the order the devices came up, so replay the model's order,
  // which its ff00::/8 routes record. Pod namespaces first: a veth gets carrier when its
  // second end comes up, which then happens in the root namespace in the right order.
  for (const n of [...nsNames.filter((x) => x !== ROOT_NS), ...nsNames.filter((x) => x === ROOT_NS)]) {
    const ns = host.namespaces[n];
    const ups = linksInUpOrder(ns);
    let batch: string[] = [];
    for (const l of ups) {
      batch.push(`link set dev ${q(l.name)} up`);
      const hasMroute = ns.routes.some((r) => r.family === 6 && r.type === 'multicast' && r.dev === l.name);
      if (l.kind === 'veth' && l.carrier && hasMroute) {
        // This may complete the pair: let linkwatch deliver the carrier before the next link.
        steps.push({ ns: n, tool: 'ip', lines: batch, waitReady: l.name });
        batch = [];
      }
    }
    if (batch.length) steps.push({ ns: n, tool: 'ip', lines: batch });
  }
  // 5b'. IPv6 addresses that the model added while their link was up (which also installs the
  // ff00::/8 route on a link without carrier).
  for (const n of nsNames) {
    const ns = host.namespaces[n];
    const ip = [...v6Addrs(ns)].reverse().filter((a) => v6AfterUp(ns, a)).map(addrLine);
    if (ip.length) steps.push({ ns: n, tool: 'ip', lines: ip, waitAfterMs: 60 });
  }
  // Kernel routes the replay would get wrong (a CNI deleted a connected route, say).
  const shadow = replayForKernelRoutes(host, { nsNames, v6AfterUp, isAuto: isAutoAddress, upOrder: linksInUpOrder });
  // 5c. routes, rules, neighbours, FDB.
  for (const n of nsNames) {
    const ns = host.namespaces[n];
    const ip: string[] = [];
    const ip6: string[] = [];
    const diff = shadow ? kernelRouteDiff(ns, shadow.namespaces[n]) : { del: [], add: [] };
    for (const r of diff.add) (r.family === 4 ? ip : ip6).push(routeAddLine(r));
    const routes = ns.routes.filter((r) => r.proto !== 'kernel');
    for (const r of routes) (r.family === 4 ? ip : ip6).push(routeAddLine(r));
    for (const r of diff.del) (r.family === 4 ? ip : ip6).push(routeDelLine(r));
    for (const r of DEFAULT_RULES) if (!ns.rules.some((x) => sameRule(x, r))) (r.family === 4 ? ip : ip6).push(ruleDelLine(r));
    for (const r of ns.rules) if (!DEFAULT_RULES.some((x) => sameRule(x, r))) (r.family === 4 ? ip : ip6).push(ruleAddLine(r));
    for (const nb of ns.neighbours) {
      const p = [`neigh add${nb.proxy ? ' proxy' : ''} ${nb.dst}`];
      if (nb.lladdr) p.push(`lladdr ${nb.lladdr}`);
      p.push(`dev ${q(nb.dev)}`);
      if (!nb.proxy) p.push(`nud ${nb.state.toLowerCase()}`);
      if (nb.router) p.push('router');
      ip.push(p.join(' '));
    }
    if (ip.length) steps.push({ ns: n, tool: 'ip', lines: ip });
    if (ip6.length) steps.push({ ns: n, tool: 'ip6', lines: ip6 });
    const br: string[] = [];
    const seen = new Set<string>();
    for (const f of ns.fdb) {
      const key = `${f.mac}|${f.dev}`;
      const verb = seen.has(key) ? 'append' : 'add';
      seen.add(key);
      const p = [`fdb ${verb} ${f.mac} dev ${q(f.dev)}`];
      if (f.dst) p.push(`dst ${f.dst}`);
      if (f.vlan !== undefined) p.push(`vlan ${f.vlan}`);
      if (f.port !== undefined) p.push(`port ${f.port}`);
      if (f.vni !== undefined) p.push(`vni ${f.vni}`);
      if (f.via) p.push(`via ${f.via}`);
      if (f.self) p.push('self');
      if (f.master) p.push('master');
      p.push(f.permanent ? 'permanent' : (f.state ?? 'static'));
      br.push(p.join(' '));
    }
    if (br.length) steps.push({ ns: n, tool: 'bridge', lines: br });
  }
  return { steps, taps };
}

/** The whole plan as one shell script (for people and for the lab's logs). */
export function batchToShell(b: HostBatch, names: Record<string, string> = {}): string {
  const real = (n: string) => names[n] ?? n;
  const out: string[] = [];
  for (const s of b.steps) {
    const ns = real(s.ns);
    if (s.tool === 'sysctl') {
      for (const l of s.lines) out.push(`ip netns exec ${ns} sysctl -qw ${l}`);
    } else {
      const cmd = s.tool === 'bridge' ? `bridge -n ${ns} -batch -` : s.tool === 'ip6' ? `ip -6 -n ${ns} -batch -` : `ip -n ${ns} -batch -`;
      out.push(`${cmd} <<'EOF'`, ...s.lines, 'EOF');
    }
  }
  return out.join('\n') + '\n';
}
