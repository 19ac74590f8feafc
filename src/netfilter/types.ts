// Netfilter (iptables) state of one namespace, parsed from iptables-restore text.
// Keeps everything iptables-save prints, so rendering it back is lossless.
// (Owned by the netfilter module; other layers treat it as opaque data plus these fields.)
//
// Rules are stored in their CANONICAL form: the form `iptables-save` v1.8.9 (nf_tables) prints after
// the kernel round trip (`-d 10.0.0.1` is stored as "10.0.0.1/32", `--or-mark 0x4000` as
// `--set-xmark 0x4000/0x4000`, `--syn` as `--tcp-flags FIN,SYN,RST,ACK SYN`, ...). Options of a match
// or target are kept in the order iptables-save prints them, with the names it prints (no dashes).
// So the packet engine reads one spelling per concept, and printing is a plain walk.

export type TableName = 'raw' | 'mangle' | 'nat' | 'filter' | 'security';

/** Order in which iptables-save (nf_tables backend) prints the tables that exist. */
export const TABLE_ORDER: readonly TableName[] = ['mangle', 'security', 'raw', 'filter', 'nat'];

/** Built-in chains of each table, in the order iptables-save lists them. */
export const BUILTIN_CHAINS: Readonly<Record<TableName, readonly string[]>> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

export interface NetfilterState {
  /**
   * Tables that exist, in TABLE_ORDER. A table exists once something created a chain in it or
   * touched one of its built-in chains; each existing table holds all its built-in chains.
   */
  tables: NetfilterTable[];
}

export interface NetfilterTable {
  name: TableName;
  /** Built-in chains first (BUILTIN_CHAINS order), then user chains sorted by byte order (strcmp). */
  chains: NetfilterChain[];
}

export interface NetfilterChain {
  name: string;
  /** Built-in chains have a policy; user chains have none. */
  policy?: 'ACCEPT' | 'DROP';
  packets: number;
  bytes: number;
  rules: NetfilterRule[];
}

export interface MatchOption {
  /** Option as iptables-save prints it, without dashes: "dport", "comment", "ctstate". */
  name: string;
  /** Printed as `! --name`. */
  negated: boolean;
  /** Canonical argument(s); empty for flags (`--random-fully`). */
  values: string[];
}

export interface NetfilterMatch {
  /** Match module ("tcp", "comment", "mark", ...). */
  module: string;
  options: MatchOption[];
}

export interface NetfilterRule {
  /** Canonical protocol name as saved ("tcp", "ipencap", "200"); absent for "all". */
  protocol?: { value: string; negated: boolean };
  /** "10.0.0.1/32", "10.0.0.0/8", "10.0.2.0/255.0.255.0", "fd00::/64". Absent for /0. */
  source?: { value: string; negated: boolean };
  destination?: { value: string; negated: boolean };
  /** Interface name, possibly with the `+` wildcard ("cali+"). */
  inInterface?: { value: string; negated: boolean };
  outInterface?: { value: string; negated: boolean };
  /** IPv4 `-f`: second and further fragments. */
  fragment?: { negated: boolean };
  matches: NetfilterMatch[];
  /** -j TARGET or -g CHAIN. Absent: the rule only counts. */
  target?: { name: string; goto: boolean; options: MatchOption[] };
  packets: number;
  bytes: number;
}

export function emptyNetfilter(): NetfilterState {
  return { tables: [] };
}
