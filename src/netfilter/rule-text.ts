// The text form of iptables rules: tokenising a restore line the way iptables-restore does,
// parsing the arguments of one iptables command into a structured (canonical) rule, and printing
// a rule as iptables-save v1.8.9 (nf_tables) does.

import type { MatchOption, NetfilterMatch, NetfilterRule, TableName } from './types.ts';
import { BUILTIN_CHAINS } from './types.ts';
import { NetfilterParamError, paramError } from './errors.ts';
import { formatAddrMask, parseAddrMask, type AddrMask, type Family } from './addr.ts';
import { parseProtocol, protocolMatchModule, protocolName } from './lookup.ts';
import {
  checkIfaceName,
  findMatch,
  findTarget,
  VERDICTS,
  type ExtCtx,
  type Extension,
  type GivenOpt,
  type OptDef,
} from './extensions.ts';

/**
 * Split one restore line into arguments like iptables-restore: blanks separate; a double quote opens
 * or closes a quoted part (a closing quote also ends the argument); inside quotes a backslash takes
 * the next character literally. Outside quotes a backslash is an ordinary character. An unterminated
 * quote runs to the end of the line, including its newline.
 */
export function tokenizeRestoreLine(line: string): string[] {
  const out: string[] = [];
  let quote = false;
  let escaped = false;
  let cur = '';
  let pending = false;
  for (const ch of line) {
    if (quote) {
      if (escaped) {
        cur += ch;
        escaped = false;
        continue;
      }
      if (ch === '\\') {
        escaped = true;
        continue;
      }
      if (ch !== '"') {
        cur += ch;
        continue;
      }
      quote = false;
      out.push(cur);
      cur = '';
      pending = false;
      continue;
    }
    if (ch === '"') {
      quote = true;
      pending = true;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\n') {
      if (cur.length > 0 || pending) out.push(cur);
      cur = '';
      pending = false;
      continue;
    }
    cur += ch;
    pending = true;
  }
  if (cur.length > 0 || (pending && !quote) || (quote && cur.length > 0)) out.push(cur);
  return out;
}

export type CommandName = 'A' | 'I' | 'D' | 'R' | 'C' | 'N' | 'X' | 'F' | 'Z' | 'P' | 'E';

export interface ParsedCommand {
  command: CommandName;
  chain?: string;
  /** -I/-D/-R/-Z rule number (1-based). */
  ruleNum?: number;
  /** -P policy, -E new name. */
  arg?: string;
  /** The rules the arguments expand to (one per source × destination address), canonical. */
  rules: NetfilterRule[];
  /** Whether a rule specification (anything besides the command) was given. */
  hasRuleSpec: boolean;
  /** -c packets bytes. */
  counters?: { packets: number; bytes: number };
  /**
   * Reasons the kernel refuses these rules (errno text and kubewire's explanation); iptables-restore
   * reports them when the table is committed, once per expanded rule.
   */
  kernelErrors: Array<{ errno: string; explain: string }>;
  /** The line carries -4 under IPv6 (or -6 under IPv4): the restore tools skip it. */
  otherFamily?: boolean;
}

const COMMANDS_OBJ: Record<string, CommandName> = {
  '-A': 'A',
  '--append': 'A',
  '-I': 'I',
  '--insert': 'I',
  '-D': 'D',
  '--delete': 'D',
  '-R': 'R',
  '--replace': 'R',
  '-C': 'C',
  '--check': 'C',
  '-N': 'N',
  '--new-chain': 'N',
  '-X': 'X',
  '--delete-chain': 'X',
  '-F': 'F',
  '--flush': 'F',
  '-Z': 'Z',
  '--zero': 'Z',
  '-P': 'P',
  '--policy': 'P',
  '-E': 'E',
  '--rename-chain': 'E',
};

const COMMANDS = new Map<string, CommandName>(Object.entries(COMMANDS_OBJ));

interface BaseOpt {
  key: string;
  args: number;
  invert: boolean;
}

const BASE = new Map<string, BaseOpt>();
function base(key: string, names: string[], args: number, invert: boolean): void {
  for (const n of names) BASE.set(n, { key, args, invert });
}
base('p', ['-p', '--protocol'], 1, true);
base('s', ['-s', '--source', '--src'], 1, true);
base('d', ['-d', '--destination', '--dst'], 1, true);
base('i', ['-i', '--in-interface'], 1, true);
base('o', ['-o', '--out-interface'], 1, true);
base('j', ['-j', '--jump'], 1, false);
base('g', ['-g', '--goto'], 1, false);
base('m', ['-m', '--match'], 1, false);
base('f', ['-f', '--fragment'], 0, true);
base('c', ['-c', '--set-counters'], 2, false);
base('noop', ['-v', '--verbose', '-n', '--numeric', '-x', '--exact', '--line-numbers'], 0, false);
const BASE_LONG = [...BASE.keys()].filter((k) => k.startsWith('--'));

interface VisibleOpt {
  owner: LoadedExt | 'target';
  def: OptDef;
  name: string;
}

interface LoadedExt {
  ext: Extension;
  given: GivenOpt[];
  /** Loaded implicitly from -p (iptables loads the protocol match at most once). */
  implicit: boolean;
}

export interface ParseOptions {
  family?: Family;
  table?: TableName;
}

/**
 * Parse the arguments of one iptables command (what follows `iptables -t TABLE`): the command
 * (-A, -I, -D, ...) and its rule specification. Throws NetfilterParamError with the real tool's text.
 */
export function parseCommand(tokens: string[], opts: ParseOptions = {}): ParsedCommand {
  const family = opts.family ?? 4;
  const table = opts.table ?? 'filter';
  let command: CommandName | undefined;
  let chain: string | undefined;
  let ruleNum: number | undefined;
  let arg: string | undefined;
  let counters: { packets: number; bytes: number } | undefined;
  let invert = false;
  let hasRuleSpec = false;

  let protocol: { num: number; negated: boolean } | undefined;
  const src: AddrHolder = { specs: [], parsed: [], negated: false };
  const dst: AddrHolder = { specs: [], parsed: [], negated: false };
  /** Problems the kernel would refuse the rule for (reported when the table is committed). */
  const kernelErrors: Array<{ errno: string; explain: string }> = [];
  let srcSet = false;
  let dstSet = false;
  let inIf: { value: string; negated: boolean } | undefined;
  let outIf: { value: string; negated: boolean } | undefined;
  let fragment: { negated: boolean } | undefined;
  const loaded: LoadedExt[] = [];
  let target: { name: string; goto: boolean; ext?: Extension; given: GivenOpt[] } | undefined;
  let protoUsed = false;
  let otherFamily = false;

  const ctx = (): ExtCtx => ({ family, table, chain: chain ?? '', protocol });

  const setCommand = (c: CommandName, tok: string): void => {
    if (command !== undefined) throw paramError('Cannot use -' + command + ' with -' + c, `two commands on one line (${tok})`);
    command = c;
  };

  const isOptionLike = (s: string | undefined): boolean => s === undefined || s.startsWith('-') || s === '!';

  let i = 0;
  const next = (what: string): string => {
    if (i >= tokens.length) throw paramError(`option "${what}" requires an argument`);
    return tokens[i++];
  };

  // Visible extension options: the most recently loaded extension first (iptables merges each
  // newly loaded extension's options in front of the older ones). Rebuilt only when one is loaded.
  const loadOrder: number[] = [];
  let targetOrder = -1;
  let loadCounter = 0;
  let visibleCache: VisibleOpt[] | undefined;
  const visible = (): VisibleOpt[] => {
    if (visibleCache) return visibleCache;
    // Options of an extension are merged once, when it is first loaded; a later `-m` of the same
    // extension adds an instance that takes over its options (earlier instances are complete).
    const firstAt = new Map<string, number>();
    const latest = new Map<string, LoadedExt>();
    loaded.forEach((l, k) => {
      if (!firstAt.has(l.ext.name)) firstAt.set(l.ext.name, loadOrder[k]);
      latest.set(l.ext.name, l);
    });
    const order: Array<{ at: number; e: LoadedExt | 'target' }> = [...latest.values()].map((l) => ({ at: firstAt.get(l.ext.name)!, e: l }));
    if (target?.ext) order.push({ at: targetOrder, e: 'target' });
    order.sort((a, b) => b.at - a.at);
    const list: VisibleOpt[] = [];
    for (const o of order) {
      const ext = o.e === 'target' ? target!.ext! : o.e.ext;
      for (const def of ext.options) {
        list.push({ owner: o.e, def, name: def.name });
        for (const a of def.aliases ?? []) list.push({ owner: o.e, def, name: a });
      }
    }
    return (visibleCache = list);
  };

  const loadMatch = (name: string, implicit: boolean): LoadedExt => {
    const lookup = name === 'icmpv6' ? 'icmp6' : name;
    const ext = findMatch(lookup, family);
    if (!ext) {
      throw paramError(`Couldn't load match \`${name}':No such file or directory\n`, `kubewire does not model the "${name}" match`);
    }
    const l: LoadedExt = { ext, given: [], implicit };
    loaded.push(l);
    loadOrder.push(loadCounter++);
    visibleCache = undefined;
    return l;
  };

  while (i < tokens.length) {
    const tok = tokens[i++];
    if (tok === '!') {
      if (invert) throw paramError("multiple `!' flags not allowed");
      invert = true;
      continue;
    }
    const cmd = COMMANDS.get(tok);
    if (cmd !== undefined) {
      if (invert) throw paramError(`unexpected ! flag before ${tok}`);
      setCommand(cmd, tok);
      if (cmd === 'X' || cmd === 'F' || cmd === 'Z') {
        if (!isOptionLike(tokens[i])) chain = tokens[i++];
        if (cmd === 'Z' && chain !== undefined && !isOptionLike(tokens[i])) ruleNum = parseRuleNum(tokens[i++]);
        continue;
      }
      chain = next(tok);
      if (cmd === 'I' || cmd === 'D') {
        if (!isOptionLike(tokens[i])) ruleNum = parseRuleNum(tokens[i++]);
      } else if (cmd === 'R') {
        ruleNum = parseRuleNum(next(tok));
      } else if (cmd === 'P' || cmd === 'E') {
        arg = next(tok);
      }
      continue;
    }
    if (tok === '-t' || tok === '--table') {
      throw paramError(`The -t option (seen in line) cannot be used in iptables-restore.`);
    }
    if (tok === '-4' || tok === '--ipv4' || tok === '-6' || tok === '--ipv6') {
      // A line for the other family: iptables-restore / ip6tables-restore skip it silently.
      if ((tok.includes('4') ? 4 : 6) !== family) otherFamily = true;
      continue;
    }
    if (tok === '-w' || tok === '--wait' || tok === '-W' || tok === '--wait-interval') {
      if (tokens[i] !== undefined && /^[0-9]+$/.test(tokens[i])) i++;
      continue;
    }
    let name = tok;
    let inlineArg: string | undefined;
    if (tok.startsWith('--') && tok.includes('=')) {
      name = tok.slice(0, tok.indexOf('='));
      inlineArg = tok.slice(tok.indexOf('=') + 1);
    }
    let b = BASE.get(name);
    if (b === undefined && name.startsWith('--') && !findOption(visible(), name.slice(2), true)) {
      // getopt_long: an unambiguous prefix of a long option.
      const cands = BASE_LONG.filter((k) => k.startsWith(name));
      const keys = new Set(cands.map((k) => BASE.get(k)!.key));
      if (keys.size === 1 && !visible().some((o) => o.name.startsWith(name.slice(2)))) b = BASE.get(cands[0]);
    }
    if (b !== undefined) {
      if (invert && !b.invert) throw paramError(`cannot have ! before -${b.key}`);
      const neg = invert;
      invert = false;
      const take = (): string => (inlineArg !== undefined ? ((v) => ((inlineArg = undefined), v))(inlineArg) : next(name));
      switch (b.key) {
        case 'p': {
          if (protocol) throw paramError('multiple -p flags not allowed');
          hasRuleSpec = true;
          const v = take().toLowerCase();
          const num = parseProtocol(v);
          if (num === 0 && neg) throw paramError('rule would never match protocol');
          protocol = { num, negated: neg };
          break;
        }
        case 's':
        case 'd': {
          hasRuleSpec = true;
          const holder = b.key === 's' ? src : dst;
          if ((b.key === 's' && srcSet) || (b.key === 'd' && dstSet)) {
            throw paramError(`multiple -${b.key} flags not allowed`);
          }
          if (b.key === 's') srcSet = true;
          else dstSet = true;
          holder.specs = take().split(',');
          holder.negated = neg;
          break;
        }
        case 'i':
        case 'o': {
          hasRuleSpec = true;
          const v = take();
          checkIfaceName(v);
          if (b.key === 'i') {
            if (inIf) throw paramError('multiple -i flags not allowed');
            inIf = { value: v, negated: neg };
          } else {
            if (outIf) throw paramError('multiple -o flags not allowed');
            outIf = { value: v, negated: neg };
          }
          break;
        }
        case 'f':
          hasRuleSpec = true;
          if (family === 6) throw paramError("`-f' is not supported in IPv6, use -m frag instead");
          if (fragment) throw paramError('multiple -f flags not allowed');
          fragment = { negated: neg };
          break;
        case 'm': {
          hasRuleSpec = true;
          if (neg) throw paramError('unexpected ! flag before --match');
          loadMatch(take(), false);
          break;
        }
        case 'j':
        case 'g': {
          hasRuleSpec = true;
          if (target) throw paramError('multiple -j flags not allowed');
          const t = take();
          if (t.length === 0) throw paramError('Invalid target name (too short)');
          if (t.length > 28) throw paramError(`Invalid target name \`${t}' (28 chars max)`);
          const ext = b.key === 'j' ? findTarget(t, family) : undefined;
          target = { name: t, goto: b.key === 'g', ext, given: [] };
          if (ext) {
            targetOrder = loadCounter++;
            visibleCache = undefined;
          }
          break;
        }
        case 'c': {
          const p = take();
          const by = next(name);
          if (!/^[0-9]+$/.test(p) || !/^[0-9]+$/.test(by)) throw paramError(`-c packet counter not numeric`);
          counters = { packets: Number(p), bytes: Number(by) };
          break;
        }
        default:
          break;
      }
      continue;
    }
    if (!tok.startsWith('-') || tok === '-' || tok === '--') {
      throw new NetfilterParamError(`Bad argument \`${tok}'`, {
        kind: 'plain',
        explain: tok.startsWith('*') ? 'a table block must end with COMMIT before the next one starts' : 'arguments must follow an option',
      });
    }
    // Extension option.
    hasRuleSpec = true;
    const optName = name.replace(/^--?/, '');
    let found = findOption(visible(), optName);
    if (!found && protocol && !protoUsed) {
      const mod = protocolMatchModule(protocol.num, family);
      if (mod) {
        protoUsed = true;
        loadMatch(mod, true);
        found = findOption(visible(), optName);
      }
    }
    if (!found) {
      throw paramError(`unknown option "${tok}"`, unknownOptionHint(optName, loaded, target?.name));
    }
    const { owner, def } = found;
    const extName = owner === 'target' ? target!.name : owner.ext.name;
    if (invert && !def.invert) throw paramError(`${extName}: option "--${def.name}" cannot be inverted.`);
    const args: string[] = [];
    for (let k = 0; k < def.args; k++) {
      if (k === 0 && inlineArg !== undefined) args.push(inlineArg);
      else {
        if (i >= tokens.length) throw paramError(`option "--${def.name}" requires an argument`);
        args.push(tokens[i++]);
      }
    }
    const given: GivenOpt = { def, negated: invert, args, typed: optName };
    invert = false;
    if (owner === 'target') {
      target!.given.push(given);
      target!.ext!.onOption?.(given, ctx());
    } else {
      owner.given.push(given);
      owner.ext.onOption?.(given, ctx());
    }
  }
  if (invert) throw paramError("no argument following `!'");
  if (command === undefined) throw paramError('no command specified');
  if (otherFamily) return { command, chain, ruleNum, arg, rules: [], hasRuleSpec, counters, kernelErrors: [], otherFamily: true };

  if (chain !== undefined) {
    if (inIf && (chain === 'OUTPUT' || chain === 'POSTROUTING')) throw paramError(`Can't use -i with ${chain}\n`);
    if (outIf && (chain === 'INPUT' || chain === 'PREROUTING')) throw paramError(`Can't use -o with ${chain}\n`);
  }

  // Build canonical matches.
  const c = ctx();
  const matches: NetfilterMatch[] = [];
  const natives: Array<{ index: number; module: string }> = [];
  let nativeError: NetfilterParamError | undefined;
  for (const l of loaded) {
    const options = l.ext.build(l.given, c);
    const m: NetfilterMatch = { module: l.ext.name, options };
    if (l.ext.name === 'tcp' || l.ext.name === 'udp') {
      const wanted = l.ext.name === 'tcp' ? 6 : 17;
      const native = options.length > 0 && !options.some((o) => o.name === 'tcp-option');
      if (native && (!protocol || protocol.num !== wanted)) {
        nativeError ??= paramError(`${l.ext.name.toUpperCase()} match requires '-p ${l.ext.name}'`);
      }
      if (native) {
        // nf_tables stores port tests as comparisons: a negated 0:N reads back as N+1:65535 and a
        // negated full range as nothing at all.
        for (let k = options.length - 1; k >= 0; k--) {
          const o = options[k];
          if ((o.name !== 'sport' && o.name !== 'dport') || !o.negated) continue;
          const [lo, hi] = o.values[0].split(':').map(Number);
          if (hi === undefined || lo !== 0) continue;
          if (hi === 65535) options.splice(k, 1);
          else options[k] = { name: o.name, negated: false, values: [`${hi + 1}:65535`] };
        }
        if (options.length === 0) continue;
        // Reading the rule back, iptables folds all native tests into the first such match (a later
        // value for the same field wins).
        const first = natives.find((n) => n.module === l.ext.name);
        if (first) {
          const into = matches[first.index];
          for (const o of options) {
            const k = into.options.findIndex((x) => x.name === o.name);
            if (k >= 0) into.options[k] = o;
            else into.options.push(o);
          }
          const order = ['sport', 'dport', 'tcp-flags'];
          into.options.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
          continue;
        }
        natives.push({ index: matches.length, module: l.ext.name });
      }
    }
    matches.push(m);
  }
  // Matches kept as xtables extensions are checked by the kernel against -p (not negated).
  const PROTO_OF: Record<string, number> = { tcp: 6, udp: 17, sctp: 132, icmp: 1, icmp6: 58 };
  const compatProtoErrors: string[] = [];
  for (const [k, m] of matches.entries()) {
    const want = PROTO_OF[m.module];
    if (want === undefined || natives.some((n) => n.index === k)) continue;
    if (!protocol || protocol.negated || protocol.num !== want) {
      compatProtoErrors.push(`the ${m.module} match only works with a non-negated -p ${protocolName(want)}`);
    }
  }

  let ruleTarget: NetfilterRule['target'];
  if (target) {
    if (target.ext) {
      ruleTarget = { name: target.name, goto: false, options: target.ext.build(target.given, c) };
    } else {
      ruleTarget = { name: target.name, goto: target.goto, options: [] };
    }
  }

  if (table === 'nat' && ((target?.name === 'DROP' && !target.goto) || (command === 'P' && arg === 'DROP'))) {
    throw paramError('\nThe "nat" table is not intended for filtering, the use of DROP is therefore inhibited.');
  }
  // Addresses are parsed after the extensions' final checks, as iptables does.
  for (const h of [src, dst]) h.parsed = h.specs.map((x) => parseAddrMask(x, family));
  if ((src.specs.length > 1 || dst.specs.length > 1) && (src.negated || dst.negated)) {
    throw paramError('! not allowed with multiple source or destination IP addresses');
  }
  // nf_tables translation of the rule comes last.
  if (nativeError) throw nativeError;

  if (ruleTarget?.name === 'TCPMSS' && (!protocol || protocol.negated || protocol.num !== 6)) {
    // nf_tables skips xt_TCPMSS's SYN-match check but the target still needs -p tcp.
    kernelErrors.push({ errno: 'Invalid argument', explain: 'TCPMSS needs -p tcp' });
  }
  for (const why of compatProtoErrors) kernelErrors.push({ errno: 'Invalid argument', explain: why });
  for (const m of matches) {
    const why = findMatch(m.module, family)?.kernelCheck?.(m.options, family);
    if (why) kernelErrors.push({ errno: 'Invalid argument', explain: why });
  }
  for (const h of [src, dst]) {
    if (h.negated && h.parsed.some((a) => a.mask === 0n)) {
      kernelErrors.push({ errno: 'Invalid argument', explain: 'a negated /0 address can never match; nf_tables rejects the rule' });
    }
  }

  const srcs = expandAddrs(src);
  const dsts = expandAddrs(dst);
  const rules: NetfilterRule[] = [];
  for (const s of srcs) {
    for (const d of dsts) {
      // The first rule keeps the parsed objects; further (address-expanded) rules get copies.
      const first = rules.length === 0;
      const rule: NetfilterRule = { matches: first ? matches : cloneMatches(matches), packets: 0, bytes: 0 };
      if (s) {
        const v = addrField(s, src.negated);
        if (v) rule.source = v;
      }
      if (d) {
        const v = addrField(d, dst.negated);
        if (v) rule.destination = v;
      }
      if (inIf && !(inIf.value === '+' && !inIf.negated)) rule.inInterface = { ...inIf };
      if (outIf && !(outIf.value === '+' && !outIf.negated)) rule.outInterface = { ...outIf };
      if (protocol && protocol.num !== 0) rule.protocol = { value: protocolName(protocol.num), negated: protocol.negated };
      if (fragment) rule.fragment = { ...fragment };
      if (ruleTarget) rule.target = first ? ruleTarget : { ...ruleTarget, options: cloneOptions(ruleTarget.options) };
      if (counters) {
        rule.packets = counters.packets;
        rule.bytes = counters.bytes;
      }
      rules.push(rule);
    }
  }
  return { command, chain, ruleNum, arg, rules, hasRuleSpec, counters, kernelErrors };
}

function cloneOptions(options: MatchOption[]): MatchOption[] {
  return options.map((o) => ({ name: o.name, negated: o.negated, values: [...o.values] }));
}

function cloneMatches(matches: NetfilterMatch[]): NetfilterMatch[] {
  return matches.map((m) => ({ module: m.module, options: cloneOptions(m.options) }));
}


function addrField(a: AddrMask, negated: boolean): { value: string; negated: boolean } | undefined {
  if (a.mask === 0n) return undefined;
  return { value: formatAddrMask(a), negated };
}

interface AddrHolder {
  specs: string[];
  parsed: AddrMask[];
  negated: boolean;
}

function expandAddrs(h: AddrHolder): Array<AddrMask | undefined> {
  return h.parsed.length === 0 ? [undefined] : h.parsed;
}

function parseRuleNum(s: string): number {
  if (!/^[0-9]+$/.test(s) || Number(s) < 1) throw paramError(`Invalid rule number \`${s}'`);
  return Number(s);
}

function findOption(
  list: VisibleOpt[],
  optName: string,
  exactOnly = false,
): { owner: LoadedExt | 'target'; def: OptDef } | undefined {
  const exact = list.find((o) => o.name === optName);
  if (exact || exactOnly) return exact;
  // getopt_long accepts an unambiguous prefix of a long option.
  const pre = list.filter((o) => o.name.startsWith(optName));
  if (optName.length === 0 || pre.length === 0) return undefined;
  const first = pre[0];
  if (pre.every((o) => o.def === first.def && o.owner === first.owner)) return first;
  return undefined;
}

function unknownOptionHint(optName: string, loaded: LoadedExt[], target?: string): string {
  const mods = loaded.map((l) => l.ext.name);
  const where = mods.length > 0 ? `the loaded matches (${mods.join(', ')})` : 'no match loaded yet';
  return `--${optName} belongs to none of ${where}${target ? ` or target ${target}` : ''}; load its match with -m first`;
}

/** Parse a rule specification (no command) into canonical rules. */
export function parseRuleArgs(tokens: string[], opts: ParseOptions & { chain?: string } = {}): NetfilterRule[] {
  const parsed = parseCommand(['-A', opts.chain ?? 'KUBEWIRE-RULE', ...tokens], opts);
  return parsed.rules;
}

/** Quote a string the way iptables-save does (xtables_save_string). */
export function saveString(value: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(value)) return value;
  return `"${value.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}

const QUOTED = new Set(['comment', 'log-prefix', 'nflog-prefix']);

function formatOptions(options: MatchOption[]): string {
  let s = '';
  for (const o of options) {
    s += o.negated ? ` ! --${o.name}` : ` --${o.name}`;
    // libxt_nfacct prints its name after two spaces (checked on the real tool).
    if (o.name === 'nfacct-name') s += ' ';
    for (const v of o.values) s += ` ${QUOTED.has(o.name) ? saveString(v) : v}`;
  }
  return s;
}

/** The rule specification as iptables-save prints it after `-A CHAIN` (leading space included). */
export function formatRuleSpec(rule: NetfilterRule): string {
  let s = '';
  const neg = (n: boolean): string => (n ? ' !' : '');
  if (rule.source) s += `${neg(rule.source.negated)} -s ${rule.source.value}`;
  if (rule.destination) s += `${neg(rule.destination.negated)} -d ${rule.destination.value}`;
  if (rule.inInterface) s += `${neg(rule.inInterface.negated)} -i ${rule.inInterface.value}`;
  if (rule.outInterface) s += `${neg(rule.outInterface.negated)} -o ${rule.outInterface.value}`;
  if (rule.protocol) s += `${neg(rule.protocol.negated)} -p ${rule.protocol.value}`;
  if (rule.fragment) s += `${neg(rule.fragment.negated)} -f`;
  for (const m of rule.matches) s += ` -m ${m.module}${formatOptions(m.options)}`;
  if (rule.target) s += ` ${rule.target.goto ? '-g' : '-j'} ${rule.target.name}${formatOptions(rule.target.options)}`;
  return s;
}

/** `-A CHAIN ...` as iptables-save prints it; with counters: `[p:b] -A CHAIN ...`. */
export function formatRule(chain: string, rule: NetfilterRule, opts: { counters?: boolean } = {}): string {
  const line = `-A ${chain}${formatRuleSpec(rule)}`;
  return opts.counters ? `[${rule.packets}:${rule.bytes}] ${line}` : line;
}

/** Is `name` a built-in chain of `table`? */
export function isBuiltinChain(table: TableName, name: string): boolean {
  return BUILTIN_CHAINS[table].includes(name);
}

export { VERDICTS };
