import { describe, expect, it } from 'vitest';
import { createCluster } from './cluster.ts';
import { fakeCni, testSpec } from './testing.ts';
import { instanceArch, placeNodes, zoneId } from './nodes.ts';

describe('node placement and registration', () => {
  it('spreads a group round-robin over its AZs in the private subnets when privateNetworking', () => {
    const spec = testSpec();
    spec.nodeGroups = [{ ...spec.nodeGroups[0], desiredCapacity: 4, privateNetworking: true }];
    const places = placeNodes(spec);
    expect(places.map((p) => p.az)).toEqual(['us-west-2a', 'us-west-2b', 'us-west-2c', 'us-west-2a']);
    expect(places.every((p) => spec.vpc.subnets.find((s) => s.id === p.subnetId)!.public === false)).toBe(true);
  });

  it('registers unmanaged, private, capped nodes as eksctl + EKS do', () => {
    const spec = testSpec({ region: 'us-east-1' });
    spec.vpc.subnets = spec.vpc.subnets.map((s) => ({ ...s, az: s.az.replace('us-west-2', 'us-east-1') }));
    spec.availabilityZones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
    spec.nodeGroups = [
      { name: 'workers', managed: false, instanceType: 'm6g.large', desiredCapacity: 2, availabilityZones: ['us-east-1a', 'us-east-1b'], privateNetworking: true, maxPodsPerNode: 12, labels: { team: 'a' } },
    ];
    const s = createCluster(spec, { seed: 3, cni: fakeCni({ capacity: 29 }) });
    expect(s.nodes).toHaveLength(2);
    for (const n of s.nodes) {
      expect(n.name).toMatch(/^ip-192-168-\d+-\d+\.ec2\.internal$/);
      expect(n.podCapacity).toBe(12);
      const node = s.objects[`Node//${n.name}`] as any;
      expect(node.status.allocatable.pods).toBe('12');
      expect(node.status.addresses.map((a: any) => a.type)).toEqual(['InternalIP', 'InternalDNS', 'Hostname']);
      expect(node.metadata.labels).toMatchObject({
        'alpha.eksctl.io/nodegroup-name': 'workers',
        'alpha.eksctl.io/instance-id': n.instanceId,
        'kubernetes.io/arch': 'arm64',
        'node-lifecycle': 'on-demand',
        team: 'a',
      });
      expect(node.metadata.labels['eks.amazonaws.com/nodegroup']).toBeUndefined();
      expect(node.status.nodeInfo.kubeletVersion).toMatch(/^v1\.31\.\d+-eks-[0-9a-f]{7}$/);
    }
  });

  it('knows arm64 families and AZ ids', () => {
    expect(instanceArch('c7gn.xlarge')).toBe('arm64');
    expect(instanceArch('t4g.small')).toBe('arm64');
    expect(instanceArch('m5.large')).toBe('amd64');
    expect(zoneId('us-west-2', 'us-west-2b')).toBe('usw2-az2');
    expect(zoneId('ap-southeast-1', 'ap-southeast-1a')).toBe('apse1-az1');
    expect(zoneId('eu-central-1', 'eu-central-1c')).toBe('euc1-az3');
  });
});
