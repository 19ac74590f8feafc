import { describe, expect, it } from 'vitest';
import { rankPodsForDeletion } from './workloads.ts';
import { rfc3339 } from './store.ts';
import type { Pod } from './pods.ts';
import type { ClusterState } from './types.ts';

function pod(name: string, o: { node?: string; phase?: string; readyAt?: number; created?: number; uid?: string; cost?: string }): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      uid: o.uid ?? name,
      creationTimestamp: rfc3339(o.created ?? 0) as never,
      ...(o.cost ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': o.cost } } : {}),
    },
    spec: { containers: [], ...(o.node ? { nodeName: o.node } : {}) },
    status: {
      phase: o.phase ?? 'Running',
      conditions: o.readyAt !== undefined ? [{ type: 'Ready', status: 'True', lastTransitionTime: rfc3339(o.readyAt) as never }] : [],
    },
  } as Pod;
}

describe('ActivePodsWithRanks', () => {
  const state = { clock: 10_000 } as ClusterState;
  it('orders victims like the ReplicaSet controller', () => {
    const pods = [
      pod('old-ready', { node: 'a', readyAt: 10, created: 5 }),
      pod('unassigned', { phase: 'Pending' }),
      pod('pending', { node: 'b', phase: 'Pending' }),
      pod('not-ready', { node: 'c' }),
      pod('doubled', { node: 'd', readyAt: 10, created: 5 }),
      pod('doubled-2', { node: 'd', readyAt: 10, created: 5 }),
      pod('fresh-ready', { node: 'e', readyAt: 9_990, created: 9_980 }),
      pod('costly', { node: 'f', readyAt: 9_990, created: 9_980, cost: '100' }),
    ];
    const order = rankPodsForDeletion(state, pods, pods).map((p) => p.metadata.name);
    expect(order).toEqual(['unassigned', 'pending', 'not-ready', 'doubled', 'doubled-2', 'fresh-ready', 'old-ready', 'costly']);
  });
});
