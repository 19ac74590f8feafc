// API-server defaulting of the kinds kubewire stores, on plain objects.
// Two layers, as in kube-apiserver:
//  - scheme defaulting (pkg/apis/{core,apps,networking,discovery}/v1/defaults.go), applied when a
//    request body is decoded: `defaultObject`;
//  - what registries set on create (not defaulting proper): Service ipFamilyPolicy/ipFamilies and
//    clusterIPs mirroring, Namespace finalizers and phase: `registryCreateDefaults`.
// Cluster IPs, node ports, uid, creationTimestamp and admission-plugin additions (service account
// volume, default tolerations, priority) are the control plane's job, not done here.
// Pure and browser-safe.

import type { KObject } from './types.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const unset = (v: unknown): boolean => v === undefined || v === null;

/** Kinds kubewire knows that live in a namespace. */
export const NAMESPACED_KINDS: ReadonlySet<string> = new Set(['Pod', 'Deployment', 'ReplicaSet', 'DaemonSet', 'Service', 'EndpointSlice', 'NetworkPolicy']);

/** Tag as parsers.ParseImageName sees it: "latest" when neither tag nor digest is given. */
export function imageTag(image: string): string {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) return name.slice(colon + 1);
  return at >= 0 ? '' : 'latest';
}

function defaultProbe(p: unknown): void {
  if (!isObj(p)) return;
  if (unset(p.timeoutSeconds)) p.timeoutSeconds = 1;
  if (unset(p.periodSeconds)) p.periodSeconds = 10;
  if (unset(p.successThreshold)) p.successThreshold = 1;
  if (unset(p.failureThreshold)) p.failureThreshold = 3;
  if (isObj(p.httpGet)) {
    if (unset(p.httpGet.path) || p.httpGet.path === '') p.httpGet.path = '/';
    if (unset(p.httpGet.scheme) || p.httpGet.scheme === '') p.httpGet.scheme = 'HTTP';
  }
}

function defaultLifecycleHandler(h: unknown): void {
  if (!isObj(h)) return;
  if (isObj(h.httpGet)) {
    if (unset(h.httpGet.path) || h.httpGet.path === '') h.httpGet.path = '/';
    if (unset(h.httpGet.scheme) || h.httpGet.scheme === '') h.httpGet.scheme = 'HTTP';
  }
}

/** SetDefaults_Container, _ContainerPort, _Probe, _EnvVar (fieldRef apiVersion). */
export function defaultContainer(c: unknown): void {
  if (!isObj(c)) return;
  if (unset(c.imagePullPolicy) || c.imagePullPolicy === '') c.imagePullPolicy = imageTag(String(c.image ?? '')) === 'latest' ? 'Always' : 'IfNotPresent';
  if (unset(c.terminationMessagePath) || c.terminationMessagePath === '') c.terminationMessagePath = '/dev/termination-log';
  if (unset(c.terminationMessagePolicy) || c.terminationMessagePolicy === '') c.terminationMessagePolicy = 'File';
  for (const p of arr(c.ports)) if (isObj(p) && (unset(p.protocol) || p.protocol === '')) p.protocol = 'TCP';
  for (const k of ['livenessProbe', 'readinessProbe', 'startupProbe']) defaultProbe(c[k]);
  if (isObj(c.lifecycle)) {
    defaultLifecycleHandler(c.lifecycle.postStart);
    defaultLifecycleHandler(c.lifecycle.preStop);
  }
  for (const e of arr(c.env)) {
    if (isObj(e) && isObj(e.valueFrom) && isObj(e.valueFrom.fieldRef) && unset(e.valueFrom.fieldRef.apiVersion)) e.valueFrom.fieldRef.apiVersion = 'v1';
  }
}

const volumeSources = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi',
  'ephemeral', 'image',
];

function defaultVolume(v: unknown): void {
  if (!isObj(v)) return;
  if (!volumeSources.some((k) => !unset(v[k]))) v.emptyDir = {};
  for (const k of ['secret', 'configMap', 'projected', 'downwardAPI'])
    if (isObj(v[k]) && unset((v[k] as Obj).defaultMode)) (v[k] as Obj).defaultMode = 420;
  if (isObj(v.hostPath) && unset(v.hostPath.type)) v.hostPath.type = '';
}

/** SetDefaults_PodSpec (applies to pods and to pod templates) plus per-container defaults. */
export function defaultPodSpec(spec: unknown): void {
  if (!isObj(spec)) return;
  if (unset(spec.dnsPolicy) || spec.dnsPolicy === '') spec.dnsPolicy = 'ClusterFirst';
  if (unset(spec.restartPolicy) || spec.restartPolicy === '') spec.restartPolicy = 'Always';
  if (unset(spec.securityContext)) spec.securityContext = {};
  if (unset(spec.terminationGracePeriodSeconds)) spec.terminationGracePeriodSeconds = 30;
  if (unset(spec.schedulerName) || spec.schedulerName === '') spec.schedulerName = 'default-scheduler';
  for (const c of arr(spec.containers)) defaultContainer(c);
  for (const c of arr(spec.initContainers)) defaultContainer(c);
  for (const v of arr(spec.volumes)) defaultVolume(v);
}

function defaultHostNetworkPorts(containers: unknown): void {
  for (const c of arr(containers)) {
    if (!isObj(c)) continue;
    for (const p of arr(c.ports)) if (isObj(p) && (unset(p.hostPort) || p.hostPort === 0)) p.hostPort = p.containerPort;
  }
}

/** SetDefaults_Pod: pod-only fields on top of the pod spec defaults. */
export function defaultPod(pod: Obj): void {
  if (!isObj(pod.spec)) pod.spec = {};
  const spec = pod.spec as Obj;
  defaultPodSpec(spec);
  for (const c of [...arr(spec.containers), ...arr(spec.initContainers)]) {
    if (!isObj(c) || !isObj(c.resources) || !isObj(c.resources.limits)) continue;
    const r = c.resources as Obj;
    const req: Obj = isObj(r.requests) ? r.requests : {};
    for (const [k, v] of Object.entries(r.limits as Obj)) if (unset(req[k])) req[k] = v;
    r.requests = req;
  }
  if (unset(spec.enableServiceLinks)) spec.enableServiceLinks = true;
  if (spec.hostNetwork === true) {
    defaultHostNetworkPorts(spec.containers);
    defaultHostNetworkPorts(spec.initContainers);
  }
}

function defaultTemplate(spec: Obj): void {
  // The template is a struct, not a pointer: its pod spec is defaulted even when it was left out.
  if (!isObj(spec.template)) spec.template = {};
  const t = spec.template as Obj;
  if (!isObj(t.spec)) t.spec = {};
  defaultPodSpec(t.spec);
}

/** apps/v1 SetDefaults_Deployment. */
export function defaultDeployment(d: Obj): void {
  if (!isObj(d.spec)) d.spec = {};
  const spec = d.spec as Obj;
  if (unset(spec.replicas)) spec.replicas = 1;
  if (!isObj(spec.strategy)) spec.strategy = {};
  const st = spec.strategy as Obj;
  if (unset(st.type) || st.type === '') st.type = 'RollingUpdate';
  if (st.type === 'RollingUpdate') {
    if (!isObj(st.rollingUpdate)) st.rollingUpdate = {};
    const ru = st.rollingUpdate as Obj;
    if (unset(ru.maxUnavailable)) ru.maxUnavailable = '25%';
    if (unset(ru.maxSurge)) ru.maxSurge = '25%';
  }
  if (unset(spec.revisionHistoryLimit)) spec.revisionHistoryLimit = 10;
  if (unset(spec.progressDeadlineSeconds)) spec.progressDeadlineSeconds = 600;
  defaultTemplate(spec);
}

/** apps/v1 SetDefaults_ReplicaSet. */
export function defaultReplicaSet(rs: Obj): void {
  if (!isObj(rs.spec)) rs.spec = {};
  const spec = rs.spec as Obj;
  if (unset(spec.replicas)) spec.replicas = 1;
  defaultTemplate(spec);
}

/** apps/v1 SetDefaults_DaemonSet. */
export function defaultDaemonSet(ds: Obj): void {
  if (!isObj(ds.spec)) ds.spec = {};
  const spec = ds.spec as Obj;
  if (!isObj(spec.updateStrategy)) spec.updateStrategy = {};
  const us = spec.updateStrategy as Obj;
  if (unset(us.type) || us.type === '') us.type = 'RollingUpdate';
  if (us.type === 'RollingUpdate') {
    if (!isObj(us.rollingUpdate)) us.rollingUpdate = {};
    const ru = us.rollingUpdate as Obj;
    if (unset(ru.maxUnavailable)) ru.maxUnavailable = 1;
    if (unset(ru.maxSurge)) ru.maxSurge = 0;
  }
  if (unset(spec.revisionHistoryLimit)) spec.revisionHistoryLimit = 10;
  defaultTemplate(spec);
}

/** core/v1 SetDefaults_Service (scheme defaulting only; see registryCreateDefaults for the rest). */
export function defaultService(svc: Obj): void {
  if (!isObj(svc.spec)) svc.spec = {};
  const spec = svc.spec as Obj;
  if (unset(spec.sessionAffinity) || spec.sessionAffinity === '') spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = isObj(spec.sessionAffinityConfig) ? spec.sessionAffinityConfig : {};
    const cip = isObj(cfg.clientIP) ? cfg.clientIP : {};
    if (unset(cip.timeoutSeconds)) cip.timeoutSeconds = 10800;
    cfg.clientIP = cip;
    spec.sessionAffinityConfig = cfg;
  }
  if (unset(spec.type) || spec.type === '') spec.type = 'ClusterIP';
  for (const p of arr(spec.ports)) {
    if (!isObj(p)) continue;
    if (unset(p.protocol) || p.protocol === '') p.protocol = 'TCP';
    if (unset(p.targetPort) || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  const externallyAccessible = spec.type === 'NodePort' || spec.type === 'LoadBalancer' || (spec.type === 'ClusterIP' && arr(spec.externalIPs).length > 0);
  if (externallyAccessible && (unset(spec.externalTrafficPolicy) || spec.externalTrafficPolicy === '')) spec.externalTrafficPolicy = 'Cluster';
  if (unset(spec.internalTrafficPolicy) && (spec.type === 'ClusterIP' || spec.type === 'NodePort' || spec.type === 'LoadBalancer'))
    spec.internalTrafficPolicy = 'Cluster';
  if (spec.type === 'LoadBalancer' && unset(spec.allocateLoadBalancerNodePorts)) spec.allocateLoadBalancerNodePorts = true;
}

/** networking/v1 SetDefaults_NetworkPolicy and _NetworkPolicyPort. */
export function defaultNetworkPolicy(np: Obj): void {
  if (!isObj(np.spec)) np.spec = {};
  const spec = np.spec as Obj;
  if (!isObj(spec.podSelector)) spec.podSelector = {};
  for (const dir of ['ingress', 'egress'])
    for (const r of arr(spec[dir])) if (isObj(r)) for (const p of arr(r.ports)) if (isObj(p) && (unset(p.protocol) || p.protocol === '')) p.protocol = 'TCP';
  if (arr(spec.policyTypes).length === 0) {
    const types = ['Ingress'];
    if (arr(spec.egress).length > 0) types.push('Egress');
    spec.policyTypes = types;
  }
}

/** discovery/v1 SetDefaults_EndpointPort. */
export function defaultEndpointSlice(es: Obj): void {
  for (const p of arr(es.ports)) {
    if (!isObj(p)) continue;
    if (unset(p.name)) p.name = '';
    if (unset(p.protocol)) p.protocol = 'TCP';
  }
}

/** core/v1 SetDefaults_Namespace: the immutable kubernetes.io/metadata.name label. */
export function defaultNamespace(ns: Obj): void {
  const meta = isObj(ns.metadata) ? ns.metadata : (ns.metadata = {});
  const name = (meta as Obj).name;
  if (typeof name === 'string' && name.length > 0) {
    const labels = isObj((meta as Obj).labels) ? ((meta as Obj).labels as Obj) : {};
    labels['kubernetes.io/metadata.name'] = name;
    (meta as Obj).labels = labels;
  }
}

/**
 * Scheme defaulting of one object, on a deep copy. `namespace` (default "default") is the request
 * namespace filled into metadata.namespace for namespaced kinds that have none.
 */
export function defaultObject<T extends KObject>(o: T, namespace = 'default'): T {
  const c = structuredClone(o) as T & Obj;
  if (!isObj(c.metadata)) (c as Obj).metadata = {};
  const meta = c.metadata as unknown as Obj;
  if (NAMESPACED_KINDS.has(c.kind)) {
    if (unset(meta.namespace) || meta.namespace === '') meta.namespace = namespace;
  } else if (c.kind === 'Namespace') {
    // rest.BeforeCreate clears the namespace of cluster-scoped objects.
    delete meta.namespace;
  }
  switch (c.kind) {
    case 'Pod':
      defaultPod(c);
      break;
    case 'Deployment':
      defaultDeployment(c);
      break;
    case 'ReplicaSet':
      defaultReplicaSet(c);
      break;
    case 'DaemonSet':
      defaultDaemonSet(c);
      break;
    case 'Service':
      defaultService(c);
      break;
    case 'NetworkPolicy':
      defaultNetworkPolicy(c);
      break;
    case 'EndpointSlice':
      defaultEndpointSlice(c);
      break;
    case 'Namespace':
      defaultNamespace(c);
      break;
  }
  return c;
}

/**
 * What registries add on create, besides allocation (single-stack IPv4 cluster, as EKS is by default):
 * any client-supplied status is dropped; Service clusterIPs mirrors clusterIP, ipFamilyPolicy
 * (SingleStack; RequireDualStack for headless services without selector) and ipFamilies [IPv4];
 * Namespace spec.finalizers and status.phase.
 */
export function registryCreateDefaults<T extends KObject>(o: T): T {
  const c = structuredClone(o) as T & Obj;
  // PrepareForCreate: a client cannot set status on create; controllers fill it.
  delete (c as Obj).status;
  if (c.kind === 'Service') {
    const spec = (isObj(c.spec) ? c.spec : ((c as Obj).spec = {})) as Obj;
    if (spec.type !== 'ExternalName') {
      if (typeof spec.clusterIP === 'string' && spec.clusterIP !== '' && arr(spec.clusterIPs).length === 0) spec.clusterIPs = [spec.clusterIP];
      const headless = spec.clusterIP === 'None';
      const noSelector = !isObj(spec.selector) || Object.keys(spec.selector).length === 0;
      if (unset(spec.ipFamilyPolicy)) spec.ipFamilyPolicy = headless && noSelector ? 'RequireDualStack' : 'SingleStack';
      if (arr(spec.ipFamilies).length === 0) spec.ipFamilies = ['IPv4'];
    }
  } else if (c.kind === 'Namespace') {
    const spec = (isObj(c.spec) ? c.spec : ((c as Obj).spec = {})) as Obj;
    if (arr(spec.finalizers).length === 0) spec.finalizers = ['kubernetes'];
    (c as Obj).status = { phase: 'Active' };
  }
  return c;
}
