import { describe, expect, it } from 'vitest';
import { compareQuantity, formatQuantity, parseQuantity } from './quantity.ts';

const canon = (s: string | number) => formatQuantity(parseQuantity(s)!);

describe('resource.Quantity', () => {
  it('canonical strings as Quantity.String() prints them', () => {
    expect(canon('2000m')).toBe('2');
    expect(canon('1500m')).toBe('1500m');
    expect(canon('1.5')).toBe('1500m');
    expect(canon('1000')).toBe('1k');
    expect(canon('1500')).toBe('1500');
    expect(canon('0.1')).toBe('100m');
    expect(canon('1024Mi')).toBe('1Gi');
    expect(canon('0.5Gi')).toBe('512Mi');
    expect(canon('512')).toBe('512');
    expect(canon('100Ki')).toBe('100Ki');
    expect(canon('1e3')).toBe('1e3');
    expect(canon('1e9')).toBe('1e9');
    expect(canon(2)).toBe('2');
    expect(canon('0')).toBe('0');
    expect(canon('1M')).toBe('1M');
  });

  it('rejects what ParseQuantity rejects', () => {
    expect(parseQuantity('1GB')).toBeNull();
    expect(parseQuantity('1mi')).toBeNull();
    expect(parseQuantity('abc')).toBeNull();
  });

  it('compares exactly across formats', () => {
    expect(compareQuantity(parseQuantity('1Gi')!, parseQuantity('1G')!)).toBe(1);
    expect(compareQuantity(parseQuantity('500m')!, parseQuantity('0.5')!)).toBe(0);
    expect(compareQuantity(parseQuantity('250m')!, parseQuantity('1')!)).toBe(-1);
  });
});
