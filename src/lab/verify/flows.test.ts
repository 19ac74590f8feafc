// Flow generation: every category the cluster allows, seeded, capped, with client ports below the
// ephemeral range; categories the cluster cannot offer are skipped with the reason.
import { describe, expect, it } from 'vitest';
import { FLOW_CATEGORIES, generateFlows, OUTSIDE_VPC_ADDRESS } from './flows.ts';
import { verifyTestCluster } from './testing.ts';
import { labTestCluster } from '../testing.ts';
import { findPodNetns } from '../../k8s/lookup.ts';

const state = verifyTestCluster('vpc-cni');

describe('generateFlows', () => {
  it('one flow per category on a cluster that has them all, each fitting its category', () => {
    const { flows, skipped } = generateFlows(state, { seed: 1 });
    expect(skipped).toEqual([]);
    expect(flows.map((f) => f.category)).toEqual([...FLOW_CATEGORIES]);
    expect(flows.map((f) => f.id)).toEqual(flows.map((_, i) => i + 1));
    const by = Object.fromEntries(flows.map((f) => [f.category, f]));
    const nodeOf = (ip: string) => Object.entries(state.hosts).find(([, h]) => Object.values(h.namespaces).some((ns) => ns.addresses.some((a) => a.local === ip && a.dev === 'eth0')))?.[0];
    const srcNode = (f: (typeof flows)[number]) => ('pod' in f.probe.from ? findPodNetns(state, f.probe.from.namespace, f.probe.from.pod).node : f.probe.from.node);
    expect(nodeOf(by['pod-pod-same-node'].probe.dst)).toBe(srcNode(by['pod-pod-same-node']));
    expect(nodeOf(by['pod-pod-other-node'].probe.dst)).not.toBe(srcNode(by['pod-pod-other-node']));
    expect(nodeOf(by['node-pod'].probe.dst)).not.toBe(srcNode(by['node-pod']));
    expect('node' in by['node-pod'].probe.from).toBe(true);
    expect(by['pod-clusterip'].probe.dst).toMatch(/^10\.100\./);
    expect(state.nodes.map((n) => n.primaryIp)).toContain(by['pod-nodeport'].probe.dst);
    expect(by['pod-nodeport'].probe.dport).toBeGreaterThanOrEqual(30000);
    expect(by['pod-dns'].probe).toMatchObject({ dst: '10.100.0.10', dport: 53, protocol: 'UDP' });
    // Then a connection to the name: a TCP port of the Service it names.
    const [svcName, svcNs] = by['pod-dns'].dnsName!.split('.');
    const svc = state.objects[`Service/${svcNs}/${svcName}`] as unknown as { spec: { ports: Array<{ port: number; protocol?: string }> } };
    expect(svc.spec.ports.filter((p) => (p.protocol ?? 'TCP') === 'TCP').map((p) => p.port)).toContain(by['pod-dns'].connect!.dport);
    expect(by['pod-service-no-endpoints'].target).toContain('default/idle');
    expect(by['pod-outside-vpc'].probe.dst.startsWith(OUTSIDE_VPC_ADDRESS)).toBe(true);
    expect(by['pod-pod-icmp'].probe.protocol).toBe('ICMP');
    for (const f of flows) {
      expect(f.probe.sport).toBeGreaterThanOrEqual(20000);
      expect(f.probe.sport).toBeLessThan(32768);
    }
    const ports = flows.flatMap((f) => [f.probe.sport, ...(f.connect ? [f.connect.sport] : [])]);
    expect(new Set(ports).size).toBe(flows.length + 1);
  });

  it('the same seed gives the same flows; another seed other picks', () => {
    expect(generateFlows(state, { seed: 7 })).toEqual(generateFlows(state, { seed: 7 }));
    const a = generateFlows(state, { seed: 1 }).flows.map((f) => `${f.src.label} ${f.probe.dst}:${f.probe.dport} ${f.probe.sport}`);
    const b = generateFlows(state, { seed: 2 }).flows.map((f) => `${f.src.label} ${f.probe.dst}:${f.probe.dport} ${f.probe.sport}`);
    expect(a).not.toEqual(b);
  });

  it('--flows caps the count, and beyond one round the categories repeat with distinct ports', () => {
    expect(generateFlows(state, { seed: 1, max: 3 }).flows.map((f) => f.category)).toEqual(FLOW_CATEGORIES.slice(0, 3));
    const many = generateFlows(state, { seed: 1, max: 20 }).flows;
    expect(many).toHaveLength(20);
    expect(many.slice(9, 18).map((f) => f.category)).toEqual([...FLOW_CATEGORIES]);
    expect(new Set(many.map((f) => f.probe.sport)).size).toBe(20);
  });

  it('a cluster without NodePort Services or endpoint-less Services skips those categories and says why', () => {
    const { flows, skipped } = generateFlows(labTestCluster(3, true, 'vpc-cni'), { seed: 1 });
    expect(skipped.map((s) => s.category)).toEqual(['pod-nodeport', 'pod-service-no-endpoints']);
    expect(skipped[0].reason).toMatch(/NodePort/);
    expect(flows).toHaveLength(FLOW_CATEGORIES.length - 2);
  });
});
