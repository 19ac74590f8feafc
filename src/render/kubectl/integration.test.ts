import { describe, expect, it } from 'vitest';
import { applyObjects, createCluster } from '../../control-plane/cluster.ts';
import { fakeCni, testSpec } from '../../control-plane/testing.ts';
import type { KObject } from '../../k8s/types.ts';
import { renderDescribe, renderGet } from './index.ts';

// The renderers over a cluster the control plane built: every object shows up, in API order.
describe('kubectl output over a control-plane cluster', () => {
  const cni = fakeCni();
  const state = createCluster(testSpec(), { seed: 1, cni });
  applyObjects(state, [
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { app: 'web' } },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80, name: 'http' }] }] } } },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] } },
  ] as unknown as KObject[], { cni });

  it('lists every pod across namespaces, namespace then name', () => {
    const pods = Object.values(state.objects).filter((o) => o.kind === 'Pod');
    const out = renderGet(state, { resource: 'pods', allNamespaces: true }).stdout.trimEnd().split('\n');
    expect(out[0]).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    const rows = out.slice(1).map((l) => l.split(/\s+/).slice(0, 2).join('/'));
    expect(rows).toEqual(pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort());
  });

  it('shows the service endpoints from its EndpointSlice', () => {
    const d = renderDescribe(state, { resource: 'svc', name: 'web' });
    expect(d.exitCode).toBe(0);
    const pods = Object.values(state.objects).filter((o) => o.kind === 'Pod' && o.metadata.name.startsWith('web-'));
    const ips = pods.map((p) => (p as unknown as { status: { podIP: string } }).status.podIP);
    const endpoints = d.stdout.split('\n').find((l) => l.startsWith('Endpoints:'))!;
    for (const ip of ips) expect(endpoints).toContain(`${ip}:80`);
  });

  it('describes every node and pod without errors', () => {
    for (const o of Object.values(state.objects)) {
      if (o.kind !== 'Pod' && o.kind !== 'Node') continue;
      const r = renderDescribe(state, { resource: o.kind, name: o.metadata.name, namespace: o.metadata.namespace });
      expect(r.exitCode).toBe(0);
      expect(r.stdout.startsWith('Name:')).toBe(true);
    }
  });
});
