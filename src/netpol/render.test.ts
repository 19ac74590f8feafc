// The text renderers on the e2e model: the truth table's exact layout and the explanation's lines.
import { describe, expect, it } from 'vitest';
import { compile, evaluateCompiled, explain, matrixOf, renderExplain, renderMatrix } from './index.ts';
import { modelInputs, np } from './testing.ts';

const policy = np('x-a-allows-x-b', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }], policyTypes: ['Ingress'] });

describe('renderMatrix', () => {
  it('prints rows = source, columns = destination, "." allowed and "X" denied', () => {
    const m = matrixOf(modelInputs([policy]), { port: 80, protocol: 'TCP', namespaces: ['x', 'y'] });
    expect(renderMatrix(m, { note: 'nothing enforces these' })).toBe(
      [
        '+--------+-----+-----+-----+-----+-----+-----+',
        '| TCP/80 | x/a | x/b | x/c | y/a | y/b | y/c |',
        '+--------+-----+-----+-----+-----+-----+-----+',
        '| x/a    | .   | .   | .   | .   | .   | .   |',
        '| x/b    | .   | .   | .   | .   | .   | .   |',
        '| x/c    | X   | .   | .   | .   | .   | .   |',
        '| y/a    | X   | .   | .   | .   | .   | .   |',
        '| y/b    | X   | .   | .   | .   | .   | .   |',
        '| y/c    | X   | .   | .   | .   | .   | .   |',
        '+--------+-----+-----+-----+-----+-----+-----+',
        'rows: source, columns: destination; "." allowed, "X" denied. 32/36 allowed.',
        'a pod reaching itself (the diagonal) is always allowed: a pod cannot block access to itself.',
        'NetworkPolicies: x/x-a-allows-x-b',
        'note: nothing enforces these',
        '',
      ].join('\n'),
    );
  });
});

describe('renderExplain', () => {
  const c = compile(modelInputs([policy]));
  const xa = { namespace: 'x', name: 'a', ip: '10.0.1.1', hostNetwork: false };
  it('an allowed connection names the policy, the rule and the peer and port entries', () => {
    const v = evaluateCompiled(c, { src: { kind: 'pod', namespace: 'x', name: 'b' }, dst: { kind: 'pod', namespace: 'x', name: 'a' }, port: 80, protocol: 'TCP' });
    expect(renderExplain({ namespace: 'x', name: 'b', ip: '10.0.1.2', hostNetwork: false }, xa, { port: 80, protocol: 'TCP' }, v)).toBe(
      [
        'x/b (10.0.1.2) -> x/a (10.0.1.1) TCP/80: ALLOWED',
        '  egress of x/b: allowed (no NetworkPolicy selects x/b for egress)',
        '  ingress of x/a: allowed by x/x-a-allows-x-b: spec.ingress[0] (from[0], no ports (every port))',
        '    selected by: x/x-a-allows-x-b',
        '',
      ].join('\n'),
    );
  });
  it('a denied connection names the policies that isolate the pod', () => {
    const v = evaluateCompiled(c, { src: { kind: 'ip', ip: '203.0.113.1' }, dst: { kind: 'pod', namespace: 'x', name: 'a' }, port: 80, protocol: 'TCP' });
    expect(renderExplain({ ip: '203.0.113.1' }, xa, { port: 80, protocol: 'TCP' }, v)).toBe(
      [
        '203.0.113.1 -> x/a (10.0.1.1) TCP/80: DENIED',
        '  egress of 203.0.113.1: allowed (203.0.113.1 is not a pod)',
        '  ingress of x/a: denied (selected by x/x-a-allows-x-b; none of their rules allows it)',
        '',
      ].join('\n'),
    );
  });
});

describe('explain (a matrix cell)', () => {
  it('renders the verdict of one pair of the matrix', () => {
    const m = matrixOf(modelInputs([policy]), { port: 80, protocol: 'TCP', namespaces: ['x', 'y'] });
    expect(explain(m, 'y/a', 'x/a')).toBe(
      [
        'y/a (10.0.2.1) -> x/a (10.0.1.1) TCP/80: DENIED',
        '  egress of y/a: allowed (no NetworkPolicy selects y/a for egress)',
        '  ingress of x/a: denied (selected by x/x-a-allows-x-b; none of their rules allows it)',
        '',
      ].join('\n'),
    );
    expect(explain(m, 'x/a', 'x/a')).toContain('a pod cannot block access to itself');
    expect(() => explain(m, 'z/a', 'x/a')).toThrow('pod "z/a" is not in the matrix');
  });
});
