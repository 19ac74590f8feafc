import { describe, expect, it } from 'vitest';
import { KubewireError } from '../../errors.ts';
import { parseAwsNodeEnv } from './config.ts';

describe('aws-node env', () => {
  it('defaults are the DaemonSet manifest values', () => {
    const c = parseAwsNodeEnv({});
    expect(c).toMatchObject({
      warmEniTarget: 1,
      warmIpTarget: 0,
      minimumIpTarget: 0,
      warmPrefixTarget: 1, // manifest sets 1 (code default 0)
      prefixDelegation: false,
      maxEni: -1,
      customNetworking: false,
      vethPrefix: 'eni',
      externalSnat: false,
      randomizeSnat: 'prng',
      excludeSnatCidrs: [],
      eniMtu: 9001,
      podMtu: 9001,
      ipCooldownPeriod: 30,
      connmark: 0x80,
      nodePortSupport: true,
    });
  });
  it('add-on env overrides the manifest', () => {
    const c = parseAwsNodeEnv({
      WARM_IP_TARGET: '5',
      MINIMUM_IP_TARGET: '10',
      ENABLE_PREFIX_DELEGATION: 'True',
      AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS: '10.0.0.0/8, 172.16.0.0/12',
      AWS_VPC_ENI_MTU: '1500',
      AWS_VPC_K8S_CNI_VETHPREFIX: 'veth',
      MAX_ENI: '0',
    });
    expect(c.warmIpTarget).toBe(5);
    expect(c.minimumIpTarget).toBe(10);
    expect(c.prefixDelegation).toBe(true);
    expect(c.excludeSnatCidrs).toEqual(['10.0.0.0/8', '172.16.0.0/12']);
    expect(c.podMtu).toBe(1500); // POD_MTU follows AWS_VPC_ENI_MTU
    expect(c.vethPrefix).toBe('veth');
    expect(c.maxEni).toBe(-1); // MAX_ENI < 1 means the instance limit
  });
  it('rejects malformed values, naming what aws-node would fall back to', () => {
    expect(() => parseAwsNodeEnv({ WARM_ENI_TARGET: 'one' })).toThrow(/WARM_ENI_TARGET="one": not an integer \(aws-node would ignore it and use 1\)/);
    expect(() => parseAwsNodeEnv({ WARM_IP_TARGET: '-2' })).toThrow(KubewireError);
    expect(() => parseAwsNodeEnv({ ENABLE_PREFIX_DELEGATION: 'yes' })).toThrow(/not a boolean/);
    expect(() => parseAwsNodeEnv({ AWS_VPC_K8S_CNI_VETHPREFIX: 'eth' })).toThrow(/cannot be "eth"/);
    expect(() => parseAwsNodeEnv({ AWS_VPC_K8S_CNI_VETHPREFIX: 'toolong' })).toThrow(/at most 4/);
    expect(() => parseAwsNodeEnv({ AWS_VPC_ENI_MTU: '9002' })).toThrow(/between 576 and 9001/);
    expect(() => parseAwsNodeEnv({ AWS_VPC_K8S_CNI_RANDOMIZESNAT: 'random' })).toThrow(/"none", "hashrandom" or "prng"/);
    expect(() => parseAwsNodeEnv({ AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS: '10.0.0.0' })).toThrow(/not an IPv4 CIDR/);
    expect(() => parseAwsNodeEnv({ ENABLE_IPv6: 'true', ENABLE_IPv4: 'false' })).toThrow(/IPv6/);
  });
});
