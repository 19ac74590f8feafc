// YAML/JSON text → plain values, keeping a way back from a field path to file:line:column.
// Browser-safe: takes text and a file name; reading files is the CLI's job.

import { LineCounter, parseAllDocuments, isMap, isSeq, isScalar, isPair } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { KubewireError, type SourceLocation } from '../errors.ts';

export type PathSeg = string | number;

/** "spec.ports[0].port" from ["spec", "ports", 0, "port"]. */
export function formatPath(path: readonly PathSeg[]): string {
  let s = '';
  for (const seg of path) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else s += s === '' ? seg : `.${seg}`;
  }
  return s;
}

/** One YAML document: its plain value and a locator for field paths inside it. */
export interface SourceDoc {
  file: string;
  /** Plain JS value (null for an empty document). */
  value: unknown;
  /** Where the document starts. */
  start: SourceLocation;
  /** Location of the node at `path`; when absent, of the deepest present ancestor (its key if it has one). */
  locate(path: readonly PathSeg[]): SourceLocation;
  /** Like locate, but for a map entry points at its key rather than its value. */
  locateKey(path: readonly PathSeg[]): SourceLocation;
  /** True when the document holds the node at `path`. */
  has(path: readonly PathSeg[]): boolean;
}

function makeLocator(doc: Document.Parsed, lc: LineCounter, file: string) {
  const at = (offset: number): SourceLocation => {
    const p = lc.linePos(offset);
    return { file, line: p.line, column: p.col };
  };
  const walk = (path: readonly PathSeg[]): { node: YamlNode | null; keyOffset?: number; depth: number; lastOffset: number } => {
    let node: unknown = doc.contents;
    let lastOffset = (doc.contents as YamlNode | null)?.range?.[0] ?? 0;
    let keyOffset: number | undefined;
    let depth = 0;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(seg));
        if (!pair) return { node: null, keyOffset, depth, lastOffset };
        keyOffset = (pair.key as YamlNode).range?.[0];
        lastOffset = keyOffset ?? lastOffset;
        node = pair.value;
        if (node && (node as YamlNode).range) lastOffset = (node as YamlNode).range![0];
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item === undefined) return { node: null, keyOffset, depth, lastOffset };
        keyOffset = undefined;
        node = item;
        if (node && (node as YamlNode).range) lastOffset = (node as YamlNode).range![0];
      } else {
        return { node: null, keyOffset, depth, lastOffset };
      }
      depth++;
    }
    return { node: (node as YamlNode | null) ?? null, keyOffset, depth, lastOffset };
  };
  return {
    locate(path: readonly PathSeg[]): SourceLocation {
      const r = walk(path);
      // an empty value, or an absent field: point at the key of the deepest entry that is there
      if (r.keyOffset !== undefined && (r.depth < path.length || r.node === null)) return at(r.keyOffset);
      return at(r.lastOffset);
    },
    locateKey(path: readonly PathSeg[]): SourceLocation {
      const r = walk(path);
      if (r.depth === path.length && r.keyOffset !== undefined) return at(r.keyOffset);
      return at(r.lastOffset);
    },
    has(path: readonly PathSeg[]): boolean {
      const r = walk(path);
      return r.depth === path.length;
    },
  };
}

/**
 * Parses every document of a YAML (or JSON) text. Syntax errors throw a KubewireError at the
 * offending line. Empty documents (e.g. a trailing `---`) are kept with value null.
 */
export function parseYamlDocuments(text: string, file: string): SourceDoc[] {
  const lc = new LineCounter();
  // kubectl and eksctl read YAML with go-yaml v2 (YAML 1.1): yes/no/on/off are booleans and 0755
  // is octal. Timestamps stay strings, as the JSON conversion of sigs.k8s.io/yaml leaves them.
  const docs = parseAllDocuments(text, {
    lineCounter: lc,
    prettyErrors: false,
    uniqueKeys: true,
    version: '1.1',
    customTags: (tags) => tags.filter((t) => typeof t === 'string' || t.tag !== 'tag:yaml.org,2002:timestamp'),
  });
  const list = Array.isArray(docs) ? docs : [];
  if (!Array.isArray(docs)) {
    // An "empty stream" result: no documents at all.
    return [];
  }
  const out: SourceDoc[] = [];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) {
      const p = lc.linePos(err.pos[0]);
      const msg = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      throw new KubewireError(`error parsing ${file}: ${msg}`, { where: { file, line: p.line, column: p.col } });
    }
    const loc = makeLocator(doc, lc, file);
    const startOff = doc.contents?.range?.[0] ?? doc.range[0];
    const p = lc.linePos(startOff);
    out.push({
      file,
      value: doc.contents === null ? null : doc.toJS({ maxAliasCount: 1000 }),
      start: { file, line: p.line, column: p.col },
      locate: loc.locate,
      locateKey: loc.locateKey,
      has: loc.has,
    });
  }
  return out;
}

/** A view of a SourceDoc shifted under a base path (e.g. one item of a List). */
export function subDoc(doc: SourceDoc, base: readonly PathSeg[], value: unknown): SourceDoc {
  return {
    file: doc.file,
    value,
    start: doc.locate(base),
    locate: (path) => doc.locate([...base, ...path]),
    locateKey: (path) => doc.locateKey([...base, ...path]),
    has: (path) => doc.has([...base, ...path]),
  };
}

/** A SourceDoc for a value that has no text (objects made by commands): every path maps to `where`. */
export function syntheticDoc(value: unknown, where: SourceLocation): SourceDoc {
  return { file: where.file, value, start: where, locate: () => where, locateKey: () => where, has: () => false };
}
