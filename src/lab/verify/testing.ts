// The cluster the verify tests run on: the lab's test cluster (default cluster, nginx x3 behind a
// ClusterIP Service, VPC CNI or Calico VXLAN) plus a busybox pod, a NodePort Service for nginx
// and a Service whose selector matches no pod, so every flow category has something to run.
import { applyObjects } from '../../control-plane/cluster.ts';
import { pluginsFor } from '../../cni/index.ts';
import { admitObject } from '../../inputs/k8s-objects.ts';
import { generateDeployment, generatePod, generateService } from '../../k8s/generators.ts';
import type { ClusterState } from '../../control-plane/types.ts';
import type { KObject } from '../../k8s/types.ts';
import { labTestCluster } from '../testing.ts';

export function verifyTestCluster(cni: 'vpc-cni' | 'calico-vxlan' = 'vpc-cni'): ClusterState {
  const state = labTestCluster(3, true, cni);
  const plugins = pluginsFor(state.spec);
  const dep = generateDeployment({ name: 'nginx', image: ['nginx'], replicas: 3, port: 80 });
  const idle = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'idle', namespace: 'default' }, spec: { selector: { app: 'idle' }, ports: [{ port: 80, targetPort: 80 }] } } as unknown as KObject;
  applyObjects(
    state,
    [
      admitObject(generatePod({ name: 'busybox', image: 'busybox', args: ['sleep', '3600'] })),
      admitObject(generateService({ target: dep, name: 'nginx-np', port: 8081, targetPort: '80', type: 'NodePort' })),
      admitObject(idle),
    ],
    plugins,
  );
  return state;
}
