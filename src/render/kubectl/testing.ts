// Hand-made cluster states for the kubectl renderer tests (imported by *.test.ts only).

import type { ClusterEvent, ClusterState } from '../../control-plane/types.ts';
import type { KObject } from '../../k8s/types.ts';
import { DEFAULT_EPOCH_MS } from './time.ts';

/** ISO timestamp at `s` logical seconds. */
export const at = (s: number): string => new Date(DEFAULT_EPOCH_MS + s * 1000).toISOString().replace('.000Z', 'Z');

export function stateWith(objects: KObject[], opts: { clock?: number; events?: ClusterEvent[] } = {}): ClusterState {
  const map: Record<string, KObject> = {};
  for (const o of objects) map[`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`] = o;
  return {
    clock: opts.clock ?? 0,
    objects: map,
    events: opts.events ?? [],
    nodes: [],
    hosts: {},
    pluginState: {},
    seed: 1,
    rng: 1,
  } as unknown as ClusterState;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

export function obj(kind: string, name: string, namespace: string | undefined, created: number, rest: Loose = {}, meta: Loose = {}): KObject {
  const apiVersion = ({ Deployment: 'apps/v1', ReplicaSet: 'apps/v1', DaemonSet: 'apps/v1', EndpointSlice: 'discovery.k8s.io/v1', NetworkPolicy: 'networking.k8s.io/v1' } as Record<string, string>)[kind] ?? 'v1';
  const metadata: Loose = { name, creationTimestamp: at(created), ...meta };
  if (namespace !== undefined) metadata.namespace = namespace;
  return { apiVersion, kind, metadata, ...rest } as unknown as KObject;
}

/** A running single-container pod as the kubelet reports it. */
export function runningPod(name: string, ns: string, created: number, opts: Loose = {}): KObject {
  return obj('Pod', name, ns, created, {
    spec: {
      nodeName: opts.node ?? 'ip-192-168-12-34.us-west-2.compute.internal',
      containers: opts.containers ?? [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' }] }],
      serviceAccountName: 'default',
      ...(opts.spec ?? {}),
    },
    status: {
      phase: 'Running',
      hostIP: '192.168.12.34',
      podIP: opts.ip ?? '192.168.5.10',
      podIPs: [{ ip: opts.ip ?? '192.168.5.10' }],
      startTime: at(created),
      conditions: [
        { type: 'PodReadyToStartContainers', status: 'True' },
        { type: 'Initialized', status: 'True' },
        { type: 'Ready', status: 'True' },
        { type: 'ContainersReady', status: 'True' },
        { type: 'PodScheduled', status: 'True' },
      ],
      containerStatuses: opts.containerStatuses ?? [
        { name: 'app', ready: true, restartCount: 0, started: true, image: 'nginx:1.27', imageID: '', containerID: 'containerd://abc', state: { running: { startedAt: at(created + 2) } } },
      ],
      ...(opts.status ?? {}),
    },
  }, { labels: opts.labels ?? { app: 'web' }, ...(opts.meta ?? {}) });
}
