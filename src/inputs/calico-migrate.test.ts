// Settings of `cni migrate calico-vxlan`: install-path defaults (research/calico.md §4.1), overrides, warnings.
import { describe, expect, it } from 'vitest';
import { defaultClusterSpec } from './cluster-file.ts';
import { migrateSettings } from './calico-migrate.ts';

describe('migrateSettings', () => {
  const spec = defaultClusterSpec();
  it('operator defaults: 172.16.0.0/16, VXLAN Always, /26, natOutgoing, newest release; no warning', () => {
    expect(migrateSettings(spec, {})).toEqual({
      install: 'operator',
      calico: { version: 'v3.32.1', ipPoolCidr: '172.16.0.0/16', blockSize: 26, vxlanMode: 'Always', ipipMode: 'Never', natOutgoing: true },
      warnings: [],
    });
  });
  it('manifest defaults: 192.168.0.0/16 CrossSubnet, which overlaps the default VPC', () => {
    const s = migrateSettings(spec, { install: 'manifest' });
    expect(s.calico).toMatchObject({ ipPoolCidr: '192.168.0.0/16', vxlanMode: 'CrossSubnet' });
    expect(s.warnings).toEqual([expect.stringContaining('overlaps the VPC CIDR 192.168.0.0/16')]);
  });
  it('overrides, normalising the pool to its network address', () => {
    const s = migrateSettings(spec, { poolCidr: '10.244.7.9/16', blockSize: '24', natOutgoing: 'false', mtu: '1450', calicoVersion: '3.30.2', vxlanMode: 'CrossSubnet' });
    expect(s.calico).toEqual({ version: 'v3.30.2', ipPoolCidr: '10.244.0.0/16', blockSize: 24, vxlanMode: 'CrossSubnet', ipipMode: 'Never', natOutgoing: false, mtu: 1450 });
    expect(s.warnings.join('\n')).toMatch(/CrossSubnet.*source\/destination check/);
    expect(s.warnings.join('\n')).toMatch(/--nat-outgoing false/);
  });
  it('warns on a pool over the service CIDR', () => {
    expect(migrateSettings(spec, { poolCidr: '10.100.0.0/16' }).warnings.join('\n')).toContain('overlaps the service CIDR');
  });
  it('rejects bad values naming the option', () => {
    expect(() => migrateSettings(spec, { poolCidr: 'x' })).toThrow(/--pool-cidr/);
    expect(() => migrateSettings(spec, { blockSize: '33' })).toThrow(/--block-size: 33/);
    expect(() => migrateSettings(spec, { calicoVersion: 'v3.20.0' })).toThrow(/v3\.26 and newer/);
    expect(() => migrateSettings(spec, { ipipMode: 'CrossSubnet' })).toThrow(/both IPIP and VXLAN/);
    expect(() => migrateSettings(spec, { poolCidr: '10.9.0.0/24', blockSize: '20' })).toThrow(/--block-size: IP pool size \(\/24\) is too small for the block size \/20/);
    expect(() => migrateSettings(spec, { vxlanMode: 'Sometimes' })).toThrow(/--vxlan-mode: "Sometimes"/);
    expect(() => migrateSettings(spec, { natOutgoing: 'yes' })).toThrow(/--nat-outgoing: "yes"/);
    expect(() => migrateSettings(spec, { mtu: '9500' })).toThrow(/--mtu: 9500/);
    expect(() => migrateSettings(spec, { calicoVersion: '3.x' })).toThrow(/--calico-version: "3.x"/);
    expect(() => migrateSettings(spec, { install: 'helm' })).toThrow(/--install: "helm"/);
  });
});
