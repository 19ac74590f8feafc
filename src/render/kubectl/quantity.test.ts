import { describe, expect, it } from 'vitest';
import { addQuantity, parseQuantity, quantityString, quantityValue } from './quantity.ts';
import { formatLabelSelector, formatLabels, parseSelector } from './labels.ts';

const q = (s: string) => parseQuantity(s)!;

describe('resource.Quantity canonical form', () => {
  it.each([
    ['100m', '100m'], ['0.1', '100m'], ['1', '1'], ['1000m', '1'], ['1500m', '1500m'], ['2000', '2k'], ['1500', '1500'],
    ['1Gi', '1Gi'], ['1024Mi', '1Gi'], ['1536Mi', '1536Mi'], ['3858040Ki', '3858040Ki'], ['500M', '500M'],
    ['18242267924', '18242267924'], ['0', '0'], ['0.5Ki', '512'], ['1e3', '1e3'],
  ])('%s -> %s', (input, want) => {
    expect(quantityString(q(input))).toBe(want);
  });

  it('adds keeping the first operand format and rounds Value() up', () => {
    expect(quantityString(addQuantity(q('70Mi'), q('0.5Gi')))).toBe('582Mi');
    expect(quantityString(addQuantity(q('100m'), q('25m')))).toBe('125m');
    expect(quantityValue(q('1500m'))).toBe(2);
  });
});

describe('labels and selectors', () => {
  it('formats label maps and selectors like apimachinery', () => {
    expect(formatLabels({ b: '2', a: '1' })).toBe('a=1,b=2');
    expect(formatLabels({})).toBe('<none>');
    expect(formatLabelSelector({ matchLabels: { z: '1' }, matchExpressions: [{ key: 'a', operator: 'Exists' }, { key: 'm', operator: 'NotIn', values: ['y', 'x'] }, { key: 'b', operator: 'DoesNotExist' }] }))
      .toBe('a,!b,m notin (x,y),z=1');
    expect(formatLabelSelector({})).toBe('<none>');
  });

  it('parses -l selectors', () => {
    const m = parseSelector('app=web,tier!=db,env in (a, b),!legacy,team');
    expect(m({ app: 'web', env: 'a', team: 'x' })).toBe(true);
    expect(m({ app: 'web', env: 'a', team: 'x', legacy: '1' })).toBe(false);
    expect(m({ app: 'web', env: 'c', team: 'x' })).toBe(false);
    expect(m({ app: 'web', env: 'b', team: 'x', tier: 'db' })).toBe(false);
    expect(parseSelector('app==web')({ app: 'web' })).toBe(true);
    expect(() => parseSelector('a b')).toThrow();
  });
});
