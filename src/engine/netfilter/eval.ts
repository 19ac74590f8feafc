// The iptables interpreter: walks one table's chains for a packet the way ipt_do_table does —
// rules in order, all matches ANDed, jump/goto/RETURN on a chain stack, the built-in chain's policy
// at its end — and returns every outcome. Probabilistic matches (statistic --mode random) fork the
// walk: each branch carries its probability, so callers can enumerate Service endpoints.
// A match or target kubewire cannot evaluate ends that branch as INSUFFICIENT naming the rule;
// nothing is silently skipped.

import type { NetNs } from '../../node-state/types.ts';
import type { MatchOption, NetfilterChain, NetfilterRule, NetfilterState, NetfilterTable, TableName } from '../../netfilter/types.ts';
import { formatRule } from '../../netfilter/rule-text.ts';
import { parseProtocol } from '../../netfilter/lookup.ts';
import { addrMatches } from '../../netfilter/addr.ts';
import {
  decodeMarkMask,
  decodeNatRange,
  decodePortList,
  decodePortRange,
  decodePrefix,
  decodeTcpFlags,
  interfaceMatches,
  optionOf,
  statisticThreshold,
} from '../../netfilter/values.ts';
import { ip4, ip4Text, type Packet } from '../packet.ts';
import { addrType, fibLookup } from '../route.ts';
import type { CtEntry, CtTuple } from '../conntrack.ts';
import type { Hook, NatRequest, NfChoice, NfDecider, NfOutcome, NfRuleRef, WalkedRange } from './types.ts';
import { chainIndex, nextCandidate } from './index-chain.ts';

export type CtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED';

/** What conntrack-aware matches see of the packet's connection. */
export interface CtMatchView {
  state: CtState;
  /** The entry, when there is one (absent for INVALID without entry and for UNTRACKED). */
  entry?: Pick<CtEntry, 'orig' | 'reply' | 'mark' | 'seenReply' | 'assured' | 'confirmed' | 'expected' | 'timeout'> & { dir: 'ORIGINAL' | 'REPLY' };
}

/** An ipset as `ipset list` would show it: type and members in ipset's text form. */
export interface IpSet {
  type: string;
  members: string[];
}

/** xt_recent tables: name → address → timestamps (seconds), oldest first. */
export type RecentTables = Record<string, Record<string, number[]>>;

export interface NfEnv {
  /** The namespace (its local table answers addrtype, its FIB rpfilter). */
  ns: NetNs;
  hook: Hook;
  /** Input / output interface names (absent where the hook has none). */
  iif?: string;
  oif?: string;
  ct?: CtMatchView;
  ipsets?: Record<string, IpSet>;
  /** Mutable: --set/--update/--remove change it. */
  recent?: RecentTables;
  /** Mutable counters of statistic --mode nth rules, keyed "table/chain/rule". */
  nth?: Record<string, number>;
  /** Current time in seconds (recent --seconds). */
  now?: number;
}

const MAX_STEPS = 1_000_000;

interface Frame {
  chain: NetfilterChain;
  idx: number;
  /** Where the current uninterrupted stretch started (for walked ranges). */
  from: number;
}

interface ExecState {
  stack: Frame[];
  pkt: Packet;
  ctmark?: number;
  probability: number;
  matched: NfRuleRef[];
  walked: WalkedRange[];
  logs: NfOutcome['logs'];
  choices: NfChoice[];
  notrack: boolean;
  /**
   * After a fork on a probabilistic match, the branch where it held resumes the same rule at the
   * next match (matches run in order; later ones may be stateful, e.g. recent --set).
   */
  resumeAt?: number;
  /** This branch's xt_recent tables and nth counters (copied at a fork). */
  recent: RecentTables;
  nth: Record<string, number>;
}

type MatchResult = true | false | { p: number } | { insufficient: string };

function ruleRef(table: TableName, chain: NetfilterChain, idx: number): NfRuleRef {
  return { table, chain: chain.name, rule: idx + 1, text: formatRule(chain.name, chain.rules[idx]) };
}

function findTableIn(state: NetfilterState, name: TableName): NetfilterTable | undefined {
  return state.tables.find((t) => t.name === name);
}

function findChainIn(t: NetfilterTable, name: string): NetfilterChain | undefined {
  return t.chains.find((c) => c.name === name);
}

function u32(s: string): bigint {
  return BigInt(ip4(s) ?? 0);
}

function inRange(v: number | undefined, s: string): boolean {
  if (v === undefined) return false;
  const [a, b] = decodePortRange(s);
  return v >= a && v <= b;
}

function xor(m: boolean, neg: boolean): boolean {
  return neg ? !m : m;
}

function tupleAddr(t: CtTuple, which: 'src' | 'dst'): string {
  return which === 'src' ? t.src : t.dst;
}

/**
 * ipset lookup as `ipset test` answers it: the packet's address/port tuple against the members
 * (ipset's text form: "10.0.0.0/24", "10.0.0.1,tcp:80", "10.0.0.0/24 nomatch"). For net types the
 * most specific matching element decides; a "nomatch" element means not in the set.
 */
function ipsetLookup(set: IpSet, pkt: Packet, dirs: string[]): { hit: boolean; nomatch: boolean } | { error: string } {
  const dims = set.type.replace(/^(hash|bitmap|list):/, '').split(',');
  const proto = pkt.proto === 6 ? 'tcp' : pkt.proto === 17 ? 'udp' : pkt.proto === 132 ? 'sctp' : pkt.proto === 1 ? 'icmp' : String(pkt.proto);
  const parts: Array<{ kind: string; value: string }> = [];
  for (let i = 0; i < dims.length; i++) {
    const dir = dirs[i] ?? dirs[dirs.length - 1];
    const d = dims[i];
    if (d === 'ip' || d === 'net') parts.push({ kind: d, value: dir === 'src' ? pkt.src : pkt.dst });
    else if (d === 'port') parts.push({ kind: 'port', value: `${proto}:${dir === 'src' ? pkt.sport : pkt.dport}` });
    else return { error: `ipset type ${set.type} is not modelled` };
  }
  let best: { spec: number; nomatch: boolean } | undefined;
  for (const m of set.members) {
    const tokens = m.trim().split(/\s+/);
    const mp = tokens[0].split(',');
    if (mp.length !== parts.length) continue;
    let spec = 0;
    const ok = parts.every((p, i) => {
      const mv = mp[i];
      if (p.kind === 'ip' || p.kind === 'net') {
        if (mv.includes('-')) {
          const [lo, hi] = mv.split('-').map((x) => ip4(x) ?? 0);
          const v = ip4(p.value) ?? -1;
          spec += 32;
          return v >= lo && v <= hi;
        }
        const withLen = mv.includes('/') ? mv : `${mv}/32`;
        spec += Number(withLen.split('/')[1]);
        return addrMatches(decodePrefix(withLen, 4), u32(p.value));
      }
      const norm = mv.includes(':') ? mv : `tcp:${mv}`;
      const [mproto, mport] = norm.split(':');
      const [pproto, pport] = p.value.split(':');
      if (mproto !== pproto) return false;
      if (mport.includes('-')) {
        const [lo, hi] = mport.split('-').map(Number);
        return Number(pport) >= lo && Number(pport) <= hi;
      }
      return Number(mport) === Number(pport);
    });
    if (!ok) continue;
    if (!best || spec > best.spec) best = { spec, nomatch: tokens.includes('nomatch') };
  }
  if (!best) return { hit: false, nomatch: false };
  return best.nomatch ? { hit: false, nomatch: true } : { hit: true, nomatch: false };
}

/** Evaluate one match module of a rule. */
function evalMatch(module: string, options: MatchOption[], pkt: Packet, env: NfEnv, st: ExecState, key: string): MatchResult {
  const o = (n: string) => optionOf(options, n);
  switch (module) {
    case 'comment':
    case 'nfacct':
      return true;
    case 'limit': {
      // xt_limit: a token bucket per rule, --limit-burst tokens to start with, refilled at the
      // rate as time passes (env.now); each matching packet takes one.
      const [n, unit] = (o('limit')?.values[0] ?? '3/hour').split('/');
      const per = { sec: 1, second: 1, min: 60, minute: 60, hour: 3600, day: 86400 }[unit] ?? 3600;
      const rate = Number(n) / per;
      const burst = Number(o('limit-burst')?.values[0] ?? 5);
      const now = env.now ?? 0;
      const tk = `limit:${key}`;
      const tt = `limit-t:${key}`;
      let tokens = st.nth[tk] ?? burst;
      tokens = Math.min(burst, tokens + (now - (st.nth[tt] ?? now)) * rate);
      st.nth[tt] = now;
      if (tokens >= 1) {
        st.nth[tk] = tokens - 1;
        return true;
      }
      st.nth[tk] = tokens;
      return false;
    }
    case 'tcp':
    case 'udp':
    case 'sctp': {
      if (pkt.fragment) return false;
      for (const opt of options) {
        if (opt.name === 'sport' && !xor(inRange(pkt.sport, opt.values[0]), opt.negated)) return false;
        if (opt.name === 'dport' && !xor(inRange(pkt.dport, opt.values[0]), opt.negated)) return false;
        if (opt.name === 'tcp-flags') {
          const mask = decodeTcpFlags(opt.values[0]);
          const cmp = decodeTcpFlags(opt.values[1]);
          if (!xor(((pkt.tcpFlags ?? 0) & mask) === cmp, opt.negated)) return false;
        }
        if (opt.name === 'tcp-option') return { insufficient: 'tcp --tcp-option: TCP options are not modelled' };
      }
      return true;
    }
    case 'icmp': {
      const t = o('icmp-type');
      if (!t) return true;
      if (pkt.fragment) return false;
      let m: boolean;
      if (t.values[0] === 'any') m = true;
      else {
        const [ty, code] = t.values[0].split('/');
        m = pkt.icmpType === Number(ty) && (code === undefined || (pkt.icmpCode ?? 0) === Number(code));
      }
      return xor(m, t.negated);
    }
    case 'multiport': {
      if (pkt.fragment) return false;
      const opt = options[0];
      const ranges = decodePortList(opt.values[0]);
      const hit = (v: number | undefined) => v !== undefined && ranges.some(([a, b]) => v >= a && v <= b);
      let m: boolean;
      if (opt.name === 'sports') m = hit(pkt.sport);
      else if (opt.name === 'dports') m = hit(pkt.dport);
      else m = hit(pkt.sport) || hit(pkt.dport);
      return xor(m, opt.negated);
    }
    case 'mark': {
      const mm = o('mark')!;
      const { value, mask } = decodeMarkMask(mm.values[0]);
      return xor(((pkt.mark & mask) >>> 0) === value, mm.negated);
    }
    case 'connmark': {
      if (!env.ct?.entry || st.ctmark === undefined) return false;
      const mm = o('mark')!;
      const { value, mask } = decodeMarkMask(mm.values[0]);
      return xor(((st.ctmark & mask) >>> 0) === value, mm.negated);
    }
    case 'state': {
      const s = o('state')!;
      const state = env.ct?.state ?? 'INVALID';
      return xor(s.values[0].split(',').includes(state), s.negated);
    }
    case 'conntrack':
      return evalConntrack(options, env);
    case 'addrtype': {
      const limitIn = !!o('limit-iface-in');
      const limitOut = !!o('limit-iface-out');
      for (const which of ['src-type', 'dst-type'] as const) {
        const opt = o(which);
        if (!opt) continue;
        const dev = limitIn ? env.iif : limitOut ? env.oif : undefined;
        const t = addrType(env.ns, which === 'src-type' ? pkt.src : pkt.dst, dev);
        const types = opt.values[0].split(',');
        if (!xor(types.includes(t), opt.negated)) return false;
      }
      return true;
    }
    case 'statistic': {
      const mode = o('mode')!.values[0];
      if (mode === 'random') {
        const p = o('probability')!;
        const prob = statisticThreshold(p.values[0]) / 0x80000000;
        return { p: p.negated ? 1 - prob : prob };
      }
      const every = Number(o('every')!.values[0]);
      const negated = o('every')!.negated;
      const packet = Number(o('packet')!.values[0]);
      const counters = st.nth;
      const old = counters[key] ?? packet;
      const nval = old === every - 1 ? 0 : old + 1;
      counters[key] = nval;
      return xor(nval === 0, negated);
    }
    case 'recent':
      return evalRecent(options, pkt, env, st);
    case 'set': {
      const ms = o('match-set')!;
      const set = env.ipsets?.[ms.values[0]];
      if (!set) return { insufficient: `ipset "${ms.values[0]}" is not known to kubewire` };
      if (options.some((x) => /^(packets|bytes)-/.test(x.name))) return { insufficient: 'set counters are not modelled' };
      const r = ipsetLookup(set, pkt, ms.values[1].split(','));
      if ('error' in r) return { insufficient: r.error };
      // --return-nomatch reverses the lookup for types with nomatch elements: a nomatch element
      // matches, a plain one does not (iptables-extensions; checked against the kernel).
      const hit = o('return-nomatch') ? r.nomatch : r.hit;
      return xor(hit, ms.negated);
    }
    case 'physdev': {
      // No bridge carries these packets: xt_physdev's "not bridged" branch.
      for (const opt of options) if (!opt.negated) return false;
      return true;
    }
    case 'iprange': {
      for (const opt of options) {
        const [lo, hi] = opt.values[0].split('-').map((x) => ip4(x) ?? 0);
        const v = ip4(opt.name === 'src-range' ? pkt.src : pkt.dst) ?? -1;
        if (!xor(v >= lo && v <= hi, opt.negated)) return false;
      }
      return true;
    }
    case 'pkttype': {
      const opt = o('pkt-type')!;
      const t = addrType(env.ns, pkt.dst);
      const kind = t === 'BROADCAST' ? 'broadcast' : t === 'MULTICAST' ? 'multicast' : 'unicast';
      return xor(kind === opt.values[0], opt.negated);
    }
    case 'mac': {
      const opt = o('mac-source')!;
      if (!pkt.srcMac) return { insufficient: 'mac --mac-source: the packet has no known source MAC here' };
      return xor(pkt.srcMac.toLowerCase() === opt.values[0], opt.negated);
    }
    case 'rpfilter': {
      if (env.iif === 'lo') return !o('invert');
      const loose = !!o('loose');
      const fib = fibLookup(env.ns, { dst: pkt.src, src: pkt.dst, iif: 'lo', mark: o('validmark') ? pkt.mark : 0 });
      let ok = false;
      if (fib.ok) {
        const t = fib.route.type;
        if (t === 'unicast' || (t === 'local' && o('accept-local'))) ok = loose || fib.route.dev === env.iif;
      }
      return xor(ok, !!o('invert'));
    }
    default:
      return { insufficient: `match "-m ${module}" is not modelled` };
  }
}

function evalConntrack(options: MatchOption[], env: NfEnv): MatchResult {
  const ct = env.ct;
  const e = ct?.entry;
  for (const opt of options) {
    if (opt.name !== 'ctstate') continue;
    const bits = new Set<string>([ct?.state ?? 'INVALID']);
    if (e) {
      if (e.orig.src !== e.reply.dst || e.orig.sport !== e.reply.dport) bits.add('SNAT');
      if (e.orig.dst !== e.reply.src || e.orig.dport !== e.reply.sport) bits.add('DNAT');
    }
    const want = opt.values[0].split(',');
    if (!xor(want.some((w) => bits.has(w)), opt.negated)) return false;
  }
  const hasState = options.some((x) => x.name === 'ctstate');
  // xt_conntrack: without a conntrack entry, only the state test (already passed) decides.
  if (!e) return hasState;
  for (const opt of options) {
    let m: boolean;
    switch (opt.name) {
      case 'ctstate':
        continue;
      case 'ctproto':
        m = e.orig.proto === Number(opt.values[0]);
        break;
      case 'ctorigsrc':
      case 'ctorigdst':
      case 'ctreplsrc':
      case 'ctrepldst': {
        const t = opt.name.startsWith('ctorig') ? e.orig : e.reply;
        const a = tupleAddr(t, opt.name.endsWith('src') ? 'src' : 'dst');
        const v = opt.values[0].includes('/') ? opt.values[0] : `${opt.values[0]}/32`;
        m = addrMatches(decodePrefix(v, 4), u32(a));
        break;
      }
      case 'ctorigsrcport':
      case 'ctorigdstport':
      case 'ctreplsrcport':
      case 'ctrepldstport': {
        const t = opt.name.startsWith('ctorig') ? e.orig : e.reply;
        const port = opt.name.includes('srcport') ? t.sport : t.dport;
        m = inRange(port, opt.values[0]);
        break;
      }
      case 'ctstatus': {
        const flags = new Set<string>();
        if (e.expected) flags.add('EXPECTED');
        if (e.seenReply) flags.add('SEEN_REPLY');
        if (e.assured) flags.add('ASSURED');
        if (e.confirmed) flags.add('CONFIRMED');
        // The kernel tests (status_mask & ct->status) != 0, so NONE (mask 0) never matches.
        m = opt.values[0].split(',').some((f) => flags.has(f));
        break;
      }
      case 'ctexpire': {
        const [a, b] = opt.values[0].split(':').map(Number);
        m = e.timeout >= a && e.timeout <= (b ?? a);
        break;
      }
      case 'ctdir':
        m = e.dir === opt.values[0];
        if (!m) return false;
        continue;
      default:
        return { insufficient: `conntrack --${opt.name} is not modelled` };
    }
    if (!xor(m, opt.negated)) return false;
  }
  return true;
}

function evalRecent(options: MatchOption[], pkt: Packet, env: NfEnv, st: ExecState): MatchResult {
  const cmd = options[0];
  const o = (n: string) => optionOf(options, n);
  const name = o('name')?.values[0] ?? 'DEFAULT';
  const mask = ip4(o('mask')?.values[0] ?? '255.255.255.255') ?? 0xffffffff;
  const addr = ip4Text(((ip4(o('rdest') ? pkt.dst : pkt.src) ?? 0) & mask) >>> 0);
  const tables = st.recent;
  const table = (tables[name] ??= {});
  const now = env.now ?? 0;
  let ret = cmd.negated;
  if (cmd.name === 'set') {
    (table[addr] ??= []).push(now);
    return !ret;
  }
  const stamps = table[addr];
  if (!stamps) return ret;
  if (cmd.name === 'remove') {
    delete table[addr];
    return !ret;
  }
  const seconds = o('seconds') ? Number(o('seconds')!.values[0]) : 0;
  const hitcount = o('hitcount') ? Number(o('hitcount')!.values[0]) : 0;
  if (seconds || hitcount) {
    let hits = 0;
    for (const t of stamps) {
      if (seconds && t < now - seconds) continue;
      if (!hitcount || ++hits >= hitcount) {
        ret = !ret;
        break;
      }
    }
    if (o('reap') && seconds) {
      const keep = stamps.filter((t) => t >= now - seconds);
      stamps.splice(0, stamps.length, ...keep);
    }
  } else ret = !ret;
  if (cmd.name === 'update' && ret !== cmd.negated) stamps.push(now);
  return ret;
}

type RuleResult = true | false | { p: number; resume: number } | { insufficient: string };

/**
 * Evaluate a rule's matches in order, from match `from` (0: the header first). Stops at the first
 * failing match, or at a probabilistic one (the caller forks and resumes after it).
 */
function evalRule(rule: NetfilterRule, pkt: Packet, env: NfEnv, st: ExecState, key: string, from: number): RuleResult {
  if (from === 0) {
    if (rule.protocol) {
      const n = parseProtocol(rule.protocol.value);
      if (!xor(n === 0 || n === pkt.proto, rule.protocol.negated)) return false;
    }
    if (rule.source && !xor(addrMatches(decodePrefix(rule.source.value, 4), u32(pkt.src)), rule.source.negated)) return false;
    if (rule.destination && !xor(addrMatches(decodePrefix(rule.destination.value, 4), u32(pkt.dst)), rule.destination.negated)) return false;
    if (rule.inInterface && !xor(interfaceMatches(rule.inInterface.value, env.iif ?? ''), rule.inInterface.negated)) return false;
    if (rule.outInterface && !xor(interfaceMatches(rule.outInterface.value, env.oif ?? ''), rule.outInterface.negated)) return false;
    if (rule.fragment && !xor(!!pkt.fragment, rule.fragment.negated)) return false;
  }
  for (let i = from; i < rule.matches.length; i++) {
    const m = rule.matches[i];
    const r = evalMatch(m.module, m.options, pkt, env, st, key);
    if (r === false) return false;
    if (r === true) continue;
    if ('insufficient' in r) return r;
    return { p: r.p, resume: i + 1 };
  }
  return true;
}

function cloneState(s: ExecState): ExecState {
  return {
    stack: s.stack.map((f) => ({ ...f })),
    recent: structuredClone(s.recent),
    nth: { ...s.nth },
    pkt: { ...s.pkt },
    ctmark: s.ctmark,
    probability: s.probability,
    matched: [...s.matched],
    walked: [...s.walked],
    logs: [...s.logs],
    choices: [...s.choices],
    notrack: s.notrack,
  };
}

function closeRange(s: ExecState, table: TableName, f: Frame, lastIdx: number): void {
  if (lastIdx >= f.from) s.walked.push({ table, chain: f.chain.name, first: f.from + 1, last: lastIdx + 1 });
}

function natRequest(kind: NatRequest['kind'], options: MatchOption[], rule: NfRuleRef): NatRequest {
  const req: NatRequest = {
    kind,
    random: !!optionOf(options, 'random'),
    randomFully: !!optionOf(options, 'random-fully'),
    persistent: !!optionOf(options, 'persistent'),
    rule,
  };
  const to = optionOf(options, kind === 'DNAT' ? 'to-destination' : 'to-source');
  if (to) {
    const r = decodeNatRange(to.values[0], 4);
    if (r.minAddr !== undefined) req.minAddr = ip4Text(Number(r.minAddr));
    if (r.maxAddr !== undefined) req.maxAddr = ip4Text(Number(r.maxAddr));
    if (r.minPort !== undefined) {
      req.minPort = r.minPort;
      req.maxPort = r.maxPort;
    }
  }
  const ports = optionOf(options, 'to-ports');
  if (ports) {
    const [a, b] = ports.values[0].split('-').map(Number);
    req.minPort = a;
    req.maxPort = b ?? a;
  }
  return req;
}

/**
 * Traverse `table`'s built-in chain for `hook`. Returns one outcome per probabilistic branch
 * (a single one when the walk is deterministic); probabilities sum to 1.
 */
export function evalTable(state: NetfilterState, table: TableName, hook: Hook, pkt: Packet, env: NfEnv, ctmark?: number): NfOutcome[] {
  const t = findTableIn(state, table);
  const start = t ? findChainIn(t, hook) : undefined;
  if (!t || !start) {
    return [
      {
        probability: 1,
        verdict: 'ACCEPT',
        decidedBy: { kind: 'no-table', table, chain: hook },
        matched: [],
        walked: [],
        packet: { ...pkt },
        ctmark,
        notrack: false,
        logs: [],
        choices: [],
      },
    ];
  }
  const out: NfOutcome[] = [];
  const work: ExecState[] = [
    {
      stack: [{ chain: start, idx: 0, from: 0 }],
      pkt: { ...pkt },
      ctmark: env.ct?.entry ? (ctmark ?? env.ct.entry.mark) : undefined,
      probability: 1,
      matched: [],
      walked: [],
      logs: [],
      choices: [],
      notrack: false,
      recent: env.recent ?? (env.recent = {}),
      nth: env.nth ?? (env.nth = {}),
    },
  ];
  let steps = 0;
  while (work.length > 0) {
    const s = work.pop()!;
    const finish = (verdict: NfOutcome['verdict'], decidedBy: NfDecider, extra: Partial<NfOutcome> = {}): void => {
      out.push({
        probability: s.probability,
        verdict,
        decidedBy,
        matched: s.matched,
        walked: s.walked,
        packet: s.pkt,
        ctmark: s.ctmark,
        notrack: s.notrack,
        logs: s.logs,
        choices: s.choices,
        recent: s.recent,
        nth: s.nth,
        ...extra,
      });
    };
    // Chain end or RETURN: back to the rule after the caller's jump, or, in the built-in chain,
    // its policy decides (true: this branch is finished).
    const leaveChain = (): boolean => {
      const f = s.stack[s.stack.length - 1];
      if (s.stack.length === 1) {
        const policy = f.chain.policy ?? 'ACCEPT';
        finish(policy, { kind: 'policy', table, chain: f.chain.name, policy });
        return true;
      }
      s.stack.pop();
      const caller = s.stack[s.stack.length - 1];
      caller.idx++;
      caller.from = caller.idx;
      return false;
    };
    for (;;) {
      if (++steps > MAX_STEPS) {
        const f = s.stack[s.stack.length - 1];
        const ref = ruleRef(table, f.chain, Math.min(f.idx, f.chain.rules.length - 1));
        finish('INSUFFICIENT', { kind: 'rule', ...ref }, { insufficient: { rule: ref, reason: 'rule traversal did not terminate' } });
        break;
      }
      const f = s.stack[s.stack.length - 1];
      const rules = f.chain.rules;
      // Skip rules the index proves cannot match (big chains such as KUBE-SERVICES).
      if (s.resumeAt === undefined) {
        const idx = chainIndex(f.chain);
        if (idx) f.idx = nextCandidate(idx, s.pkt, f.idx);
      }
      if (f.idx >= rules.length) {
        closeRange(s, table, f, rules.length - 1);
        if (leaveChain()) break;
        continue;
      }
      const rule = rules[f.idx];
      const key = `${table}/${f.chain.name}/${f.idx + 1}`;
      const r = evalRule(rule, s.pkt, env, s, key, s.resumeAt ?? 0);
      s.resumeAt = undefined;
      if (r === false) {
        f.idx++;
        continue;
      }
      const ref = ruleRef(table, f.chain, f.idx);
      if (r !== true) {
        if ('insufficient' in r) {
          closeRange(s, table, f, f.idx);
          finish('INSUFFICIENT', { kind: 'rule', ...ref }, { insufficient: { rule: ref, reason: r.insufficient } });
          break;
        }
        // Fork: one branch where the rule matched (probability p), one where it did not.
        const miss = cloneState(s);
        miss.probability *= 1 - r.p;
        miss.choices.push({ rule: ref, matched: false, probability: 1 - r.p });
        miss.stack[miss.stack.length - 1].idx++;
        if (miss.probability > 0) work.push(miss);
        s.probability *= r.p;
        s.choices.push({ rule: ref, matched: true, probability: r.p });
        if (s.probability === 0) break;
        s.resumeAt = r.resume;
        continue;
      }
      s.matched.push(ref);
      const target = rule.target;
      if (!target) {
        f.idx++;
        continue;
      }
      const name = target.name;
      const chainTarget = findChainIn(t, name);
      if (chainTarget && !['ACCEPT', 'DROP', 'RETURN', 'QUEUE'].includes(name) && !isBuiltin(table, name)) {
        closeRange(s, table, f, f.idx);
        if (target.goto) s.stack[s.stack.length - 1] = { chain: chainTarget, idx: 0, from: 0 };
        else s.stack.push({ chain: chainTarget, idx: 0, from: 0 });
        continue;
      }
      const decided: NfDecider = { kind: 'rule', ...ref };
      if (name === 'ACCEPT' || name === 'DROP') {
        closeRange(s, table, f, f.idx);
        finish(name, decided);
        break;
      }
      if (name === 'RETURN') {
        closeRange(s, table, f, f.idx);
        if (leaveChain()) break;
        continue;
      }
      const opts = target.options;
      const o = (n: string) => optionOf(opts, n);
      let terminal: { verdict: NfOutcome['verdict']; extra?: Partial<NfOutcome> } | undefined;
      switch (name) {
        case 'MARK':
          s.pkt.mark = applyXmark(s.pkt.mark, o('set-xmark')!.values[0]);
          break;
        case 'CONNMARK': {
          if (s.ctmark === undefined) break;
          if (o('set-xmark')) s.ctmark = applyXmark(s.ctmark, o('set-xmark')!.values[0]);
          else {
            const nfmask = Number(o('nfmask')!.values[0]) >>> 0;
            const ctmask = Number(o('ctmask')!.values[0]) >>> 0;
            if (o('save-mark')) s.ctmark = ((s.ctmark & ~ctmask) ^ (s.pkt.mark & nfmask)) >>> 0;
            else s.pkt.mark = ((s.pkt.mark & ~nfmask) ^ (s.ctmark & ctmask)) >>> 0;
          }
          break;
        }
        case 'LOG':
        case 'NFLOG':
          s.logs.push({ rule: ref, target: name, prefix: o('log-prefix')?.values[0] ?? o('nflog-prefix')?.values[0] });
          break;
        case 'TRACE':
        case 'TCPMSS':
          break;
        case 'NOTRACK':
          s.notrack = true;
          break;
        case 'CT':
          if (o('notrack')) s.notrack = true;
          else if (o('helper')) {
            terminal = { verdict: 'INSUFFICIENT', extra: { insufficient: { rule: ref, reason: 'CT --helper: conntrack helpers are not modelled' } } };
          }
          break;
        case 'DNAT':
        case 'SNAT':
        case 'MASQUERADE':
        case 'REDIRECT':
          terminal = { verdict: 'ACCEPT', extra: { nat: natRequest(name, opts, ref) } };
          break;
        case 'REJECT':
          terminal = { verdict: 'REJECT', extra: { rejectWith: o('reject-with')?.values[0] ?? 'icmp-port-unreachable' } };
          break;
        case 'QUEUE':
        case 'NFQUEUE':
          terminal = { verdict: 'INSUFFICIENT', extra: { insufficient: { rule: ref, reason: `${name}: a userspace program decides the verdict` } } };
          break;
        default:
          terminal = {
            verdict: 'INSUFFICIENT',
            extra: { insufficient: { rule: ref, reason: chainTarget ? `jump to built-in chain ${name}` : `target "-j ${name}" is not modelled` } },
          };
      }
      if (terminal) {
        closeRange(s, table, f, f.idx);
        finish(terminal.verdict, decided, terminal.extra);
        break;
      }
      f.idx++;
    }
  }
  return out;
}

function isBuiltin(table: TableName, name: string): boolean {
  const builtins: Record<TableName, string[]> = {
    raw: ['PREROUTING', 'OUTPUT'],
    mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
    nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
    filter: ['INPUT', 'FORWARD', 'OUTPUT'],
    security: ['INPUT', 'FORWARD', 'OUTPUT'],
  };
  return builtins[table].includes(name);
}

function applyXmark(mark: number, s: string): number {
  const { value, mask } = decodeMarkMask(s);
  return ((mark & ~mask) ^ value) >>> 0;
}

/** Tables traversed at each hook, in priority order (raw -300, mangle -150, nat -100/+100, filter 0, security 50). */
export const HOOK_TABLES: Readonly<Record<Hook, readonly TableName[]>> = {
  PREROUTING: ['raw', 'mangle', 'nat'],
  INPUT: ['mangle', 'filter', 'security', 'nat'],
  FORWARD: ['mangle', 'filter', 'security'],
  OUTPUT: ['raw', 'mangle', 'nat', 'filter', 'security'],
  POSTROUTING: ['mangle', 'nat'],
};
