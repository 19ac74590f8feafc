// kube-proxy's view of Services: one "service port" per spec.ports entry, for one IP family
// (pkg/proxy servicechangetracker + serviceport, pkg/api/v1/service helpers). Objects are taken
// as the API server hands them out; kube-proxy applies no defaults of its own.

import type { V1Service } from '../k8s/types.ts';
import { KubewireError } from '../errors.ts';
import { servicePortChains, type ServicePortChains } from './chain-names.ts';
import { parseCidrSloppy, parseIpSloppy, type IpFamily, type ParsedCidr } from './ip.ts';

/** Label that hands a Service to another proxy implementation; kube-proxy's informer ignores it. */
export const LABEL_SERVICE_PROXY_NAME = 'service.kubernetes.io/service-proxy-name';

export interface ServicePortInfo {
  namespace: string;
  name: string;
  /** Port name ("" when unnamed). */
  portName: string;
  /** "ns/name" or "ns/name:port" (ServicePortName.String()). */
  nameString: string;
  /** API protocol ("TCP", "UDP", "SCTP"). */
  protocol: string;
  /** Lower-case protocol as used in rules and hashes. */
  proto: string;
  clusterIP: string;
  port: number;
  nodePort: number;
  sessionAffinityClientIP: boolean;
  stickyMaxAgeSeconds: number;
  externalIPs: string[];
  loadBalancerVIPs: string[];
  loadBalancerSourceRanges: ParsedCidr[];
  healthCheckNodePort: number;
  externalPolicyLocal: boolean;
  internalPolicyLocal: boolean;
  chains: ServicePortChains;
}

/** Map key of a service port: ServicePortName + protocol. */
export function servicePortKey(namespace: string, name: string, portName: string, protocol: string): string {
  return `${namespace}/${name}:${portName}/${protocol}`;
}

export function portKey(sp: ServicePortInfo): string {
  return servicePortKey(sp.namespace, sp.name, sp.portName, sp.protocol);
}

export function externallyAccessiblePort(sp: ServicePortInfo): boolean {
  return sp.nodePort !== 0 || sp.loadBalancerVIPs.length > 0 || sp.externalIPs.length > 0;
}

export function usesClusterEndpoints(sp: ServicePortInfo): boolean {
  return !sp.internalPolicyLocal || externallyAccessiblePort(sp);
}

export function usesLocalEndpoints(sp: ServicePortInfo): boolean {
  return sp.internalPolicyLocal || (sp.externalPolicyLocal && externallyAccessiblePort(sp));
}

function objName(svc: V1Service): string {
  return `Service ${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`;
}

/** The cluster IP of `family` (GetClusterIPByFamily), or "" if the Service has none. */
export function clusterIPOfFamily(svc: V1Service, family: IpFamily): string {
  const spec = svc.spec ?? {};
  const ips = spec.clusterIPs ?? [];
  if (ips.length === 0) {
    const ip = spec.clusterIP ? parseIpSloppy(spec.clusterIP) : undefined;
    return ip && ip.family === family ? spec.clusterIP! : '';
  }
  for (const s of ips) {
    const ip = parseIpSloppy(s);
    if (ip && ip.family === family) return s;
  }
  return '';
}

function serviceExternallyAccessible(svc: V1Service): boolean {
  const t = svc.spec?.type ?? '';
  return t === 'LoadBalancer' || t === 'NodePort' || (t === 'ClusterIP' && (svc.spec?.externalIPs ?? []).length > 0);
}

/**
 * Service ports kube-proxy programs for `family`. Skipped entirely (empty result): Services
 * without a cluster IP ("" or "None", i.e. headless), ExternalName Services, Services with
 * the service-proxy-name label, and Services without a cluster IP of this family.
 * Throws a KubewireError for objects the API server could never return (kube-proxy would crash).
 */
export function servicePortsOf(svc: V1Service, family: IpFamily): ServicePortInfo[] {
  const spec = svc.spec ?? {};
  const namespace = svc.metadata?.namespace ?? '';
  const name = svc.metadata?.name ?? '';
  if (svc.metadata?.labels?.[LABEL_SERVICE_PROXY_NAME] !== undefined) return [];
  if (!spec.clusterIP || spec.clusterIP === 'None') return [];
  if (spec.type === 'ExternalName') return [];
  const cipText = clusterIPOfFamily(svc, family);
  if (cipText === '') return [];
  const cip = parseIpSloppy(cipText)!;

  const externalPolicyLocal = serviceExternallyAccessible(svc) && spec.externalTrafficPolicy === 'Local';
  const internalPolicyLocal = spec.internalTrafficPolicy === 'Local';
  const clientIP = spec.sessionAffinity === 'ClientIP';
  let sticky = 0;
  if (clientIP) {
    const t = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (t === undefined || t === null) {
      throw new KubewireError(
        `${objName(svc)}: sessionAffinity is ClientIP but spec.sessionAffinityConfig.clientIP.timeoutSeconds is not set ` +
          '(the API server always sets it, default 10800; kube-proxy would crash on this object)',
      );
    }
    sticky = Number(t);
  }

  const externalIPs: string[] = [];
  for (const s of spec.externalIPs ?? []) {
    const ip = parseIpSloppy(s);
    if (ip && ip.family === family) externalIPs.push(ip.text);
  }
  const sourceRanges: ParsedCidr[] = [];
  for (const s of spec.loadBalancerSourceRanges ?? []) {
    const c = parseCidrSloppy(String(s).trim());
    if (c && c.family === family) sourceRanges.push(c);
  }
  const vips: string[] = [];
  for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
    if (!ing.ip) continue;
    // LoadBalancerIPMode: "Proxy" load balancers are not short-circuited by kube-proxy.
    if (ing.ipMode !== undefined && ing.ipMode !== null && ing.ipMode !== 'VIP') continue;
    const ip = parseIpSloppy(ing.ip);
    if (ip && ip.family === family) vips.push(ip.text);
  }
  let hcnp = 0;
  if (spec.type === 'LoadBalancer' && externalPolicyLocal) hcnp = Number(spec.healthCheckNodePort ?? 0);

  const out = new Map<string, ServicePortInfo>();
  (spec.ports ?? []).forEach((p, i) => {
    if (!p.protocol) {
      throw new KubewireError(
        `${objName(svc)}: spec.ports[${i}].protocol is not set (the API server always sets it; kube-proxy needs it)`,
      );
    }
    const portName = p.name ?? '';
    const nameString = portName === '' ? `${namespace}/${name}` : `${namespace}/${name}:${portName}`;
    const proto = p.protocol.toLowerCase();
    const info: ServicePortInfo = {
      namespace,
      name,
      portName,
      nameString,
      protocol: p.protocol,
      proto,
      clusterIP: cip.text,
      port: Number(p.port),
      nodePort: Number(p.nodePort ?? 0),
      sessionAffinityClientIP: clientIP,
      stickyMaxAgeSeconds: sticky,
      externalIPs,
      loadBalancerVIPs: vips,
      loadBalancerSourceRanges: sourceRanges,
      healthCheckNodePort: hcnp,
      externalPolicyLocal,
      internalPolicyLocal,
      chains: servicePortChains(nameString, proto),
    };
    // Same name and protocol twice (rejected by validation): the later entry wins, as in kube-proxy's map.
    out.set(portKey(info), info);
  });
  return [...out.values()];
}
