// The upstream e2e netpol model (namespaces x, y, z; pods a, b, c; ports 80/81 on TCP/UDP/SCTP) built as a
// simulated cluster by the control plane and a CNI, for tests that compare the dataplane with the API's verdicts.
import type { ClusterSpec } from '../inputs/cluster-spec.ts';
import type { ClusterState } from '../control-plane/types.ts';
import type { KObject, V1NetworkPolicy } from '../k8s/types.ts';
import { applyObjects, createCluster, deleteObjects } from '../control-plane/cluster.ts';
import { admitObject } from '../inputs/k8s-objects.ts';
import { pluginsFor, ipsetsOf, type Plugins } from '../cni/index.ts';
import { clusterWorld } from '../engine/index.ts';
import type { WalkWorld } from '../engine/walk.ts';
import { ALL_PODS, NAMESPACES, modelNamespace, modelPod } from './testing.ts';

export interface ModelCluster {
  state: ClusterState;
  plugins: Plugins;
  /** The engine's world with the CNI agent's ipsets. */
  world: () => WalkWorld;
  apply: (policies: V1NetworkPolicy[]) => void;
  /** Remove every NetworkPolicy. */
  clear: () => void;
}

export function modelCluster(spec: ClusterSpec): ModelCluster {
  const plugins = pluginsFor(spec);
  const state = createCluster(spec, { seed: 1, ...plugins });
  const objs: KObject[] = [...NAMESPACES.map((n) => modelNamespace(n) as KObject)];
  for (const p of ALL_PODS) {
    const pod = modelPod(p);
    delete (pod as { status?: unknown }).status;
    objs.push(pod as KObject);
  }
  applyObjects(state, objs.map((o) => admitObject(o, o.metadata?.namespace ?? 'default')), plugins);
  const world = () => ({ ...clusterWorld(state), ipsets: ipsetsOf(state) as WalkWorld['ipsets'] });
  return {
    state,
    plugins,
    world,
    apply: (policies) => void applyObjects(state, policies.map((o) => admitObject(o as KObject, o.metadata?.namespace ?? 'default')), plugins),
    clear: () => {
      const refs = Object.keys(state.objects)
        .filter((k) => k.startsWith('NetworkPolicy/'))
        .map((k) => {
          const [, namespace, name] = k.split('/');
          return { kind: 'NetworkPolicy', namespace: namespace!, name: name! };
        });
      if (refs.length) deleteObjects(state, refs, plugins);
    },
  };
}
