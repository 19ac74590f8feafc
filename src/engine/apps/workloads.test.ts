// podListeners: what a pod's programs listen on, decided from its images (nginx's default.conf
// `listen 80`, CoreDNS's EKS Corefile) and, for other images, its declared containerPorts — and
// the engine's walk deciding by it (a declared port the image does not open: RST).
import { describe, expect, it } from 'vitest';
import { applyObjects, createCluster } from '../../control-plane/cluster.ts';
import { pluginsFor } from '../../cni/index.ts';
import { defaultClusterSpec } from '../../inputs/cluster-file.ts';
import { admitObject } from '../../inputs/k8s-objects.ts';
import { generatePod } from '../../k8s/generators.ts';
import { tracePacket } from '../index.ts';
import { podListeners } from './workloads.ts';

describe('podListeners', () => {
  it('nginx listens on 80/tcp only, whatever containerPort says', () => {
    expect(podListeners({ containers: [{ name: 'c', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] }] })).toEqual({ known: true, listeners: [{ proto: 'tcp', port: 80, app: 'nginx' }] });
    expect(podListeners({ containers: [{ name: 'c', image: 'public.ecr.aws/nginx/nginx:1.25.3-alpine' }] }).listeners.map((l) => l.port)).toEqual([80]);
  });
  it('CoreDNS (EKS): 53 udp+tcp, metrics 9153, health 8080, ready 8181', () => {
    const { listeners } = podListeners({ containers: [{ name: 'coredns', image: '602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/coredns:v1.11.1-eksbuild.4', ports: [{ containerPort: 53, protocol: 'UDP' }] }] });
    expect(listeners.map((l) => `${l.port}/${l.proto}`)).toEqual(['53/udp', '53/tcp', '9153/tcp', '8080/tcp', '8181/tcp']);
  });
  it('other images: their declared ports; none declared: unknown; sidecars add theirs', () => {
    expect(podListeners({ containers: [{ name: 'a', image: 'myapp', ports: [{ containerPort: 9000 }, { containerPort: 9001, protocol: 'UDP' }] }] }).listeners).toEqual([
      { proto: 'tcp', port: 9000, app: 'other' },
      { proto: 'udp', port: 9001, app: 'other' },
    ]);
    expect(podListeners({ containers: [{ name: 'a', image: 'busybox' }] })).toEqual({ known: false, listeners: [] });
    const two = podListeners({ containers: [{ name: 'a', image: 'nginx' }, { name: 'b', image: 'exporter', ports: [{ containerPort: 9113 }] }] });
    expect(two.listeners.map((l) => `${l.app}:${l.port}`)).toEqual(['nginx:80', 'other:9113']);
  });
});

describe('the engine listens where podListeners says', () => {
  const spec = defaultClusterSpec();
  const plugins = pluginsFor(spec);
  const state = createCluster(spec, { seed: 1, ...plugins });
  applyObjects(state, [admitObject(generatePod({ name: 'web', image: 'nginx', port: 8080 })), admitObject(generatePod({ name: 'client', image: 'busybox', args: ['sleep', '3600'] }))], plugins);
  const ip = (state.objects['Pod/default/web'] as unknown as { status: { podIP: string } }).status.podIP;
  const to = (dport: number) => tracePacket(state, { from: { pod: 'client', namespace: 'default' }, dst: ip, dport, protocol: 'TCP' }).branches[0].forward.disposition;

  it('an nginx pod declaring containerPort 8080: 8080 is refused (RST), 80 answers', () => {
    expect(to(8080)).toMatchObject({ code: 'port-closed', signal: 'TCP RST', decidedBy: { kind: 'socket', port: 8080, listening: false } });
    expect(to(80).code).toBe('delivered');
  });
});
