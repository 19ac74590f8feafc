// Kinds kubewire knows: how kubectl names them, whether they are namespaced, the store key.
import { KubewireError } from '../errors.ts';

interface KindInfo {
  kind: string;
  /** kubectl's "resource.group" as printed in "deployment.apps/nginx created". */
  ref: string;
  namespaced: boolean;
  names: string[];
}

const KINDS: KindInfo[] = [
  { kind: 'Pod', ref: 'pod', namespaced: true, names: ['pod', 'pods', 'po'] },
  { kind: 'Service', ref: 'service', namespaced: true, names: ['service', 'services', 'svc'] },
  { kind: 'Namespace', ref: 'namespace', namespaced: false, names: ['namespace', 'namespaces', 'ns'] },
  { kind: 'Node', ref: 'node', namespaced: false, names: ['node', 'nodes', 'no'] },
  { kind: 'Deployment', ref: 'deployment.apps', namespaced: true, names: ['deployment', 'deployments', 'deploy'] },
  { kind: 'ReplicaSet', ref: 'replicaset.apps', namespaced: true, names: ['replicaset', 'replicasets', 'rs'] },
  { kind: 'DaemonSet', ref: 'daemonset.apps', namespaced: true, names: ['daemonset', 'daemonsets', 'ds'] },
  { kind: 'EndpointSlice', ref: 'endpointslice.discovery.k8s.io', namespaced: true, names: ['endpointslice', 'endpointslices'] },
  { kind: 'NetworkPolicy', ref: 'networkpolicy.networking.k8s.io', namespaced: true, names: ['networkpolicy', 'networkpolicies', 'netpol'] },
];

function info(kind: string): KindInfo | undefined {
  return KINDS.find((k) => k.kind === kind);
}

export function isNamespaced(kind: string): boolean {
  return info(kind)?.namespaced ?? true;
}

export function resourceRef(kind: string): string {
  return info(kind)?.ref ?? kind.toLowerCase();
}

/** "deploy" / "deployments.apps" / "Deployment" → "Deployment". */
export function resolveKind(word: string): string {
  const w = word.toLowerCase().split('.')[0];
  const k = KINDS.find((x) => x.names.includes(w) || x.kind.toLowerCase() === w);
  if (!k) throw new KubewireError(`the server doesn't have a resource type "${word}"`);
  return k.kind;
}

/** kubectl's "deployments.apps" form used in server errors. */
export function pluralRef(kind: string): string {
  const k = info(kind);
  if (!k) return kind.toLowerCase() + 's';
  const dot = k.ref.indexOf('.');
  return k.names[1] + (dot < 0 ? '' : k.ref.slice(dot));
}

export function notFoundMessage(kind: string, name: string): string {
  return `Error from server (NotFound): ${pluralRef(kind)} "${name}" not found`;
}

export function objectKey(o: { kind: string; metadata: { name: string; namespace?: string } }): string {
  return `${o.kind}/${isNamespaced(o.kind) ? (o.metadata.namespace ?? 'default') : ''}/${o.metadata.name}`;
}
