// The cluster the lab tests and the benchmark use: the default cluster (3 x m5.large, VPC CNI,
// kube-proxy iptables, seed 1; or the same with Calico VXLAN) with an nginx Deployment.
import { DEFAULT_CLUSTER_YAML, defaultClusterSpec, parseClusterFile } from '../inputs/cluster-file.ts';
import { applyObjects, createCluster } from '../control-plane/cluster.ts';
import { pluginsFor } from '../cni/index.ts';
import { admitObject } from '../inputs/k8s-objects.ts';
import { generateDeployment, generatePod, generateService } from '../k8s/generators.ts';
import type { ClusterState } from '../control-plane/types.ts';

export function labTestCluster(replicas = 3, withService = true, cni: 'vpc-cni' | 'calico-vxlan' = 'vpc-cni', nodes = 3): ClusterState {
  let yaml = DEFAULT_CLUSTER_YAML;
  if (cni !== 'vpc-cni') yaml = yaml.replace(/^# kubewire:$/m, 'kubewire:').replace(/^#   cni: calico-vxlan.*$/m, '  cni: calico-vxlan');
  // A bigger node group (the 20-node benchmark): desiredCapacity, minSize and maxSize.
  if (nodes !== 3) yaml = yaml.replace(/^(\s+(?:desiredCapacity|minSize|maxSize)): 3$/gm, `$1: ${nodes}`);
  const spec = cni === 'vpc-cni' && nodes === 3 ? defaultClusterSpec() : parseClusterFile(yaml, `<default, ${cni}, ${nodes} nodes>`);
  if (spec.cni.type !== cni) throw new Error(`could not switch the default cluster to ${cni}`);
  const plugins = pluginsFor(spec);
  const state = createCluster(spec, { seed: 1, ...plugins });
  const dep = generateDeployment({ name: 'nginx', image: ['nginx'], replicas, port: 80 });
  applyObjects(state, [admitObject(dep)], plugins);
  if (withService) applyObjects(state, [admitObject(generateService({ target: dep, port: 8080, targetPort: '80' }))], plugins);
  return state;
}

/** labTestCluster(3) plus a busybox pod (`kubectl run busybox --image=busybox -- sleep 3600`). */
export function labWorkloadCluster(cni: 'vpc-cni' | 'calico-vxlan' = 'vpc-cni'): ClusterState {
  const state = labTestCluster(3, true, cni);
  const plugins = pluginsFor(state.spec);
  applyObjects(state, [admitObject(generatePod({ name: 'busybox', image: 'busybox', args: ['sleep', '3600'] }))], plugins);
  return state;
}
