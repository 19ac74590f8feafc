// Field schemas of the supported kinds, for the API server's strict decoding (kubectl's default
// --validate=strict): unknown fields and JSON type mismatches are rejected with the field path.
// Sub-trees kubewire does not interpret (affinity, resources, volumes, ...) accept anything.

import type { PathSeg } from './yaml-source.ts';
import { parseQuantity } from './quantity.ts';

type Leaf = 'string' | 'int32' | 'int64' | 'bool' | 'intstr' | 'any' | 'map[string]string' | '[]string' | 'map[string]quantity';
interface Struct {
  go: string;
  fields: Record<string, Schema>;
}
type Schema = Leaf | Struct | { list: Schema; go: string };

const S = (go: string, fields: Record<string, Schema>): Struct => ({ go, fields });
const L = (s: Schema, go: string) => ({ list: s, go });

const objectMeta = S('ObjectMeta', {
  name: 'string',
  generateName: 'string',
  namespace: 'string',
  selfLink: 'string',
  uid: 'string',
  resourceVersion: 'string',
  generation: 'int64',
  creationTimestamp: 'any',
  deletionTimestamp: 'any',
  deletionGracePeriodSeconds: 'int64',
  labels: 'map[string]string',
  annotations: 'map[string]string',
  ownerReferences: 'any',
  finalizers: '[]string',
  managedFields: 'any',
});

const labelSelector = S('LabelSelector', {
  matchLabels: 'map[string]string',
  matchExpressions: L(S('LabelSelectorRequirement', { key: 'string', operator: 'string', values: '[]string' }), '[]v1.LabelSelectorRequirement'),
});

const containerPort = S('ContainerPort', { name: 'string', hostPort: 'int32', containerPort: 'int32', protocol: 'string', hostIP: 'string' });
const envVar = S('EnvVar', { name: 'string', value: 'string', valueFrom: 'any' });

const container = S('Container', {
  name: 'string',
  image: 'string',
  command: '[]string',
  args: '[]string',
  workingDir: 'string',
  ports: L(containerPort, '[]v1.ContainerPort'),
  envFrom: 'any',
  env: L(envVar, '[]v1.EnvVar'),
  resources: S('ResourceRequirements', { limits: 'map[string]quantity', requests: 'map[string]quantity', claims: 'any' }),
  resizePolicy: 'any',
  restartPolicy: 'string',
  volumeMounts: 'any',
  volumeDevices: 'any',
  livenessProbe: 'any',
  readinessProbe: 'any',
  startupProbe: 'any',
  lifecycle: 'any',
  terminationMessagePath: 'string',
  terminationMessagePolicy: 'string',
  imagePullPolicy: 'string',
  securityContext: 'any',
  stdin: 'bool',
  stdinOnce: 'bool',
  tty: 'bool',
});

const podSpec = S('PodSpec', {
  volumes: 'any',
  initContainers: L(container, '[]v1.Container'),
  containers: L(container, '[]v1.Container'),
  ephemeralContainers: 'any',
  restartPolicy: 'string',
  terminationGracePeriodSeconds: 'int64',
  activeDeadlineSeconds: 'int64',
  dnsPolicy: 'string',
  nodeSelector: 'map[string]string',
  serviceAccountName: 'string',
  serviceAccount: 'string',
  automountServiceAccountToken: 'bool',
  nodeName: 'string',
  hostNetwork: 'bool',
  hostPID: 'bool',
  hostIPC: 'bool',
  shareProcessNamespace: 'bool',
  securityContext: 'any',
  imagePullSecrets: 'any',
  hostname: 'string',
  subdomain: 'string',
  affinity: 'any',
  schedulerName: 'string',
  tolerations: 'any',
  hostAliases: 'any',
  priorityClassName: 'string',
  priority: 'int32',
  dnsConfig: 'any',
  readinessGates: 'any',
  runtimeClassName: 'string',
  enableServiceLinks: 'bool',
  preemptionPolicy: 'string',
  overhead: 'any',
  topologySpreadConstraints: 'any',
  setHostnameAsFQDN: 'bool',
  os: 'any',
  hostUsers: 'bool',
  schedulingGates: 'any',
  resourceClaims: 'any',
  resources: 'any',
});

const podTemplate = S('PodTemplateSpec', { metadata: objectMeta, spec: podSpec });
const rollingUpdateDeployment = S('RollingUpdateDeployment', { maxUnavailable: 'intstr', maxSurge: 'intstr' });
const rollingUpdateDaemonSet = S('RollingUpdateDaemonSet', { maxUnavailable: 'intstr', maxSurge: 'intstr' });

const top = (spec: Schema, extra: Record<string, Schema> = {}): Struct =>
  S('', { apiVersion: 'string', kind: 'string', metadata: objectMeta, spec, status: 'any', ...extra });

const servicePort = S('ServicePort', {
  name: 'string',
  protocol: 'string',
  appProtocol: 'string',
  port: 'int32',
  targetPort: 'intstr',
  nodePort: 'int32',
});

const npPort = S('NetworkPolicyPort', { protocol: 'string', port: 'intstr', endPort: 'int32' });
const npPeer = S('NetworkPolicyPeer', {
  podSelector: labelSelector,
  namespaceSelector: labelSelector,
  ipBlock: S('IPBlock', { cidr: 'string', except: '[]string' }),
});

const SCHEMAS: Record<string, Struct> = {
  Namespace: top(S('NamespaceSpec', { finalizers: '[]string' })),
  Pod: top(podSpec),
  Service: top(
    S('ServiceSpec', {
      ports: L(servicePort, '[]v1.ServicePort'),
      selector: 'map[string]string',
      clusterIP: 'string',
      clusterIPs: '[]string',
      type: 'string',
      externalIPs: '[]string',
      sessionAffinity: 'string',
      loadBalancerIP: 'string',
      loadBalancerSourceRanges: '[]string',
      externalName: 'string',
      externalTrafficPolicy: 'string',
      healthCheckNodePort: 'int32',
      publishNotReadyAddresses: 'bool',
      sessionAffinityConfig: 'any',
      ipFamilies: '[]string',
      ipFamilyPolicy: 'string',
      allocateLoadBalancerNodePorts: 'bool',
      loadBalancerClass: 'string',
      internalTrafficPolicy: 'string',
      trafficDistribution: 'string',
    }),
  ),
  Deployment: top(
    S('DeploymentSpec', {
      replicas: 'int32',
      selector: labelSelector,
      template: podTemplate,
      strategy: S('DeploymentStrategy', { type: 'string', rollingUpdate: rollingUpdateDeployment }),
      minReadySeconds: 'int32',
      revisionHistoryLimit: 'int32',
      paused: 'bool',
      progressDeadlineSeconds: 'int32',
    }),
  ),
  ReplicaSet: top(S('ReplicaSetSpec', { replicas: 'int32', minReadySeconds: 'int32', selector: labelSelector, template: podTemplate })),
  DaemonSet: top(
    S('DaemonSetSpec', {
      selector: labelSelector,
      template: podTemplate,
      updateStrategy: S('DaemonSetUpdateStrategy', { type: 'string', rollingUpdate: rollingUpdateDaemonSet }),
      minReadySeconds: 'int32',
      revisionHistoryLimit: 'int32',
    }),
  ),
  NetworkPolicy: top(
    S('NetworkPolicySpec', {
      podSelector: labelSelector,
      ingress: L(S('NetworkPolicyIngressRule', { ports: L(npPort, '[]v1.NetworkPolicyPort'), from: L(npPeer, '[]v1.NetworkPolicyPeer') }), '[]v1.NetworkPolicyIngressRule'),
      egress: L(S('NetworkPolicyEgressRule', { ports: L(npPort, '[]v1.NetworkPolicyPort'), to: L(npPeer, '[]v1.NetworkPolicyPeer') }), '[]v1.NetworkPolicyEgressRule'),
      policyTypes: '[]string',
    }),
  ),
  EndpointSlice: S('', {
    apiVersion: 'string',
    kind: 'string',
    metadata: objectMeta,
    addressType: 'string',
    endpoints: L(
      S('Endpoint', {
        addresses: '[]string',
        conditions: S('EndpointConditions', { ready: 'bool', serving: 'bool', terminating: 'bool' }),
        hostname: 'string',
        targetRef: 'any',
        deprecatedTopology: 'map[string]string',
        nodeName: 'string',
        zone: 'string',
        hints: 'any',
      }),
      '[]v1.Endpoint',
    ),
    ports: L(S('EndpointPort', { name: 'string', protocol: 'string', port: 'int32', appProtocol: 'string' }), '[]v1.EndpointPort'),
  }),
};

/** resource.ParseQuantity's errors for a JSON value, or '' when it parses. */
const QUANTITY_RE = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
export function quantityError(v: unknown): string {
  if (v === null || v === undefined || typeof v === 'number') return '';
  const formatWrong = `quantities must match the regular expression '${QUANTITY_RE}'`;
  if (typeof v !== 'string' || !new RegExp(QUANTITY_RE).test(v.trim())) return formatWrong;
  return parseQuantity(v) ? '' : "unable to parse quantity's suffix";
}

export interface StrictError {
  type: 'unknown' | 'type' | 'decode';
  path: PathSeg[];
  message: string;
}

function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  return 'string';
}

function fmtPath(path: readonly PathSeg[]): string {
  let s = '';
  for (const seg of path) s += typeof seg === 'number' ? `[${seg}]` : s === '' ? seg : `.${seg}`;
  return s;
}

const goTypeOf = (s: Schema): string => (typeof s === 'string' ? (s === 'intstr' ? 'intstr.IntOrString' : s) : 'list' in s ? s.go : `v1.${s.go}`);

/**
 * Strict-decoding problems of one object against its kind's schema: unknown fields (in document
 * order) and the first JSON type mismatch (which stops decoding, as in encoding/json).
 * Kinds without a schema yield [].
 */
export function strictDecodeErrors(o: Record<string, unknown>): StrictError[] {
  const root = SCHEMAS[String(o.kind)];
  if (!root) return [];
  const kind = String(o.kind);
  const out: StrictError[] = [];
  // encoding/json names the field path without array indexes or map keys.
  const typeErr = (v: unknown, s: Schema, path: PathSeg[], struct: string, fieldPath: PathSeg[] = path): void => {
    const dotted = fieldPath.filter((p) => typeof p === 'string').join('.');
    out.push({
      type: 'type',
      path,
      message: `json: cannot unmarshal ${typeof v === 'number' && (s === 'int32' || s === 'int64') ? `number ${v}` : jsonKind(v)} into Go struct field ${struct || kind}.${dotted} of type ${goTypeOf(s)}`,
    });
  };
  const walk = (v: unknown, s: Schema, path: PathSeg[], struct: string): void => {
    if (v === null || v === undefined) return;
    if (typeof s === 'string') {
      switch (s) {
        case 'any':
          return;
        case 'string':
          if (typeof v !== 'string') typeErr(v, s, path, struct);
          return;
        case 'int32':
        case 'int64':
          if (typeof v !== 'number' || !Number.isInteger(v)) typeErr(v, s, path, struct);
          return;
        case 'bool':
          if (typeof v !== 'boolean') typeErr(v, s, path, struct);
          return;
        case 'intstr':
          if (typeof v !== 'string' && !(typeof v === 'number' && Number.isInteger(v))) typeErr(v, s, path, struct);
          return;
        case 'map[string]quantity':
          if (jsonKind(v) !== 'object') typeErr(v, 'map[string]string', path, struct);
          else
            for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
              const msg = quantityError(x);
              if (msg) out.push({ type: 'decode', path: [...path, k], message: msg });
            }
          return;
        case 'map[string]string':
          if (jsonKind(v) !== 'object') typeErr(v, s, path, struct);
          else
            for (const [k, x] of Object.entries(v as Record<string, unknown>))
              if (x !== null && typeof x !== 'string') typeErr(x, 'string', [...path, k], struct, path);
          return;
        case '[]string':
          if (!Array.isArray(v)) typeErr(v, s, path, struct);
          else v.forEach((x, i) => x !== null && typeof x !== 'string' && typeErr(x, 'string', [...path, i], struct));
          return;
      }
      return;
    }
    if ('list' in s) {
      if (!Array.isArray(v)) return typeErr(v, s, path, struct);
      v.forEach((x, i) => walk(x, s.list, [...path, i], struct));
      return;
    }
    if (jsonKind(v) !== 'object') return typeErr(v, s, path, struct);
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const sub = s.fields[k];
      if (!sub) {
        out.push({ type: 'unknown', path: [...path, k], message: `unknown field ${JSON.stringify(fmtPath([...path, k]))}` });
        continue;
      }
      walk(x, sub, [...path, k], s.go || struct);
    }
  };
  walk(o, root, [], '');
  const firstType = out.findIndex((e) => e.type !== 'unknown');
  return firstType >= 0 ? [out[firstType]!] : out;
}
