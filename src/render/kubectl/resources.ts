// The one map from what a user types (`pods`, `po`, `deploy`, `deployments.apps`, ...) to how
// that resource is printed. renderGet and renderDescribe look resources up here only.

import {
  daemonSetColumns, deploymentColumns, endpointSliceColumns, eventColumns, namespaceColumns, networkPolicyColumns,
  nodeColumns, podColumns, printDaemonSet, printDeployment, printEndpointSlice, printEvent, printNamespace,
  printNetworkPolicy, printNode, printPod, printReplicaSet, printService, replicaSetColumns, serviceColumns,
  type Column, type RowPrinter,
} from './printers.ts';

export interface ResourceInfo {
  kind: string;
  /** Plural resource name, as in URLs and error messages ("pods"). */
  resource: string;
  singular: string;
  shortNames: string[];
  /** API group, "" for core. */
  group: string;
  version: string;
  namespaced: boolean;
  columns: Column[];
  printRow: RowPrinter;
}

export const RESOURCES: ResourceInfo[] = [
  { kind: 'Pod', resource: 'pods', singular: 'pod', shortNames: ['po'], group: '', version: 'v1', namespaced: true, columns: podColumns, printRow: printPod },
  { kind: 'Node', resource: 'nodes', singular: 'node', shortNames: ['no'], group: '', version: 'v1', namespaced: false, columns: nodeColumns, printRow: printNode },
  { kind: 'Service', resource: 'services', singular: 'service', shortNames: ['svc'], group: '', version: 'v1', namespaced: true, columns: serviceColumns, printRow: printService },
  { kind: 'Namespace', resource: 'namespaces', singular: 'namespace', shortNames: ['ns'], group: '', version: 'v1', namespaced: false, columns: namespaceColumns, printRow: printNamespace },
  { kind: 'Event', resource: 'events', singular: 'event', shortNames: ['ev'], group: '', version: 'v1', namespaced: true, columns: eventColumns, printRow: printEvent },
  { kind: 'EndpointSlice', resource: 'endpointslices', singular: 'endpointslice', shortNames: [], group: 'discovery.k8s.io', version: 'v1', namespaced: true, columns: endpointSliceColumns, printRow: printEndpointSlice },
  { kind: 'NetworkPolicy', resource: 'networkpolicies', singular: 'networkpolicy', shortNames: ['netpol'], group: 'networking.k8s.io', version: 'v1', namespaced: true, columns: networkPolicyColumns, printRow: printNetworkPolicy },
  { kind: 'Deployment', resource: 'deployments', singular: 'deployment', shortNames: ['deploy'], group: 'apps', version: 'v1', namespaced: true, columns: deploymentColumns, printRow: printDeployment },
  { kind: 'ReplicaSet', resource: 'replicasets', singular: 'replicaset', shortNames: ['rs'], group: 'apps', version: 'v1', namespaced: true, columns: replicaSetColumns, printRow: printReplicaSet },
  { kind: 'DaemonSet', resource: 'daemonsets', singular: 'daemonset', shortNames: ['ds'], group: 'apps', version: 'v1', namespaced: true, columns: daemonSetColumns, printRow: printDaemonSet },
];

/**
 * Resolves a resource argument as kubectl's RESTMapper does: plural, singular, short name or
 * kind (any case), optionally qualified by group or version.group ("deployments.apps",
 * "deployments.v1.apps"). Undefined when unknown.
 */
export function lookupResource(arg: string): ResourceInfo | undefined {
  const lower = arg.toLowerCase();
  const dot = lower.indexOf('.');
  const name = dot >= 0 ? lower.slice(0, dot) : lower;
  const qualifier = dot >= 0 ? lower.slice(dot + 1) : undefined;
  return RESOURCES.find((r) => {
    const names = [r.resource, r.singular, r.kind.toLowerCase(), ...r.shortNames];
    if (!names.includes(name)) return false;
    if (qualifier === undefined) return true;
    const group = r.group === '' ? '' : r.group;
    return qualifier === group || qualifier === `${r.version}.${group}` || (group === '' && qualifier === r.version);
  });
}

/** "pods", "deployments.apps": the qualified resource used in API error messages. */
export function qualifiedResource(r: ResourceInfo): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

/** "pod", "deployment.apps": the prefix `-o name` prints before the object name. */
export function nameOutputPrefix(r: ResourceInfo): string {
  const kind = r.kind.toLowerCase();
  return r.group ? `${kind}.${r.group}` : kind;
}
