// Match and target extensions kubewire models: their options as iptables parses them and the canonical
// (iptables-save v1.8.9, nf_tables) form each one is stored in. Option order and spelling follow what
// the real iptables-save prints; every form here was checked against the real tool in a namespace.

import type { MatchOption, TableName } from './types.ts';
import { paramError } from './errors.ts';
import {
  formatAddrMaskBareHost,
  formatAddress,
  parseAddress,
  parseHostMaskOption,
  strtoui,
  type Family,
} from './addr.ts';
import {
  formatIcmpType,
  formatPortRange,
  parseIcmpType,
  parsePort,
  parsePortRange,
  parseProtocol,
  protocolName,
} from './lookup.ts';

export interface OptDef {
  /** Long option name without dashes. */
  name: string;
  aliases?: string[];
  /** Number of arguments (0, 1 or 2). */
  args: number;
  /** May be preceded by `!`. */
  invert?: boolean;
}

export interface GivenOpt {
  def: OptDef;
  negated: boolean;
  args: string[];
  /** The option name as written (an alias or an abbreviation). */
  typed?: string;
}

export interface ExtCtx {
  family: Family;
  table: TableName;
  chain: string;
  /** `-p` as parsed so far (number), if any. */
  protocol?: { num: number; negated: boolean };
}

export interface Extension {
  name: string;
  kind: 'match' | 'target';
  family?: Family;
  options: OptDef[];
  /**
   * Called when an option is met, with the protocol known at that moment (iptables checks some
   * options, e.g. multiport's, right away).
   */
  onOption?(opt: GivenOpt, ctx: ExtCtx): void;
  /** Validate and produce the canonical option list. */
  build(given: GivenOpt[], ctx: ExtCtx): MatchOption[];
  /** Tables the kernel accepts the target in. */
  tables?: TableName[];
  /** Built-in chains (hooks) the kernel accepts it in. */
  hooks?: string[];
  /** Why the kernel would refuse a match with these canonical options (undefined: fine). */
  kernelCheck?(options: MatchOption[], family: Family): string | undefined;
  /** Per canonical option: built-in chains the kernel accepts a rule using it in. */
  optionHooks?: Record<string, string[]>;
}

const opt = (name: string, values: string[] = [], negated = false): MatchOption => ({ name, negated, values });
const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;

function get(given: GivenOpt[], name: string): GivenOpt | undefined {
  let found: GivenOpt | undefined;
  for (const g of given) if (g.def.name === name) found = g;
  return found;
}

function has(given: GivenOpt[], name: string): boolean {
  return given.some((g) => g.def.name === name);
}

function u32(s: string, ext: string, option: string): number {
  const v = strtoui(s, 0xffffffff);
  if (v === null) throw paramError(`${ext}: bad integer value for option "--${option}", or out of range.`);
  return v;
}

function uint(s: string, max: number, ext: string, option: string): number {
  const v = strtoui(s, max);
  if (v === null) throw paramError(`${ext}: bad value for option "--${option}", or out of range (0-${max}).`);
  return v;
}

/** "value[/mask]" as libxtables' mark parser reads it. */
function markMask(s: string, ext: string, option = 'mark'): { value: number; mask: number | undefined } {
  const m = /^([^/]*)(?:\/(.*))?$/.exec(s)!;
  const num = /^(0[xX][0-9a-fA-F]+|[0-9]+)/.exec(m[1]);
  if (!num) throw paramError(`${ext}: bad integer value for option "--${option}", or out of range.`);
  const v = strtoui(num[1], 0xffffffff);
  if (v === null) throw paramError(`${ext}: bad integer value for option "--${option}", or out of range.`);
  if (num[1].length !== m[1].length || (m[2] !== undefined && m[2].includes('/'))) {
    throw paramError(`${ext}: trailing garbage after value for option "--${option}".`);
  }
  let mask: number | undefined;
  if (m[2] !== undefined) {
    const mm = strtoui(m[2], 0xffffffff);
    if (mm === null) throw paramError(`${ext}: bad integer value for option "--${option}", or out of range.`);
    mask = mm;
  }
  return { value: v, mask };
}

function onlyOnce(given: GivenOpt[], ext: string): void {
  const seen = new Set<string>();
  for (const g of given) {
    if (seen.has(g.def.name)) throw paramError(`${ext}: option "--${g.typed ?? g.def.name}" can only be used once.`);
    seen.add(g.def.name);
  }
}

function excl(given: GivenOpt[], ext: string, names: string[]): GivenOpt | undefined {
  const present = given.filter((g) => names.includes(g.def.name));
  if (present.length > 1) {
    throw paramError(`${ext}: option "--${present[0].typed ?? present[0].def.name}" cannot be used together with "--${present[1].typed ?? present[1].def.name}".`);
  }
  return present[0];
}

const PORT_PROTOS: Record<number, string> = { 6: 'tcp', 17: 'udp', 132: 'sctp', 33: 'dccp', 136: 'udplite' };

function protoForPorts(ctx: ExtCtx): string | undefined {
  if (!ctx.protocol || ctx.protocol.negated) return undefined;
  return PORT_PROTOS[ctx.protocol.num];
}

// ---------------------------------------------------------------------------------------------
// Matches

const TCP_FLAGS: Array<[string, number]> = [
  ['FIN', 0x01],
  ['SYN', 0x02],
  ['RST', 0x04],
  ['PSH', 0x08],
  ['ACK', 0x10],
  ['URG', 0x20],
];

function parseTcpFlags(s: string): number {
  let v = 0;
  for (const f of s.split(',')) {
    const u = f.toUpperCase();
    if (u === 'ALL') v |= 0x3f;
    else if (u === 'NONE') continue;
    else {
      const hit = TCP_FLAGS.find(([n]) => n === u);
      if (!hit) throw paramError(`Unknown TCP flag \`${f}'`);
      v |= hit[1];
    }
  }
  return v;
}

export function formatTcpFlags(v: number): string {
  if (v === 0) return 'NONE';
  return TCP_FLAGS.filter(([, b]) => v & b)
    .map(([n]) => n)
    .join(',');
}

function portMatch(name: 'tcp' | 'udp' | 'sctp'): Extension {
  const options: OptDef[] = [
    { name: 'sport', aliases: ['source-port'], args: 1, invert: true },
    { name: 'dport', aliases: ['destination-port'], args: 1, invert: true },
  ];
  if (name === 'tcp') {
    options.push({ name: 'syn', args: 0, invert: true });
    options.push({ name: 'tcp-flags', args: 2, invert: true });
    options.push({ name: 'tcp-option', args: 1, invert: true });
  }
  return {
    name,
    kind: 'match',
    options,
    onOption(g) {
      // iptables parses the value when it meets the option.
      if (g.def.name === 'sport' || g.def.name === 'dport') parsePortRange(g.args[0], name === 'udp' ? undefined : name, name !== 'udp');
    },
    build(given) {
      if (name === 'tcp') {
        const seen = new Set<string>();
        for (const g of given) {
          const k = g.def.name === 'syn' ? 'tcp-flags' : g.def.name;
          if (seen.has(k)) {
            if (k === 'tcp-flags') throw paramError("Only one of `--syn' or `--tcp-flags'  allowed");
            const long = k === 'sport' ? 'source-port' : k === 'dport' ? 'destination-port' : k;
            throw paramError(`Only one \`--${long}' allowed`);
          }
          seen.add(k);
        }
      } else onlyOnce(given, name);
      const out: MatchOption[] = [];
      for (const which of ['sport', 'dport'] as const) {
        const g = get(given, which);
        if (!g) continue;
        const range = parsePortRange(g.args[0], name === 'udp' ? undefined : name, name !== 'udp');
        if (range[0] === 0 && range[1] === 65535 && !g.negated) continue;
        out.push(opt(which, [formatPortRange(range)], g.negated));
      }
      if (name === 'tcp') {
        const syn = get(given, 'syn');
        const flags = get(given, 'tcp-flags');
        if (syn && flags) throw paramError("Only one of `--syn' or `--tcp-flags'  allowed");
        if (syn) out.push(opt('tcp-flags', ['FIN,SYN,RST,ACK', 'SYN'], syn.negated));
        if (flags) {
          const mask = parseTcpFlags(flags.args[0]);
          const cmp = parseTcpFlags(flags.args[1]);
          out.push(opt('tcp-flags', [formatTcpFlags(mask), formatTcpFlags(cmp)], flags.negated));
        }
        const o = get(given, 'tcp-option');
        if (o) out.push(opt('tcp-option', [String(uint(o.args[0], 255, 'tcp', 'tcp-option'))], o.negated));
      }
      return out;
    },
  };
}

const ICMP: Extension = {
  name: 'icmp',
  kind: 'match',
  onOption(g) {
    parseIcmpType(g.args[0], 4);
  },
  family: 4,
  options: [{ name: 'icmp-type', args: 1, invert: true }],
  build(given) {
    const g = get(given, 'icmp-type');
    if (!g) return [];
    return [opt('icmp-type', [formatIcmpType(parseIcmpType(g.args[0], 4), 4)], g.negated)];
  },
};

const ICMP6: Extension = {
  name: 'icmp6',
  kind: 'match',
  onOption(g) {
    parseIcmpType(g.args[0], 6);
  },
  family: 6,
  options: [{ name: 'icmpv6-type', args: 1, invert: true }],
  build(given) {
    const g = get(given, 'icmpv6-type');
    if (!g) throw paramError('icmp6: option "--icmpv6-type" must be specified');
    return [opt('icmpv6-type', [formatIcmpType(parseIcmpType(g.args[0], 6), 6)], g.negated)];
  },
};

function parsePortList(list: string, proto: string | undefined): string {
  let count = 0;
  const out: string[] = [];
  for (const item of list.split(',')) {
    const colon = item.indexOf(':');
    if (colon >= 0) {
      const a = parsePort(item.slice(0, colon), proto);
      const b = parsePort(item.slice(colon + 1), proto);
      if (a > b) throw paramError('invalid portrange specified');
      out.push(`${a}:${b}`);
      count += 2;
    } else {
      out.push(String(parsePort(item, proto)));
      count += 1;
    }
  }
  if (count > 15) throw paramError('too many ports specified');
  return out.join(',');
}

const MULTIPORT: Extension = {
  name: 'multiport',
  kind: 'match',
  options: [
    { name: 'sports', aliases: ['source-ports'], args: 1, invert: true },
    { name: 'dports', aliases: ['destination-ports'], args: 1, invert: true },
    { name: 'ports', args: 1, invert: true },
  ],
  onOption(g, ctx) {
    if (ctx.protocol?.negated) throw paramError('multiport only works with TCP, UDP, UDPLITE, SCTP and DCCP');
    if (!protoForPorts(ctx)) {
      throw paramError("multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'");
    }
    parsePortList(g.args[0], protoForPorts(ctx));
  },
  build(given, ctx) {
    if (given.length === 0) throw paramError('multiport expects an option');
    if (given.length > 1) throw paramError('multiport can only have one option');
    const g = given[0];
    return [opt(g.def.name, [parsePortList(g.args[0], protoForPorts(ctx))], g.negated)];
  },
};

const COMMENT: Extension = {
  name: 'comment',
  kind: 'match',
  options: [{ name: 'comment', args: 1 }],
  build(given) {
    onlyOnce(given, 'comment');
    const g = get(given, 'comment');
    if (!g) throw paramError('comment: option "--comment" must be specified');
    // Longer comments are cut to the kernel's 255 bytes (checked on the real tool).
    return [opt('comment', [g.args[0].slice(0, 255)])];
  },
};

function markMatch(name: 'mark' | 'connmark'): Extension {
  return {
    name,
    kind: 'match',
    onOption(g) {
      markMask(g.args[0], name);
    },
    options: [{ name: 'mark', args: 1, invert: true }],
    build(given) {
      onlyOnce(given, name);
      const g = get(given, 'mark');
      if (!g) throw paramError(`${name}: option "--mark" must be specified`);
      const { value, mask } = markMask(g.args[0], name);
      const text = mask === undefined || mask === 0xffffffff ? hex(value) : `${hex(value)}/${hex(mask)}`;
      return [opt('mark', [text], g.negated)];
    },
  };
}

const CT_STATES: Array<[string, number]> = [
  ['INVALID', 1],
  ['NEW', 2],
  ['RELATED', 4],
  ['ESTABLISHED', 8],
  ['UNTRACKED', 16],
  ['SNAT', 32],
  ['DNAT', 64],
];

function parseStates(s: string, allowed: Array<[string, number]>, ext: string): number {
  let v = 0;
  for (const tok of s.split(',')) {
    const hit = tok.length > 0 ? allowed.find(([n]) => n.toLowerCase().startsWith(tok.toLowerCase())) : undefined;
    if (!hit) throw paramError(ext === 'state' ? `Bad state "${tok}"` : `Bad ctstate "${tok}"`);
    v |= hit[1];
  }
  return v;
}

function formatStates(v: number, allowed: Array<[string, number]>): string {
  return allowed
    .filter(([, b]) => v & b)
    .map(([n]) => n)
    .join(',');
}

const STATE: Extension = {
  name: 'state',
  kind: 'match',
  onOption(g) {
    parseStates(g.args[0], CT_STATES.slice(0, 5), 'state');
  },
  options: [{ name: 'state', args: 1, invert: true }],
  build(given) {
    const g = get(given, 'state');
    if (!g) throw paramError('state: option "--state" must be specified');
    const allowed = CT_STATES.slice(0, 5);
    return [opt('state', [formatStates(parseStates(g.args[0], allowed, 'state'), allowed)], g.negated)];
  },
};

const CT_STATUS: Array<[string, number]> = [
  ['EXPECTED', 1],
  ['SEEN_REPLY', 2],
  ['ASSURED', 4],
  ['CONFIRMED', 8],
];

const CONNTRACK: Extension = {
  name: 'conntrack',
  kind: 'match',
  onOption(g, ctx) {
    const v = g.args[0];
    switch (g.def.name) {
      case 'ctstate':
        parseStates(v, CT_STATES, 'conntrack');
        break;
      case 'ctproto':
        parseProtocol(v.toLowerCase());
        break;
      case 'ctorigsrc':
      case 'ctorigdst':
      case 'ctreplsrc':
      case 'ctrepldst':
        parseHostMaskOption(v, ctx.family, 'conntrack', g.def.name);
        break;
      case 'ctorigsrcport':
      case 'ctorigdstport':
      case 'ctreplsrcport':
      case 'ctrepldstport':
        for (const x of v.split(':')) parsePort(x, undefined);
        break;
    }
  },
  options: [
    { name: 'ctstate', args: 1, invert: true },
    { name: 'ctproto', args: 1, invert: true },
    { name: 'ctorigsrc', args: 1, invert: true },
    { name: 'ctorigdst', args: 1, invert: true },
    { name: 'ctreplsrc', args: 1, invert: true },
    { name: 'ctrepldst', args: 1, invert: true },
    { name: 'ctorigsrcport', args: 1, invert: true },
    { name: 'ctorigdstport', args: 1, invert: true },
    { name: 'ctreplsrcport', args: 1, invert: true },
    { name: 'ctrepldstport', args: 1, invert: true },
    { name: 'ctstatus', args: 1, invert: true },
    { name: 'ctexpire', args: 1, invert: true },
    { name: 'ctdir', args: 1 },
  ],
  build(given, ctx) {
    onlyOnce(given, 'conntrack');
    if (given.length === 0) throw paramError('conntrack: At least one option is required');
    const out: MatchOption[] = [];
    const st = get(given, 'ctstate');
    if (st) out.push(opt('ctstate', [formatStates(parseStates(st.args[0], CT_STATES, 'conntrack'), CT_STATES)], st.negated));
    const pr = get(given, 'ctproto');
    if (pr) {
      const n = parseProtocol(pr.args[0].toLowerCase());
      if (n === 0) throw paramError('conntrack: rule would never match protocol');
      out.push(opt('ctproto', [String(n)], pr.negated));
    }
    for (const name of ['ctorigsrc', 'ctorigdst', 'ctreplsrc', 'ctrepldst']) {
      const g = get(given, name);
      if (g) out.push(opt(name, [formatAddrMaskBareHost(parseHostMaskOption(g.args[0], ctx.family, 'conntrack', name))], g.negated));
    }
    for (const name of ['ctorigsrcport', 'ctorigdstport', 'ctreplsrcport', 'ctrepldstport']) {
      const g = get(given, name);
      if (!g) continue;
      const [a, b] = g.args[0].split(':');
      const min = parsePort(a, undefined);
      const max = b === undefined ? min : parsePort(b, undefined);
      out.push(opt(name, [min === max ? String(min) : `${min}:${max}`], g.negated));
    }
    const stat = get(given, 'ctstatus');
    if (stat) {
      let v = 0;
      for (const tok of stat.args[0].split(',')) {
        if (tok.toUpperCase() === 'NONE') continue;
        const hit = CT_STATUS.find(([n]) => n === tok.toUpperCase());
        if (!hit) throw paramError(`conntrack: Bad ctstatus "${tok}"`);
        v |= hit[1];
      }
      out.push(opt('ctstatus', [v === 0 ? 'NONE' : formatStates(v, CT_STATUS)], stat.negated));
    }
    const exp = get(given, 'ctexpire');
    if (exp) {
      const [a, b] = exp.args[0].split(':');
      const min = uint(a, 0xffffffff, 'conntrack', 'ctexpire');
      const max = b === undefined ? min : uint(b, 0xffffffff, 'conntrack', 'ctexpire');
      out.push(opt('ctexpire', [min === max ? String(min) : `${min}:${max}`], exp.negated));
    }
    const dir = get(given, 'ctdir');
    if (dir) {
      const d = dir.args[0].toUpperCase();
      if (d !== 'ORIGINAL' && d !== 'REPLY') throw paramError(`conntrack: Bad ctdir "${dir.args[0]}"`);
      out.push(opt('ctdir', [d]));
    }
    return out;
  },
};

const ADDR_TYPES = [
  'UNSPEC',
  'UNICAST',
  'LOCAL',
  'BROADCAST',
  'ANYCAST',
  'MULTICAST',
  'BLACKHOLE',
  'UNREACHABLE',
  'PROHIBIT',
  'THROW',
  'NAT',
  'XRESOLVE',
];

function addrTypes(s: string): string {
  let v = 0;
  for (const tok of s.split(',')) {
    const i = ADDR_TYPES.indexOf(tok.toUpperCase());
    if (i < 0) throw paramError(`addrtype: bad type "${tok}"`);
    v |= 1 << i;
  }
  return ADDR_TYPES.filter((_, i) => v & (1 << i)).join(',');
}

const ADDRTYPE: Extension = {
  name: 'addrtype',
  kind: 'match',
  onOption(g) {
    if (g.def.name === 'src-type' || g.def.name === 'dst-type') addrTypes(g.args[0]);
  },
  options: [
    { name: 'src-type', args: 1, invert: true },
    { name: 'dst-type', args: 1, invert: true },
    { name: 'limit-iface-in', args: 0 },
    { name: 'limit-iface-out', args: 0 },
  ],
  build(given) {
    onlyOnce(given, 'addrtype');
    const out: MatchOption[] = [];
    const s = get(given, 'src-type');
    const d = get(given, 'dst-type');
    if (!s && !d) throw paramError('addrtype: you must specify --src-type or --dst-type');
    if (s) out.push(opt('src-type', [addrTypes(s.args[0])], s.negated));
    if (d) out.push(opt('dst-type', [addrTypes(d.args[0])], d.negated));
    excl(given, 'addrtype', ['limit-iface-in', 'limit-iface-out']);
    if (has(given, 'limit-iface-in')) out.push(opt('limit-iface-in'));
    if (has(given, 'limit-iface-out')) out.push(opt('limit-iface-out'));
    return out;
  },
  kernelCheck(options, family) {
    if (family !== 6) return undefined;
    const bad = ['BROADCAST', 'BLACKHOLE', 'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE'];
    for (const o of options) {
      if (o.name !== 'src-type' && o.name !== 'dst-type') continue;
      const hit = o.values[0].split(',').find((t) => bad.includes(t));
      if (hit) return `addrtype ${hit} is not defined for IPv6`;
    }
    return undefined;
  },
  optionHooks: {
    'limit-iface-in': ['PREROUTING', 'INPUT', 'FORWARD'],
    'limit-iface-out': ['OUTPUT', 'POSTROUTING', 'FORWARD'],
  },
};

const RECENT: Extension = {
  name: 'recent',
  kind: 'match',
  onOption(g, ctx) {
    if (g.def.name === 'seconds' || g.def.name === 'hitcount') uint(g.args[0], 0xffffffff, 'recent', g.def.name);
    if (g.def.name === 'mask' && parseAddress(g.args[0], ctx.family) === null) throw paramError(`host/network \`${g.args[0]}' not found`);
  },
  options: [
    { name: 'set', args: 0, invert: true },
    { name: 'rcheck', args: 0, invert: true },
    { name: 'update', args: 0, invert: true },
    { name: 'remove', args: 0, invert: true },
    { name: 'seconds', args: 1 },
    { name: 'reap', args: 0 },
    { name: 'hitcount', args: 1 },
    { name: 'rttl', args: 0 },
    { name: 'name', args: 1 },
    { name: 'rsource', args: 0 },
    { name: 'rdest', args: 0 },
    { name: 'mask', args: 1 },
  ],
  build(given, ctx) {
    onlyOnce(given, 'recent');
    const cmd = excl(given, 'recent', ['set', 'rcheck', 'update', 'remove']);
    if (!cmd) throw paramError("recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'");
    const out: MatchOption[] = [opt(cmd.def.name, [], cmd.negated)];
    const sec = get(given, 'seconds');
    if (sec) out.push(opt('seconds', [String(uint(sec.args[0], 0xffffffff, 'recent', 'seconds'))]));
    if (has(given, 'reap')) {
      if (!sec) throw paramError('recent: option "--reap" also requires "--seconds".');
      out.push(opt('reap'));
    }
    const hit = get(given, 'hitcount');
    if (hit) out.push(opt('hitcount', [String(uint(hit.args[0], 0xffffffff, 'recent', 'hitcount'))]));
    if (has(given, 'rttl')) out.push(opt('rttl'));
    const name = get(given, 'name')?.args[0] ?? 'DEFAULT';
    if (name.length === 0 || name.length > 199) throw paramError('recent: Illegal --name');
    out.push(opt('name', [name]));
    const maskArg = get(given, 'mask');
    let mask: string;
    if (maskArg) {
      const m = parseAddress(maskArg.args[0], ctx.family);
      if (m === null) throw paramError(`host/network \`${maskArg.args[0]}' not found`);
      mask = formatAddress(m, ctx.family);
    } else mask = ctx.family === 4 ? '255.255.255.255' : 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
    out.push(opt('mask', [mask]));
    excl(given, 'recent', ['rsource', 'rdest']);
    out.push(opt(has(given, 'rdest') ? 'rdest' : 'rsource'));
    return out;
  },
  kernelCheck(options) {
    const cmd = options[0].name;
    if ((cmd === 'set' || cmd === 'remove') && options.some((o) => ['seconds', 'hitcount', 'reap', 'rttl'].includes(o.name))) {
      return `recent --${cmd} takes no --seconds/--hitcount/--reap/--rttl (only --rcheck and --update do)`;
    }
    return undefined;
  },
};

/** The probability iptables-save prints: round(p·2^31) / 2^31 with 11 decimals (C's %.11f). */
const probabilityCache = new Map<string, string>();

export function savedProbability(input: string): string {
  const hit = probabilityCache.get(input);
  if (hit !== undefined) return hit;
  const out = computeSavedProbability(input);
  if (probabilityCache.size < 10000) probabilityCache.set(input, out);
  return out;
}

function computeSavedProbability(input: string): string {
  const p = Number(input);
  if (!/^\s*[0-9.eE+-]+\s*$/.test(input) || !Number.isFinite(p) || p < 0 || p > 1) {
    throw paramError('statistic: bad value for option "--probability", or out of range (0-1).');
  }
  // lround(0x80000000 * p): halves away from zero.
  const k = BigInt(Math.floor(0x80000000 * p + 0.5));
  return formatFixed(k, 31, 11);
}

/** k / 2^bits printed with `digits` decimals, rounding half to even like glibc printf. */
function formatFixed(k: bigint, bits: number, digits: number): string {
  // k/2^bits = k·5^bits / 10^bits exactly.
  const num = k * 5n ** BigInt(bits);
  const div = 10n ** BigInt(bits - digits);
  let q = num / div;
  const r = num % div;
  const twice = r * 2n;
  if (twice > div || (twice === div && q % 2n === 1n)) q += 1n;
  const s = q.toString().padStart(digits + 1, '0');
  return `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}`;
}

const STATISTIC: Extension = {
  name: 'statistic',
  kind: 'match',
  onOption(g) {
    if (g.def.name === 'probability') savedProbability(g.args[0]);
    if (g.def.name === 'every' || g.def.name === 'packet') uint(g.args[0], 0xffffffff, 'statistic', g.def.name);
  },
  options: [
    { name: 'mode', args: 1 },
    { name: 'probability', args: 1, invert: true },
    { name: 'every', args: 1, invert: true },
    { name: 'packet', args: 1 },
  ],
  build(given) {
    onlyOnce(given, 'statistic');
    const mode = get(given, 'mode');
    if (!mode) throw paramError('statistic: option "--mode" must be specified');
    if (mode.args[0] === 'random') {
      const p = get(given, 'probability');
      if (!p) throw paramError('statistic: option "--probability" must be specified');
      if (has(given, 'every') || has(given, 'packet')) throw paramError('statistic: --every and --packet are not valid in random mode');
      return [opt('mode', ['random']), opt('probability', [savedProbability(p.args[0])], p.negated)];
    }
    if (mode.args[0] === 'nth') {
      const e = get(given, 'every');
      const pk = get(given, 'packet');
      if (!e) throw paramError('statistic: option "--every" must be specified');
      if (!pk) throw paramError('statistic: option "--every" also requires "--packet".');
      if (has(given, 'probability')) throw paramError('statistic: --probability is not valid in nth mode');
      const every = uint(e.args[0], 0xffffffff, 'statistic', 'every');
      const packet = uint(pk.args[0], 0xffffffff, 'statistic', 'packet');
      if (every === 0) throw paramError('statistic: Bad value for "--every" option: "0"');
      if (packet > every - 1) throw paramError('the --packet p must be 0 <= p <= n-1');
      return [opt('mode', ['nth']), opt('every', [String(every)], e.negated), opt('packet', [String(packet)])];
    }
    throw paramError(`statistic: Bad mode "${mode.args[0]}"`);
  },
};

const SET_MATCH: Extension = {
  name: 'set',
  kind: 'match',
  options: [
    { name: 'match-set', aliases: ['set'], args: 2, invert: true },
    { name: 'return-nomatch', args: 0 },
    { name: 'update-counters', args: 0, invert: true },
    { name: 'update-subcounters', args: 0, invert: true },
    { name: 'packets-eq', args: 1, invert: true },
    { name: 'packets-lt', args: 1 },
    { name: 'packets-gt', args: 1 },
    { name: 'bytes-eq', args: 1, invert: true },
    { name: 'bytes-lt', args: 1 },
    { name: 'bytes-gt', args: 1 },
  ],
  build(given) {
    onlyOnce(given, 'set');
    const ms = get(given, 'match-set');
    if (!ms) throw paramError('You must specify `--match-set\' with proper arguments');
    const name = ms.args[0];
    if (name.length > 31) throw paramError(`setname \`${name}' too long, max 31 characters.`);
    const dirs = ms.args[1].split(',');
    if (dirs.length > 6) throw paramError("Can't be more src/dst options than 6.");
    for (const d of dirs) {
      if (d !== 'src' && d !== 'dst') throw paramError("You must specify (the comma separated list of) 'src' or 'dst'.");
    }
    const out: MatchOption[] = [opt('match-set', [name, dirs.join(',')], ms.negated)];
    if (has(given, 'return-nomatch')) out.push(opt('return-nomatch'));
    for (const n of ['update-counters', 'update-subcounters']) {
      const g = get(given, n);
      if (g) {
        if (!g.negated) continue;
        out.push(opt(n, [], true));
      }
    }
    for (const n of ['packets-eq', 'packets-lt', 'packets-gt', 'bytes-eq', 'bytes-lt', 'bytes-gt']) {
      const g = get(given, n);
      if (g) out.push(opt(n, [String(uint(g.args[0], Number.MAX_SAFE_INTEGER, 'set', n))], g.negated));
    }
    return out;
  },
};

const PHYSDEV: Extension = {
  name: 'physdev',
  kind: 'match',
  options: [
    { name: 'physdev-in', args: 1, invert: true },
    { name: 'physdev-out', args: 1, invert: true },
    { name: 'physdev-is-in', args: 0, invert: true },
    { name: 'physdev-is-out', args: 0, invert: true },
    { name: 'physdev-is-bridged', args: 0, invert: true },
  ],
  build(given) {
    onlyOnce(given, 'physdev');
    if (given.length === 0) throw paramError('PHYSDEV: no physdev option specified');
    const out: MatchOption[] = [];
    for (const n of ['physdev-is-in', 'physdev-in', 'physdev-is-out', 'physdev-out', 'physdev-is-bridged']) {
      const g = get(given, n);
      if (!g) continue;
      if (g.args.length > 0) checkIfaceName(g.args[0]);
      out.push(opt(n, g.args, g.negated));
    }
    return out;
  },
};

const RPFILTER: Extension = {
  name: 'rpfilter',
  kind: 'match',
  options: [
    { name: 'loose', args: 0 },
    { name: 'validmark', args: 0 },
    { name: 'accept-local', args: 0 },
    { name: 'invert', args: 0 },
  ],
  build(given) {
    return ['loose', 'validmark', 'accept-local', 'invert'].filter((n) => has(given, n)).map((n) => opt(n));
  },
  tables: ['raw', 'mangle'],
  hooks: ['PREROUTING'],
};

const LIMIT_SCALE = 10000;
const RATE_UNITS: Array<[string, number]> = [
  ['day', LIMIT_SCALE * 24 * 60 * 60],
  ['hour', LIMIT_SCALE * 60 * 60],
  ['min', LIMIT_SCALE * 60],
  ['sec', LIMIT_SCALE],
];

function parseRate(s: string): number {
  const slash = s.indexOf('/');
  let mult = 1;
  let numStr = s;
  if (slash >= 0) {
    numStr = s.slice(0, slash);
    const unit = s.slice(slash + 1);
    const table: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
    const key = ['second', 'minute', 'hour', 'day'].find((u) => unit.length > 0 && u.startsWith(unit));
    if (!key) throw paramError(`bad rate "${s}"'`);
    mult = table[key[0]];
  }
  const n = Number(numStr);
  if (!/^[0-9]+$/.test(numStr) || n === 0) throw paramError(`Rate too fast "${s}"`);
  return Math.floor((LIMIT_SCALE * mult) / n);
}

function formatRate(period: number): string {
  let i = 1;
  for (; i < RATE_UNITS.length; i++) {
    const mult = RATE_UNITS[i][1];
    if (period > mult || Math.floor(mult / period) < mult % period) break;
  }
  const [name, mult] = RATE_UNITS[i - 1];
  return `${Math.floor(mult / period)}/${name}`;
}

const LIMIT: Extension = {
  name: 'limit',
  kind: 'match',
  onOption(g) {
    if (g.def.name === 'limit') parseRate(g.args[0]);
    else uint(g.args[0], 10000, 'limit', 'limit-burst');
  },
  options: [
    { name: 'limit', args: 1 },
    { name: 'limit-burst', args: 1 },
  ],
  build(given) {
    onlyOnce(given, 'limit');
    const l = get(given, 'limit');
    const period = l ? parseRate(l.args[0]) : Math.floor((LIMIT_SCALE * 3600) / 3);
    const out: MatchOption[] = [opt('limit', [formatRate(period)])];
    const b = get(given, 'limit-burst');
    const burst = b ? uint(b.args[0], 10000, 'limit', 'limit-burst') : 5;
    if (burst !== 5) out.push(opt('limit-burst', [String(burst)]));
    return out;
  },
};

function macAddress(s: string): string {
  if (!/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/.test(s)) throw paramError('Invalid MAC address specified.');
  return s
    .split(':')
    .map((x) => x.toLowerCase().padStart(2, '0'))
    .join(':');
}

const MAC: Extension = {
  name: 'mac',
  kind: 'match',
  onOption(g) {
    macAddress(g.args[0]);
  },
  options: [{ name: 'mac-source', args: 1, invert: true }],
  build(given) {
    const g = get(given, 'mac-source');
    if (!g) throw paramError('mac: option "--mac-source" must be specified');
    return [opt('mac-source', [macAddress(g.args[0])], g.negated)];
  },
  hooks: ['PREROUTING', 'INPUT', 'FORWARD'],
};

const IPRANGE: Extension = {
  name: 'iprange',
  kind: 'match',
  options: [
    { name: 'src-range', args: 1, invert: true },
    { name: 'dst-range', args: 1, invert: true },
  ],
  build(given, ctx) {
    onlyOnce(given, 'iprange');
    const out: MatchOption[] = [];
    for (const n of ['src-range', 'dst-range']) {
      const g = get(given, n);
      if (!g) continue;
      const [a, b] = g.args[0].split('-');
      const lo = parseAddress(a, ctx.family);
      const hi = b === undefined ? lo : parseAddress(b, ctx.family);
      if (lo === null || hi === null) throw paramError(`iprange: could not parse range "${g.args[0]}"`);
      out.push(opt(n, [`${formatAddress(lo, ctx.family)}-${formatAddress(hi, ctx.family)}`], g.negated));
    }
    if (out.length === 0) throw paramError('iprange match: You must specify `--src-range\' or `--dst-range\'');
    return out;
  },
};

const PKT_TYPES = ['unicast', 'broadcast', 'multicast', 'host', 'otherhost', 'outgoing', 'loopback'];

const PKTTYPE: Extension = {
  name: 'pkttype',
  kind: 'match',
  options: [{ name: 'pkt-type', args: 1, invert: true }],
  build(given) {
    const g = get(given, 'pkt-type');
    if (!g) throw paramError('pkttype: option "--pkt-type" must be specified');
    const t = g.args[0].toLowerCase();
    if (!PKT_TYPES.includes(t)) throw paramError(`Bad packet type '${g.args[0]}'`);
    return [opt('pkt-type', [t === 'host' ? 'unicast' : t], g.negated)];
  },
};

const NFACCT: Extension = {
  name: 'nfacct',
  kind: 'match',
  options: [{ name: 'nfacct-name', args: 1 }],
  build(given) {
    const g = get(given, 'nfacct-name');
    if (!g) throw paramError('nfacct: option "--nfacct-name" must be specified');
    if (g.args[0].length > 31) throw paramError('nfacct: Length of "--nfacct-name" option must be between 0 and 31');
    return [opt('nfacct-name', [g.args[0]])];
  },
};

// ---------------------------------------------------------------------------------------------
// Targets

function markTarget(name: 'MARK' | 'CONNMARK'): Extension {
  const options: OptDef[] = [
    { name: 'set-xmark', args: 1 },
    { name: 'set-mark', args: 1 },
    { name: 'and-mark', args: 1 },
    { name: 'or-mark', args: 1 },
    { name: 'xor-mark', args: 1 },
  ];
  if (name === 'CONNMARK') {
    options.push(
      { name: 'save-mark', args: 0 },
      { name: 'restore-mark', args: 0 },
      { name: 'nfmask', args: 1 },
      { name: 'ctmask', args: 1 },
      { name: 'mask', args: 1 },
    );
  }
  const modes = name === 'MARK' ? options.map((o) => o.name) : options.slice(0, 7).map((o) => o.name);
  return {
    name,
    kind: 'target',
    options,
    onOption(g) {
      const n = g.def.name;
      if (n === 'set-xmark' || n === 'set-mark') markMask(g.args[0], name, n);
      else if (g.args.length > 0) u32(g.args[0], name, n);
    },
    build(given) {
      onlyOnce(given, name);
      const mode = excl(given, name, modes);
      if (!mode) throw paramError(`${name} target: Parameter --set/and/or/xor-mark is required`);
      const m = mode.args[0];
      if (mode.def.name === 'save-mark' || mode.def.name === 'restore-mark') {
        const maskArg = get(given, 'mask');
        const nf = get(given, 'nfmask');
        const ct = get(given, 'ctmask');
        if (maskArg && (nf || ct)) throw paramError(`${name}: "--mask" cannot be used together with "--nfmask"/"--ctmask".`);
        const both = maskArg ? u32(maskArg.args[0], name, 'mask') : 0xffffffff;
        const nfmask = nf ? u32(nf.args[0], name, 'nfmask') : both;
        const ctmask = ct ? u32(ct.args[0], name, 'ctmask') : both;
        return [opt(mode.def.name), opt('nfmask', [hex(nfmask)]), opt('ctmask', [hex(ctmask)])];
      }
      if (has(given, 'mask') || has(given, 'nfmask') || has(given, 'ctmask')) {
        throw paramError(`${name}: --mask/--nfmask/--ctmask are only valid with --save-mark or --restore-mark`);
      }
      let value: number;
      let mask: number;
      switch (mode.def.name) {
        case 'set-xmark': {
          const mm = markMask(m, name, mode.def.name);
          value = mm.value;
          mask = mm.mask ?? 0xffffffff;
          break;
        }
        case 'set-mark': {
          const mm = markMask(m, name, mode.def.name);
          value = mm.value;
          mask = mm.mask === undefined ? 0xffffffff : (mm.mask | mm.value) >>> 0;
          break;
        }
        case 'and-mark':
          value = 0;
          mask = ~u32(m, name, mode.def.name) >>> 0;
          break;
        case 'or-mark':
          value = u32(m, name, mode.def.name);
          mask = value;
          break;
        default:
          value = u32(m, name, mode.def.name);
          mask = 0;
      }
      return [opt('set-xmark', [`${hex(value)}/${hex(mask)}`])];
    },
  };
}

interface NatRange {
  text: string;
}

function parseNatRange(arg: string, ctx: ExtCtx, target: string): NatRange {
  let ipPart = arg;
  let portPart: string | undefined;
  let bracketed = false;
  if (ctx.family === 6) {
    if (arg.startsWith('[')) {
      const end = arg.indexOf(']');
      if (end < 0) throw paramError(`${target}: Invalid address "${arg}"`);
      ipPart = arg.slice(1, end);
      bracketed = true;
      const rest = arg.slice(end + 1);
      if (rest.startsWith(':')) portPart = rest.slice(1);
      else if (rest !== '') throw paramError(`${target}: Invalid address "${arg}"`);
    }
  } else {
    const colon = arg.indexOf(':');
    if (colon >= 0) {
      ipPart = arg.slice(0, colon);
      portPart = arg.slice(colon + 1);
    }
  }
  let text = '';
  if (ipPart !== '') {
    const dash = ipPart.indexOf('-');
    const lo = parseAddress(dash >= 0 ? ipPart.slice(0, dash) : ipPart, ctx.family);
    const hi = dash >= 0 ? parseAddress(ipPart.slice(dash + 1), ctx.family) : lo;
    if (lo === null || hi === null) throw paramError(`Bad IP address "${ipPart}"`);
    text = formatAddress(lo, ctx.family);
    if (hi !== lo) text += `-${formatAddress(hi, ctx.family)}`;
    if (ctx.family === 6 && portPart !== undefined) text = `[${text}]`;
  }
  void bracketed;
  if (portPart !== undefined) {
    if (!ctx.protocol || !(ctx.protocol.num in PORT_PROTOS || ctx.protocol.num === 1)) {
      throw paramError('Need TCP, UDP, SCTP or DCCP with port specification');
    }
    const m = /^([^-/]+)(?:-([^/]+))?(?:\/(.+))?$/.exec(portPart);
    if (!m) throw paramError(`Port "${portPart}" not valid`);
    const min = strtoui(m[1], 65535);
    const max = m[2] === undefined ? min : strtoui(m[2], 65535);
    const base = m[3] === undefined ? undefined : strtoui(m[3], 65535);
    if (min === null || max === null || base === null) throw paramError(`Port "${portPart}" not valid`);
    if (max < min) throw paramError(`Port range "${portPart}" not valid`);
    text += `:${min}`;
    if (max !== min) text += `-${max}`;
    if (base !== undefined) text += `/${base}`;
  }
  if (text === '') throw paramError(`${target}: Invalid address "${arg}"`);
  return { text };
}

function natTarget(name: 'DNAT' | 'SNAT'): Extension {
  const to = name === 'DNAT' ? 'to-destination' : 'to-source';
  return {
    name,
    kind: 'target',
    options: [
      { name: to, args: 1 },
      { name: 'random', args: 0 },
      { name: 'random-fully', args: 0 },
      { name: 'persistent', args: 0 },
    ],
    onOption(g, ctx) {
      if (g.def.name === to) parseNatRange(g.args[0], ctx, name);
    },
    build(given, ctx) {
      onlyOnce(given, name);
      const t = get(given, to);
      if (!t) throw paramError(`${name}: option "--${to}" must be specified\n`);
      const out: MatchOption[] = [opt(to, [parseNatRange(t.args[0], ctx, name).text])];
      for (const f of ['random', 'random-fully', 'persistent']) if (has(given, f)) out.push(opt(f));
      return out;
    },
    tables: ['nat'],
    hooks: name === 'DNAT' ? ['PREROUTING', 'OUTPUT'] : ['POSTROUTING', 'INPUT'],
  };
}

function portsOnly(arg: string, ctx: ExtCtx, target: string): string {
  if (!ctx.protocol || !(ctx.protocol.num in PORT_PROTOS || ctx.protocol.num === 1)) {
    throw paramError('Need TCP, UDP, SCTP or DCCP with port specification');
  }
  const m = /^([^-]+)(?:-(.+))?$/.exec(arg);
  const min = m ? strtoui(m[1], 65535) : null;
  const max = m && m[2] !== undefined ? strtoui(m[2], 65535) : min;
  if (!m || min === null || max === null || max < min) throw paramError(`${target}: Port "${arg}" not valid`);
  return min === max ? String(min) : `${min}-${max}`;
}

function portTarget(name: 'MASQUERADE' | 'REDIRECT'): Extension {
  const flags = name === 'MASQUERADE' ? ['random', 'random-fully'] : ['random'];
  return {
    name,
    kind: 'target',
    options: [{ name: 'to-ports', args: 1 }, ...flags.map((f) => ({ name: f, args: 0 }))],
    onOption(g, ctx) {
      if (g.def.name === 'to-ports') portsOnly(g.args[0], ctx, name);
    },
    build(given, ctx) {
      onlyOnce(given, name);
      const out: MatchOption[] = [];
      const p = get(given, 'to-ports');
      if (p) out.push(opt('to-ports', [portsOnly(p.args[0], ctx, name)]));
      for (const f of flags) if (has(given, f)) out.push(opt(f));
      return out;
    },
    tables: ['nat'],
    hooks: name === 'MASQUERADE' ? ['POSTROUTING'] : ['PREROUTING', 'OUTPUT'],
  };
}

const REJECT4: Array<[string, string]> = [
  ['icmp-net-unreachable', 'net-unreach'],
  ['icmp-host-unreachable', 'host-unreach'],
  ['icmp-proto-unreachable', 'proto-unreach'],
  ['icmp-port-unreachable', 'port-unreach'],
  ['icmp-net-prohibited', 'net-prohib'],
  ['icmp-host-prohibited', 'host-prohib'],
  ['tcp-reset', 'tcp-rst'],
  ['icmp-admin-prohibited', 'admin-prohib'],
];

const REJECT6: Array<[string, string]> = [
  ['icmp6-no-route', 'no-route'],
  ['icmp6-adm-prohibited', 'adm-prohibited'],
  ['icmp6-addr-unreachable', 'addr-unreach'],
  ['icmp6-port-unreachable', 'port-unreach'],
  ['tcp-reset', 'tcp-rst'],
  ['icmp6-policy-fail', 'policy-fail'],
  ['icmp6-reject-route', 'reject-route'],
];

const REJECT: Extension = {
  name: 'REJECT',
  kind: 'target',
  options: [{ name: 'reject-with', args: 1 }],
  onOption(g, ctx) {
    const table = ctx.family === 4 ? REJECT4 : REJECT6;
    if (!table.some(([a, b]) => a === g.args[0] || b === g.args[0])) throw paramError(`unknown reject type "${g.args[0]}"`);
  },
  build(given, ctx) {
    onlyOnce(given, 'REJECT');
    const table = ctx.family === 4 ? REJECT4 : REJECT6;
    const g = get(given, 'reject-with');
    let name = ctx.family === 4 ? 'icmp-port-unreachable' : 'icmp6-port-unreachable';
    if (g) {
      const hit = table.find(([a, b]) => a === g.args[0] || b === g.args[0]);
      if (!hit) throw paramError(`unknown reject type "${g.args[0]}"`);
      name = hit[0];
    }
    return [opt('reject-with', [name])];
  },
  tables: ['filter'],
  hooks: ['INPUT', 'FORWARD', 'OUTPUT'],
};

const LOG_LEVELS: Record<string, number> = {
  emerg: 0,
  panic: 0,
  alert: 1,
  crit: 2,
  err: 3,
  error: 3,
  warn: 4,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
};

const LOG: Extension = {
  name: 'LOG',
  kind: 'target',
  onOption(g) {
    if (g.def.name === 'log-level' && strtoui(g.args[0], 7) === null && LOG_LEVELS[g.args[0].toLowerCase()] === undefined) {
      throw paramError(`log level "${g.args[0]}" unknown`);
    }
  },
  options: [
    { name: 'log-level', args: 1 },
    { name: 'log-prefix', args: 1 },
    { name: 'log-tcp-sequence', args: 0 },
    { name: 'log-tcp-options', args: 0 },
    { name: 'log-ip-options', args: 0 },
    { name: 'log-uid', args: 0 },
    { name: 'log-macdecode', args: 0 },
  ],
  build(given) {
    onlyOnce(given, 'LOG');
    const out: MatchOption[] = [];
    const p = get(given, 'log-prefix');
    if (p) {
      if (p.args[0].includes('\n')) throw paramError('Newlines not allowed in --log-prefix');
      // Cut to the 29 characters the kernel keeps (checked on the real tool).
      if (p.args[0].length > 0) out.push(opt('log-prefix', [p.args[0].slice(0, 29)]));
    }
    const l = get(given, 'log-level');
    if (l) {
      const n = strtoui(l.args[0], 7) ?? LOG_LEVELS[l.args[0].toLowerCase()];
      if (n === undefined) throw paramError(`log level "${l.args[0]}" unknown`);
      if (n !== 4) out.push(opt('log-level', [String(n)]));
    }
    for (const f of ['log-tcp-sequence', 'log-tcp-options', 'log-ip-options', 'log-uid', 'log-macdecode']) {
      if (has(given, f)) out.push(opt(f));
    }
    return out;
  },
};

const NFLOG: Extension = {
  name: 'NFLOG',
  kind: 'target',
  options: [
    { name: 'nflog-group', args: 1 },
    { name: 'nflog-prefix', args: 1 },
    { name: 'nflog-range', args: 1 },
    { name: 'nflog-size', args: 1 },
    { name: 'nflog-threshold', args: 1 },
  ],
  build(given) {
    onlyOnce(given, 'NFLOG');
    const out: MatchOption[] = [];
    const p = get(given, 'nflog-prefix');
    if (p) {
      if (p.args[0].length > 0) out.push(opt('nflog-prefix', [p.args[0]]));
    }
    const g = get(given, 'nflog-group');
    if (g) {
      const n = uint(g.args[0], 65535, 'NFLOG', 'nflog-group');
      if (n !== 0) out.push(opt('nflog-group', [String(n)]));
    }
    const s = get(given, 'nflog-size');
    if (s) out.push(opt('nflog-size', [String(uint(s.args[0], 0xffffffff, 'NFLOG', 'nflog-size'))]));
    const t = get(given, 'nflog-threshold');
    if (t) {
      const n = uint(t.args[0], 65535, 'NFLOG', 'nflog-threshold');
      if (n !== 0) out.push(opt('nflog-threshold', [String(n)]));
    }
    return out;
  },
};

const CT: Extension = {
  name: 'CT',
  kind: 'target',
  options: [
    { name: 'notrack', args: 0 },
    { name: 'helper', args: 1 },
    { name: 'zone', args: 1 },
  ],
  build(given) {
    onlyOnce(given, 'CT');
    const out: MatchOption[] = [];
    if (has(given, 'notrack')) out.push(opt('notrack'));
    const h = get(given, 'helper');
    if (h) out.push(opt('helper', [h.args[0]]));
    const z = get(given, 'zone');
    if (z) {
      const n = uint(z.args[0], 65535, 'CT', 'zone');
      if (n !== 0) out.push(opt('zone', [String(n)]));
    }
    return out;
  },
  tables: ['raw'],
};

const TCPMSS: Extension = {
  name: 'TCPMSS',
  kind: 'target',
  options: [
    { name: 'set-mss', args: 1 },
    { name: 'clamp-mss-to-pmtu', args: 0 },
  ],
  build(given) {
    onlyOnce(given, 'TCPMSS');
    const mode = excl(given, 'TCPMSS', ['set-mss', 'clamp-mss-to-pmtu']);
    if (!mode) throw paramError('TCPMSS target: At least one parameter is required');
    if (mode.def.name === 'set-mss') return [opt('set-mss', [String(uint(mode.args[0], 65535, 'TCPMSS', 'set-mss'))])];
    return [opt('clamp-mss-to-pmtu')];
  },
  optionHooks: { 'clamp-mss-to-pmtu': ['FORWARD', 'OUTPUT', 'POSTROUTING'] },
};

function simpleTarget(name: string, tables?: TableName[]): Extension {
  return { name, kind: 'target', options: [], build: () => [], tables };
}

export function checkIfaceName(name: string): void {
  if (name.length > 15) throw paramError(`interface name \`${name}' must be shorter than IFNAMSIZ (15)`);
}

const ALL: Extension[] = [
  portMatch('tcp'),
  portMatch('udp'),
  portMatch('sctp'),
  ICMP,
  ICMP6,
  MULTIPORT,
  COMMENT,
  markMatch('mark'),
  markMatch('connmark'),
  STATE,
  CONNTRACK,
  ADDRTYPE,
  RECENT,
  STATISTIC,
  SET_MATCH,
  PHYSDEV,
  RPFILTER,
  LIMIT,
  MAC,
  IPRANGE,
  PKTTYPE,
  NFACCT,
  markTarget('MARK'),
  markTarget('CONNMARK'),
  natTarget('DNAT'),
  natTarget('SNAT'),
  portTarget('MASQUERADE'),
  portTarget('REDIRECT'),
  REJECT,
  LOG,
  NFLOG,
  CT,
  TCPMSS,
  simpleTarget('NOTRACK', ['raw']),
  simpleTarget('TRACE', ['raw']),
];

/** Names the standard target handles itself (verdicts). */
export const VERDICTS = new Set(['ACCEPT', 'DROP', 'RETURN', 'QUEUE']);

export function findMatch(name: string, family: Family): Extension | undefined {
  return ALL.find((e) => e.kind === 'match' && e.name === name && (e.family === undefined || e.family === family));
}

export function findTarget(name: string, family: Family): Extension | undefined {
  return ALL.find((e) => e.kind === 'target' && e.name === name && (e.family === undefined || e.family === family));
}

export function supportedMatches(family: Family): string[] {
  return ALL.filter((e) => e.kind === 'match' && (e.family === undefined || e.family === family)).map((e) => e.name);
}

export { protocolName };
