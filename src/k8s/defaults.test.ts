import { describe, expect, it } from 'vitest';
import type { KObject } from './types.ts';
import { defaultObject, imageTag, registryCreateDefaults } from './defaults.ts';

const k = (o: Record<string, unknown>): KObject => o as unknown as KObject;
type Any = Record<string, any>;

describe('imageTag (parsers.ParseImageName)', () => {
  it('finds tags, ignores registry ports, treats a bare digest as no tag', () => {
    expect(imageTag('nginx')).toBe('latest');
    expect(imageTag('nginx:1.27')).toBe('1.27');
    expect(imageTag('registry:5000/team/app')).toBe('latest');
    expect(imageTag('registry:5000/team/app:v2')).toBe('v2');
    expect(imageTag('busybox@sha256:abcd')).toBe('');
  });
});

describe('Pod defaults', () => {
  const pod = defaultObject(
    k({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        containers: [
          { name: 'a', image: 'nginx', ports: [{ containerPort: 80 }], readinessProbe: { httpGet: { port: 80 } } },
          { name: 'b', image: 'busybox:1.36', resources: { limits: { cpu: '1' } } },
        ],
      },
    }),
  ) as Any;

  it('fills the pod spec like SetDefaults_PodSpec and SetDefaults_Pod', () => {
    expect(pod.metadata.namespace).toBe('default');
    expect(pod.spec).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      terminationGracePeriodSeconds: 30,
      securityContext: {},
      enableServiceLinks: true,
    });
  });

  it('fills containers: pull policy from the tag, termination message, port protocol, probe', () => {
    const [a, b] = pod.spec.containers;
    expect(a.imagePullPolicy).toBe('Always');
    expect(b.imagePullPolicy).toBe('IfNotPresent');
    expect(a.terminationMessagePath).toBe('/dev/termination-log');
    expect(a.terminationMessagePolicy).toBe('File');
    expect(a.ports[0].protocol).toBe('TCP');
    expect(a.readinessProbe).toEqual({ httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    expect(b.resources.requests).toEqual({ cpu: '1' });
  });

  it('copies containerPort to hostPort for hostNetwork pods only', () => {
    const hn = defaultObject(k({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { hostNetwork: true, containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 9100 }] }] } })) as Any;
    expect(hn.spec.containers[0].ports[0].hostPort).toBe(9100);
  });

  it('does not modify its input and keeps explicit values', () => {
    const input = k({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'kube-system' }, spec: { restartPolicy: 'Never', containers: [{ name: 'a', image: 'x', imagePullPolicy: 'Never' }] } });
    const out = defaultObject(input) as Any;
    expect((input as Any).spec.dnsPolicy).toBeUndefined();
    expect(out.metadata.namespace).toBe('kube-system');
    expect(out.spec.restartPolicy).toBe('Never');
    expect(out.spec.containers[0].imagePullPolicy).toBe('Never');
  });
});

describe('workload defaults', () => {
  it('Deployment: replicas 1, RollingUpdate 25%/25%, history 10, deadline 600, template spec defaults', () => {
    const d = defaultObject(k({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx' }] } } } })) as Any;
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    expect(d.spec.revisionHistoryLimit).toBe(10);
    expect(d.spec.progressDeadlineSeconds).toBe(600);
    expect(d.spec.template.spec.restartPolicy).toBe('Always');
    // enableServiceLinks is a Pod-only default
    expect(d.spec.template.spec.enableServiceLinks).toBeUndefined();
  });

  it('Deployment with Recreate gets no rollingUpdate', () => {
    const d = defaultObject(k({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { strategy: { type: 'Recreate' }, template: {} } })) as Any;
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
  });

  it('DaemonSet: RollingUpdate maxUnavailable 1, maxSurge 0, history 10', () => {
    const d = defaultObject(k({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'd' }, spec: { template: { spec: { containers: [] } } } })) as Any;
    expect(d.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    expect(d.spec.revisionHistoryLimit).toBe(10);
  });

  it('ReplicaSet: replicas 1', () => {
    expect((defaultObject(k({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'r' }, spec: {} })) as Any).spec.replicas).toBe(1);
  });
});

describe('Service defaults', () => {
  it('ClusterIP: type, affinity, protocol, targetPort = port, internalTrafficPolicy; no externalTrafficPolicy', () => {
    const s = defaultObject(k({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { selector: { app: 'x' }, ports: [{ port: 8080 }] } })) as Any;
    expect(s.spec).toEqual({
      selector: { app: 'x' },
      ports: [{ port: 8080, protocol: 'TCP', targetPort: 8080 }],
      sessionAffinity: 'None',
      type: 'ClusterIP',
      internalTrafficPolicy: 'Cluster',
    });
  });

  it('LoadBalancer: externalTrafficPolicy Cluster and allocateLoadBalancerNodePorts true', () => {
    const s = defaultObject(k({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'LoadBalancer', ports: [{ port: 80, targetPort: 'http' }] } })) as Any;
    expect(s.spec.externalTrafficPolicy).toBe('Cluster');
    expect(s.spec.allocateLoadBalancerNodePorts).toBe(true);
    expect(s.spec.ports[0].targetPort).toBe('http');
  });

  it('ClientIP affinity gets the 10800 s timeout; ExternalName gets no traffic policies', () => {
    const s = defaultObject(k({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { sessionAffinity: 'ClientIP', ports: [{ port: 80 }] } })) as Any;
    expect(s.spec.sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 10800 } });
    const e = defaultObject(k({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'ExternalName', externalName: 'example.com' } })) as Any;
    expect(e.spec.internalTrafficPolicy).toBeUndefined();
    expect(e.spec.externalTrafficPolicy).toBeUndefined();
  });

  it('registry create defaults: SingleStack IPv4, headless without selector RequireDualStack', () => {
    const s = registryCreateDefaults(defaultObject(k({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { selector: { a: 'b' }, ports: [{ port: 80 }] } }))) as Any;
    expect(s.spec.ipFamilyPolicy).toBe('SingleStack');
    expect(s.spec.ipFamilies).toEqual(['IPv4']);
    const h = registryCreateDefaults(k({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } })) as Any;
    expect(h.spec.ipFamilyPolicy).toBe('RequireDualStack');
    expect(h.spec.clusterIPs).toEqual(['None']);
  });

  it('registry create drops a client-supplied status', () => {
    const s = registryCreateDefaults(k({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: {}, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } })) as Any;
    expect(s.status).toBeUndefined();
  });
});

describe('other kinds', () => {
  it('NetworkPolicy: policyTypes inferred, port protocol TCP', () => {
    const a = defaultObject(k({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'n' }, spec: { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] } })) as Any;
    expect(a.spec.policyTypes).toEqual(['Ingress']);
    expect(a.spec.ingress[0].ports[0].protocol).toBe('TCP');
    const b = defaultObject(k({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'n' }, spec: { podSelector: {}, egress: [{}] } })) as Any;
    expect(b.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    const c = defaultObject(k({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'n' }, spec: { podSelector: {}, policyTypes: ['Egress'] } })) as Any;
    expect(c.spec.policyTypes).toEqual(['Egress']);
  });

  it('Namespace: metadata.name label, not namespaced; registry adds finalizer and phase', () => {
    const n = registryCreateDefaults(defaultObject(k({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } }))) as Any;
    expect(n.metadata.namespace).toBeUndefined();
    expect(n.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'team' });
    expect(n.spec).toEqual({ finalizers: ['kubernetes'] });
    expect(n.status).toEqual({ phase: 'Active' });
  });

  it('EndpointSlice: port name "" and protocol TCP', () => {
    const e = defaultObject(k({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'e' }, addressType: 'IPv4', ports: [{ port: 80 }] })) as Any;
    expect(e.ports).toEqual([{ port: 80, name: '', protocol: 'TCP' }]);
  });
});
