// Small builders for Services and EndpointSlices used by the kube-proxy tests, shaped like the
// upstream kube-proxy unit tests' makeTestService / makeTestEndpointSlice helpers.
import type { V1EndpointSlice, V1Service } from '../../k8s/types.ts';

export function svc(ns: string, name: string, spec: Record<string, unknown>, status?: Record<string, unknown>): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: ns, name },
    spec: { sessionAffinity: 'None', ...spec },
    ...(status ? { status } : {}),
  } as V1Service;
}

export function slice(
  ns: string,
  svcName: string,
  n: number,
  endpoints: Record<string, unknown>[],
  ports: Record<string, unknown>[],
  addressType = 'IPv4',
): V1EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: ns, name: `${svcName}-${n}`, labels: { 'kubernetes.io/service-name': svcName } },
    addressType,
    endpoints,
    ports,
  } as unknown as V1EndpointSlice;
}

export const p80 = [{ name: 'p80', port: 80, protocol: 'TCP' }];

/** The configuration of the upstream unit tests' fake proxier (NewFakeProxier). */
export const upstreamTestConfig = {
  nodeName: 'test-node',
  nodeIPs: ['192.168.0.2'],
  clusterCIDR: '10.0.0.0/8',
  masqueradeMark: '0x4000',
  randomFully: false,
  localhostNodePorts: true,
  nfacctCounters: ['ct_state_invalid_dropped_pkts', 'localhost_nps_accepted_pkts'],
};

export function dedent(s: string): string {
  const lines = s.replace(/^\n/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^\s*/.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n').replace(/\s+$/, '') + '\n';
}
