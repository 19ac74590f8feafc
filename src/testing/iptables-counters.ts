// Per-rule packet counters from `iptables-save -c` output, for tests that compare the engine's
// matched rules with the kernel's. Browser-safe (text only).

export interface SavedRuleCounter {
  table: string;
  chain: string;
  /** 1-based position in the chain (what `iptables -L CHAIN N` and NfRuleRef.rule number). */
  pos: number;
  /** The rule as iptables-save prints it, without the counter ("-A CHAIN ..."). */
  text: string;
  packets: number;
}

export function parseSaveCounters(saved: string): SavedRuleCounter[] {
  const out: SavedRuleCounter[] = [];
  const pos = new Map<string, number>();
  let table = '';
  for (const line of saved.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    const m = /^\[(\d+):\d+\] (-A (\S+).*)$/.exec(line);
    if (!m) continue;
    const key = `${table}/${m[3]}`;
    const n = (pos.get(key) ?? 0) + 1;
    pos.set(key, n);
    out.push({ table, chain: m[3], pos: n, text: m[2], packets: Number(m[1]) });
  }
  return out;
}

/** Counters of the rules that counted anything, keyed `table/chain#pos`. */
export function nonZeroCounters(saved: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of parseSaveCounters(saved)) if (c.packets > 0) out[`${c.table}/${c.chain}#${c.pos}`] = c.packets;
  return out;
}

/** Adds one to `table/chain#rule` for every rule a packet matched (the engine's side of the count). */
export function countMatched(into: Record<string, number>, matched: ReadonlyArray<{ table: string; chain: string; rule: number }>): void {
  for (const m of matched) {
    const k = `${m.table}/${m.chain}#${m.rule}`;
    into[k] = (into[k] ?? 0) + 1;
  }
}
