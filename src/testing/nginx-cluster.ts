// Test helper: the default cluster (VPC CNI + kube-proxy iptables, seed 1) with the nginx
// Deployment (3 replicas) behind Service nginx:8080, and optionally a NodePort Service, a
// "ghost" Service whose selector matches nothing, and a client pod. Browser-safe.
import { defaultClusterSpec } from '../inputs/cluster-file.ts';
import { applyObjects, createCluster } from '../control-plane/cluster.ts';
import { pluginsFor, type Plugins } from '../cni/index.ts';
import { admitObject } from '../inputs/k8s-objects.ts';
import { generateDeployment, generateService } from '../k8s/generators.ts';
import { podSandbox } from '../control-plane/kubelet.ts';
import type { ClusterState } from '../control-plane/types.ts';
import type { KObject } from '../k8s/types.ts';

export interface NginxClusterOptions {
  /** Also Service nginx-np (NodePort, port 80) on the nginx pods. */
  nodePort?: boolean;
  /** Also Deployment ghost (0 replicas) behind Service ghost:9090: kube-proxy rejects its traffic. */
  ghost?: boolean;
  /** Makes the objects (admitted) applied last, in one apply. */
  extra?: () => KObject[];
}

/** The default cluster with nginx (and the options' extras), applied in a fixed order. */
export function nginxCluster(opts: NginxClusterOptions = {}): { state: ClusterState; plugins: Plugins } {
  const spec = defaultClusterSpec();
  const plugins = pluginsFor(spec);
  const state = createCluster(spec, { seed: 1, ...plugins });
  const dep = generateDeployment({ name: 'nginx', image: ['nginx'], replicas: 3, port: 80 });
  applyObjects(state, [admitObject(dep)], plugins);
  applyObjects(state, [admitObject(generateService({ target: dep, port: 8080, targetPort: '80' }))], plugins);
  if (opts.nodePort) applyObjects(state, [admitObject(generateService({ target: dep, name: 'nginx-np', port: 80, targetPort: '80', type: 'NodePort' }))], plugins);
  if (opts.ghost) {
    const ghost = generateDeployment({ name: 'ghost', image: ['nginx'], replicas: 0, port: 80 });
    applyObjects(state, [admitObject(ghost)], plugins);
    applyObjects(state, [admitObject(generateService({ target: ghost, port: 9090, targetPort: '80' }))], plugins);
  }
  if (opts.extra) applyObjects(state, opts.extra(), plugins);
  return { state, plugins };
}

/** An admitted default-namespace Pod with one container `container` running `image`. */
export function testPod(name: string, image: string, opts: { container?: string; command?: string[]; spec?: Record<string, unknown> } = {}): KObject {
  const container: Record<string, unknown> = { name: opts.container ?? name, image };
  if (opts.command) container.command = opts.command;
  return admitObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [container], ...opts.spec } } as unknown as KObject);
}

/** The nginx Deployment's pods: name, node, first IP and sandbox netns. */
export function nginxPods(state: ClusterState): Array<{ name: string; node: string; ip: string; netns: string }> {
  return Object.keys(state.objects)
    .filter((k) => k.startsWith('Pod/default/nginx-'))
    .map((k) => {
      const name = k.split('/')[2];
      const sb = podSandbox(state, 'default', name)!;
      return { name, node: sb.node, ip: sb.ips[0], netns: sb.netns! };
    });
}
