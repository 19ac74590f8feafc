// kubelet's resolv.conf for each dnsPolicy, on the default EKS cluster (us-west-2) and in us-east-1.
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultClusterSpec } from '../../inputs/cluster-file.ts';
import { createCluster } from '../../control-plane/cluster.ts';
import { pluginsFor } from '../../cni/index.ts';
import type { ClusterState } from '../../control-plane/types.ts';
import { podResolv, kubeDnsIp } from './resolv.ts';
import { resolvConfText } from './index.ts';

let state: ClusterState;
beforeAll(() => {
  const spec = defaultClusterSpec();
  state = createCluster(spec, { seed: 1, ...pluginsFor(spec) });
});

describe('pod resolv.conf', () => {
  it('ClusterFirst: kube-dns, the namespace search list plus the VPC domain, ndots:5', () => {
    expect(resolvConfText(podResolv(state, 'team-a', {}))).toBe(
      `search team-a.svc.cluster.local svc.cluster.local cluster.local us-west-2.compute.internal\nnameserver ${kubeDnsIp(state)}\noptions ndots:5\n`,
    );
  });

  it('hostNetwork falls back to Default (the node\'s resolver) unless ClusterFirstWithHostNet', () => {
    const node = 'search us-west-2.compute.internal\nnameserver 192.168.0.2\n';
    expect(resolvConfText(podResolv(state, 'default', { hostNetwork: true }))).toBe(node);
    expect(resolvConfText(podResolv(state, 'default', { dnsPolicy: 'Default' }))).toBe(node);
    expect(podResolv(state, 'default', { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }).nameservers).toEqual([kubeDnsIp(state)]);
  });

  it('dnsConfig appends servers and searches (deduplicated) and overrides options by name; None uses only it', () => {
    const r = podResolv(state, 'default', {
      dnsConfig: { nameservers: ['1.1.1.1'], searches: ['cluster.local', 'corp.example'], options: [{ name: 'ndots', value: '2' }, { name: 'timeout', value: '1' }] },
    });
    expect(r.nameservers).toEqual([kubeDnsIp(state), '1.1.1.1']);
    expect(r.search).toEqual(['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'us-west-2.compute.internal', 'corp.example']);
    expect(resolvConfText(r)).toMatch(/\noptions ndots:2 timeout:1\n$/);
    expect(resolvConfText(podResolv(state, 'default', { dnsPolicy: 'None', dnsConfig: { nameservers: ['10.0.0.53'] } }))).toBe('nameserver 10.0.0.53\n');
  });

  it('us-east-1 nodes search ec2.internal', () => {
    const spec = { ...defaultClusterSpec(), region: 'us-east-1' };
    expect(podResolv({ ...state, spec }, 'default', {}).search.at(-1)).toBe('ec2.internal');
  });
});
