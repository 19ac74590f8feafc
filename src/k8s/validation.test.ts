import { describe, expect, it } from 'vitest';
import type { KObject } from './types.ts';
import { defaultObject } from './defaults.ts';
import {
  goValue,
  invalidMessage,
  isDNS1035Label,
  isDNS1123Label,
  isQualifiedName,
  isValidPortName,
  selectorMatches,
  validateObject,
} from './validation.ts';

const k = (o: Record<string, unknown>): KObject => o as unknown as KObject;
/** Defaults then validates, returning the messages (what the API server does on create). */
const check = (o: Record<string, unknown>, opts = {}): string[] => validateObject(defaultObject(k(o)), opts).map((e) => e.message);

const deploy = (spec: Record<string, unknown>, name = 'nginx') => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'nginx' } },
    template: { metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }] }] } },
    ...spec,
  },
});
const svc = (spec: Record<string, unknown>, name = 'nginx') => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: 'nginx' }, ...spec } });

describe('string checks (apimachinery util/validation)', () => {
  it('RFC 1123 label message with the double space in the examples', () => {
    expect(isDNS1123Label('Nginx')).toEqual([
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ]);
    expect(isDNS1123Label('a'.repeat(64))[0]).toBe('must be no more than 63 characters');
  });

  it('DNS-1035 label rejects a leading digit', () => {
    expect(isDNS1035Label('1web')[0]).toMatch(/^a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character/);
    expect(isDNS1035Label('web-1')).toEqual([]);
  });

  it('qualified names and port names', () => {
    expect(isQualifiedName('example.com/app')).toEqual([]);
    expect(isQualifiedName('a/b/c')[0]).toMatch(/^a qualified name must consist of/);
    expect(isValidPortName('http')).toEqual([]);
    expect(isValidPortName('8080')).toEqual(['must contain at least one letter (a-z)']);
    expect(isValidPortName('http--alt')).toEqual(['must not contain consecutive hyphens (-)']);
    expect(isValidPortName('a-very-long-port-name')).toEqual(['must be no more than 15 characters']);
  });

  it('Go value rendering', () => {
    expect(goValue('x')).toBe('"x"');
    expect(goValue('a\tb\u0001"\\é')).toBe('"a\\tb\\x01\\"\\\\é"');
    expect(goValue(70000)).toBe('70000');
    expect(goValue({ tier: 'web', app: 'nginx' })).toBe('map[string]string{"app":"nginx", "tier":"web"}');
    expect(goValue(['Ingress', 'Egress'])).toBe('[]string{"Ingress", "Egress"}');
  });

  it('label selector matching', () => {
    const sel = { matchLabels: { app: 'a' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }, { key: 'canary', operator: 'DoesNotExist' }] };
    expect(selectorMatches(sel, { app: 'a', tier: 'web' })).toBe(true);
    expect(selectorMatches(sel, { app: 'a', tier: 'db' })).toBe(false);
    expect(selectorMatches(sel, { app: 'a', tier: 'web', canary: 'y' })).toBe(false);
  });
});

describe('Service validation', () => {
  it('accepts the example Service', () => {
    expect(check(svc({ ports: [{ port: 8080, targetPort: 80 }] }))).toEqual([]);
  });

  it('port out of range', () => {
    expect(check(svc({ ports: [{ port: 70000, targetPort: 80 }] }))).toEqual(['spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive']);
  });

  it('ports required, names required and unique when several', () => {
    expect(check(svc({}))).toEqual(['spec.ports: Required value']);
    expect(check(svc({ ports: [{ port: 80 }, { port: 443 }] }))).toEqual(['spec.ports[0].name: Required value', 'spec.ports[1].name: Required value']);
    expect(check(svc({ ports: [{ name: 'web', port: 80 }, { name: 'web', port: 443 }] }))).toEqual(['spec.ports[1].name: Duplicate value: "web"']);
  });

  it('duplicate port/protocol pairs', () => {
    expect(check(svc({ ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80, targetPort: 81 }] }))).toEqual([
      'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
    ]);
  });

  it('name is a DNS-1035 label', () => {
    expect(check(svc({ ports: [{ port: 80 }] }, '1nginx'))[0]).toMatch(/^metadata\.name: Invalid value: "1nginx": a DNS-1035 label/);
  });

  it('targetPort range and named targetPort rules', () => {
    expect(check(svc({ ports: [{ port: 80, targetPort: 0x10000 }] }))).toEqual(['spec.ports[0].targetPort: Invalid value: 65536: must be between 1 and 65535, inclusive']);
    expect(check(svc({ ports: [{ port: 80, targetPort: 'Http' }] }))).toEqual([
      'spec.ports[0].targetPort: Invalid value: "Http": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    ]);
  });

  it('protocol and type must be supported', () => {
    expect(check(svc({ ports: [{ port: 80, protocol: 'ICMP' }] }))).toEqual(['spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"']);
    expect(check(svc({ type: 'Internal', ports: [{ port: 80 }] }))).toContain(
      'spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    );
  });

  it('nodePort: forbidden on ClusterIP, out of range reported by the allocator, duplicates', () => {
    expect(check(svc({ ports: [{ port: 80, nodePort: 30080 }] }))).toEqual(["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]);
    expect(check(svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] }))).toEqual([
      'spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767',
    ]);
    expect(check(svc({ type: 'NodePort', ports: [{ name: 'a', port: 80, nodePort: 30080 }, { name: 'b', port: 81, nodePort: 30080 }] }))).toEqual([
      'spec.ports[1].nodePort: Duplicate value: 30080',
    ]);
  });

  it('clusterIP must be an IP inside the service CIDR', () => {
    expect(check(svc({ clusterIP: '10.100.0.300', ports: [{ port: 80 }] }))).toEqual([
      'spec.clusterIPs[0]: Invalid value: "10.100.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    ]);
    expect(check(svc({ clusterIP: '10.0.0.10', ports: [{ port: 80 }] }), { serviceCIDR: '10.100.0.0/16' })).toEqual([
      'spec.clusterIPs: Invalid value: []string{"10.0.0.10"}: failed to allocate IP 10.0.0.10: provided IP is not in the valid range. The range of valid IPs is 10.100.0.0/16',
    ]);
    expect(check(svc({ clusterIP: '10.100.0.10', ports: [{ port: 80 }] }), { serviceCIDR: '10.100.0.0/16' })).toEqual([]);
  });

  it('externalTrafficPolicy only for externally reachable services', () => {
    expect(check(svc({ externalTrafficPolicy: 'Local', ports: [{ port: 80 }] }))).toEqual([
      'spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services',
    ]);
  });

  it('NodePort/LoadBalancer may not be headless; LB may not expose the kubelet port', () => {
    expect(check(svc({ type: 'NodePort', clusterIP: 'None', ports: [{ port: 80 }] }))).toEqual([
      'spec.clusterIPs[0]: Invalid value: "None": may not be set to \'None\' for NodePort services',
    ]);
    expect(check(svc({ type: 'LoadBalancer', ports: [{ port: 10250 }] }))).toEqual([
      'spec.ports[0]: Invalid value: 10250: may not expose port 10250 externally since it is used by kubelet',
    ]);
  });

  it('load-balancer-only fields on other types', () => {
    expect(check(svc({ ports: [{ port: 80 }], loadBalancerSourceRanges: ['10.0.0.0/8', 'x'] }))).toEqual([
      "spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'",
      'spec.LoadBalancerSourceRanges[1]: Invalid value: "x": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
    ]);
    expect(check(svc({ type: 'NodePort', ports: [{ port: 80 }], allocateLoadBalancerNodePorts: false }))).toEqual([
      "spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is 'LoadBalancer'",
    ]);
  });

  it('headless services may have no ports', () => {
    expect(check(svc({ clusterIP: 'None' }))).toEqual([]);
  });
});

describe('Deployment validation', () => {
  it('accepts the example', () => {
    expect(check(deploy({}))).toEqual([]);
  });

  it('selector must match template labels', () => {
    expect(check(deploy({ selector: { matchLabels: { app: 'web' } } }))).toEqual([
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"nginx"}: `selector` does not match template `labels`',
    ]);
  });

  it('template without labels prints a nil map', () => {
    expect(check(deploy({ template: { spec: { containers: [{ name: 'c', image: 'x' }] } } }))).toEqual([
      'spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`',
    ]);
  });

  it('selector required; empty selector invalid', () => {
    // a missing selector selects nothing, so the template labels cannot match it either
    expect(check(deploy({ selector: undefined }))).toEqual([
      'spec.selector: Required value',
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"nginx"}: `selector` does not match template `labels`',
    ]);
    expect(check(deploy({ selector: {} }))).toEqual([
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
    ]);
  });

  it('name, replicas, containers, restartPolicy', () => {
    expect(check(deploy({}, 'Nginx'))[0]).toMatch(/^metadata\.name: Invalid value: "Nginx": a lowercase RFC 1123 subdomain must consist of/);
    expect(check(deploy({ replicas: -1 }))).toEqual(['spec.replicas: Invalid value: -1: must be greater than or equal to 0']);
    expect(check(deploy({ template: { metadata: { labels: { app: 'nginx' } }, spec: { containers: [] } } }))).toEqual(['spec.template.spec.containers: Required value']);
    expect(check(deploy({ template: { metadata: { labels: { app: 'nginx' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } }))).toEqual([
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]);
  });

  it('container checks: image required, duplicate names, port range, duplicate port names', () => {
    const errs = check(
      deploy({
        template: {
          metadata: { labels: { app: 'nginx' } },
          spec: {
            containers: [
              { name: 'web', ports: [{ containerPort: 70000 }, { name: 'http', containerPort: 80 }, { name: 'http', containerPort: 81 }] },
              { name: 'web', image: 'busybox' },
            ],
          },
        },
      }),
    );
    expect(errs).toEqual([
      'spec.template.spec.containers[0].image: Required value',
      'spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.template.spec.containers[0].ports[2].name: Duplicate value: "http"',
      'spec.template.spec.containers[1].name: Duplicate value: "web"',
    ]);
  });

  it('rolling update may not have both maxUnavailable and maxSurge 0', () => {
    expect(check(deploy({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '0%' } } }))).toEqual([
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0',
    ]);
    expect(check(deploy({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '120%' } } }))).toEqual([
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%',
    ]);
    // the whole strategy struct is the rejected value, as in ValidateDeploymentStrategy
    expect(check(deploy({ strategy: { type: 'Blue' } }))).toEqual([
      'spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"Blue", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"',
    ]);
  });

  it('kubectl message: one cause inline, several as a list', () => {
    const one = validateObject(defaultObject(k(deploy({ replicas: -1 }))));
    expect(invalidMessage('Deployment', 'nginx', one)).toBe('The Deployment "nginx" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
    const two = validateObject(defaultObject(k(deploy({ replicas: -1, selector: { matchLabels: { app: 'x' } } }))));
    expect(invalidMessage('Deployment', 'nginx', two)).toBe(
      'The Deployment "nginx" is invalid: \n* spec.replicas: Invalid value: -1: must be greater than or equal to 0\n* spec.template.metadata.labels: Invalid value: map[string]string{"app":"nginx"}: `selector` does not match template `labels`',
    );
  });
});

describe('DaemonSet validation', () => {
  const ds = (spec: Record<string, unknown>) => ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent' },
    spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'x' }] } }, ...spec },
  });
  it('accepts a DaemonSet', () => {
    expect(check(ds({}))).toEqual([]);
  });
  it('empty selector and mismatched labels', () => {
    expect(check(ds({ selector: { matchLabels: { app: 'other' } } }))).toEqual([
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"agent"}: `selector` does not match template `labels`',
    ]);
    expect(check(ds({ selector: {} }))).toEqual([
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for daemonset',
    ]);
  });
  it('rolling update: exactly one of maxUnavailable and maxSurge non-zero', () => {
    expect(check(ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0 } } }))).toEqual([
      'spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0',
    ]);
    expect(check(ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } } }))).toEqual([
      'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when maxUnavailable is non-zero',
    ]);
  });
});

describe('Pod validation', () => {
  const pod = (spec: Record<string, unknown>, meta: Record<string, unknown> = { name: 'busybox' }) => ({ apiVersion: 'v1', kind: 'Pod', metadata: meta, spec });
  it('accepts a busybox pod', () => {
    expect(check(pod({ containers: [{ name: 'busybox', image: 'busybox', command: ['sleep', '3600'] }] }))).toEqual([]);
  });
  it('containers required, name required', () => {
    expect(check(pod({}))).toEqual(['spec.containers: Required value']);
    expect(check(pod({ containers: [{ image: 'x' }] }))).toEqual(['spec.containers[0].name: Required value']);
  });
  it('name required with the generateName hint', () => {
    expect(check(pod({ containers: [{ name: 'a', image: 'x' }] }, {}))).toEqual(['metadata.name: Required value: name or generateName is required']);
  });
  it('namespace must be a label; label values checked', () => {
    expect(check(pod({ containers: [{ name: 'a', image: 'x' }] }, { name: 'p', namespace: 'Team_A' }))[0]).toMatch(/^metadata\.namespace: Invalid value: "Team_A": a lowercase RFC 1123 label/);
    expect(check(pod({ containers: [{ name: 'a', image: 'x' }] }, { name: 'p', labels: { app: 'bad value' } }))[0]).toMatch(
      /^metadata\.labels: Invalid value: "bad value": a valid label must be an empty string or consist of alphanumeric characters/,
    );
  });
  it('container errors come in validateContainerCommon order, probes after the duplicate-name check', () => {
    expect(
      check(
        pod({
          containers: [
            { name: 'A', ports: [{ name: 'Web', containerPort: 80 }], imagePullPolicy: 'Sometimes', livenessProbe: { httpGet: { port: 'Web' } } },
            { name: 'A', image: 'x', readinessProbe: {} },
          ],
        }),
      ),
    ).toEqual([
      'spec.containers[0].name: Invalid value: "A": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')',
      'spec.containers[0].image: Required value',
      'spec.containers[0].ports[0].name: Invalid value: "Web": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      'spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"',
      'spec.containers[0].livenessProbe.httpGet.port: Invalid value: "Web": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      'spec.containers[1].name: Invalid value: "A": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')',
      'spec.containers[1].name: Duplicate value: "A"',
      'spec.containers[1].readinessProbe: Required value: must specify a handler type',
    ]);
  });
  it('host ports must be unique across containers', () => {
    expect(
      check(pod({ containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 80, hostPort: 8080 }] }, { name: 'b', image: 'x', ports: [{ containerPort: 81, hostPort: 8080 }] }] })),
    ).toEqual(['spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080"']);
  });
  it('resource requests may not exceed limits (canonical quantities in the message)', () => {
    expect(check(pod({ containers: [{ name: 'a', image: 'x', resources: { requests: { cpu: '2000m' }, limits: { cpu: '1' } } }] }))).toEqual([
      'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
    ]);
    expect(check(pod({ containers: [{ name: 'a', image: 'x', resources: { limits: { gpu: '1' } } }] }))).toEqual([
      'spec.containers[0].resources.limits.gpu: Invalid value: "gpu": must be a standard resource for containers',
      // SetDefaults_Pod copied the limit into requests
      'spec.containers[0].resources.requests.gpu: Invalid value: "gpu": must be a standard resource for containers',
    ]);
    expect(check(pod({ containers: [{ name: 'a', image: 'x', resources: { requests: { memory: '64Mi', 'nvidia.com/gpu': 1 }, limits: { memory: '128Mi', 'nvidia.com/gpu': 1 } } }] }))).toEqual([]);
  });
  it('tolerations', () => {
    const c = [{ name: 'a', image: 'x' }];
    expect(check(pod({ containers: c, tolerations: [{ operator: 'Equal', value: 'x' }] }))).toEqual([
      'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
    ]);
    expect(check(pod({ containers: c, tolerations: [{ key: 'k', operator: 'Exists', value: 'v', effect: 'NoSchedule' }] }))).toEqual([
      'spec.tolerations[0].operator: Invalid value: core.Toleration{Key:"k", Operator:"Exists", Value:"v", Effect:"NoSchedule", TolerationSeconds:(*int64)(nil)}: value must be empty when `operator` is \'Exists\'',
    ]);
    expect(check(pod({ containers: c, tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 30 }] }))).toEqual([
      "spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
    ]);
  });
  it('init container names must differ from container names', () => {
    expect(check(pod({ containers: [{ name: 'a', image: 'x' }], initContainers: [{ name: 'a', image: 'y' }] }))).toEqual([
      'spec.initContainers[0].name: Duplicate value: "a"',
    ]);
  });
  it('hostNetwork requires hostPort == containerPort', () => {
    expect(check(pod({ hostNetwork: true, containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 80, hostPort: 81 }] }] }))).toEqual([
      'spec.containers[0].ports[0].containerPort: Invalid value: 80: must match `hostPort` when `hostNetwork` is true',
    ]);
  });
  it('volume mounts must name a volume; liveness successThreshold must be 1', () => {
    expect(
      check(pod({ volumes: [{ name: 'data' }], containers: [{ name: 'a', image: 'x', volumeMounts: [{ name: 'data', mountPath: '/d' }, { name: 'cache', mountPath: '/c' }] }] })),
    ).toEqual(['spec.containers[0].volumeMounts[1].name: Not found: "cache"']);
    expect(check(pod({ containers: [{ name: 'a', image: 'x', livenessProbe: { tcpSocket: { port: 80 }, successThreshold: 2 } }] }))).toEqual([
      'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
    ]);
  });
  it('restartPolicy and dnsPolicy values', () => {
    expect(check(pod({ restartPolicy: 'Sometimes', containers: [{ name: 'a', image: 'x' }] }))).toEqual([
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    ]);
    expect(check(pod({ dnsPolicy: 'Cluster', containers: [{ name: 'a', image: 'x' }] }))).toEqual([
      'spec.dnsPolicy: Unsupported value: "Cluster": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
    ]);
  });
});

describe('NetworkPolicy validation', () => {
  const np = (spec: Record<string, unknown>) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'np' }, spec: { podSelector: {}, ...spec } });
  it('accepts allow-from-cidr with except', () => {
    expect(check(np({ ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ port: 80 }] }] }))).toEqual([]);
  });
  it('invalid cidr and except outside cidr', () => {
    expect(check(np({ ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }] }))).toEqual([
      'spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
    ]);
    expect(check(np({ ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/24', except: ['192.168.0.0/24', '10.0.0.0/24'] } }] }] }))).toEqual([
      'spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "192.168.0.0/24": must be a strict subset of `cidr`',
      'spec.ingress[0].from[0].ipBlock.except[1]: Invalid value: "10.0.0.0/24": must be a strict subset of `cidr`',
    ]);
  });
  it('peer must have exactly one kind when ipBlock', () => {
    expect(check(np({ egress: [{ to: [{}] }] }))).toEqual(['spec.egress[0].to[0]: Required value: must specify a peer']);
    expect(check(np({ egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' }, podSelector: {} }] }] }))).toEqual([
      'spec.egress[0].to[0]: Forbidden: may not specify both ipBlock and another peer',
    ]);
  });
  it('ports: range, endPort, protocol', () => {
    expect(check(np({ ingress: [{ ports: [{ port: 0 }] }] }))).toEqual(['spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive']);
    expect(check(np({ ingress: [{ ports: [{ port: 80, endPort: 79 }] }] }))).toEqual(['spec.ingress[0].ports[0].endPort: Invalid value: 80: must be greater than or equal to `port`']);
    expect(check(np({ ingress: [{ ports: [{ port: 'http', endPort: 90 }] }] }))).toEqual(['spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is non-numeric']);
    expect(check(np({ ingress: [{ ports: [{ endPort: 90 }] }] }))).toEqual(['spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is not specified']);
    expect(check(np({ ingress: [{ ports: [{ port: 53, protocol: 'ICMP' }] }] }))).toEqual([
      'spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
    ]);
  });
  it('policyTypes values', () => {
    expect(check(np({ policyTypes: ['Inbound'] }))).toEqual(['spec.policyTypes[0]: Unsupported value: "Inbound": supported values: "Ingress", "Egress"']);
    expect(check(np({ policyTypes: ['Ingress', 'Egress', 'Ingress'] }))).toEqual([
      'spec.policyTypes: Invalid value: []networking.PolicyType{"Ingress", "Egress", "Ingress"}: may not specify more than two policyTypes',
    ]);
  });
});

describe('Namespace and EndpointSlice validation', () => {
  it('namespace name is a DNS-1123 label', () => {
    expect(check({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team.a' } })[0]).toMatch(/^metadata\.name: Invalid value: "team\.a": a lowercase RFC 1123 label/);
  });
  it('EndpointSlice addresses must match the address type', () => {
    expect(
      check({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'e' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1', 'fe80::1'] }], ports: [{ port: 80 }] }),
    ).toEqual(['endpoints[0].addresses[1]: Invalid value: "fe80::1": must be a valid IPv4 address']);
    expect(check({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'e' } })).toEqual(['addressType: Required value']);
  });
});

describe('missing template', () => {
  it('is validated as an empty (defaulted) template, as the Go struct would be', () => {
    expect(check({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { selector: { matchLabels: { a: 'b' } } } })).toEqual([
      'spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`',
      'spec.template.spec.containers: Required value',
    ]);
  });
});
