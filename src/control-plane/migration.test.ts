// Live migration VPC CNI → Calico VXLAN on the default cluster with nginx x3 and a busybox:
// old pods keep their VPC IPs and stay reachable, aws-node's leftovers stay, new pods get Calico
// addresses and cross-node traffic between them is VXLAN over vxlan.calico.
import { describe, expect, it } from 'vitest';
import { createCluster, applyObjects } from './cluster.ts';
import { defaultClusterSpec, parseClusterFile } from '../inputs/cluster-file.ts';
import { migrateSettings } from '../inputs/calico-migrate.ts';
import { admitObject } from '../inputs/k8s-objects.ts';
import { generateDeployment, generatePod } from '../k8s/generators.ts';
import { pluginsFor, ipsetsOf } from '../cni/index.ts';
import { migrateToCalico, migrationRecord } from './migration.ts';
import { restartWorkload } from './rollout.ts';
import { kubeletState } from './kubelet.ts';
import { clusterWorld } from '../engine/index.ts';
import { newWalkState, walkFrom, type WalkWorld } from '../engine/walk.ts';
import { calicoState, VXLAN_IF } from '../cni/calico/plugin.ts';
import { ROOT_NS } from '../node-state/types.ts';
import type { ClusterState } from './types.ts';
import { ERR_IPAMD_GONE } from './cni-switch.ts';
import { cleanupAwsNode } from './aws-node-cleanup.ts';
import { deleteObjects } from './cluster.ts';
import { tracePacket } from '../engine/index.ts';

function vpcCluster(): ClusterState {
  const spec = defaultClusterSpec();
  const plugins = pluginsFor(spec);
  const state = createCluster(spec, { seed: 1, ...plugins });
  applyObjects(state, [admitObject(generateDeployment({ name: 'nginx', image: ['nginx'], replicas: 3, port: 80 }))], plugins);
  applyObjects(state, [admitObject(generatePod({ name: 'busybox', image: 'busybox', namespace: 'default', args: ['sleep', '3600'] }))], plugins);
  return state;
}

function migrated(o: { install?: string; keep?: boolean } = {}): ClusterState {
  const state = vpcCluster();
  const s = migrateSettings(state.spec, { install: o.install });
  migrateToCalico(state, { ...s, keepAwsConflist: o.keep }, pluginsFor(state.spec));
  return state;
}

function pods(state: ClusterState, prefix: string) {
  return Object.entries(kubeletState(state).sandboxes)
    .filter(([k, sb]) => k.startsWith(prefix) && sb.netns)
    .map(([k, sb]) => ({ key: k, node: sb.node, netns: sb.netns!, ip: sb.ips[0]! }));
}

function world(state: ClusterState): WalkWorld {
  return { ...clusterWorld(state), ipsets: ipsetsOf(state) };
}

function walk(state: ClusterState, from: { node: string; netns: string }, dst: string, dport = 80) {
  return walkFrom(world(state), from, { family: 4, src: '', dst, proto: 6, sport: 40000, dport, tcpFlags: 0x02, ttl: 64, mark: 0 }, {}, newWalkState());
}

describe('cni migrate calico-vxlan on a running VPC CNI cluster', () => {
  it('removes aws-node, installs calico-node (operator), adds vxlan.calico; old pods keep VPC IPs and wiring', () => {
    const before = vpcCluster();
    const oldNginx = pods(before, 'default/nginx-');
    const state = migrated();
    expect(state.objects['DaemonSet/kube-system/aws-node']).toBeUndefined();
    expect(state.objects['DaemonSet/calico-system/calico-node']).toBeDefined();
    expect(state.objects['Deployment/tigera-operator/tigera-operator']).toBeDefined();
    expect(Object.keys(state.objects).some((k) => k.startsWith('Pod/kube-system/aws-node-'))).toBe(false);
    expect(state.spec.cni).toMatchObject({ type: 'calico-vxlan', migration: { from: 'vpc-cni', install: 'operator' } });
    expect(pods(state, 'default/nginx-')).toEqual(oldNginx);
    for (const n of state.nodes) {
      const root = state.hosts[n.name].namespaces[ROOT_NS];
      const vx = root.links.find((l) => l.name === VXLAN_IF);
      expect(vx?.mtu).toBe(8951);
      // aws-node's leftovers: its chains and the fwmark rule.
      const nat = root.netfilter.tables.find((t) => t.name === 'nat')!;
      expect(nat.chains.map((c) => c.name)).toEqual(expect.arrayContaining(['AWS-SNAT-CHAIN-0', 'cali-POSTROUTING']));
      expect(root.rules.some((r) => r.fwmark !== undefined)).toBe(true);
      // kubelet's max pods unchanged.
      expect(n.podCapacity).toBe(29);
    }
    // calico-kube-controllers runs on the pod network with a Calico address.
    const kc = pods(state, 'calico-system/calico-kube-controllers-');
    expect(kc).toHaveLength(1);
    expect(kc[0]!.ip.startsWith('172.16.')).toBe(true);
    const rec = migrationRecord(state)!;
    expect(Object.keys(rec.vpcPods)).toEqual(expect.arrayContaining(oldNginx.map((p) => p.key)));
  });

  it('old pods stay reachable by their VPC IPs from a pod on another node (engine walk)', () => {
    const state = migrated();
    const bb = pods(state, 'default/busybox')[0]!;
    const target = pods(state, 'default/nginx-').find((p) => p.node !== bb.node)!;
    expect(target.ip.startsWith('192.168.')).toBe(true);
    const res = walk(state, bb, target.ip);
    expect(res[0]!.disposition).toMatchObject({ code: 'delivered', netns: target.netns });
  });

  it('rollout restart moves nginx to Calico IPs; pod → pod across nodes goes through vxlan.calico', () => {
    const state = migrated();
    restartWorkload(state, { kind: 'Deployment', namespace: 'default', name: 'nginx' }, pluginsFor(state.spec));
    const nginx = pods(state, 'default/nginx-');
    expect(nginx).toHaveLength(3);
    for (const p of nginx) expect(p.ip.startsWith('172.16.')).toBe(true);
    const cs = calicoState(state);
    const a = nginx[0]!;
    const b = nginx.find((p) => p.node !== a.node)!;
    const res = walk(state, a, b.ip);
    expect(res[0]!.disposition).toMatchObject({ code: 'delivered', netns: b.netns });
    const text = JSON.stringify(res[0]!.steps);
    expect(text).toContain(VXLAN_IF);
    expect(text).toContain(cs.nodes[b.node]!.nodeIp);
    // The old pods' veths are gone with their namespaces; the VPC CNI's ip rules stay.
    const rec = migrationRecord(state)!;
    const oldIp = Object.entries(rec.vpcPods).find(([k]) => k.startsWith('default/nginx-'))![1];
    const hostsWithRule = state.nodes.filter((n) => state.hosts[n.name].namespaces[ROOT_NS].rules.some((r) => r.to === `${oldIp}/32` || r.to === oldIp));
    expect(hostsWithRule).toHaveLength(1);
    const routes = state.nodes.flatMap((n) => state.hosts[n.name].namespaces[ROOT_NS].routes.filter((r) => r.dst === oldIp || r.dst === `${oldIp}/32`));
    expect(routes).toHaveLength(0);
  });

  it('with 10-aws.conflist kept, new pods fail in aws-cni (ipamd is gone)', () => {
    const state = migrated({ keep: true });
    restartWorkload(state, { kind: 'Deployment', namespace: 'default', name: 'nginx' }, pluginsFor(state.spec));
    const ev = state.events.filter((e) => e.reason === 'FailedCreatePodSandBox');
    expect(ev.length).toBeGreaterThan(0);
    expect(ev[0]!.message).toContain(ERR_IPAMD_GONE.split('failed (add): ')[1]!.slice(0, 40));
  });

  it('manifest install: kube-system objects, pool 192.168.0.0/16 CrossSubnet (overlap warning), source/dest check off', () => {
    const state = vpcCluster();
    const s = migrateSettings(state.spec, { install: 'manifest' });
    expect(s.calico).toMatchObject({ ipPoolCidr: '192.168.0.0/16', vxlanMode: 'CrossSubnet' });
    expect(s.warnings.join('\n')).toContain('overlaps the VPC CIDR');
    migrateToCalico(state, s, pluginsFor(state.spec));
    expect(state.objects['DaemonSet/kube-system/calico-node']).toBeDefined();
    const primaries = state.vpc.enis.filter((e) => e.deviceIndex === 0 && state.nodes.some((n) => n.instanceId === e.instanceId));
    expect(primaries.every((e) => !e.sourceDestCheck)).toBe(true);
  });

  it('rejects a second migration and leaves the state unchanged', () => {
    const state = migrated();
    const before = JSON.stringify(state);
    expect(() => migrateToCalico(state, migrateSettings(state.spec, {}), pluginsFor(state.spec))).toThrow(/already runs Calico/);
    expect(JSON.stringify(state)).toBe(before);
  });

  it("aws-node's leftover AWS-SNAT-CHAIN-0 breaks cross-node pool traffic until it is cleaned up", () => {
    const state = migrated();
    const plugins = pluginsFor(state.spec);
    restartWorkload(state, { kind: 'Deployment', namespace: 'default', name: 'nginx' }, plugins);
    restartWorkload(state, { kind: 'Deployment', namespace: 'kube-system', name: 'coredns' }, plugins);
    deleteObjects(state, [{ kind: 'Pod', namespace: 'default', name: 'busybox' }], plugins);
    applyObjects(state, [admitObject(generatePod({ name: 'busybox', image: 'busybox', namespace: 'default', args: ['sleep', '3600'] }))], plugins);
    const bb = pods(state, 'default/busybox')[0]!;
    const target = pods(state, 'default/nginx-').find((p) => p.node !== bb.node)!;
    const probe = { from: { pod: 'busybox', namespace: 'default' }, dst: target.ip, dport: 80, protocol: 'TCP' as const };
    const broken = tracePacket(state, probe, { enumerate: false, ipsets: ipsetsOf(state) }).branches[0]!;
    // SNATed to the node IP by AWS-SNAT-CHAIN-0 (the pool is outside the VPC CIDR) ...
    expect(JSON.stringify(broken.forward.steps)).toContain('AWS-SNAT-CHAIN-0');
    // ... so the reply leaves the other node unencapsulated from a pool address: dropped by the ENI check.
    expect(broken.reply?.disposition.code).toBe('source-dest-check');

    expect(() => cleanupAwsNode(vpcCluster(), [])).toThrow(/not migrated/);
    const done = cleanupAwsNode(state, []);
    expect(done).toHaveLength(3);
    expect(done.flatMap((d) => d.commands).join('\n')).toContain('-X AWS-SNAT-CHAIN-0');
    for (const n of state.nodes) {
      const root = state.hosts[n.name].namespaces[ROOT_NS];
      expect(root.rules.filter((r) => r.family === 4).map((r) => r.priority).sort((a, b) => a - b)).toEqual([0, 32766, 32767]);
      expect(root.netfilter.tables.flatMap((t) => t.chains.map((c) => c.name)).some((c) => c.startsWith('AWS-'))).toBe(false);
    }
    const fixed = tracePacket(state, probe, { enumerate: false, ipsets: ipsetsOf(state) }).branches[0]!;
    expect(fixed.forward.disposition.code).toBe('delivered');
    expect(fixed.reply?.disposition.code).toBe('delivered');
    expect(JSON.stringify(fixed.forward.steps)).toContain(VXLAN_IF);
  });

  it('cleanup refuses while pods still use the VPC CNI wiring', () => {
    const state = migrated();
    expect(() => cleanupAwsNode(state, [])).toThrow(/still runs \d+ pod\(s\) wired by the VPC CNI/);
  });

  it('deleting aws-node alone (no Calico yet): new pods fail in aws-cni, running pods keep working', () => {
    const state = vpcCluster();
    const plugins = pluginsFor(state.spec);
    deleteObjects(state, [{ kind: 'DaemonSet', namespace: 'kube-system', name: 'aws-node' }], plugins);
    restartWorkload(state, { kind: 'Deployment', namespace: 'default', name: 'nginx' }, plugins);
    const ev = state.events.filter((e) => e.reason === 'FailedCreatePodSandBox');
    expect(ev.length).toBeGreaterThan(0);
    expect(ev.every((e) => e.message.includes('dial tcp 127.0.0.1:50051: connect: connection refused'))).toBe(true);
    // The rolling update keeps old pods while new ones are not ready.
    expect(pods(state, 'default/nginx-').length).toBeGreaterThanOrEqual(2);
  });

  it('CrossSubnet between nodes of one subnet: unencapsulated, so the ENI source/dest check decides (manifest disables it, operator does not)', () => {
    const yaml = [
      'apiVersion: eksctl.io/v1alpha5',
      'kind: ClusterConfig',
      'metadata: {name: kw, region: us-west-2, version: "1.32"}',
      'availabilityZones: [us-west-2a, us-west-2b]',
      'managedNodeGroups:',
      '  - {name: ng-1, instanceType: m5.large, desiredCapacity: 2, availabilityZones: [us-west-2a]}',
      '',
    ].join('\n');
    const results: Record<string, string | undefined> = {};
    for (const install of ['operator', 'manifest']) {
      const spec = parseClusterFile(yaml, 'one-subnet.yaml');
      const state = createCluster(spec, { seed: 1, ...pluginsFor(spec) });
      applyObjects(state, [admitObject(generateDeployment({ name: 'nginx', image: ['nginx'], replicas: 2, port: 80 }))], pluginsFor(spec));
      expect(new Set(state.nodes.map((n) => n.subnetId)).size).toBe(1);
      migrateToCalico(state, migrateSettings(state.spec, { install, vxlanMode: 'CrossSubnet', poolCidr: '172.16.0.0/16' }), pluginsFor(state.spec));
      const plugins = pluginsFor(state.spec);
      restartWorkload(state, { kind: 'Deployment', namespace: 'default', name: 'nginx' }, plugins);
      restartWorkload(state, { kind: 'Deployment', namespace: 'kube-system', name: 'coredns' }, plugins);
      cleanupAwsNode(state, []);
      const [a, b] = [pods(state, 'default/nginx-')[0]!, pods(state, 'default/nginx-')[1]!];
      expect(a.node).not.toBe(b.node);
      const t = tracePacket(state, { from: { pod: a.key.split('/')[1]!, namespace: 'default' }, dst: b.ip, dport: 80, protocol: 'TCP' }, { enumerate: false, ipsets: ipsetsOf(state) }).branches[0]!;
      expect(JSON.stringify(t.forward.steps)).not.toContain(VXLAN_IF);
      results[install] = t.forward.disposition.code === 'delivered' ? t.reply?.disposition.code : t.forward.disposition.code;
    }
    expect(results).toEqual({ operator: 'source-dest-check', manifest: 'delivered' });
  });
});
