// `-o json` and `-o yaml` as kubectl writes them.
//
// kubectl handles objects as unstructured maps: JSON comes from Go's json.MarshalIndent with a
// 4-space indent (map keys sorted bytewise, <>& escaped as \u003c...), YAML from
// sigs.k8s.io/yaml, i.e. JSON re-encoded by go-yaml v2: keys in go-yaml's natural order,
// block sequences not indented under their key, strings quoted only when a plain scalar would
// read back as another type or is not allowed, long scalars folded past column 80.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Drops undefined members and functions, turns Dates into RFC 3339, like a JSON round trip. */
export function toJsonValue(v: unknown): Json | undefined {
  if (v === undefined || typeof v === 'function') return undefined;
  if (v === null) return null;
  if (v instanceof Date) return v.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (Array.isArray(v)) return v.map((x) => toJsonValue(x) ?? null);
  if (typeof v === 'object') {
    const out: { [k: string]: Json } = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const j = toJsonValue(x);
      if (j !== undefined) out[k] = j;
    }
    return out;
  }
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  return String(v);
}

// ---------------------------------------------------------------- JSON

function goJsonString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '<':
        out += '\\u003c';
        continue;
      case '>':
        out += '\\u003e';
        continue;
      case '&':
        out += '\\u0026';
        continue;
    }
    if (c < 0x20 || c === 0x2028 || c === 0x2029) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

function goJsonNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) {
    // Go uses 'e' format with at least two exponent digits.
    return n.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return String(n);
}

function jsonIndent(v: Json, indent: string): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return goJsonNumber(v);
  if (typeof v === 'string') return goJsonString(v);
  const inner = indent + '    ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return '[\n' + v.map((x) => inner + jsonIndent(x, inner)).join(',\n') + '\n' + indent + ']';
  }
  const keys = Object.keys(v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (keys.length === 0) return '{}';
  return '{\n' + keys.map((k) => `${inner}${goJsonString(k)}: ${jsonIndent(v[k], inner)}`).join(',\n') + '\n' + indent + '}';
}

/** kubectl -o json for one object (or List): 4-space indent, trailing newline. */
export function toKubectlJson(obj: unknown): string {
  return jsonIndent(toJsonValue(obj) ?? null, '') + '\n';
}

// ---------------------------------------------------------------- YAML

const isLetter = (c: string): boolean => /\p{L}/u.test(c);
const isDigit = (c: string): boolean => c >= '0' && c <= '9';

/** go-yaml v2's keyList.Less for string keys (letters by code point, digit runs numerically). */
export function goYamlKeyLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const al = isLetter(ar[i]);
    const bl = isLetter(br[i]);
    if (al && bl) return ar[i] < br[i];
    if (al || bl) return bl;
    let an = 0;
    let bn = 0;
    if (ar[i] === '0' || br[i] === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== '0') {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && isDigit(ar[ai]); ai++) an = an * 10 + Number(ar[ai]);
    let bi = i;
    for (; bi < br.length && isDigit(br[bi]); bi++) bn = bn * 10 + Number(br[bi]);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ar[i] < br[i];
  }
  return ar.length < br.length;
}

const RESOLVE_MAP = new Set([
  'y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON',
  'n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF',
  '', '~', 'null', 'Null', 'NULL',
  '.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF',
]);

/** True when go-yaml v2 would read the plain scalar back as something other than a string. */
function resolvesToNonString(s: string): boolean {
  if (RESOLVE_MAP.has(s)) return true;
  const c = s[0];
  if (c === '.') return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s);
  if (!(isDigit(c) || c === '+' || c === '-')) return false;
  // Timestamps (only tried for digit-led values of the form YYYY-...).
  if (/^\d{4}-\d{1,2}-\d{1,2}$/.test(s)) return true;
  if (/^\d{4}-\d{1,2}-\d{1,2}[Tt]\d{1,2}:\d{1,2}:\d{1,2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s)) return true;
  if (/^\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{1,2}:\d{1,2}(\.\d+)?$/.test(s)) return true;
  const plain = s.replace(/_/g, '');
  if (/^[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.test(plain)) return true;
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(plain)) return true;
  if (/^-?0b[01]+$/.test(plain)) return true;
  return false;
}

const isBase60Float = (s: string): boolean => /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/.test(s);

function isPrintable(ch: string): boolean {
  const c = ch.codePointAt(0)!;
  // go-yaml's is_printable: 4-byte UTF-8 sequences (beyond U+FFFF) and NEL count as special.
  return c === 0x0a || (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff);
}

interface ScalarAnalysis {
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

function analyzeScalar(value: string): ScalarAnalysis {
  if (value === '') return { blockPlainAllowed: false, singleQuotedAllowed: true, blockAllowed: false };
  const chars = [...value];
  let blockIndicators = false;
  let leadingSpace = false, leadingBreak = false, trailingSpace = false, trailingBreak = false;
  let breakSpace = false, spaceBreak = false, previousSpace = false, previousBreak = false;
  let lineBreaks = false, special = false;
  if (value.startsWith('---') || value.startsWith('...')) blockIndicators = true;
  let precededByWhitespace = true;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    const next = chars[i + 1];
    const followedByWhitespace = next === undefined || next === ' ' || next === '\t' || next === '\n' || next === '\r';
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      else if ((ch === '?' || ch === ':') && followedByWhitespace) blockIndicators = true;
      else if (ch === '-' && followedByWhitespace) blockIndicators = true;
    } else {
      if (ch === ':' && followedByWhitespace) blockIndicators = true;
      else if (ch === '#' && precededByWhitespace) blockIndicators = true;
    }
    if (!isPrintable(ch)) special = true;
    if (ch === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (ch === '\n' || ch === '\r' || ch === '\u0085' || ch === '\u2028' || ch === '\u2029') {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';
  }
  let blockPlain = true, single = true, block = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) blockPlain = false;
  if (trailingSpace) block = false;
  if (breakSpace) {
    blockPlain = false;
    single = false;
  }
  if (spaceBreak || special) {
    blockPlain = false;
    single = false;
    block = false;
  }
  if (lineBreaks) blockPlain = false;
  if (blockIndicators) blockPlain = false;
  return { blockPlainAllowed: blockPlain, singleQuotedAllowed: single, blockAllowed: block };
}

const BEST_WIDTH = 80;

/** Line-oriented writer tracking the column like go-yaml's emitter. */
class YamlOut {
  lines: string[] = [''];
  get column(): number {
    return [...this.lines[this.lines.length - 1]].length;
  }
  put(s: string): void {
    this.lines[this.lines.length - 1] += s;
  }
  newline(indent: number): void {
    this.lines.push(' '.repeat(indent));
  }
  emptyLine(): void {
    this.lines.push('');
  }
  toString(): string {
    return this.lines.join('\n');
  }
}

function doubleQuoteEscape(ch: string): string {
  switch (ch) {
    case '\0': return '\\0';
    case '\x07': return '\\a';
    case '\b': return '\\b';
    case '\t': return '\\t';
    case '\n': return '\\n';
    case '\v': return '\\v';
    case '\f': return '\\f';
    case '\r': return '\\r';
    case '\x1b': return '\\e';
    case '"': return '\\"';
    case '\\': return '\\\\';
    case '\u0085': return '\\N';
    case '\u00a0': return '\\_';
    case '\u2028': return '\\L';
    case '\u2029': return '\\P';
  }
  const c = ch.codePointAt(0)!;
  if (!isPrintable(ch) || c === 0xfeff) {
    if (c <= 0xff) return '\\x' + c.toString(16).toUpperCase().padStart(2, '0');
    if (c <= 0xffff) return '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
    return '\\U' + c.toString(16).toUpperCase().padStart(8, '0');
  }
  return ch;
}

/** Writes a scalar string after "key:" or "-" (the separating space is written here). */
function writeString(out: YamlOut, s: string, indent: number): void {
  const canUsePlain = !resolvesToNonString(s) && !isBase60Float(s);
  const a = analyzeScalar(s);
  let style: 'plain' | 'single' | 'double' | 'literal';
  if (s.includes('\n')) style = 'literal';
  else style = canUsePlain ? 'plain' : 'double';
  if (style === 'literal' && !a.blockAllowed) style = 'double';
  if (style === 'plain' && !a.blockPlainAllowed) style = 'single';
  if (style === 'single' && !a.singleQuotedAllowed) style = 'double';
  const chars = [...s];

  if (style === 'literal') {
    let hints = '';
    if (chars[0] === ' ' || chars[0] === '\n') hints += '2';
    const last = chars.length - 1;
    if (chars[last] !== '\n') hints += '-';
    else if (last === 0 || chars[last - 1] === '\n') hints += '+';
    out.put(' |' + hints);
    const body = s.endsWith('\n') ? s.slice(0, -1) : s;
    for (const line of body.split('\n')) {
      if (line === '') out.emptyLine();
      else {
        out.newline(indent);
        out.put(line);
      }
    }
    return;
  }

  out.put(' ');
  if (style === 'plain') {
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i];
      if (ch === ' ') {
        if (!spaces && out.column > BEST_WIDTH && chars[i + 1] !== ' ') out.newline(indent);
        else out.put(ch);
        spaces = true;
      } else {
        out.put(ch);
        spaces = false;
      }
    }
    return;
  }
  if (style === 'single') {
    out.put("'");
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i];
      if (ch === ' ') {
        if (!spaces && out.column > BEST_WIDTH && i > 0 && i < chars.length - 1 && chars[i + 1] !== ' ') out.newline(indent);
        else out.put(ch);
        spaces = true;
      } else {
        out.put(ch === "'" ? "''" : ch);
        spaces = false;
      }
    }
    out.put("'");
    return;
  }
  out.put('"');
  let spaces = false;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === ' ') {
      if (!spaces && out.column > BEST_WIDTH && i !== 0 && i !== chars.length - 1) {
        out.newline(indent);
        if (chars[i + 1] === ' ') out.put('\\');
      } else out.put(ch);
      spaces = true;
    } else {
      out.put(doubleQuoteEscape(ch));
      spaces = false;
    }
  }
  out.put('"');
}

function scalarText(v: null | boolean | number): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Number.isInteger(v)) return String(v);
  if (v === Infinity) return '.inf';
  if (v === -Infinity) return '-.inf';
  if (Number.isNaN(v)) return '.nan';
  return String(v);
}

const isEmptyCollection = (v: Json): boolean =>
  (Array.isArray(v) && v.length === 0) || (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);

function sortedKeys(o: { [k: string]: Json }): string[] {
  return Object.keys(o).sort((a, b) => (goYamlKeyLess(a, b) ? -1 : goYamlKeyLess(b, a) ? 1 : 0));
}

function writeKey(out: YamlOut, key: string): void {
  const plain = !resolvesToNonString(key) && !isBase60Float(key) && analyzeScalar(key).blockPlainAllowed && !key.includes('\n');
  if (plain) out.put(key);
  else if (!resolvesToNonString(key) && !isBase60Float(key) && analyzeScalar(key).singleQuotedAllowed && !key.includes('\n'))
    out.put("'" + key.replace(/'/g, "''") + "'");
  else out.put('"' + [...key].map(doubleQuoteEscape).join('') + '"');
}

/** Emits a value that follows "key:" or "- " on the current line. `indent` is its collection's indent. */
function writeValue(out: YamlOut, v: Json, indent: number, inMapping: boolean): void {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'string') writeString(out, v, indent + 2);
    else out.put(' ' + scalarText(v));
    return;
  }
  if (isEmptyCollection(v)) {
    out.put(Array.isArray(v) ? ' []' : ' {}');
    return;
  }
  if (Array.isArray(v)) {
    // Block sequences are not indented under a mapping key.
    const seqIndent = inMapping ? indent : indent + 2;
    for (const item of v) {
      out.newline(seqIndent);
      writeSequenceItem(out, item, seqIndent);
    }
    return;
  }
  const mapIndent = indent + 2;
  for (const k of sortedKeys(v)) {
    out.newline(mapIndent);
    writeKey(out, k);
    out.put(':');
    writeValue(out, v[k], mapIndent, true);
  }
}

function writeSequenceItem(out: YamlOut, item: Json, seqIndent: number): void {
  out.put('-');
  if (item !== null && typeof item === 'object' && !isEmptyCollection(item)) {
    const contentIndent = seqIndent + 2;
    if (Array.isArray(item)) {
      item.forEach((x, i) => {
        if (i === 0) out.put(' ');
        else out.newline(contentIndent);
        writeSequenceItem(out, x, contentIndent);
      });
      return;
    }
    sortedKeys(item).forEach((k, i) => {
      if (i === 0) out.put(' ');
      else out.newline(contentIndent);
      writeKey(out, k);
      out.put(':');
      writeValue(out, item[k], contentIndent, true);
    });
    return;
  }
  writeValue(out, item, seqIndent, false);
}

/** kubectl -o yaml for one object (or List). */
export function toKubectlYaml(obj: unknown): string {
  const v = toJsonValue(obj) ?? null;
  const out = new YamlOut();
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
    sortedKeys(v).forEach((k, i) => {
      if (i > 0) out.newline(0);
      writeKey(out, k);
      out.put(':');
      writeValue(out, v[k], 0, true);
    });
    return out.toString() + '\n';
  }
  if (Array.isArray(v) && v.length > 0) {
    v.forEach((item, i) => {
      if (i > 0) out.newline(0);
      writeSequenceItem(out, item, 0);
    });
    return out.toString() + '\n';
  }
  writeValue(out, v, -2, false);
  return out.toString().trimStart() + '\n';
}
