// Kubernetes object types. Types only (erased at run time), so browser code can use them too.
export type {
  V1ObjectMeta,
  V1Namespace,
  V1Pod,
  V1PodSpec,
  V1PodStatus,
  V1Container,
  V1ContainerPort,
  V1Deployment,
  V1ReplicaSet,
  V1DaemonSet,
  V1Service,
  V1ServicePort,
  V1NetworkPolicy,
  V1Node,
  V1LabelSelector,
  V1PodTemplateSpec,
  CoreV1Event,
} from '@kubernetes/client-node';
export type { V1EndpointSlice, V1Endpoint, DiscoveryV1EndpointPort } from '@kubernetes/client-node';

/** Any object we store: apiVersion/kind/metadata are always set after defaulting. */
export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: import('@kubernetes/client-node').V1ObjectMeta & { name: string };
  [k: string]: unknown;
}
