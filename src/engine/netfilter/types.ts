// Data the netfilter interpreter returns: verdicts, the rules that decided them and the rules a
// packet matched on the way, as plain records (STYLE.md §3).

import type { TableName } from '../../netfilter/types.ts';
import type { Packet } from '../packet.ts';

export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

/** One rule by position: `iptables -t TABLE -L CHAIN N`, with its iptables-save text. */
export interface NfRuleRef {
  table: TableName;
  chain: string;
  /** 1-based position in the chain. */
  rule: number;
  text: string;
}

export type NfDecider =
  | ({ kind: 'rule' } & NfRuleRef)
  | { kind: 'policy'; table: TableName; chain: string; policy: 'ACCEPT' | 'DROP' }
  /** The table does not exist in this namespace: nothing to traverse, the packet passes. */
  | { kind: 'no-table'; table: TableName; chain: string };

/** Positions iptables compared in one stretch of a chain (first..last, 1-based, inclusive). */
export interface WalkedRange {
  table: TableName;
  chain: string;
  first: number;
  last: number;
}

export type NfVerdict = 'ACCEPT' | 'DROP' | 'REJECT' | 'INSUFFICIENT';

export interface NatRequest {
  kind: 'DNAT' | 'SNAT' | 'MASQUERADE' | 'REDIRECT';
  /** Address range (DNAT/SNAT); absent keeps the address. */
  minAddr?: string;
  maxAddr?: string;
  minPort?: number;
  maxPort?: number;
  random: boolean;
  randomFully: boolean;
  persistent: boolean;
  rule: NfRuleRef;
}

/** A random-mode statistic decision (or any other probabilistic match) taken on this branch. */
export interface NfChoice {
  rule: NfRuleRef;
  matched: boolean;
  probability: number;
}

export interface NfOutcome {
  /** Probability of this branch given the packet (product of its choices). */
  probability: number;
  verdict: NfVerdict;
  decidedBy: NfDecider;
  /** Rules whose matches all held, in traversal order (jumps, marks, logs and the final one). */
  matched: NfRuleRef[];
  walked: WalkedRange[];
  /** The packet after the table (mark changes). */
  packet: Packet;
  /** Conntrack mark after the table (undefined without a conntrack entry). */
  ctmark?: number;
  nat?: NatRequest;
  rejectWith?: string;
  /** CT --notrack / NOTRACK hit (raw table). */
  notrack: boolean;
  logs: Array<{ rule: NfRuleRef; target: string; prefix?: string }>;
  choices: NfChoice[];
  /** This branch's xt_recent tables and statistic nth counters after the table (forks copy them). */
  recent?: Record<string, Record<string, number[]>>;
  nth?: Record<string, number>;
  /** Set when verdict is INSUFFICIENT: the rule kubewire cannot evaluate and why. */
  insufficient?: { rule: NfRuleRef; reason: string };
}
