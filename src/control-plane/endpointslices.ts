// The EndpointSlice controller (pkg/controller/endpointslice + staging k8s.io/endpointslice):
// for every Service with a selector, slices named by generateName "<service>-", labelled
// kubernetes.io/service-name and endpointslice.kubernetes.io/managed-by, one group of slices per
// distinct resolved port mapping, at most 100 endpoints per slice; existing endpoints keep their
// slice and position, new ones fill the fullest updated slice first, then an unchanged slice
// with room, then new slices; a Service selecting nothing keeps one empty placeholder slice.

import type { KObject, V1Service } from '../k8s/types.ts';
import { canonicalJson } from '../k8s/hash.ts';
import { generateName } from '../k8s/naming.ts';
import { randInt } from '../k8s/rand.ts';
import type { ClusterState } from './types.ts';
import { controllerRef, createObject, getObject, isControlledBy, listObjects, nowTime, removeObject, touchObject } from './store.ts';
import { isPodReady, isTerminated, labelsOf, mapSelects, type Pod } from './pods.ts';

export const MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MAX_ENDPOINTS_PER_SLICE = 100;

type Service = V1Service & KObject;

interface EndpointPort {
  name: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

interface Endpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  hostname?: string;
  nodeName?: string;
  targetRef: { kind: 'Pod'; name: string; namespace: string; uid: string };
  zone?: string;
}

export interface EndpointSlice extends KObject {
  addressType: 'IPv4';
  endpoints: Endpoint[] | null;
  ports: EndpointPort[] | null;
}

/** podutil.FindPort: a named targetPort resolves through the pod's container ports. */
function resolvePort(pod: Pod, target: number | string | undefined, port: number, protocol: string): number | undefined {
  if (target === undefined || target === '') return port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

function endpointFor(state: ClusterState, svc: Service, pod: Pod): Endpoint {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata.deletionTimestamp;
  const ready = !!svc.spec?.publishNotReadyAddresses || (serving && !terminating);
  const ep: Endpoint = {
    addresses: [pod.status!.podIP!],
    conditions: { ready, serving, terminating },
    targetRef: { kind: 'Pod', name: pod.metadata.name, namespace: pod.metadata.namespace ?? 'default', uid: pod.metadata.uid! },
  };
  if (pod.spec?.hostname && pod.spec.subdomain === svc.metadata.name) ep.hostname = pod.spec.hostname;
  if (pod.spec?.nodeName) {
    ep.nodeName = pod.spec.nodeName;
    const node = getObject<{ metadata: { labels?: Record<string, string> } }>(state, 'Node', '', pod.spec.nodeName);
    const zone = node?.metadata.labels?.['topology.kubernetes.io/zone'];
    if (zone) ep.zone = zone;
  }
  return ep;
}

const epKey = (e: Endpoint) => `${e.targetRef.uid}/${e.addresses.join(',')}`;

function sliceLabels(svc: Service): Record<string, string> {
  const l: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata.labels ?? {})) {
    if (k === SERVICE_NAME_LABEL || k === MANAGED_BY) continue;
    l[k] = v;
  }
  l[SERVICE_NAME_LABEL] = svc.metadata.name;
  l[MANAGED_BY] = CONTROLLER_NAME;
  if (svc.spec?.clusterIP === 'None') l['service.kubernetes.io/headless'] = '';
  return Object.fromEntries(Object.entries(l).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function newSlice(state: ClusterState, svc: Service, ports: EndpointPort[] | null, endpoints: Endpoint[] | null): EndpointSlice {
  const ns = svc.metadata.namespace ?? 'default';
  const slice: EndpointSlice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: generateName(state, `${svc.metadata.name}-`),
      generateName: `${svc.metadata.name}-`,
      namespace: ns,
      labels: sliceLabels(svc),
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': nowTime(state) },
      ownerReferences: [controllerRef(svc)],
    },
    addressType: 'IPv4',
    endpoints,
    ports,
  };
  return slice;
}

/** Reconciles one Service's slices; returns true when a slice was created, changed or deleted. */
export function syncServiceSlices(state: ClusterState, svc: Service): boolean {
  const ns = svc.metadata.namespace ?? 'default';
  const selector = svc.spec?.selector;
  const existing = listObjects<EndpointSlice>(state, 'EndpointSlice', ns).filter(
    (s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === svc.metadata.name && s.metadata.labels?.[MANAGED_BY] === CONTROLLER_NAME,
  );
  if (!selector || Object.keys(selector).length === 0 || svc.spec?.type === 'ExternalName') {
    for (const s of existing) removeObject(state, s);
    return existing.length > 0;
  }
  // Desired endpoints grouped by port mapping.
  const groups = new Map<string, { ports: EndpointPort[]; eps: Map<string, Endpoint> }>();
  const pods = listObjects<Pod>(state, 'Pod', ns).filter(
    (p) => mapSelects(selector, labelsOf(p)) && !!p.status?.podIP && !isTerminated(p),
  );
  for (const pod of pods) {
    const ports: EndpointPort[] = [];
    for (const sp of svc.spec?.ports ?? []) {
      const protocol = sp.protocol ?? 'TCP';
      const port = resolvePort(pod, sp.targetPort as number | string | undefined, sp.port, protocol);
      if (port === undefined) continue;
      const ep: EndpointPort = { name: sp.name ?? '', port, protocol };
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      ports.push(ep);
    }
    const key = canonicalJson(ports);
    if (!groups.has(key)) groups.set(key, { ports, eps: new Map() });
    const e = endpointFor(state, svc, pod);
    groups.get(key)!.eps.set(epKey(e), e);
  }

  let changed = false;
  const toCreate: EndpointSlice[] = [];
  const toUpdate: EndpointSlice[] = [];
  const toDelete: EndpointSlice[] = [];
  const byPorts = new Map<string, EndpointSlice[]>();
  for (const s of existing) {
    const k = canonicalJson(s.ports ?? []);
    byPorts.set(k, [...(byPorts.get(k) ?? []), s]);
  }
  const wantLabels = sliceLabels(svc);
  for (const [k, g] of groups) {
    const slices = byPorts.get(k) ?? [];
    byPorts.delete(k);
    const desired = g.eps;
    const updated: EndpointSlice[] = [];
    const unchanged: EndpointSlice[] = [];
    for (const s of slices) {
      const kept: Endpoint[] = [];
      let epChanged = false;
      for (const e of s.endpoints ?? []) {
        const want = desired.get(epKey(e));
        if (want) {
          kept.push(want);
          if (canonicalJson(want) !== canonicalJson(e)) epChanged = true;
          desired.delete(epKey(e));
        }
      }
      const labelsChanged = canonicalJson(s.metadata.labels ?? {}) !== canonicalJson(wantLabels);
      if (epChanged || kept.length !== (s.endpoints ?? []).length) {
        if (kept.length === 0) toDelete.push(s);
        else {
          s.endpoints = kept;
          s.metadata.labels = wantLabels;
          updated.push(s);
        }
      } else if (labelsChanged) {
        s.metadata.labels = wantLabels;
        updated.push(s);
      } else unchanged.push(s);
    }
    // Remaining endpoints, in the order Go's map iteration (PopAny) would hand them out: random.
    const rest = [...desired.values()];
    const pop = () => rest.splice(randInt(state, rest.length), 1)[0];
    // 2. Fill the slices being updated, fullest first.
    updated.sort((a, b) => (b.endpoints ?? []).length - (a.endpoints ?? []).length);
    for (const s of updated) {
      while (rest.length > 0 && (s.endpoints ?? []).length < MAX_ENDPOINTS_PER_SLICE) (s.endpoints ??= []).push(pop());
    }
    // 3. Leftovers: an unchanged slice that can take them all (the fullest such), else new slices.
    if (rest.length > 0 && rest.length < MAX_ENDPOINTS_PER_SLICE) {
      const fits = unchanged
        .filter((s) => (s.endpoints ?? []).length + rest.length <= MAX_ENDPOINTS_PER_SLICE)
        .sort((a, b) => (b.endpoints ?? []).length - (a.endpoints ?? []).length)[0];
      if (fits) {
        while (rest.length > 0) (fits.endpoints ??= []).push(pop());
        updated.push(fits);
      }
    }
    while (rest.length > 0) {
      const eps: Endpoint[] = [];
      while (rest.length > 0 && eps.length < MAX_ENDPOINTS_PER_SLICE) eps.push(pop());
      toCreate.push(newSlice(state, svc, g.ports, eps));
    }
    toUpdate.push(...updated);
  }
  for (const slices of byPorts.values()) toDelete.push(...slices);
  // Placeholder: a selector Service with no endpoints keeps one empty slice.
  if (existing.length === toDelete.length && toCreate.length === 0) {
    const isPlaceholder = (s: EndpointSlice) => (s.ports ?? []).length === 0 && (s.endpoints ?? []).length === 0;
    if (toDelete.length === 1 && isPlaceholder(toDelete[0])) toDelete.length = 0;
    else toCreate.push(newSlice(state, svc, null, null));
  }
  // finalize: turn creates into updates of slices that would be deleted.
  while (toCreate.length > 0 && toDelete.length > 0) {
    const del = toDelete.shift()!;
    const c = toCreate.pop()!;
    del.endpoints = c.endpoints;
    del.ports = c.ports;
    del.metadata.labels = c.metadata.labels;
    toUpdate.push(del);
  }
  for (const s of toCreate) {
    createObject(state, s);
    changed = true;
  }
  for (const s of toUpdate) {
    s.metadata.annotations = { ...(s.metadata.annotations ?? {}), 'endpoints.kubernetes.io/last-change-trigger-time': nowTime(state) };
    touchObject(state, s);
    changed = true;
  }
  for (const s of toDelete) {
    removeObject(state, s);
    changed = true;
  }
  return changed;
}

/** Runs the controller over every Service; also drops managed slices whose Service is gone. */
export function syncEndpointSlices(state: ClusterState): boolean {
  let changed = false;
  const services = listObjects<Service>(state, 'Service');
  for (const svc of services) if (syncServiceSlices(state, svc)) changed = true;
  for (const s of listObjects<EndpointSlice>(state, 'EndpointSlice')) {
    if (s.metadata.labels?.[MANAGED_BY] !== CONTROLLER_NAME) continue;
    const svc = getObject<Service>(state, 'Service', s.metadata.namespace ?? 'default', s.metadata.labels?.[SERVICE_NAME_LABEL] ?? '');
    if (!svc || !isControlledBy(s, svc)) {
      removeObject(state, s);
      changed = true;
    }
  }
  return changed;
}
