import { describe, expect, it } from 'vitest';
import type { KObject } from '../k8s/types.ts';
import { applyObjects, createCluster, deleteObjects } from './cluster.ts';
import { fakeCni, testSpec } from './testing.ts';
import { listObjects } from './store.ts';
import type { ClusterState } from './types.ts';
import type { Pod } from './pods.ts';
import { getNs } from '../node-state/ops.ts';

function deployment(name: string, replicas: number, extra: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: 'nginx:1.27', ports: [{ containerPort: 80, name: 'http' }] }] } },
      ...extra,
    },
  };
}

function service(name: string, extra: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 'http' }], ...extra },
  };
}

const obj = (s: ClusterState, k: string): any => s.objects[k];
const podsOf = (s: ClusterState, prefix: string) => listObjects<Pod>(s, 'Pod', 'default').filter((p) => p.metadata.name.startsWith(prefix));

describe('fresh cluster', () => {
  const cni = fakeCni();
  const s = createCluster(testSpec(), { seed: 1, cni });

  it('launches 3 nodes over 3 AZs with EKS names, labels and the AL2023 primary NIC (ens5, altname enp0s5)', () => {
    expect(s.nodes.map((n) => n.az)).toEqual(['us-west-2a', 'us-west-2b', 'us-west-2c']);
    for (const n of s.nodes) {
      expect(n.name).toBe(`ip-${n.primaryIp.replace(/\./g, '-')}.us-west-2.compute.internal`);
      const node = obj(s, `Node//${n.name}`) as { metadata: { labels: Record<string, string> }; spec: { providerID: string }; status: { addresses: { type: string }[] } };
      expect(node.metadata.labels['topology.kubernetes.io/zone']).toBe(n.az);
      expect(node.metadata.labels['eks.amazonaws.com/nodegroup']).toBe('ng-1');
      expect(node.metadata.labels['kubernetes.io/hostname']).toBe(n.name);
      expect(node.spec.providerID).toBe(`aws:///${n.az}/${n.instanceId}`);
      expect(node.status.addresses.map((a) => a.type)).toEqual(['InternalIP', 'ExternalIP', 'InternalDNS', 'ExternalDNS', 'Hostname']);
      const root = getNs(s.hosts[n.name], 'root');
      const def = root.routes.find((r) => r.dst === 'default');
      expect(def).toMatchObject({ dev: 'ens5', proto: 'dhcp', metric: 512, src: n.primaryIp });
      expect(root.links.find((l) => l.name === 'ens5')).toMatchObject({ mac: expect.stringMatching(/^02:/), altnames: ['enp0s5'] });
    }
  });

  it('runs the EKS add-ons: aws-node and kube-proxy on every node (host network), 2 CoreDNS pods', () => {
    const pods = listObjects<Pod>(s, 'Pod', 'kube-system');
    const awsNode = pods.filter((p) => p.metadata.name.startsWith('aws-node-'));
    expect(awsNode).toHaveLength(3);
    for (const p of awsNode) {
      expect(p.status?.phase).toBe('Running');
      expect(p.status?.podIP).toBe(s.nodes.find((n) => n.name === p.spec?.nodeName)?.primaryIp);
      expect(p.metadata.name).toMatch(/^aws-node-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    }
    const dns = pods.filter((p) => p.metadata.name.startsWith('coredns-'));
    expect(dns).toHaveLength(2);
    expect(new Set(dns.map((p) => p.spec?.nodeName)).size).toBe(2);
    expect(dns.every((p) => p.status?.podIP?.startsWith('10.'))).toBe(true);
  });

  it('reserves kubernetes .1 and kube-dns .10 and publishes the control-plane endpoints', () => {
    expect((obj(s, 'Service/default/kubernetes') as { spec: { clusterIP: string } }).spec.clusterIP).toBe('10.100.0.1');
    expect((obj(s, 'Service/kube-system/kube-dns') as { spec: { clusterIP: string } }).spec.clusterIP).toBe('10.100.0.10');
    const es = obj(s, 'EndpointSlice/default/kubernetes') as { metadata: { labels: Record<string, string> }; endpoints: { addresses: string[] }[]; ports: unknown[] };
    expect(es.metadata.labels).toEqual({ 'kubernetes.io/service-name': 'kubernetes' });
    expect(es.endpoints).toHaveLength(2);
    expect(es.ports).toEqual([{ name: 'https', port: 443, protocol: 'TCP' }]);
    const dnsSlices = listObjects<{ metadata: { name: string }; endpoints: unknown[]; ports: { name: string; port: number; protocol: string }[] }>(s, 'EndpointSlice', 'kube-system');
    expect(dnsSlices).toHaveLength(1);
    expect(dnsSlices[0].metadata.name).toMatch(/^kube-dns-[a-z0-9]{5}$/);
    expect(dnsSlices[0].endpoints).toHaveLength(2);
    expect(dnsSlices[0].ports.map((p) => `${p.name}/${p.port}/${p.protocol}`)).toEqual(['dns/53/UDP', 'dns-tcp/53/TCP', 'metrics/9153/TCP']);
  });
});

describe('deployments, scheduling and services', () => {
  it('spreads 3 replicas over 3 nodes and names pods <rs>-<5>', () => {
    const cni = fakeCni();
    const s = createCluster(testSpec(), { seed: 7, cni });
    applyObjects(s, [deployment('nginx', 3)], { cni });
    const rss = listObjects<{ metadata: { name: string; labels: Record<string, string> } }>(s, 'ReplicaSet', 'default');
    expect(rss).toHaveLength(1);
    const hash = rss[0].metadata.labels['pod-template-hash'];
    expect(rss[0].metadata.name).toBe(`nginx-${hash}`);
    const pods = podsOf(s, 'nginx-');
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(new RegExp(`^nginx-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect(p.status?.phase).toBe('Running');
      expect(p.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', name: `nginx-${hash}`, controller: true });
    }
    expect(new Set(pods.map((p) => p.spec?.nodeName)).size).toBe(3);
    const ev = s.events.filter((e) => e.reason === 'ScalingReplicaSet' && e.name === 'nginx');
    expect(ev.map((e) => e.message)).toEqual([`Scaled up replica set nginx-${hash} from 0 to 3`]);
    expect(s.events.filter((e) => e.reason === 'SuccessfulCreate' && e.name === `nginx-${hash}`)).toHaveLength(3);
    const sched = s.events.find((e) => e.reason === 'Scheduled' && e.name === pods[0].metadata.name)!;
    expect(sched.message).toBe(`Successfully assigned default/${pods[0].metadata.name} to ${pods[0].spec?.nodeName}`);
    expect(sched.source).toBe('default-scheduler');
  });

  it('leaves pods Pending with FailedScheduling when pod capacity is exhausted', () => {
    const cni = fakeCni({ capacity: 5 });
    const s = createCluster(testSpec(), { seed: 3, cni });
    // 3 nodes × 5 pods; aws-node + kube-proxy on each, 2 coredns → 7 free slots.
    applyObjects(s, [deployment('big', 9)], { cni });
    const pods = podsOf(s, 'big-');
    const pending = pods.filter((p) => !p.spec?.nodeName);
    expect(pending).toHaveLength(2);
    const ev = s.events.find((e) => e.reason === 'FailedScheduling' && e.name === pending[0].metadata.name)!;
    expect(ev.type).toBe('Warning');
    expect(ev.message).toBe(
      '0/3 nodes are available: 3 Too many pods. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
    );
    const cond = pending[0].status?.conditions?.find((c) => c.type === 'PodScheduled');
    expect(cond).toMatchObject({ status: 'False', reason: 'Unschedulable' });
    // Retried on the next operation: the event count goes up.
    applyObjects(s, [], { cni });
    expect(s.events.find((e) => e.reason === 'FailedScheduling' && e.name === pending[0].metadata.name)!.count).toBe(2);
  });

  it('explains a nodeSelector that matches nothing', () => {
    const cni = fakeCni();
    const s = createCluster(testSpec(), { seed: 3, cni });
    applyObjects(
      s,
      [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'picky' }, spec: { nodeSelector: { disk: 'ssd' }, containers: [{ name: 'c', image: 'busybox' }] } }],
      { cni },
    );
    const ev = s.events.find((e) => e.reason === 'FailedScheduling' && e.name === 'picky')!;
    expect(ev.message).toBe(
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
  });

  it('keeps pods ContainerCreating with FailedCreatePodSandBox when the CNI fails', () => {
    const cni = fakeCni();
    const s = createCluster(testSpec(), { seed: 5, cni });
    cni.failWith = 'add cmd: failed to assign an IP address to container';
    applyObjects(s, [deployment('web', 1)], { cni });
    const [p] = podsOf(s, 'web-');
    expect(p.spec?.nodeName).toBeTruthy();
    expect(p.status?.phase).toBe('Pending');
    expect(p.status?.containerStatuses?.[0].state?.waiting?.reason).toBe('ContainerCreating');
    const ev = s.events.find((e) => e.reason === 'FailedCreatePodSandBox' && e.name === p.metadata.name)!;
    expect(ev.type).toBe('Warning');
    expect(ev.source).toBe('kubelet');
    expect(ev.message).toMatch(
      /^Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "[0-9a-f]{64}": plugin type="fake-cni" name="fake-cni" failed \(add\): add cmd: failed to assign an IP address to container$/,
    );
    // Once the CNI recovers, the next operation's kubelet retry starts it.
    cni.failWith = undefined;
    applyObjects(s, [], { cni });
    expect(podsOf(s, 'web-')[0].status?.phase).toBe('Running');
  });

  it('builds EndpointSlices with resolved named ports, conditions, zones and targetRefs', () => {
    const cni = fakeCni();
    const s = createCluster(testSpec(), { seed: 11, cni });
    applyObjects(s, [deployment('nginx', 3), service('nginx')], { cni });
    const svc = obj(s, 'Service/default/nginx') as { spec: { clusterIP: string } };
    expect(svc.spec.clusterIP).toMatch(/^10\.100\./);
    const slices = listObjects<Record<string, any>>(s, 'EndpointSlice', 'default').filter((e) => e.metadata.labels?.['kubernetes.io/service-name'] === 'nginx');
    expect(slices).toHaveLength(1);
    const sl = slices[0];
    expect(sl.metadata.name).toMatch(/^nginx-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(sl.metadata.labels['endpointslice.kubernetes.io/managed-by']).toBe('endpointslice-controller.k8s.io');
    expect(sl.metadata.ownerReferences[0]).toMatchObject({ kind: 'Service', name: 'nginx', controller: true });
    expect(sl.addressType).toBe('IPv4');
    expect(sl.ports).toEqual([{ name: '', port: 80, protocol: 'TCP' }]);
    expect(sl.endpoints).toHaveLength(3);
    const pods = podsOf(s, 'nginx-');
    for (const e of sl.endpoints) {
      const p = pods.find((x) => x.metadata.name === e.targetRef.name)!;
      expect(e.addresses).toEqual([p.status!.podIP]);
      expect(e.conditions).toEqual({ ready: true, serving: true, terminating: false });
      expect(e.nodeName).toBe(p.spec!.nodeName);
      expect(e.zone).toBe(s.nodes.find((n) => n.name === p.spec!.nodeName)!.az);
      expect(e.targetRef).toEqual({ kind: 'Pod', name: p.metadata.name, namespace: 'default', uid: p.metadata.uid });
    }
    // Scale down to 1: two endpoints leave, the slice is updated in place.
    applyObjects(s, [deployment('nginx', 1)], { cni });
    const after = listObjects<Record<string, any>>(s, 'EndpointSlice', 'default').filter((e) => e.metadata.labels?.['kubernetes.io/service-name'] === 'nginx');
    expect(after).toHaveLength(1);
    expect(after[0].metadata.name).toBe(sl.metadata.name);
    expect(after[0].endpoints).toHaveLength(1);
  });

  it('allocates ClusterIPs from the upper band and rejects taken or out-of-range IPs', () => {
    const cni = fakeCni();
    const s = createCluster(testSpec(), { seed: 2, cni });
    applyObjects(s, [service('a'), service('b')], { cni });
    for (const n of ['a', 'b']) {
      const ip = (obj(s, `Service/default/${n}`) as { spec: { clusterIP: string } }).spec.clusterIP;
      const [, , c, d] = ip.split('.').map(Number);
      expect(c * 256 + d - 1).toBeGreaterThanOrEqual(256); // dynamic band starts at offset 256 (10.100.1.1)
    }
    expect(() => applyObjects(s, [service('c', { clusterIP: '10.100.0.10' })], { cni })).toThrow(
      'The Service "c" is invalid: spec.clusterIPs: Invalid value: []string{"10.100.0.10"}: failed to allocate IP 10.100.0.10: provided IP is already allocated',
    );
    expect(() => applyObjects(s, [service('d', { clusterIP: '10.200.0.5' })], { cni })).toThrow(
      'failed to allocate IP 10.200.0.5: the provided IP (10.200.0.5) is not in the valid range. The range of valid IPs is 10.100.0.0/16',
    );
    applyObjects(s, [service('e', { clusterIP: '10.100.0.20' }), service('h', { clusterIP: 'None' })], { cni });
    expect((obj(s, 'Service/default/h') as { spec: { clusterIPs: string[] } }).spec.clusterIPs).toEqual(['None']);
    applyObjects(s, [service('np', { type: 'NodePort' })], { cni });
    const np = (obj(s, 'Service/default/np') as { spec: { ports: { nodePort: number }[] } }).spec.ports[0].nodePort;
    expect(np).toBeGreaterThanOrEqual(30086);
    expect(np).toBeLessThanOrEqual(32767);
  });

  it('scales down by upstream ranking, scales up, and deletes with CNI DEL', () => {
    const cni = fakeCni();
    const s = createCluster(testSpec(), { seed: 21, cni });
    applyObjects(s, [deployment('nginx', 4)], { cni });
    const before = podsOf(s, 'nginx-');
    expect(before).toHaveLength(4);
    // The node holding two replicas loses one first (co-located pods rank higher for deletion).
    const perNode = new Map<string, number>();
    for (const p of before) perNode.set(p.spec!.nodeName!, (perNode.get(p.spec!.nodeName!) ?? 0) + 1);
    const doubled = [...perNode].find(([, n]) => n === 2)![0];
    applyObjects(s, [deployment('nginx', 3)], { cni });
    const after = podsOf(s, 'nginx-');
    expect(after).toHaveLength(3);
    expect(new Set(after.map((p) => p.spec!.nodeName)).size).toBe(3);
    const gone = before.find((p) => !after.some((a) => a.metadata.name === p.metadata.name))!;
    expect(gone.spec!.nodeName).toBe(doubled);
    expect(cni.dels).toContain(gone.metadata.name);
    expect(s.events.some((e) => e.reason === 'SuccessfulDelete' && e.message === `Deleted pod: ${gone.metadata.name}`)).toBe(true);
    expect(s.events.some((e) => /^Scaled down replica set nginx-\w+ from 4 to 3$/.test(e.message))).toBe(true);
    applyObjects(s, [deployment('nginx', 5)], { cni });
    expect(podsOf(s, 'nginx-').filter((p) => p.status?.phase === 'Running')).toHaveLength(5);
    deleteObjects(s, [{ kind: 'Deployment', namespace: 'default', name: 'nginx' }], { cni });
    expect(podsOf(s, 'nginx-')).toHaveLength(0);
    expect(listObjects(s, 'ReplicaSet', 'default')).toHaveLength(0);
    expect(() => deleteObjects(s, [{ kind: 'Deployment', name: 'nginx' }], { cni })).toThrow('deployments.apps "nginx" not found');
  });

  it('is deterministic: same seed → identical state; different seed → different names', () => {
    const run = (seed: number) => {
      const cni = fakeCni();
      const s = createCluster(testSpec(), { seed, cni });
      applyObjects(s, [deployment('nginx', 3), service('nginx')], { cni });
      return s;
    };
    const a = JSON.stringify(run(42));
    expect(JSON.stringify(run(42))).toBe(a);
    const b = run(43);
    expect(JSON.stringify(b)).not.toBe(a);
    expect(JSON.stringify(podsOf(b, 'nginx-').map((p) => p.metadata.name))).not.toBe(JSON.stringify(podsOf(JSON.parse(a), 'nginx-').map((p) => p.metadata.name)));
  });
});

describe('rollouts and daemon sets', () => {
  it('rolls a Deployment to a new ReplicaSet when the template changes', () => {
    const cni = fakeCni();
    const s = createCluster(testSpec(), { seed: 4, cni });
    applyObjects(s, [deployment('nginx', 3)], { cni });
    const first = listObjects<any>(s, 'ReplicaSet', 'default')[0];
    const changed = deployment('nginx', 3);
    (changed.spec as any).template.spec.containers[0].image = 'nginx:1.28';
    applyObjects(s, [changed], { cni });
    const rss = listObjects<any>(s, 'ReplicaSet', 'default');
    expect(rss).toHaveLength(2);
    const next = rss.find((r) => r.metadata.name !== first.metadata.name);
    expect(next.metadata.name).not.toBe(first.metadata.name);
    expect(next.spec.replicas).toBe(3);
    expect(rss.find((r) => r.metadata.name === first.metadata.name).spec.replicas).toBe(0);
    expect(next.metadata.annotations['deployment.kubernetes.io/revision']).toBe('2');
    const pods = podsOf(s, 'nginx-');
    expect(pods).toHaveLength(3);
    expect(pods.every((p) => p.metadata.labels?.['pod-template-hash'] === next.metadata.labels['pod-template-hash'])).toBe(true);
    const d = obj(s, 'Deployment/default/nginx');
    expect(d.status).toMatchObject({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    expect(d.status.conditions.map((c: any) => `${c.type}/${c.reason}`)).toEqual(['Available/MinimumReplicasAvailable', 'Progressing/NewReplicaSetAvailable']);
  });

  it('pins DaemonSet pods to their node with matchFields and the DS tolerations', () => {
    const cni = fakeCni();
    const s = createCluster(testSpec(), { seed: 8, cni });
    const pods = listObjects<any>(s, 'Pod', 'kube-system').filter((p) => p.metadata.name.startsWith('kube-proxy-'));
    for (const p of pods) {
      const terms = p.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
      expect(terms[0].matchFields).toEqual([{ key: 'metadata.name', operator: 'In', values: [p.spec.nodeName] }]);
      expect(terms[0].matchExpressions.length).toBeGreaterThan(0);
      expect(p.spec.tolerations.some((t: any) => t.key === 'node.kubernetes.io/network-unavailable')).toBe(true);
      expect(p.metadata.labels['pod-template-generation']).toBe('1');
      expect(p.spec.priority).toBe(2000001000);
    }
    const ds = obj(s, 'DaemonSet/kube-system/kube-proxy');
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 3 });
  });

  it('gives headless-subdomain pods a hostname in the slice and drops endpoints of deleted pods', () => {
    const cni = fakeCni();
    const s = createCluster(testSpec(), { seed: 13, cni });
    applyObjects(
      s,
      [
        { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'db-0', labels: { app: 'db' } }, spec: { hostname: 'db-0', subdomain: 'db', containers: [{ name: 'c', image: 'busybox' }] } },
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db' }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] } },
      ],
      { cni },
    );
    const slice = listObjects<any>(s, 'EndpointSlice', 'default').find((e) => e.metadata.labels['kubernetes.io/service-name'] === 'db');
    expect(slice.metadata.labels['service.kubernetes.io/headless']).toBe('');
    expect(slice.endpoints[0].hostname).toBe('db-0');
    deleteObjects(s, [{ kind: 'Pod', namespace: 'default', name: 'db-0' }], { cni });
    const after = listObjects<any>(s, 'EndpointSlice', 'default').filter((e) => e.metadata.labels['kubernetes.io/service-name'] === 'db');
    expect(after).toHaveLength(1);
    expect(after[0].endpoints).toBeNull(); // the placeholder slice
  });
});

describe('kubelet admission', () => {
  it('rejects a pod bound by nodeName to a full node with OutOfpods', () => {
    const cni = fakeCni({ capacity: 3 });
    const s = createCluster(testSpec(), { seed: 6, cni });
    const full = s.nodes.find((n) => listObjects<Pod>(s, 'Pod').filter((p) => p.spec?.nodeName === n.name).length === 3)!;
    applyObjects(s, [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pinned' }, spec: { nodeName: full.name, containers: [{ name: 'c', image: 'busybox' }] } }], { cni });
    const p = obj(s, 'Pod/default/pinned');
    expect(p.status).toMatchObject({ phase: 'Failed', reason: 'OutOfpods', message: "Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 3, capacity: 3" });
    expect(s.events.some((e) => e.name === 'pinned' && e.reason === 'Scheduled')).toBe(false);
  });
});

describe('services at scale and ReplicaSets on their own', () => {
  it('splits more than 100 endpoints over several slices', () => {
    const cni = fakeCni({ capacity: 60, poolSize: 60 });
    const s = createCluster(testSpec(), { seed: 17, cni });
    applyObjects(s, [deployment('many', 130), service('many')], { cni });
    const slices = listObjects<any>(s, 'EndpointSlice', 'default').filter((e) => e.metadata.labels['kubernetes.io/service-name'] === 'many');
    expect(slices.map((x) => x.endpoints.length).sort((a, b) => a - b)).toEqual([30, 100]);
    const all = slices.flatMap((x) => x.endpoints.map((e: any) => e.targetRef.name));
    expect(new Set(all).size).toBe(130);
  });

  it('allocates a healthCheckNodePort for LoadBalancer + Local and an ELB hostname', () => {
    const cni = fakeCni();
    const s = createCluster(testSpec(), { seed: 19, cni });
    applyObjects(s, [service('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local' })], { cni });
    const svc = obj(s, 'Service/default/lb');
    expect(svc.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
    expect(svc.spec.healthCheckNodePort).toBeGreaterThanOrEqual(30000);
    expect(svc.spec.healthCheckNodePort).not.toBe(svc.spec.ports[0].nodePort);
    expect(svc.status.loadBalancer.ingress[0].hostname).toMatch(/^a[0-9a-f]{31}-\d{10}\.us-west-2\.elb\.amazonaws\.com$/);
    // Re-applying keeps the allocations.
    applyObjects(s, [service('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', sessionAffinity: 'ClientIP' })], { cni });
    const again = obj(s, 'Service/default/lb');
    expect(again.spec.clusterIP).toBe(svc.spec.clusterIP);
    expect(again.spec.ports[0].nodePort).toBe(svc.spec.ports[0].nodePort);
    expect(again.spec.healthCheckNodePort).toBe(svc.spec.healthCheckNodePort);
  });

  it('runs a ReplicaSet applied directly', () => {
    const cni = fakeCni();
    const s = createCluster(testSpec(), { seed: 23, cni });
    applyObjects(
      s,
      [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web' }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'w', image: 'httpd' }] } } } }],
      { cni },
    );
    const pods = podsOf(s, 'web-');
    expect(pods).toHaveLength(2);
    expect(pods.every((p) => /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/.test(p.metadata.name) && p.status?.phase === 'Running')).toBe(true);
    expect(obj(s, 'ReplicaSet/default/web').status).toMatchObject({ replicas: 2, readyReplicas: 2, availableReplicas: 2 });
  });
});

describe('preemption', () => {
  it('evicts a lower-priority pod for a critical pod when nodes are full', () => {
    const cni = fakeCni({ capacity: 5 });
    const s = createCluster(testSpec(), { seed: 29, cni });
    applyObjects(s, [deployment('filler', 7)], { cni });
    expect(podsOf(s, 'filler-').every((p) => p.spec?.nodeName)).toBe(true);
    applyObjects(
      s,
      [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'vip' }, spec: { priorityClassName: 'system-cluster-critical', containers: [{ name: 'c', image: 'busybox' }] } }],
      { cni },
    );
    const vip = obj(s, 'Pod/default/vip');
    expect(vip.spec.priority).toBe(2000000000);
    expect(vip.status.phase).toBe('Running');
    const first = s.events.find((e) => e.name === 'vip' && e.reason === 'FailedScheduling')!;
    expect(first.message).toBe('0/3 nodes are available: 3 Too many pods.');
    const preempted = s.events.filter((e) => e.reason === 'Preempted');
    expect(preempted).toHaveLength(1);
    expect(preempted[0].message).toBe(`Preempted by pod ${vip.metadata.uid} on node ${vip.spec.nodeName}`);
    // The evicted replica's replacement cannot preempt anyone (same priority).
    const pending = podsOf(s, 'filler-').filter((p) => !p.spec?.nodeName);
    expect(pending).toHaveLength(1);
    expect(s.events.find((e) => e.name === pending[0].metadata.name && e.reason === 'FailedScheduling')!.message).toBe(
      '0/3 nodes are available: 3 Too many pods. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
    );
  });
});

describe('pod deletion', () => {
  it('replaces a deleted ReplicaSet pod and tears its sandbox down', () => {
    const cni = fakeCni();
    const s = createCluster(testSpec(), { seed: 31, cni });
    applyObjects(s, [deployment('nginx', 2), service('nginx')], { cni });
    const [victim] = podsOf(s, 'nginx-');
    const netns = `cni-${victim.metadata.uid}`;
    expect(s.hosts[victim.spec!.nodeName!].namespaces[netns]).toBeDefined();
    deleteObjects(s, [{ kind: 'Pod', namespace: 'default', name: victim.metadata.name }], { cni });
    const now = podsOf(s, 'nginx-');
    expect(now).toHaveLength(2);
    expect(now.some((p) => p.metadata.name === victim.metadata.name)).toBe(false);
    expect(s.hosts[victim.spec!.nodeName!].namespaces[netns]).toBeUndefined();
    expect(s.events.some((e) => e.name === victim.metadata.name && e.reason === 'Killing' && e.message === 'Stopping container nginx')).toBe(true);
    const slice = listObjects<any>(s, 'EndpointSlice', 'default').find((e) => e.metadata.labels['kubernetes.io/service-name'] === 'nginx');
    expect(slice.endpoints.map((e: any) => e.targetRef.name).sort()).toEqual(now.map((p) => p.metadata.name).sort());
  });
});

describe('taints', () => {
  it('keeps pods off tainted nodes and explains it', () => {
    const cni = fakeCni();
    const s = createCluster(testSpec(), { seed: 37, cni });
    const [a, b, c] = s.nodes.map((n) => n.name);
    const tainted = [a, b].map((name) => ({ ...obj(s, `Node//${name}`), spec: { ...obj(s, `Node//${name}`).spec, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] } }));
    applyObjects(s, tainted, { cni });
    applyObjects(s, [deployment('nginx', 2)], { cni });
    expect(podsOf(s, 'nginx-').every((p) => p.spec?.nodeName === c)).toBe(true);
    applyObjects(s, [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { nodeSelector: { 'kubernetes.io/hostname': a }, containers: [{ name: 'c', image: 'busybox' }] } }], { cni });
    expect(s.events.find((e) => e.name === 'p' && e.reason === 'FailedScheduling')!.message).toBe(
      "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
    // aws-node tolerates everything and stays on every node.
    expect(listObjects<Pod>(s, 'Pod', 'kube-system').filter((p) => p.metadata.name.startsWith('aws-node-'))).toHaveLength(3);
  });
});

describe('persistence', () => {
  it('gives the same result whether or not the state went through JSON between operations', () => {
    const cniA = fakeCni();
    const a = createCluster(testSpec(), { seed: 41, cni: cniA });
    const b: ClusterState = JSON.parse(JSON.stringify(a));
    const cniB = fakeCni();
    applyObjects(a, [deployment('nginx', 3), service('nginx', { type: 'NodePort' })], { cni: cniA });
    applyObjects(b, [deployment('nginx', 3), service('nginx', { type: 'NodePort' })], { cni: cniB });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });
});

describe('rollback', () => {
  it('reuses the old ReplicaSet when the template goes back, with a new revision', () => {
    const cni = fakeCni();
    const s = createCluster(testSpec(), { seed: 43, cni });
    applyObjects(s, [deployment('nginx', 2)], { cni });
    const v1 = listObjects<any>(s, 'ReplicaSet', 'default')[0].metadata.name;
    const changed = deployment('nginx', 2);
    (changed.spec as any).template.spec.containers[0].image = 'nginx:1.28';
    applyObjects(s, [changed], { cni });
    applyObjects(s, [deployment('nginx', 2)], { cni });
    const rss = listObjects<any>(s, 'ReplicaSet', 'default');
    expect(rss).toHaveLength(2);
    const back = rss.find((r) => r.metadata.name === v1);
    expect(back.spec.replicas).toBe(2);
    expect(back.metadata.annotations['deployment.kubernetes.io/revision']).toBe('3');
    expect(obj(s, 'Deployment/default/nginx').metadata.annotations['deployment.kubernetes.io/revision']).toBe('3');
  });
});

describe('sandbox retries', () => {
  it('retries a failed sandbox within the same operation once a CNI DEL freed an address', () => {
    const cni = fakeCni({ poolSize: 3 });
    const spec = testSpec();
    spec.nodeGroups[0].desiredCapacity = 1;
    const s = createCluster(spec, { seed: 47, cni });
    applyObjects(s, [deployment('web', 2)], { cni }); // coredns holds 2 of the 3 addresses
    const pods = podsOf(s, 'web-');
    const running = pods.filter((p) => p.status?.phase === 'Running');
    const stuck = pods.filter((p) => p.status?.phase === 'Pending');
    expect(running).toHaveLength(1);
    expect(stuck).toHaveLength(1);
    expect(s.events.some((e) => e.name === stuck[0].metadata.name && e.reason === 'FailedCreatePodSandBox')).toBe(true);
    deleteObjects(s, [{ kind: 'Deployment', namespace: 'kube-system', name: 'coredns' }], { cni });
    const after = podsOf(s, 'web-');
    expect(after.every((p) => p.status?.phase === 'Running')).toBe(true);
  });
});

describe('host ports', () => {
  it('refuses a second pod on a host port aws-node already holds', () => {
    const cni = fakeCni();
    const s = createCluster(testSpec(), { seed: 53, cni });
    applyObjects(s, [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hp' }, spec: { hostNetwork: true, containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 61678 }] }] } }], { cni });
    expect(s.events.find((e) => e.name === 'hp' && e.reason === 'FailedScheduling')!.message).toBe(
      "0/3 nodes are available: 3 node(s) didn't have free ports for the requested pod ports. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
    );
  });
});

describe('atomic operations', () => {
  it('leaves the state untouched when an object in the batch is rejected', () => {
    const cni = fakeCni();
    const s = createCluster(testSpec(), { seed: 59, cni });
    const before = JSON.stringify(s);
    expect(() => applyObjects(s, [deployment('ok', 1), service('bad', { clusterIP: '10.100.0.1' })], { cni })).toThrow(/already allocated/);
    expect(JSON.stringify(s)).toBe(before);
  });
});

describe('namespaces and Recreate', () => {
  it('needs the namespace to exist, and deleting it removes what it held', () => {
    const cni = fakeCni();
    const s = createCluster(testSpec(), { seed: 61, cni });
    const inNs = { ...deployment('api', 2), metadata: { name: 'api', namespace: 'team' } };
    expect(() => applyObjects(s, [inNs], { cni })).toThrow('Error from server (NotFound): namespaces "team" not found');
    applyObjects(s, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } }, inNs], { cni });
    expect(listObjects<Pod>(s, 'Pod', 'team').filter((p) => p.status?.phase === 'Running')).toHaveLength(2);
    expect(obj(s, 'Namespace//team').metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'team' });
    deleteObjects(s, [{ kind: 'Namespace', name: 'team' }], { cni });
    expect(Object.keys(s.objects).filter((k) => k.includes('/team/'))).toEqual([]);
    expect(() => deleteObjects(s, [{ kind: 'Namespace', name: 'kube-system' }], { cni })).toThrow(/may not be deleted/);
  });

  it('replaces every pod at once with the Recreate strategy', () => {
    const cni = fakeCni();
    const s = createCluster(testSpec(), { seed: 67, cni });
    applyObjects(s, [deployment('job', 2, { strategy: { type: 'Recreate' } })], { cni });
    const changed = deployment('job', 2, { strategy: { type: 'Recreate' } });
    (changed.spec as any).template.spec.containers[0].image = 'nginx:1.28';
    applyObjects(s, [changed], { cni });
    const pods = podsOf(s, 'job-');
    expect(pods).toHaveLength(2);
    expect(pods.every((p) => p.spec?.containers[0].image === 'nginx:1.28' && p.status?.phase === 'Running')).toBe(true);
    const msgs = s.events.filter((e) => e.name === 'job' && e.reason === 'ScalingReplicaSet').map((e) => e.message.replace(/job-\w+/, 'job-H'));
    expect(msgs).toEqual(['Scaled up replica set job-H from 0 to 2', 'Scaled down replica set job-H from 2 to 0', 'Scaled up replica set job-H from 0 to 2']);
  });
});
