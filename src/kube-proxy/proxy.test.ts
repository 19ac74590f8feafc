import { describe, expect, it } from 'vitest';
import type { ClusterState, NodeRecord } from '../control-plane/types.ts';
import type { KObject } from '../k8s/types.ts';
import { iptablesSave } from '../netfilter/save.ts';
import { addAddress, addLink, newHost } from '../node-state/ops.ts';
import { applyKubeletIptables, createKubeProxy } from './proxy.ts';
import { p80, slice, svc } from './testdata/fixtures.ts';

function cluster(objects: KObject[]): ClusterState {
  const byKey: Record<string, KObject> = {};
  for (const o of objects) byKey[`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`] = o;
  return { objects: byKey } as unknown as ClusterState;
}

const node: NodeRecord = {
  name: 'ip-192-168-12-34.us-west-2.compute.internal',
  nodeGroup: 'ng',
  instanceType: 'm5.large',
  instanceId: 'i-0123',
  az: 'us-west-2a',
  subnetId: 'subnet-1',
  primaryIp: '192.168.12.34',
  podCapacity: 29,
};

function host() {
  const h = newHost(node.name);
  const root = h.namespaces.root;
  addLink(root, { name: 'eth0', kind: 'device' });
  addAddress(root, 'eth0', '192.168.12.34/19');
  return h;
}

const objects = [
  svc('default', 'web', { type: 'NodePort', clusterIP: '10.100.10.20', ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 30080 }] }),
  slice('default', 'web', 1, [{ addresses: ['192.168.3.30'], nodeName: node.name }, { addresses: ['192.168.20.5'] }], p80),
] as unknown as KObject[];

describe('createKubeProxy().syncNode', () => {
  it('applies canaries, jump rules and the full sync to the root namespace', () => {
    const h = host();
    const kp = createKubeProxy({ clusterCIDR: '192.168.0.0/16', nfacctCounters: [] });
    kp.syncNode({ cluster: cluster(objects), node, host: h });
    const saved = iptablesSave(h.namespaces.root.netfilter);
    // Built-in chain jumps, in the order iptables-save shows them on a fresh node (each was prepended).
    expect(saved).toContain(
      [
        '-A INPUT -j KUBE-FIREWALL',
        '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
        '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
        '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
      ].join('\n'),
    );
    expect(saved).toContain(
      [
        '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
        '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
        '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
      ].join('\n'),
    );
    expect(saved).toContain('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES\n');
    expect(saved).toContain('-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING\n');
    for (const t of ['mangle', 'nat', 'filter']) {
      const block = saved.slice(saved.indexOf(`*${t}\n`));
      expect(block.slice(0, block.indexOf('COMMIT'))).toContain(':KUBE-PROXY-CANARY - [0:0]');
    }
    expect(saved).toContain('-A KUBE-NODEPORTS -p tcp -m comment --comment "default/web:p80" -m tcp --dport 30080 -j KUBE-EXT-');
    expect(saved).toContain('-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000');
    expect(h.namespaces.root.sysctls['net.ipv4.conf.all.route_localnet']).toBe('1');
  });

  it('is idempotent and deletes chains of removed services on the next sync', () => {
    const h = host();
    const kp = createKubeProxy({ nfacctCounters: [] });
    kp.syncNode({ cluster: cluster(objects), node, host: h });
    const first = iptablesSave(h.namespaces.root.netfilter);
    kp.syncNode({ cluster: cluster(objects), node, host: h });
    expect(iptablesSave(h.namespaces.root.netfilter)).toBe(first);
    kp.syncNode({ cluster: cluster([]), node, host: h });
    const after = iptablesSave(h.namespaces.root.netfilter);
    expect(after).not.toMatch(/KUBE-(SVC|SEP|EXT)-/);
    expect(kp.lastSync.get(`${node.name}/IPv4`)?.result.deletedChains.length).toBe(4);
  });

  it('keeps jump rules that kubelet created before kube-proxy in place', () => {
    const h = host();
    applyKubeletIptables(h.namespaces.root, 4);
    const kp = createKubeProxy({ nfacctCounters: [] });
    kp.syncNode({ cluster: cluster(objects), node, host: h });
    const saved = iptablesSave(h.namespaces.root.netfilter);
    // kubelet's KUBE-FIREWALL jump stays the only one, below kube-proxy's prepended rules.
    expect(saved.match(/-A INPUT -j KUBE-FIREWALL/g)).toHaveLength(1);
    expect(saved).toMatch(/-A INPUT .*KUBE-EXTERNAL-SERVICES\n-A INPUT -j KUBE-FIREWALL\n/);
    expect(saved).toContain(':KUBE-KUBELET-CANARY - [0:0]');
  });

  it('reads nf_conntrack_tcp_be_liberal from the node, and sets it when configured', () => {
    const h = host();
    createKubeProxy({ nfacctCounters: [] }).syncNode({ cluster: cluster(objects), node, host: h });
    expect(iptablesSave(h.namespaces.root.netfilter)).toContain('-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP');
    const h2 = host();
    createKubeProxy({ nfacctCounters: [], conntrackTCPBeLiberal: true }).syncNode({ cluster: cluster(objects), node, host: h2 });
    expect(h2.namespaces.root.sysctls['net.netfilter.nf_conntrack_tcp_be_liberal']).toBe('1');
    expect(iptablesSave(h2.namespaces.root.netfilter)).not.toContain('INVALID');
  });
});

