import { describe, expect, it } from 'vitest';
import type { ClusterSpec } from '../inputs/cluster-spec.ts';
import { seedRng } from '../k8s/rand.ts';
import {
  AwsError,
  allocateIp,
  allocatePrefix,
  attachEni,
  createEni,
  createVpc,
  deleteEni,
  eniForIp,
  freeIpCount,
  releaseIp,
  subnetGateway,
  usableRange,
} from './vpc.ts';
import { launchInstance } from './ec2.ts';
import { u32ToIp } from './ip.ts';

function spec(cidr = '192.168.0.0/28'): ClusterSpec {
  return {
    name: 'c',
    region: 'us-west-2',
    kubernetesVersion: '1.31',
    vpc: {
      id: 'vpc-0123456789abcdef0',
      cidr: '192.168.0.0/16',
      subnets: [{ id: 'subnet-a', name: 'SubnetPublicUSWEST2A', az: 'us-west-2a', cidr, public: true }],
    },
    availabilityZones: ['us-west-2a'],
    serviceIPv4CIDR: '10.100.0.0/16',
    nodeGroups: [],
    cni: { type: 'vpc-cni', vpcCni: { env: {}, version: 'v1.19.0' } },
    source: 'test',
  };
}

describe('vpc', () => {
  it('reserves network+0..3 and broadcast', () => {
    const vpc = createVpc(spec());
    const r = usableRange(vpc.subnets[0]);
    expect(u32ToIp(r.first)).toBe('192.168.0.4');
    expect(u32ToIp(r.last)).toBe('192.168.0.14');
    expect(subnetGateway(vpc.subnets[0])).toBe('192.168.0.1');
    expect(freeIpCount(vpc.subnets[0])).toBe(11);
  });

  it('gives ENIs AWS-shaped ids and 02: MACs, primary at device index 0', () => {
    const vpc = createVpc(spec('192.168.0.0/24'));
    const { instanceId, primaryEni } = launchInstance(vpc, { subnetId: 'subnet-a', rng: { rng: seedRng(1) } });
    expect(instanceId).toMatch(/^i-0[0-9a-f]{16}$/);
    expect(primaryEni.id).toMatch(/^eni-0[0-9a-f]{16}$/);
    expect(primaryEni.mac).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    expect(primaryEni.deviceIndex).toBe(0);
    expect(eniForIp(vpc, primaryEni.primaryIp)?.id).toBe(primaryEni.id);
    expect(() => attachEni(vpc, createEni(vpc, { subnetId: 'subnet-a' }).id, instanceId, 0)).toThrow(/device index '0'/);
  });

  it('allocates secondaries until the subnet runs out, with a clear error', () => {
    const vpc = createVpc(spec());
    const eni = createEni(vpc, { subnetId: 'subnet-a' });
    expect(eni.primaryIp).toBe('192.168.0.4');
    const got: string[] = [];
    for (let i = 0; i < 10; i++) got.push(allocateIp(vpc, 'subnet-a', eni.id));
    expect(got[0]).toBe('192.168.0.5');
    expect(eni.secondaryIps).toHaveLength(10);
    let err: unknown;
    try {
      allocateIp(vpc, 'subnet-a', eni.id);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AwsError);
    expect((err as AwsError).code).toBe('InsufficientFreeAddressesInSubnet');
    releaseIp(vpc, got[3]);
    expect(eni.secondaryIps).not.toContain(got[3]);
    expect(allocateIp(vpc, 'subnet-a', eni.id)).toBe(got[3]);
    expect(() => allocateIp(vpc, 'subnet-a', eni.id, undefined, '192.168.0.2')).toThrow(/reserved/);
  });

  it('delegates aligned /28 prefixes and frees everything on delete', () => {
    const vpc = createVpc(spec('192.168.0.0/26'));
    const eni = createEni(vpc, { subnetId: 'subnet-a' });
    const p = allocatePrefix(vpc, 'subnet-a', eni.id);
    expect(p).toBe('192.168.0.16/28');
    expect(eniForIp(vpc, '192.168.0.20')?.id).toBe(eni.id);
    deleteEni(vpc, eni.id);
    expect(Object.keys(vpc.subnets[0].used)).toHaveLength(0);
  });
});
