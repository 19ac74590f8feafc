// Line diff in GNU `diff -u` form (hunks of changes with 3 lines of context, `@@ -a,b +c,d @@`
// headers where a count of 1 is omitted and an empty range names the line before it).

export interface DiffOptions {
  context?: number;
}

type Op = { t: ' ' | '-' | '+'; line: string };

function lines(text: string): string[] {
  const l = text.split('\n');
  if (l.length && l[l.length - 1] === '') l.pop();
  return l;
}

/** Longest-common-subsequence edit script (outputs here are a few hundred lines at most). */
function editScript(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const w = m + 1;
  const lcs = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * w + j] = a[i] === b[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      ops.push({ t: ' ', line: a[i] });
      i++;
      j++;
    } else if (lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) ops.push({ t: '-', line: a[i++] });
    else ops.push({ t: '+', line: b[j++] });
  }
  while (i < n) ops.push({ t: '-', line: a[i++] });
  while (j < m) ops.push({ t: '+', line: b[j++] });
  return ops;
}

function range(start: number, count: number): string {
  if (count === 1) return `${start}`;
  return `${count === 0 ? start - 1 : start},${count}`;
}

/** The hunks (without ---/+++ headers); empty when the texts are equal. */
export function unifiedHunks(before: string, after: string, opts: DiffOptions = {}): string {
  const ctx = opts.context ?? 3;
  const ops = editScript(lines(before), lines(after));
  const changed = ops.map((o, k) => (o.t !== ' ' ? k : -1)).filter((k) => k >= 0);
  if (!changed.length) return '';
  // Group changes whose context windows touch.
  const groups: [number, number][] = [];
  for (const k of changed) {
    const last = groups[groups.length - 1];
    if (last && k - last[1] <= 2 * ctx) last[1] = k;
    else groups.push([k, k]);
  }
  // Line numbers (1-based) of each op in a and b.
  const aNo: number[] = [];
  const bNo: number[] = [];
  let ai = 1;
  let bi = 1;
  for (const o of ops) {
    aNo.push(ai);
    bNo.push(bi);
    if (o.t !== '+') ai++;
    if (o.t !== '-') bi++;
  }
  let out = '';
  for (const [s, e] of groups) {
    const from = Math.max(0, s - ctx);
    const to = Math.min(ops.length - 1, e + ctx);
    const slice = ops.slice(from, to + 1);
    const aCount = slice.filter((o) => o.t !== '+').length;
    const bCount = slice.filter((o) => o.t !== '-').length;
    out += `@@ -${range(aNo[from], aCount)} +${range(bNo[from], bCount)} @@\n`;
    for (const o of slice) out += `${o.t}${o.line}\n`;
  }
  return out;
}

/** A full unified diff with ---/+++ labels; empty when equal. */
export function unifiedDiff(before: string, after: string, labels: { before: string; after: string }, opts: DiffOptions = {}): string {
  const h = unifiedHunks(before, after, opts);
  return h ? `--- ${labels.before}\n+++ ${labels.after}\n${h}` : '';
}
