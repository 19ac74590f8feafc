// Order-independent form of a kube-proxy iptables-restore input, for comparing two syncs (ours
// and real kube-proxy's): real kube-proxy visits service ports in random (Go map) order, so
// only the order of rules within one chain for one service is meaningful. The layout follows
// the upstream unit tests' normalisation: tables by name; chains with KUBE-NODEPORTS first,
// KUBE-SERVICES second, then KUBE-* alphabetically, then others; the rules grouped under their
// chain; KUBE-NODEPORTS and KUBE-SERVICES rules ordered by the service named in their comment
// (the nat "must be the last rule" catch-all kept last). "-X" lines follow, sorted.

interface Table {
  name: string;
  chains: string[];
  chainLines: Map<string, string>;
  rules: Map<string, string[]>;
  deletes: string[];
}

function commentServiceName(rule: string): string | undefined {
  const m = / --comment (?:"([^"]*)"|(\S+))/.exec(rule);
  if (!m) return undefined;
  const c = m[1] ?? m[2];
  const i = c.search(/[ :]/);
  return i === -1 ? c : c.slice(0, i);
}

function chainOrder(a: string, b: string): number {
  const rank = (n: string) => (n === 'KUBE-NODEPORTS' ? 0 : n === 'KUBE-SERVICES' ? 1 : n.startsWith('KUBE-') ? 2 : 3);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function normalizeRestoreInput(text: string): string {
  const tables: Table[] = [];
  let cur: Table | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      cur = { name: line.slice(1), chains: [], chainLines: new Map(), rules: new Map(), deletes: [] };
      tables.push(cur);
      continue;
    }
    if (!cur) continue;
    if (line === 'COMMIT') continue;
    if (line.startsWith(':')) {
      const name = line.slice(1).split(' ')[0];
      if (!cur.chainLines.has(name)) cur.chains.push(name);
      cur.chainLines.set(name, line);
      continue;
    }
    const m = /^-A (\S+)/.exec(line);
    if (m) {
      const list = cur.rules.get(m[1]) ?? [];
      list.push(line);
      cur.rules.set(m[1], list);
      if (!cur.chainLines.has(m[1]) && !cur.chains.includes(m[1])) cur.chains.push(m[1]);
      continue;
    }
    cur.deletes.push(line);
  }
  tables.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const t of tables) {
    out.push(`*${t.name}`);
    const chains = [...t.chains].sort(chainOrder);
    for (const ch of chains) if (t.chainLines.has(ch)) out.push(t.chainLines.get(ch)!);
    for (const ch of chains) {
      let rules = t.rules.get(ch) ?? [];
      if (ch === 'KUBE-NODEPORTS' || ch === 'KUBE-SERVICES') {
        const keyed = rules.map((r, i) => ({ r, i, last: t.name === 'nat' && ch === 'KUBE-SERVICES' && r.includes('must be the last rule'), k: commentServiceName(r) ?? '' }));
        keyed.sort((a, b) => {
          if (a.last !== b.last) return a.last ? 1 : -1;
          if (a.k !== b.k) return a.k < b.k ? -1 : 1;
          return a.i - b.i;
        });
        rules = keyed.map((x) => x.r);
      }
      out.push(...rules);
    }
    out.push(...[...t.deletes].sort());
    out.push('COMMIT');
  }
  return out.join('\n') + '\n';
}
