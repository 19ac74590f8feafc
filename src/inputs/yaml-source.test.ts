import { describe, expect, it } from 'vitest';
import { KubewireError } from '../errors.ts';
import { formatPath, parseYamlDocuments, subDoc } from './yaml-source.ts';

describe('parseYamlDocuments', () => {
  const text = 'a: 1\nb:\n  c: [x, w]\n  d:\n    - e: 5\n---\n---\nz: 2\n';
  const docs = parseYamlDocuments(text, 'f.yaml');

  it('keeps every document, empty ones as null', () => {
    expect(docs.map((d) => d.value)).toEqual([{ a: 1, b: { c: ['x', 'w'], d: [{ e: 5 }] } }, null, { z: 2 }]);
    expect(docs[2]!.start).toEqual({ file: 'f.yaml', line: 8, column: 1 });
  });

  it('locates values, keys, and the nearest ancestor of absent paths', () => {
    const d = docs[0]!;
    expect(d.locate(['b', 'c', 1])).toEqual({ file: 'f.yaml', line: 3, column: 10 });
    expect(d.locate(['b', 'd', 0, 'e'])).toEqual({ file: 'f.yaml', line: 5, column: 10 });
    expect(d.locateKey(['b', 'd', 0, 'e'])).toEqual({ file: 'f.yaml', line: 5, column: 7 });
    expect(d.locate(['b', 'd', 0, 'missing'])).toEqual({ file: 'f.yaml', line: 5, column: 7 });
    expect(d.has(['b', 'c'])).toBe(true);
    expect(d.has(['b', 'q'])).toBe(false);
  });

  it('sub-documents shift paths', () => {
    const s = subDoc(docs[0]!, ['b', 'd', 0], { e: 5 });
    expect(s.locate(['e'])).toEqual(docs[0]!.locate(['b', 'd', 0, 'e']));
  });

  it('reads YAML 1.1 scalars like go-yaml v2 (kubectl, eksctl)', () => {
    const [d] = parseYamlDocuments('a: yes\nb: off\nc: 0644\nd: "yes"\ne: 2024-01-01T00:00:00Z\n', 'g.yaml');
    expect(d!.value).toEqual({ a: true, b: false, c: 420, d: 'yes', e: '2024-01-01T00:00:00Z' });
    // go-yaml v2 also reads a bare y / n as a boolean
    expect(parseYamlDocuments('k: [y, n]\n', 'g.yaml')[0]!.value).toEqual({ k: [true, false] });
  });

  it('syntax errors and duplicate keys are KubewireErrors at their line', () => {
    expect(() => parseYamlDocuments('a: [1, 2\n', 'h.yaml')).toThrow(KubewireError);
    try {
      parseYamlDocuments('a: 1\nb: 2\na: 3\n', 'h.yaml');
      throw new Error('no error');
    } catch (e) {
      expect((e as KubewireError).where).toMatchObject({ file: 'h.yaml', line: 3 });
      expect((e as KubewireError).message).toMatch(/unique/);
    }
  });

  it('parses JSON', () => {
    expect(parseYamlDocuments('{"a": [1, {"b": true}]}', 'j.json')[0]!.value).toEqual({ a: [1, { b: true }] });
  });
});

describe('formatPath', () => {
  it('renders field paths as the API server does', () => {
    expect(formatPath(['spec', 'ports', 0, 'port'])).toBe('spec.ports[0].port');
    expect(formatPath([0, 'a'])).toBe('[0].a');
  });
});
