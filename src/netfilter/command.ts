// One `iptables`/`ip6tables` invocation (v1.8.9, nf_tables) against a NetfilterState, the way
// components such as kube-proxy and kubelet call the binary: -A/-I/-D/-R/-C/-N/-X/-F/-Z/-P/-E and
// -S (list rules). Returns what the process would: exit status, stdout, stderr. Pure.

import type { NetfilterState, TableName } from './types.ts';
import { BUILTIN_CHAINS, TABLE_ORDER } from './types.ts';
import { iptablesRestore, newTable, RestoreError } from './restore.ts';
import { formatRule } from './rule-text.ts';
import type { Family } from './addr.ts';

export interface CommandResult {
  state: NetfilterState;
  /** 0 ok, 1 command failed (no such rule/chain), 2 bad parameters, 3 bad table, 4 kernel refused. */
  status: number;
  stdout: string;
  stderr: string;
}

const VERSION = 'v1.8.9 (nf_tables)';

function quoteArg(a: string): string {
  return `"${a.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

export function iptablesCommand(state: NetfilterState, argv: string[], opts: { family?: Family } = {}): CommandResult {
  const family = opts.family ?? 4;
  const prog = family === 6 ? 'ip6tables' : 'iptables';
  const hint = `Try \`${prog} -h' or '${prog} --help' for more information.\n`;
  let table = 'filter';
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-t' || a === '--table') table = argv[++i] ?? '';
    else if (a.startsWith('--table=')) table = a.slice('--table='.length);
    else if (/^-t./.test(a)) table = a.slice(2);
    else args.push(a);
  }
  if (args.some((a) => a === (family === 6 ? '-4' : '-6') || a === (family === 6 ? '--ipv4' : '--ipv6'))) {
    return { state, status: 2, stdout: '', stderr: hint };
  }
  if (!(TABLE_ORDER as readonly string[]).includes(table)) {
    return {
      state,
      status: 3,
      stdout: '',
      stderr: `${prog} ${VERSION}: table '${table}' does not exist\nPerhaps ${prog} or your kernel needs to be upgraded.\n`,
    };
  }
  const t = table as TableName;
  const listAt = args.findIndex((a) => a === '-S' || a === '--list-rules');
  if (listAt >= 0) {
    const chain = args[listAt + 1] !== undefined && !args[listAt + 1].startsWith('-') ? args[listAt + 1] : undefined;
    return listRules(state, t, chain, prog);
  }
  const text = `*${t}\n${args.map(quoteArg).join(' ')}\nCOMMIT\n`;
  try {
    const next = iptablesRestore(state, text, { family, noflush: true, file: prog });
    return { state: next, status: 0, stdout: '', stderr: '' };
  } catch (e) {
    if (!(e instanceof RestoreError)) throw e;
    const explain = e.explain ? `  (${e.explain})\n` : '';
    switch (e.kind) {
      case 'command':
        return { state, status: 1, stdout: '', stderr: `${prog}: ${e.toolMessage}\n${explain}` };
      case 'kernel':
        return { state, status: 4, stdout: '', stderr: `${prog} ${VERSION}:  ${e.toolMessage}\n${explain}` };
      case 'plain':
        return { state, status: 2, stdout: '', stderr: `${e.toolMessage}\n${hint}${explain}` };
      default:
        return { state, status: 2, stdout: '', stderr: `${prog} ${VERSION}: ${e.toolMessage}\n${hint}${explain}` };
    }
  }
}

/** `iptables -t TABLE -S [CHAIN]`. */
function listRules(state: NetfilterState, table: TableName, chain: string | undefined, prog: string): CommandResult {
  const t = state.tables.find((x) => x.name === table) ?? newTable(table);
  const chains = chain === undefined ? t.chains : t.chains.filter((c) => c.name === chain);
  if (chains.length === 0) {
    // iptables-nft's wording for a chain it cannot find while listing.
    return { state, status: 1, stdout: '', stderr: `${prog} ${VERSION}: chain \`${chain}' in table \`${table}' is incompatible, use 'nft' tool.\n` };
  }
  const lines: string[] = [];
  for (const c of chains) {
    lines.push(BUILTIN_CHAINS[table].includes(c.name) ? `-P ${c.name} ${c.policy ?? 'ACCEPT'}` : `-N ${c.name}`);
  }
  for (const c of chains) for (const r of c.rules) lines.push(formatRule(c.name, r));
  return { state, status: 0, stdout: lines.join('\n') + '\n', stderr: '' };
}
