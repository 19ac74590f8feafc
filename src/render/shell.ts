// What a shell on a node (or in a pod's namespace) answers for the read-only networking
// commands kubewire models: iproute2 (`ip ...`, `bridge fdb show`) and `iptables-save`.
// Anything else answers like a shell that lacks the command.

import type { Host } from '../node-state/types.ts';
import { runIpCommand } from './iproute2/index.ts';
import { iptablesSave, formatSaveDate } from '../netfilter/save.ts';
import type { TableName } from '../netfilter/types.ts';

export interface ShellResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

const TABLES: TableName[] = ['raw', 'mangle', 'nat', 'filter', 'security'];

function runIptablesSave(host: Host, nsName: string, argv: string[], family: 4 | 6, date: Date): ShellResult {
  const prog = argv[0];
  const ns = host.namespaces[nsName];
  const tables: TableName[] = [];
  let counters = false;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-t' || a === '--table') {
      const t = argv[++i];
      if (!t || !TABLES.includes(t as TableName)) {
        return { stdout: '', stderr: `${prog}: Table '${t ?? ''}' does not exist\n`, exitCode: 1 };
      }
      tables.push(t as TableName);
    } else if (a.startsWith('--table=')) {
      tables.push(a.slice(8) as TableName);
    } else if (a === '-c' || a === '--counters') {
      counters = true;
    } else {
      return { stdout: '', stderr: `${prog}: unrecognized option '${a}'\n`, exitCode: 1 };
    }
  }
  const state = family === 4 ? ns.netfilter : ns.netfilter6;
  const stdout = iptablesSave(state, {
    family,
    tables: tables.length ? tables : undefined,
    counters,
    header: { version: 'v1.8.9 (nf_tables)', date: formatSaveDate(date) },
  });
  return { stdout, stderr: '', exitCode: 0 };
}

/**
 * Runs one command line (already split into words) in a namespace of a host.
 * `date` stamps outputs that print the time (iptables-save's header).
 */
export function runShellCommand(host: Host, nsName: string, argv: string[], date: Date): ShellResult {
  if (argv.length === 0) return { stdout: '', stderr: 'kubewire: no command given\n', exitCode: 2 };
  const prog = argv[0].split('/').pop()!;
  switch (prog) {
    case 'ip':
    case 'bridge':
      return runIpCommand(host, nsName, [prog, ...argv.slice(1)]);
    case 'iptables-save':
    case 'iptables-nft-save':
      return runIptablesSave(host, nsName, argv, 4, date);
    case 'ip6tables-save':
    case 'ip6tables-nft-save':
      return runIptablesSave(host, nsName, argv, 6, date);
    default:
      return { stdout: '', stderr: `sh: ${argv[0]}: not found\n`, exitCode: 127 };
  }
}
