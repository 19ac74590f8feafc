// An index over big chains (kube-proxy's KUBE-SERVICES holds one rule per Service port) so a
// lookup does not compare 10k rules one by one. Rules whose only selective parts are an exact
// destination address, protocol and destination port are bucketed by that key; every other rule
// stays in the "always check" list. Walking candidates in position order gives exactly the rule
// iptables would stop at, and the walked range still reports every position iptables compared.

import type { NetfilterChain, NetfilterRule } from '../../netfilter/types.ts';
import { findRuleMatch, optionOf } from '../../netfilter/values.ts';
import { parseProtocol } from '../../netfilter/lookup.ts';
import type { Packet } from '../packet.ts';

export interface ChainIndex {
  buckets: Map<string, number[]>;
  rest: number[];
}

const THRESHOLD = 64;
const cache = new WeakMap<NetfilterRule[], { rules: NetfilterRule[]; index: ChainIndex }>();

function keyOf(rule: NetfilterRule): string | undefined {
  const d = rule.destination;
  if (!d || d.negated || !d.value.endsWith('/32')) return undefined;
  const p = rule.protocol;
  if (!p || p.negated) return undefined;
  const proto = parseProtocol(p.value);
  const mod = proto === 6 ? 'tcp' : proto === 17 ? 'udp' : proto === 132 ? 'sctp' : undefined;
  if (!mod) return undefined;
  const m = findRuleMatch(rule, mod);
  const dport = m ? optionOf(m.options, 'dport') : undefined;
  if (!dport || dport.negated || dport.values[0].includes(':')) return undefined;
  return `${d.value.slice(0, -3)}|${proto}|${Number(dport.values[0])}`;
}

export function chainIndex(chain: NetfilterChain): ChainIndex | undefined {
  const rules = chain.rules;
  if (rules.length < THRESHOLD) return undefined;
  const hit = cache.get(rules);
  // The chain may have been edited in place (insert, delete, replace): reuse the index only when
  // every position still holds the same rule object (pointer compares, cheap even for 10k rules).
  if (hit && hit.rules.length === rules.length && hit.rules.every((r, i) => r === rules[i])) return hit.index;
  const index: ChainIndex = { buckets: new Map(), rest: [] };
  rules.forEach((r, i) => {
    const k = keyOf(r);
    if (k === undefined) index.rest.push(i);
    else {
      const b = index.buckets.get(k);
      if (b) b.push(i);
      else index.buckets.set(k, [i]);
    }
  });
  cache.set(rules, { rules: [...rules], index });
  return index;
}

function firstAtLeast(list: number[], from: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid] < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < list.length ? list[lo] : Number.MAX_SAFE_INTEGER;
}

/** The first position >= `from` whose rule could match `pkt` (chain length when none). */
export function nextCandidate(index: ChainIndex, pkt: Packet, from: number): number {
  const own = index.buckets.get(`${pkt.dst}|${pkt.proto}|${pkt.dport ?? -1}`);
  const a = own ? firstAtLeast(own, from) : Number.MAX_SAFE_INTEGER;
  const b = firstAtLeast(index.rest, from);
  const n = Math.min(a, b);
  return n === Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : n;
}
