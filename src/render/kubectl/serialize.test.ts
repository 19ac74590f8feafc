import { describe, expect, it } from 'vitest';
import { goYamlKeyLess, toKubectlJson, toKubectlYaml } from './serialize.ts';

describe('kubectl -o yaml (sigs.k8s.io/yaml over go-yaml v2)', () => {
  it('quotes strings that would read back as another type, with double quotes', () => {
    const y = toKubectlYaml({
      a: 'true', b: '', c: '0755', d: '1.5', e: 'yes', f: 'null', g: '2025-01-01T00:00:00Z', h: '1e3', i: '~', j: '80',
    });
    expect(y).toBe('a: "true"\nb: ""\nc: "0755"\nd: "1.5"\ne: "yes"\nf: "null"\ng: "2025-01-01T00:00:00Z"\nh: "1e3"\ni: "~"\nj: "80"\n');
  });

  it('leaves plain what go-yaml can emit plain', () => {
    const y = toKubectlYaml({ a: '10.0.0.1', b: '-x', c: "it's", d: 'x#y', e: 'nginx:1.27', f: 'a b', g: 'TCP', h: '<<', i: 'NaN' });
    expect(y).toBe("a: 10.0.0.1\nb: -x\nc: it's\nd: x#y\ne: nginx:1.27\nf: a b\ng: TCP\nh: <<\ni: NaN\n");
  });

  it('single-quotes strings a plain scalar cannot carry (indicators, ": ", " #", edge spaces)', () => {
    const y = toKubectlYaml({ a: 'a: b', b: '- x', c: 'x #y', d: '*', e: "'q'", f: ' lead', g: 'trail ', h: '{"k":"v"}' });
    expect(y).toBe("a: 'a: b'\nb: '- x'\nc: 'x #y'\nd: '*'\ne: '''q'''\nf: ' lead'\ng: 'trail '\nh: '{\"k\":\"v\"}'\n");
  });

  it('double-quotes strings with non-printable characters', () => {
    expect(toKubectlYaml({ a: 'tab\there' })).toBe('a: "tab\\there"\n');
  });

  it('writes multi-line strings as literal blocks with the right chomping indicator', () => {
    expect(toKubectlYaml({ a: 'l1\nl2' })).toBe('a: |-\n  l1\n  l2\n');
    expect(toKubectlYaml({ a: 'l1\n' })).toBe('a: |\n  l1\n');
    expect(toKubectlYaml({ a: 'l1\n\n', b: 1 })).toBe('a: |+\n  l1\n\nb: 1\n');
    expect(toKubectlYaml({ a: 'l1\n\nl3' })).toBe('a: |-\n  l1\n\n  l3\n');
  });

  it('sorts keys in go-yaml order: letters by code point, digit runs by value', () => {
    const y = toKubectlYaml({ b: 1, a10: 1, a2: 1, A: 1 });
    expect(y).toBe('A: 1\na2: 1\na10: 1\nb: 1\n');
    expect(goYamlKeyLess('a-b', 'ab')).toBe(true);
  });

  it('prints block sequences at the parent key indent and empty collections in flow style', () => {
    const y = toKubectlYaml({
      spec: { containers: [{ name: 'app', ports: [{ containerPort: 80 }], args: ['a', 'b'] }], volumes: [] },
      status: {},
      x: null,
      t: true,
    });
    expect(y).toBe(
      'spec:\n' +
      '  containers:\n' +
      '  - args:\n' +
      '    - a\n' +
      '    - b\n' +
      '    name: app\n' +
      '    ports:\n' +
      '    - containerPort: 80\n' +
      '  volumes: []\n' +
      'status: {}\n' +
      't: true\n' +
      'x: null\n',
    );
    // Keys are strings too: one that reads as a YAML 1.1 boolean is quoted.
    expect(toKubectlYaml({ n: 1, y: 2 })).toBe('"n": 1\n"y": 2\n');
  });

  it('folds long plain scalars at a space once past column 80, continuing 2 columns deeper', () => {
    const words = Array.from({ length: 30 }, () => 'word');
    // "message: " is 9 columns; after k words the column is 8+5k, which first exceeds 80 at k=15.
    const y = toKubectlYaml({ message: words.join(' ') });
    expect(y).toBe(`message: ${words.slice(0, 15).join(' ')}\n  ${words.slice(15).join(' ')}\n`);
  });

  it('drops undefined members like a JSON round trip', () => {
    expect(toKubectlYaml({ a: undefined, b: [undefined, 1] })).toBe('b:\n- null\n- 1\n');
  });
});

describe('kubectl -o json (json.MarshalIndent, 4 spaces)', () => {
  it('indents by four, sorts keys bytewise and escapes HTML characters', () => {
    expect(toKubectlJson({ b: [1, 'x<y&z>'], a: {}, c: [] })).toBe(
      '{\n    "a": {},\n    "b": [\n        1,\n        "x\\u003cy\\u0026z\\u003e"\n    ],\n    "c": []\n}\n',
    );
  });
});
