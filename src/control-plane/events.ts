// Events as the components record them through client-go's event recorder: one record per
// (involved object, type, reason, message, source); a repeat bumps count and lastTimestamp
// (the EventCorrelator's aggregation of identical events).

import type { ClusterEvent, ClusterState } from './types.ts';
import type { KObject } from '../k8s/types.ts';

export function recordEvent(
  state: ClusterState,
  obj: KObject | { kind: string; metadata: { name: string; namespace?: string } },
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  source: string,
): ClusterEvent {
  const namespace = obj.metadata.namespace ?? 'default';
  const existing = state.events.find(
    (e) =>
      e.namespace === namespace &&
      e.kind === obj.kind &&
      e.name === obj.metadata.name &&
      e.type === type &&
      e.reason === reason &&
      e.message === message &&
      e.source === source,
  );
  if (existing) {
    existing.count++;
    existing.lastTimestamp = state.clock;
    return existing;
  }
  const ev: ClusterEvent = {
    namespace,
    kind: obj.kind,
    name: obj.metadata.name,
    type,
    reason,
    message,
    source,
    count: 1,
    firstTimestamp: state.clock,
    lastTimestamp: state.clock,
  };
  state.events.push(ev);
  return ev;
}

/** Events about one object, oldest first (what `kubectl describe` lists). */
export function eventsFor(state: ClusterState, kind: string, namespace: string, name: string): ClusterEvent[] {
  return state.events.filter((e) => e.kind === kind && e.namespace === namespace && e.name === name);
}
