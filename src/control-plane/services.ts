// The Service registry's create/update path (pkg/registry/core/service/storage): defaults the
// fields the strategy sets, allocates ClusterIPs and NodePorts (and healthCheckNodePort for
// LoadBalancer + externalTrafficPolicy Local), keeps them across updates, and reports failures
// with the API server's field errors. LoadBalancer Services get the hostname of the classic ELB
// the AWS cloud provider creates for them.

import { KubewireError } from '../errors.ts';
import type { KObject, V1Service } from '../k8s/types.ts';
import { randString } from '../k8s/rand.ts';
import type { ClusterState } from './types.ts';
import { listObjects, objectKey } from './store.ts';
import { AllocationError, ClusterIpAllocator, NodePortAllocator } from './allocators.ts';
import { recordEvent } from './events.ts';

type Service = V1Service & KObject;

function invalid(svc: Service, field: string, value: string, detail: string): KubewireError {
  return new KubewireError(`The Service "${svc.metadata.name}" is invalid: ${field}: Invalid value: ${value}: ${detail}`);
}

function usedClusterIps(state: ClusterState, except: string): Set<string> {
  const used = new Set<string>();
  for (const s of listObjects<Service>(state, 'Service')) {
    if (objectKey(s) === except) continue;
    for (const ip of s.spec?.clusterIPs ?? (s.spec?.clusterIP ? [s.spec.clusterIP] : [])) if (ip && ip !== 'None') used.add(ip);
  }
  return used;
}

function usedNodePorts(state: ClusterState, except: string): Set<number> {
  const used = new Set<number>();
  for (const s of listObjects<Service>(state, 'Service')) {
    if (objectKey(s) === except) continue;
    for (const p of s.spec?.ports ?? []) if (p.nodePort) used.add(p.nodePort);
    if (s.spec?.healthCheckNodePort) used.add(s.spec.healthCheckNodePort);
  }
  return used;
}

/**
 * Prepares a Service for storage (create when `old` is absent, update otherwise): defaults,
 * ClusterIP and NodePort allocation. Throws KubewireError with the API server's message.
 */
export function admitService(state: ClusterState, svc: Service, old?: Service): void {
  const spec = (svc.spec ??= {});
  const type = (spec.type ??= 'ClusterIP');
  spec.sessionAffinity ??= 'None';
  for (const p of spec.ports ?? []) {
    p.protocol ??= 'TCP';
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === '' || p.targetPort === 0) p.targetPort = p.port;
  }
  if (type === 'ExternalName') return;
  spec.internalTrafficPolicy ??= 'Cluster';
  if (type === 'NodePort' || type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
  spec.ipFamilies ??= ['IPv4'];
  spec.ipFamilyPolicy ??= 'SingleStack';
  if (type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;

  const key = objectKey(svc);
  // ClusterIP.
  const requested = spec.clusterIP ?? spec.clusterIPs?.[0];
  if (old?.spec?.clusterIP) {
    if (requested && requested !== old.spec.clusterIP) {
      throw invalid(svc, 'spec.clusterIPs[0]', `[]string{"${requested}"}`, 'may not change once set');
    }
    spec.clusterIP = old.spec.clusterIP;
    spec.clusterIPs = old.spec.clusterIPs ?? [old.spec.clusterIP];
  } else if (requested === 'None') {
    spec.clusterIP = 'None';
    spec.clusterIPs = ['None'];
  } else {
    const alloc = new ClusterIpAllocator(state.spec.serviceIPv4CIDR, usedClusterIps(state, key));
    if (requested) {
      try {
        alloc.allocate(requested);
      } catch (e) {
        if (e instanceof AllocationError) {
          throw invalid(svc, 'spec.clusterIPs', `[]string{"${requested}"}`, `failed to allocate IP ${requested}: ${e.detail}`);
        }
        throw e;
      }
      spec.clusterIP = requested;
    } else {
      try {
        spec.clusterIP = alloc.allocateNext(state);
      } catch (e) {
        if (e instanceof AllocationError) {
          throw new KubewireError(`Internal error occurred: failed to allocate a serviceIP: ${e.detail}`);
        }
        throw e;
      }
    }
    spec.clusterIPs = [spec.clusterIP];
  }

  // NodePorts.
  const needNodePorts = type === 'NodePort' || (type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
  const ports = new NodePortAllocator(usedNodePorts(state, key));
  const inThis = new Set<number>();
  (spec.ports ?? []).forEach((p, i) => {
    const prev = old?.spec?.ports?.find((o) => o.port === p.port && (o.protocol ?? 'TCP') === p.protocol);
    if (!needNodePorts) {
      delete p.nodePort;
      return;
    }
    const want = p.nodePort ?? prev?.nodePort;
    if (want !== undefined) {
      if (inThis.has(want)) return; // the same port shared across protocols
      try {
        ports.allocate(want);
      } catch (e) {
        if (e instanceof AllocationError) throw invalid(svc, `spec.ports[${i}].nodePort`, String(want), e.detail);
        throw e;
      }
      p.nodePort = want;
    } else {
      p.nodePort = ports.allocateNext(state);
    }
    inThis.add(p.nodePort);
  });
  if (type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local') {
    const want = spec.healthCheckNodePort ?? old?.spec?.healthCheckNodePort;
    if (want !== undefined) {
      try {
        ports.allocate(want);
      } catch (e) {
        if (e instanceof AllocationError) throw invalid(svc, 'spec.healthCheckNodePort', String(want), e.detail);
        throw e;
      }
      spec.healthCheckNodePort = want;
    } else spec.healthCheckNodePort = ports.allocateNext(state);
  } else delete spec.healthCheckNodePort;

  // LoadBalancer: the in-tree AWS cloud provider's classic ELB.
  if (type === 'LoadBalancer') {
    const prevHost = old?.status?.loadBalancer?.ingress?.[0]?.hostname;
    const lbName = `a${(svc.metadata.uid ?? '').replace(/-/g, '')}`.slice(0, 32);
    const digits = randString(state, 10).replace(/./g, (c) => String(c.charCodeAt(0) % 10));
    const hostname = prevHost ?? `${lbName}-${digits}.${state.spec.region}.elb.amazonaws.com`;
    svc.status = { loadBalancer: { ingress: [{ hostname }] } } as never;
    if (!prevHost) {
      recordEvent(state, svc, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer', 'service-controller');
      recordEvent(state, svc, 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer', 'service-controller');
    }
  } else {
    svc.status = { loadBalancer: {} } as never;
  }
}
