// core/v1 Event objects for rendering. The control plane records events as ClusterEvent
// records (logical times); kubectl sees Event objects, named as client-go's recorder names
// them: "<involved object name>.<creation time in Unix nanoseconds, hex>".

import type { ClusterEvent, ClusterState } from '../../control-plane/types.ts';
import type { KObject } from '../../k8s/types.ts';
import { rfc3339, type RenderClock } from './time.ts';

const API_GROUP_OF_KIND: Record<string, string> = {
  Deployment: 'apps/v1', ReplicaSet: 'apps/v1', DaemonSet: 'apps/v1', StatefulSet: 'apps/v1',
  EndpointSlice: 'discovery.k8s.io/v1', NetworkPolicy: 'networking.k8s.io/v1',
};

/** Namespace an event is stored in: node (cluster-scoped) events live in "default". */
export function eventNamespace(e: ClusterEvent): string {
  return e.namespace || 'default';
}

/** The node a kubelet event was recorded on (its EventSource.Host), if any. */
function kubeletHost(state: ClusterState | undefined, e: ClusterEvent): string | undefined {
  if (e.source !== 'kubelet') return undefined;
  if (e.kind === 'Node') return e.name;
  if (e.kind === 'Pod' && state) {
    const pod = state.objects[`Pod/${e.namespace}/${e.name}`] as { spec?: { nodeName?: string } } | undefined;
    return pod?.spec?.nodeName || undefined;
  }
  return undefined;
}

/** The Event object kubectl would read for a ClusterEvent. `seq` disambiguates equal names. */
export function eventObject(e: ClusterEvent, clock: RenderClock, seq = 0, state?: ClusterState): KObject {
  const firstMs = clock.epochMs + e.firstTimestamp * 1000;
  const nanos = BigInt(Math.round(firstMs)) * 1000000n + BigInt(seq);
  const ns = eventNamespace(e);
  const first = rfc3339(e.firstTimestamp, clock);
  const last = rfc3339(e.lastTimestamp, clock);
  const host = kubeletHost(state, e);
  const involved: Record<string, string> = { kind: e.kind, name: e.name };
  if (API_GROUP_OF_KIND[e.kind]) involved.apiVersion = API_GROUP_OF_KIND[e.kind];
  else involved.apiVersion = 'v1';
  if (e.namespace) involved.namespace = e.namespace;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${e.name}.${nanos.toString(16)}`, namespace: ns, creationTimestamp: first as unknown as Date },
    involvedObject: involved,
    reason: e.reason,
    message: e.message,
    source: host ? { component: e.source, host } : { component: e.source },
    firstTimestamp: first,
    lastTimestamp: last,
    count: e.count,
    type: e.type,
    eventTime: null,
    reportingComponent: e.source,
    reportingInstance: host ?? '',
  };
}

/** All Event objects: those stored as objects plus the control plane's event records. */
export function allEventObjects(state: ClusterState, clock: RenderClock): KObject[] {
  const out: KObject[] = Object.values(state.objects).filter((o) => o.kind === 'Event');
  const seen = new Set(out.map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
  for (const e of state.events ?? []) {
    let seq = 0;
    let obj = eventObject(e, clock, seq, state);
    while (seen.has(`${obj.metadata.namespace}/${obj.metadata.name}`)) obj = eventObject(e, clock, ++seq, state);
    seen.add(`${obj.metadata.namespace}/${obj.metadata.name}`);
    out.push(obj);
  }
  return out;
}
