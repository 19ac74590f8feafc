// Label maps and selectors as apimachinery formats and matches them.

export type Labels = Record<string, string> | undefined | null;

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}
export interface LabelSelectorLike {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** labels.Set.String: "k=v" pairs sorted by key, comma-joined ("" when empty). */
export function labelsString(labels: Labels): string {
  if (!labels) return '';
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

/** labels.FormatLabels: like labelsString but "<none>" when empty. */
export function formatLabels(labels: Labels): string {
  return labelsString(labels) || '<none>';
}

interface Requirement {
  key: string;
  op: '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!';
  values: string[];
}

function requirementString(r: Requirement): string {
  switch (r.op) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.op} (${[...r.values].sort().join(',')})`;
    default:
      return `${r.key}${r.op}${r.values[0] ?? ''}`;
  }
}

function selectorRequirements(sel: LabelSelectorLike): Requirement[] {
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key: k, op: '=', values: [v] });
  for (const e of sel.matchExpressions ?? []) {
    switch (e.operator) {
      case 'In':
        reqs.push({ key: e.key, op: 'in', values: e.values ?? [] });
        break;
      case 'NotIn':
        reqs.push({ key: e.key, op: 'notin', values: e.values ?? [] });
        break;
      case 'Exists':
        reqs.push({ key: e.key, op: 'exists', values: [] });
        break;
      case 'DoesNotExist':
        reqs.push({ key: e.key, op: '!', values: [] });
        break;
    }
  }
  // internalSelector.Add keeps requirements sorted by key (stable).
  return reqs.map((r, i) => ({ r, i })).sort((a, b) => (a.r.key < b.r.key ? -1 : a.r.key > b.r.key ? 1 : a.i - b.i)).map((x) => x.r);
}

/** metav1.LabelSelectorAsSelector(sel).String(): "" for nil or empty selectors. */
export function labelSelectorString(sel: LabelSelectorLike | undefined | null): string {
  if (!sel) return '';
  return selectorRequirements(sel).map(requirementString).join(',');
}

/** metav1.FormatLabelSelector: the selector string, "<none>" when it is empty. */
export function formatLabelSelector(sel: LabelSelectorLike | undefined | null): string {
  return labelSelectorString(sel) || '<none>';
}

function matches(reqs: Requirement[], labels: Labels): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case '=':
      case '==':
        return has && v === r.values[0];
      case '!=':
        return !has || v !== r.values[0];
      case 'in':
        return has && r.values.includes(v);
      case 'notin':
        return !has || !r.values.includes(v);
      case 'exists':
        return has;
      case '!':
        return !has;
    }
    return false;
  });
}

/** Whether labels satisfy a LabelSelector object (nil selects nothing, empty selects everything). */
export function selectorMatches(sel: LabelSelectorLike | undefined | null, labels: Labels): boolean {
  if (!sel) return false;
  return matches(selectorRequirements(sel), labels);
}

/** Parses a `-l` selector string ("app=web,tier!=db,env in (a,b),!legacy"). Throws on bad syntax. */
export function parseSelector(s: string): (labels: Labels) => boolean {
  const reqs: Requirement[] = [];
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  for (const raw of parts) {
    const p = raw.trim();
    if (p === '') continue;
    let m: RegExpMatchArray | null;
    if ((m = p.match(/^([^\s!=(),]+)\s+(in|notin)\s*\(([^)]*)\)$/))) {
      reqs.push({ key: m[1], op: m[2] as 'in' | 'notin', values: m[3].split(',').map((x) => x.trim()).filter((x) => x !== '') });
    } else if ((m = p.match(/^!\s*([^\s!=(),]+)$/))) {
      reqs.push({ key: m[1], op: '!', values: [] });
    } else if ((m = p.match(/^([^\s!=(),]+)\s*(==|!=|=)\s*([^\s!=(),]*)$/))) {
      reqs.push({ key: m[1], op: m[2] as '=' | '==' | '!=', values: [m[3]] });
    } else if ((m = p.match(/^([^\s!=(),]+)$/))) {
      reqs.push({ key: m[1], op: 'exists', values: [] });
    } else {
      throw new Error(`unable to parse requirement: ${p}`);
    }
  }
  return (labels) => matches(reqs, labels);
}
