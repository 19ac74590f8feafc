// kube-proxy's view of EndpointSlices (pkg/proxy endpointslicecache + topology.go): endpoints per
// service port, deduplicated and sorted, and the per-sync choice of which endpoints are used.

import type { V1EndpointSlice } from '../k8s/types.ts';
import { KubewireError } from '../errors.ts';
import { endpointChain } from './chain-names.ts';
import { canonicalIPv4, parseIpSloppy, type IpFamily } from './ip.ts';
import { servicePortKey, usesClusterEndpoints, usesLocalEndpoints, type ServicePortInfo } from './service-ports.ts';

export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
/** EndpointSlices of headless Services carry this label; kube-proxy's informer skips them. */
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';
export const LABEL_TOPOLOGY_ZONE = 'topology.kubernetes.io/zone';

const NO_HINTS: ReadonlySet<string> = new Set();

function hintSet(list: { name: string }[] | undefined): ReadonlySet<string> {
  return list && list.length > 0 ? new Set(list.map((h) => h.name)) : NO_HINTS;
}

export interface EndpointInfo {
  /** Canonical IP text. */
  ip: string;
  port: number;
  /** "ip:port" / "[ip]:port". */
  endpoint: string;
  isLocal: boolean;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  zoneHints: ReadonlySet<string>;
  nodeHints: ReadonlySet<string>;
  /** KUBE-SEP chain name, computed once (an EndpointInfo belongs to one service port). */
  chain?: string;
}

/**
 * Endpoints per service-port key (see servicePortKey), each list sorted by endpoint string.
 * Slices are grouped by the Service named in their kubernetes.io/service-name label.
 */
export function endpointsBySlicePort(
  slices: V1EndpointSlice[],
  family: IpFamily,
  nodeName: string,
  preferSameNode: boolean,
): Map<string, EndpointInfo[]> {
  const sets = new Map<string, Map<string, EndpointInfo>>();
  const wantType = family;
  // Process slices in a stable order (kube-proxy's merge order is a map walk; only duplicates care).
  const ordered = [...slices].sort((a, b) => {
    const ka = `${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`;
    const kb = `${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  for (const slice of ordered) {
    const labels = slice.metadata?.labels ?? {};
    if (labels[LABEL_HEADLESS] !== undefined) continue;
    const svcName = labels[LABEL_SERVICE_NAME];
    const ns = slice.metadata?.namespace ?? '';
    if (!svcName || ns === '' || !slice.metadata?.name) continue; // kube-proxy logs and ignores it
    if (slice.addressType !== wantType) continue; // other family or FQDN
    (slice.ports ?? []).forEach((p, i) => {
      if (p.name === undefined || p.name === null) return; // "ignoring port with nil name"
      if (p.port === undefined || p.port === null || p.port === 0) return; // "ignoring invalid endpoint port"
      if (!p.protocol) {
        throw new KubewireError(
          `EndpointSlice ${ns}/${slice.metadata!.name}: ports[${i}].protocol is not set ` +
            '(the API server always sets it; kube-proxy would crash on this object)',
        );
      }
      const key = servicePortKey(ns, svcName, p.name, p.protocol);
      let set = sets.get(key);
      if (!set) sets.set(key, (set = new Map()));
      for (const ep of slice.endpoints ?? []) {
        const addr = ep.addresses?.[0];
        if (addr === undefined) continue; // "ignoring invalid endpoint port ... with empty addresses"
        let ipText: string | undefined;
        if (family === 'IPv4') {
          ipText = canonicalIPv4(addr);
        } else {
          const ip = parseIpSloppy(addr);
          if (ip && ip.family === 'IPv6') ipText = ip.text;
        }
        if (ipText === undefined) continue;
        const c = ep.conditions ?? {};
        const port = Number(p.port);
        const info: EndpointInfo = {
          ip: ipText,
          port,
          endpoint: family === 'IPv6' ? `[${ipText}]:${port}` : `${ipText}:${port}`,
          isLocal: nodeName !== '' && ep.nodeName === nodeName,
          ready: c.ready === undefined || c.ready === null || c.ready === true,
          serving: c.serving === undefined || c.serving === null || c.serving === true,
          terminating: c.terminating === true,
          zoneHints: hintSet(ep.hints?.forZones),
          nodeHints: preferSameNode ? hintSet((ep.hints as { forNodes?: { name: string }[] } | undefined)?.forNodes) : NO_HINTS,
        };
        const prev = set.get(info.endpoint);
        // Duplicates collapse: a later copy replaces an earlier one unless it is terminating
        // (prefer the running pod when a terminating pod's IP was reused).
        if (!prev || !info.terminating) set.set(info.endpoint, info);
      }
    });
  }
  const out = new Map<string, EndpointInfo[]>();
  for (const [k, set] of sets) {
    if (set.size === 0) continue;
    const list = [...set.values()];
    list.sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0));
    out.set(k, list);
  }
  return out;
}

export interface Categorized {
  clusterEndpoints: EndpointInfo[];
  localEndpoints: EndpointInfo[];
  /** Endpoints that get KUBE-SEP chains, sorted by endpoint string. */
  allReachable: EndpointInfo[];
  hasAnyEndpoints: boolean;
}

function topologyMode(endpoints: EndpointInfo[], nodeName: string, zone: string, preferSameNode: boolean): string {
  let hasForNode = false;
  let allNodeHints = true;
  let hasForZone = false;
  let allZoneHints = true;
  for (const ep of endpoints) {
    if (!ep.ready) continue;
    if (ep.nodeHints.size === 0) allNodeHints = false;
    else if (ep.nodeHints.has(nodeName)) hasForNode = true;
    if (ep.zoneHints.size === 0) allZoneHints = false;
    else if (ep.zoneHints.has(zone)) hasForZone = true;
  }
  if (preferSameNode && allNodeHints && hasForNode) return 'PreferSameNode';
  if (allZoneHints && hasForZone) return 'PreferSameZone';
  return '';
}

function availableForTopology(ep: EndpointInfo, mode: string, nodeName: string, zone: string): boolean {
  if (mode === '') return true;
  if (mode === 'PreferSameNode') return ep.nodeHints.has(nodeName);
  return ep.zoneHints.has(zone);
}

/** CategorizeEndpoints: which endpoints Cluster and Local traffic policy use on this node. */
export function categorizeEndpoints(
  endpoints: EndpointInfo[],
  sp: ServicePortInfo,
  nodeName: string,
  nodeLabels: Record<string, string>,
  preferSameNode: boolean,
): Categorized {
  let mode = '';
  let clusterEndpoints: EndpointInfo[] = [];
  let localEndpoints: EndpointInfo[] = [];
  let hasAny = false;
  let useServingTerminating = false;
  const usesCluster = usesClusterEndpoints(sp);
  if (usesCluster) {
    const zone = nodeLabels[LABEL_TOPOLOGY_ZONE] ?? '';
    mode = topologyMode(endpoints, nodeName, zone, preferSameNode);
    clusterEndpoints = endpoints.filter((ep) => ep.ready && availableForTopology(ep, mode, nodeName, zone));
    if (clusterEndpoints.length === 0) clusterEndpoints = endpoints.filter((ep) => ep.serving && ep.terminating);
    if (clusterEndpoints.length > 0) hasAny = true;
  }
  if (!usesLocalEndpoints(sp)) {
    return { clusterEndpoints, localEndpoints, allReachable: clusterEndpoints, hasAnyEndpoints: hasAny };
  }
  let localReady = false;
  let localServingTerminating = false;
  for (const ep of endpoints) {
    if (ep.ready) {
      hasAny = true;
      if (ep.isLocal) localReady = true;
    } else if (ep.serving && ep.terminating) {
      hasAny = true;
      if (ep.isLocal) localServingTerminating = true;
    }
  }
  if (localReady) {
    localEndpoints = endpoints.filter((ep) => ep.isLocal && ep.ready);
  } else if (localServingTerminating) {
    useServingTerminating = true;
    localEndpoints = endpoints.filter((ep) => ep.isLocal && ep.serving && ep.terminating);
  }
  if (!usesCluster) {
    return { clusterEndpoints, localEndpoints, allReachable: localEndpoints, hasAnyEndpoints: hasAny };
  }
  if (mode === '' && !useServingTerminating) {
    return { clusterEndpoints, localEndpoints, allReachable: clusterEndpoints, hasAnyEndpoints: hasAny };
  }
  const union = new Map<string, EndpointInfo>();
  for (const ep of clusterEndpoints) union.set(ep.endpoint, ep);
  for (const ep of localEndpoints) union.set(ep.endpoint, ep);
  const allReachable = [...union.values()].sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0));
  return { clusterEndpoints, localEndpoints, allReachable, hasAnyEndpoints: hasAny };
}

/** KUBE-SEP chain of an endpoint of a service port. */
export function sepChain(sp: ServicePortInfo, ep: EndpointInfo): string {
  return (ep.chain ??= endpointChain(sp.nameString, sp.proto, ep.endpoint));
}
