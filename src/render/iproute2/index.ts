// Read-only `ip` and `bridge` command lines against the node-state model, answering like
// iproute2 6.1: same stdout, same error text on stderr, same exit codes.

import type { Host, NetNs } from '../../node-state/types.ts';
import { renderAddrs, renderAddrsBrief, renderLinks, renderLinksBrief, type LinkFilter } from './link.ts';
import { renderFdb, renderNeighbours, renderRoutes, renderRules, type RouteFilter } from './route.ts';
import type { RenderOptions } from './common.ts';
import { canonicalDst, parseAddr } from '../../node-state/addr.ts';
import { fibTables } from '../../node-state/ops.ts';
import { ERRNO_TEXT, fibLookup4, fibLookupInput4, type FibQuery4 } from '../../node-state/fib.ts';
import { tableName } from './common.ts';
import { addrsJson, linksJson, neighJson, routesJson, rulesJson } from './json.ts';

export { renderAddrs, renderAddrsBrief, renderLinks, renderLinksBrief } from './link.ts';
export { renderFdb, renderNeighbours, renderRoutes, renderRules, routeLine, ruleLine } from './route.ts';
export type { RenderOptions } from './common.ts';

export interface IpResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** iproute2's matches(): the typed word is a prefix of the keyword. */
function matches(word: string, keyword: string): boolean {
  return word.length > 0 && keyword.startsWith(word);
}

const OBJECTS = [
  'address', 'addrlabel', 'maddress', 'route', 'rule', 'neighbor', 'neighbour', 'ntable', 'ntbl', 'link', 'l2tp', 'fou', 'ila', 'macsec',
  'tunnel', 'tuntap', 'tap', 'token', 'tcpmetrics', 'tcp_metrics', 'monitor', 'xfrm', 'mroute', 'mrule', 'netns', 'netconf', 'vrf', 'sr',
  'nexthop', 'mptcp', 'ioam', 'stats', 'help',
];

const ok = (stdout: string): IpResult => ({ stdout, stderr: '', exitCode: 0 });
const fail = (stderr: string, exitCode: number): IpResult => ({ stdout: '', stderr: stderr.endsWith('\n') ? stderr : stderr + '\n', exitCode });

class Usage extends Error {
  constructor(readonly result: IpResult) {
    super(result.stderr);
  }
}

interface GlobalOpts {
  family?: 4 | 6;
  brief: boolean;
  details: boolean;
  oneline: boolean;
  json: boolean;
}

export const IP_VERSION = 'ip utility, iproute2-6.1.0, libbpf 1.1.2';

/** -o: each record on one line, its inner newlines turned into backslashes. */
function oneline(text: string, recordStart: RegExp): string {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const out: string[] = [];
  for (const l of lines) {
    if (recordStart.test(l) || out.length === 0) out.push(l);
    else out[out.length - 1] += `\\${l}`;
  }
  return out.map((l) => `${l}\n`).join('');
}

/**
 * Runs one `ip ...` or `bridge ...` command line in a namespace of the host. `argv[0]` may be
 * "ip"/"bridge" (or a path ending in them); otherwise the words are taken as `ip` arguments.
 */
export function runIpCommand(host: Host, nsName: string, argv: string[], opts: RenderOptions = {}): IpResult {
  const ns0 = host.namespaces[nsName];
  if (!ns0) return fail(`Cannot open network namespace "${nsName}": No such file or directory`, 255);
  let prog = 'ip';
  let args = argv;
  const base = argv[0]?.split('/').pop();
  if (base === 'ip' || base === 'bridge') {
    prog = base;
    args = argv.slice(1);
  }
  try {
    return prog === 'bridge' ? runBridge(host, ns0, args) : runIp(host, ns0, args, opts);
  } catch (e) {
    if (e instanceof Usage) return e.result;
    throw e;
  }
}

function runIp(host: Host, ns0: NetNs, args: string[], ropts: RenderOptions): IpResult {
  const g: GlobalOpts = { brief: false, details: false, oneline: false, json: false };
  let ns = ns0;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('-') || a === '-') break;
    let opt = a.slice(1);
    if (opt.startsWith('-')) opt = opt.slice(1);
    if (opt === '4') g.family = 4;
    else if (opt === '6') g.family = 6;
    else if (opt === '0') g.family = undefined;
    else if (matches(opt, 'brief') && opt.length >= 2) g.brief = true;
    else if (matches(opt, 'oneline')) g.oneline = true;
    else if (matches(opt, 'Version')) return ok(`${IP_VERSION}\n`);
    else if (matches(opt, 'details')) g.details = true;
    else if (opt === 'family' || opt === 'f') {
      const f = args[++i];
      if (f === 'inet') g.family = 4;
      else if (f === 'inet6') g.family = 6;
      else return fail(`Error: argument "${f ?? ''}" is wrong: invalid protocol family`, 255);
    } else if (matches(opt, 'netns') && opt.length >= 1 && opt[0] === 'n') {
      const name = args[++i];
      if (name === undefined) return fail('Command line is not complete. Try option "help"', 255);
      const other = host.namespaces[name];
      if (!other) return fail(`Cannot open network namespace "${name}": No such file or directory`, 255);
      ns = other;
    } else if (matches(opt, 'color') || matches(opt, 'human') || matches(opt, 'iec')) {
      // Colour only matters on a terminal; -h/-iec only change statistics.
    } else if (matches(opt, 'json')) {
      g.json = true;
    } else if (matches(opt, 'pretty') || matches(opt, 'statistics')) {
      return fail(`kubewire: ip ${a} is not modelled (use the plain text form)`, 255);
    } else {
      return fail(`Option "${a}" is unknown, try "ip -help".`, 255);
    }
  }
  const obj = args[i];
  const rest = args.slice(i + 1);
  if (obj === undefined) return fail(IP_USAGE, 255);
  const cmd = OBJECTS.find((o) => matches(obj, o));
  if (!cmd) return fail(`Object "${obj}" is unknown, try "ip help".`, 1);
  switch (cmd) {
    case 'address':
      return doAddress(host, ns, rest, g, ropts);
    case 'link':
      return doLink(host, ns, rest, g, ropts);
    case 'route':
      return doRoute(ns, rest, g);
    case 'rule':
      return doRule(ns, rest, g);
    case 'neighbor':
    case 'neighbour':
      return doNeigh(ns, rest, g);
    case 'help':
      return fail(IP_USAGE, 255);
    default:
      return fail(`kubewire: "ip ${cmd}" is not modelled`, 255);
  }
}

const IP_USAGE = `Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }
       ip [ -force ] -batch filename
where  OBJECT := { address | addrlabel | amt | fou | help | ila | ioam | l2tp |
                   link | macsec | maddress | monitor | mptcp | mroute | mrule |
                   neighbor | neighbour | netconf | netns | nexthop | ntable |
                   ntbl | route | rule | sr | tap | tcpmetrics |
                   token | tunnel | tuntap | vrf | xfrm }
       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] | -r[esolve] |
                    -h[uman-readable] | -iec | -j[son] | -p[retty] |
                    -f[amily] { inet | inet6 | mpls | bridge | link } |
                    -4 | -6 | -M | -B | -0 |
                    -l[oops] { maximum-addr-flush-attempts } | -br[ief] |
                    -o[neline] | -t[imestamp] | -ts[hort] | -b[atch] [filename] |
                    -rc[vbuf] [size] | -n[etns] name | -N[umeric] | -a[ll] |
                    -c[olor]}
`;

/** Parses `[dev] NAME | up | label ...` of ip addr/link show. */
function parseShowArgs(ns: NetNs, words: string[], what: string): LinkFilter {
  const f: LinkFilter = {};
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === 'dev') {
      const d = words[++i];
      if (d === undefined) throw new Usage(fail('Command line is not complete. Try option "help"', 255));
      f.dev = d;
    } else if (w === 'up') f.up = true;
    else if (w === 'type') {
      const t = words[++i];
      if (t === undefined) throw new Usage(fail('Command line is not complete. Try option "help"', 255));
      f.type = t;
    } else if (w === 'master') {
      const m = words[++i];
      if (m === undefined) throw new Usage(fail('Command line is not complete. Try option "help"', 255));
      if (!ns.links.some((l) => l.name === m)) throw new Usage(fail(`Device "${m}" does not exist.`, 1));
      f.master = m;
    } else if (w === 'scope' || w === 'label' || w === 'to' || w === 'vrf') {
      throw new Usage(fail(`kubewire: "ip ${what} show ${w}" filtering is not modelled`, 255));
    } else {
      if (f.dev !== undefined) throw new Usage(fail(`Error: either "dev" is duplicate, or "${w}" is a garbage.`, 255));
      f.dev = w;
    }
  }
  if (f.dev !== undefined && !ns.links.some((l) => l.name === f.dev)) {
    throw new Usage(fail(`Device "${f.dev}" does not exist.`, 1));
  }
  return f;
}

function doAddress(host: Host, ns: NetNs, rest: string[], g: GlobalOpts, ropts: RenderOptions): IpResult {
  let words = rest;
  if (words.length) {
    const c = words[0];
    if (matches(c, 'show') || matches(c, 'list') || matches(c, 'lst')) words = words.slice(1);
    else if (matches(c, 'help')) return fail('Usage: ip address {add|change|replace} IFADDR dev IFNAME [ LIFETIME ]', 255);
    else if (['add', 'change', 'replace', 'delete', 'flush', 'save', 'restore', 'showdump'].some((k) => matches(c, k))) {
      return fail('kubewire: node state is read-only here; change it through the cluster', 255);
    } else return fail(`Command "${c}" is unknown, try "ip address help".`, 255);
  }
  const f = parseShowArgs(ns, words, 'address');
  f.family = g.family;
  if (g.json) {
    if (g.family === 6 && f.dev === undefined) return fail('kubewire: "ip -j -6 addr" is not modelled', 255);
    return ok(addrsJson(ns, f));
  }
  if (g.brief) return ok(renderAddrsBrief(ns, f));
  if (g.oneline) return ok(addrOneline(ns, f));
  return ok(renderAddrs(host, ns, f, ropts));
}

function doLink(host: Host, ns: NetNs, rest: string[], g: GlobalOpts, ropts: RenderOptions): IpResult {
  let words = rest;
  if (words.length) {
    const c = words[0];
    if (matches(c, 'show') || matches(c, 'list') || matches(c, 'lst')) words = words.slice(1);
    else if (matches(c, 'help')) return fail('Usage: ip link add [link DEV | parentdev NAME] [ name ] NAME', 255);
    else if (['add', 'delete', 'set', 'change', 'replace', 'property', 'xstats', 'afstats'].some((k) => matches(c, k))) {
      return fail('kubewire: node state is read-only here; change it through the cluster', 255);
    } else return fail(`Command "${c}" is unknown, try "ip link help".`, 255);
  }
  const f = parseShowArgs(ns, words, 'link');
  if (g.json) {
    if (g.details) return fail('kubewire: "ip -j -d link" is not modelled', 255);
    return ok(linksJson(host, ns, f));
  }
  if (g.brief) return ok(renderLinksBrief(host, ns, f));
  const text = renderLinks(host, ns, f, { ...ropts, details: g.details });
  return ok(g.oneline ? oneline(text, /^\d+: /) : text);
}

function parseTable(w: string | undefined): number | 'all' {
  if (w === undefined) throw new Usage(fail('Command line is not complete. Try option "help"', 255));
  if (w === 'all' || w === '0' || w === 'unspec') return 'all';
  if (w === 'main') return 254;
  if (w === 'local') return 255;
  if (w === 'default') return 253;
  if (/^\d+$/.test(w) && Number(w) < 2 ** 32) return Number(w);
  if (/^0x[0-9a-f]+$/i.test(w)) return parseInt(w, 16);
  throw new Usage(fail(`Error: argument "${w}" is wrong: table id value is invalid\n\n`, 255));
}

function doRoute(ns: NetNs, rest: string[], g: GlobalOpts): IpResult {
  let words = rest;
  if (words.length) {
    const c = words[0];
    if (matches(c, 'show') || matches(c, 'list') || matches(c, 'lst')) words = words.slice(1);
    else if (matches(c, 'help')) return fail('Usage: ip route { list | flush } SELECTOR', 255);
    else if (['add', 'change', 'replace', 'prepend', 'append', 'test', 'delete', 'flush', 'save', 'restore', 'showdump'].some((k) => matches(c, k))) {
      return fail('kubewire: node state is read-only here; change it through the cluster', 255);
    } else if (matches(c, 'get')) {
      if (g.json) return fail('kubewire: "ip -j route get" is not modelled', 255);
      return routeGet(ns, words.slice(1), g);
    } else return fail(`Command "${c}" is unknown, try "ip route help".`, 255);
  }
  const f: RouteFilter = { family: g.family };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === 'table') f.table = parseTable(words[++i]);
    else if (w === 'dev' || w === 'oif') {
      const d = words[++i];
      if (d === undefined) return fail('Command line is not complete. Try option "help"', 255);
      if (!ns.links.some((l) => l.name === d)) return fail(`Cannot find device "${d}"`, 1);
      f.dev = d;
    } else if (w === 'proto' || w === 'protocol') f.proto = words[++i];
    else if (w === 'scope') f.scope = words[++i];
    else if (w === 'type') f.type = words[++i];
    else if (w === 'exact' || w === 'root' || w === 'match') {
      const p = canon(words[++i], g.family);
      if (w === 'exact') f.exact = p;
      else if (w === 'root') f.root = p;
      else f.match = p;
    } else if (/^[0-9a-fA-F:.]+(\/\d+)?$/.test(w) || w === 'default') {
      // iproute2 treats a bare prefix as "root" unless it is a host address.
      f.exact = canon(w, g.family);
    } else return fail(`Error: argument "${w}" is wrong: invalid route selector`, 255);
  }
  if (f.table === undefined) f.table = 254;
  if (f.table !== 'all' && f.family === undefined) f.family = 4;
  if (f.table !== 'all' && !fibTables(ns, f.family!).includes(f.table)) {
    return fail(`Error: ipv${f.family}: FIB table does not exist.\nDump terminated`, 2);
  }
  return ok(g.json ? routesJson(ns, f) : renderRoutes(ns, f));
}

function canon(p: string | undefined, fam?: 4 | 6): string {
  if (p === undefined) throw new Usage(fail('Command line is not complete. Try option "help"', 255));
  try {
    return canonicalDst(p.includes('/') || p === 'default' ? p : `${p}/${p.includes(':') ? 128 : 32}`, fam).dst;
  } catch {
    throw new Usage(fail(`Error: inet prefix is expected rather than "${p}".`, 1));
  }
}

function doRule(ns: NetNs, rest: string[], g: GlobalOpts): IpResult {
  if (rest.length) {
    const c = rest[0];
    if (matches(c, 'show') || matches(c, 'list') || matches(c, 'lst')) {
      if (rest.length > 1) return fail('kubewire: "ip rule show" selectors are not modelled', 255);
    } else if (matches(c, 'help')) return fail('Usage: ip rule { add | del } SELECTOR ACTION', 255);
    else if (['add', 'delete', 'flush', 'save', 'restore'].some((k) => matches(c, k))) {
      return fail('kubewire: node state is read-only here; change it through the cluster', 255);
    } else return fail(`Command "${c}" is unknown, try "ip rule help".`, 255);
  }
  if (g.json) return ok(rulesJson(ns, g.family ?? 4));
  if (g.family === undefined) return ok(renderRules(ns, 4));
  return ok(renderRules(ns, g.family));
}

function doNeigh(ns: NetNs, rest: string[], g: GlobalOpts): IpResult {
  let words = rest;
  if (words.length) {
    const c = words[0];
    if (matches(c, 'show') || matches(c, 'list') || matches(c, 'lst')) words = words.slice(1);
    else if (matches(c, 'help')) return fail('Usage: ip neigh { add | del | change | replace }', 255);
    else if (['add', 'delete', 'change', 'replace', 'flush', 'get'].some((k) => matches(c, k))) {
      return fail('kubewire: node state is read-only here; change it through the cluster', 255);
    } else return fail(`Command "${c}" is unknown, try "ip neigh help".`, 255);
  }
  const f: { family?: 4 | 6; dev?: string; proxy?: boolean } = { family: g.family };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === 'dev') {
      const d = words[++i];
      if (d === undefined) return fail('Command line is not complete. Try option "help"', 255);
      if (!ns.links.some((l) => l.name === d)) return fail(`Cannot find device "${d}"`, 1);
      f.dev = d;
    } else if (w === 'proxy') f.proxy = true;
    else return fail(`kubewire: "ip neigh show ${w}" is not modelled`, 255);
  }
  if (g.json) {
    if (f.proxy) return fail('kubewire: "ip -j neigh show proxy" is not modelled', 255);
    return ok(neighJson(ns, f));
  }
  return ok(renderNeighbours(ns, f));
}

function runBridge(host: Host, ns: NetNs, args: string[]): IpResult {
  let i = 0;
  while (i < args.length && args[i].startsWith('-')) {
    return fail(`Option "${args[i]}" is unknown, try "bridge help".`, 255);
  }
  const obj = args[i];
  if (obj === undefined) return fail('Usage: bridge [ OPTIONS ] OBJECT { COMMAND | help }', 255);
  if (!matches(obj, 'fdb')) {
    if (['link', 'mdb', 'vlan', 'vni', 'monitor'].some((o) => matches(obj, o))) return fail(`kubewire: "bridge ${obj}" is not modelled`, 255);
    return fail(`Object "${obj}" is unknown, try "bridge help".`, 255);
  }
  const rest = args.slice(i + 1);
  let words = rest;
  if (words.length) {
    const c = words[0];
    if (matches(c, 'show') || matches(c, 'list') || matches(c, 'lst')) words = words.slice(1);
    else if (['add', 'append', 'delete', 'replace', 'flush', 'get'].some((k) => matches(c, k))) {
      return fail('kubewire: node state is read-only here; change it through the cluster', 255);
    } else return fail(`Command "${c}" is unknown, try "bridge fdb help".`, 255);
  }
  let dev: string | undefined;
  for (let j = 0; j < words.length; j++) {
    const w = words[j];
    if (w === 'dev') {
      dev = words[++j];
      if (dev === undefined) return fail('Command line is not complete. Try option "help"', 255);
      if (!ns.links.some((l) => l.name === dev)) return fail(`Cannot find device "${dev}"`, 255);
    } else return fail(`kubewire: "bridge fdb show ${w}" is not modelled`, 255);
  }
  return ok(renderFdb(host, ns, { dev }));
}

/** `ip route get ADDR [from ADDR] [oif DEV] [mark N] [tos T]` for IPv4 locally generated packets. */
function routeGet(ns: NetNs, words: string[], g: GlobalOpts): IpResult {
  const q: Partial<FibQuery4> = {};
  let iif: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const next = () => {
      const v = words[++i];
      if (v === undefined) throw new Usage(fail('Command line is not complete. Try option "help"', 255));
      return v;
    };
    if (w === 'from') q.src = next();
    else if (w === 'oif') {
      q.oif = next();
      if (!ns.links.some((l) => l.name === q.oif)) return fail(`Cannot find device "${q.oif}"`, 1);
    } else if (w === 'mark' || w === 'fwmark') {
      const v = next();
      q.mark = Number(v.startsWith('0x') ? parseInt(v, 16) : Number(v));
    } else if (w === 'tos' || w === 'dsfield') {
      const v = next();
      q.tos = v.startsWith('0x') ? parseInt(v, 16) : Number(v);
    } else if (w === 'iif') {
      iif = next();
      if (!ns.links.some((l) => l.name === iif)) return fail(`Cannot find device "${iif}"`, 1);
    } else if (w === 'vrf' || w === 'ipproto' || w === 'sport' || w === 'dport' || w === 'connected' || w === 'fibmatch') {
      return fail(`kubewire: "ip route get ... ${w}" is not modelled (use kubewire trace for forwarded packets)`, 255);
    } else if (w === 'to') q.dst = next();
    else if (q.dst === undefined) q.dst = w;
    else return fail(`Error: either "to" is duplicate, or "${w}" is a garbage.`, 255);
  }
  if (q.dst === undefined) return fail('need at least a destination address', 1);
  const d = parseAddr(q.dst.replace(/\/32$/, ''));
  if (!d) return fail(`Error: inet prefix is expected rather than "${q.dst}".`, 1);
  if (d.family === 6 || g.family === 6) return fail('kubewire: "ip -6 route get" is not modelled', 255);
  if (iif !== undefined) return routeGetInput(ns, { ...q, dst: q.dst.replace(/\/32$/, '') } as FibQuery4, iif);
  const res = fibLookup4(ns, { ...q, dst: q.dst.replace(/\/32$/, '') } as FibQuery4);
  if (!res.ok) return fail(`RTNETLINK answers: ${ERRNO_TEXT[res.errno]}`, 2);
  let out = '';
  if (res.type !== 'unicast') out += `${res.type} `;
  out += `${q.dst.replace(/\/32$/, '')} `;
  if (q.src !== undefined) out += `from ${q.src} `;
  // The TOS shown is the matched route's (the FIB alias), not the query's.
  if (res.route?.tos) out += `tos 0x${res.route.tos.toString(16)} `;
  if (res.via) out += `via ${res.via} `;
  out += `dev ${res.dev} `;
  if (res.table !== 254 && res.table !== 0) out += `table ${tableName(res.table)} `;
  if (q.src === undefined && res.src) out += `src ${res.src} `;
  // iproute2 prints marks below 16 in decimal.
  if (q.mark) out += q.mark >= 16 ? `mark 0x${q.mark.toString(16)} ` : `mark ${q.mark} `;
  out += 'uid 0 \n    cache ';
  if (res.type === 'local') out += '<local> ';
  else if (res.type === 'broadcast') out += '<local,brd> ';
  if (res.route?.mtu !== undefined) out += `mtu ${res.route.mtu} `;
  return ok(out + '\n');
}

/** `ip route get DST from SRC iif DEV`: the decision for a received packet. */
function routeGetInput(ns: NetNs, q: FibQuery4, iif: string): IpResult {
  if (q.src === undefined) q.src = '0.0.0.0';
  const res = fibLookupInput4(ns, { dst: q.dst, src: q.src, iif, mark: q.mark, tos: q.tos });
  // Since Linux 6.13 the input path returns drop reasons and RTM_GETROUTE reports any of them
  // (martians, reverse-path filter) as EINVAL; older kernels said EXDEV for rp_filter drops.
  if (!res.ok) return fail(`RTNETLINK answers: ${ERRNO_TEXT[res.errno === 'EXDEV' ? 'EINVAL' : res.errno]}`, 2);
  let out = '';
  if (res.type !== 'unicast') out += `${res.type} `;
  out += `${q.dst} from ${q.src} `;
  if (res.route?.tos) out += `tos 0x${res.route.tos.toString(16)} `;
  if (res.via) out += `via ${res.via} `;
  out += `dev ${res.dev} `;
  if (res.table !== 254 && res.table !== 0) out += `table ${tableName(res.table)} `;
  if (q.mark) out += q.mark >= 16 ? `mark 0x${q.mark.toString(16)} ` : `mark ${q.mark} `;
  out += '\n    cache ';
  if (res.type === 'local') out += '<local> ';
  else if (res.type === 'broadcast') out += '<local,brd> ';
  else if (res.redirect) out += '<redirect> ';
  if (res.route?.mtu !== undefined) out += `mtu ${res.route.mtu} `;
  out += `iif ${iif} \n`;
  return ok(out);
}

/** `ip -o addr`: one line per address, "IDX: DEV    inet ...\       valid_lft ...". */
function addrOneline(ns: NetNs, f: LinkFilter): string {
  // Reuse the multi-line form and fold each address's two lines.
  const text = renderAddrs(undefined, ns, f, {});
  let out = '';
  let prefix = '';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    const head = /^(\d+): ([^:@]+)(@[^:]*)?: </.exec(l);
    if (head) {
      prefix = `${head[1]}: ${head[2]}`;
      continue;
    }
    if (/^ {4}inet6? /.test(l)) out += `${prefix}${l}\\${lines[i + 1]}\n`;
  }
  return out;
}
