import { describe, expect, it } from 'vitest';
import { KubewireError } from '../../errors.ts';
import { maxPodsCommand } from './vpc-cni.ts';

describe('kubewire vpc-cni max-pods', () => {
  it('prints TYPE<TAB>MAXPODS for the given types', () => {
    const r = maxPodsCommand({ instanceType: ['m5.large', 't3.medium'] });
    expect(r.stdout).toBe('m5.large\t29\nt3.medium\t17\n');
  });
  it('prints every known type sorted when none is given', () => {
    const lines = maxPodsCommand({}).stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(900);
    expect(lines[0]).toBe('a1.2xlarge\t58');
    const names = lines.map((l) => l.split('\t')[0]);
    expect([...names].sort()).toEqual(names);
  });
  it('rejects unknown types with suggestions', () => {
    expect(() => maxPodsCommand({ instanceType: ['m5.larg'] })).toThrow(KubewireError);
  });
});
