// Netfilter (iptables) state of one namespace, parsed from iptables-restore text.
// Keeps everything iptables-save prints, so rendering it back is lossless.
// (Owned by the netfilter module; other layers treat it as opaque data plus these fields.)

export type TableName = 'raw' | 'mangle' | 'nat' | 'filter' | 'security';

export interface NetfilterState {
  /** Tables that exist (have been touched), in the order the kernel lists them. */
  tables: NetfilterTable[];
}

export interface NetfilterTable {
  name: TableName;
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
  /** Option as written, without dashes: "dport", "comment", "ctstate". */
  name: string;
  negated: boolean;
  values: string[];
}

export interface NetfilterMatch {
  /** Match module ("tcp", "comment", "mark", ...). */
  module: string;
  options: MatchOption[];
}

export interface NetfilterRule {
  protocol?: { value: string; negated: boolean };
  source?: { value: string; negated: boolean };
  destination?: { value: string; negated: boolean };
  inInterface?: { value: string; negated: boolean };
  outInterface?: { value: string; negated: boolean };
  fragment?: { negated: boolean };
  matches: NetfilterMatch[];
  /** -j TARGET or -g CHAIN. */
  target?: { name: string; goto: boolean; options: MatchOption[] };
  packets: number;
  bytes: number;
}

export function emptyNetfilter(): NetfilterState {
  return { tables: [] };
}
