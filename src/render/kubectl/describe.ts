// `kubectl describe` text (k8s.io/kubectl pkg/describe/describe.go): a PrefixWriter (two
// spaces per level) over Go's tabwriter with minwidth 0, tabwidth 8, padding 2.

import type { ClusterState } from '../../control-plane/types.ts';
import type { KObject } from '../../k8s/types.ts';
import { allEventObjects } from './events.ts';
import { goSort } from './gosort.ts';
import { formatLabelSelector, formatLabels, labelSelectorString, selectorMatches } from './labels.ts';
import { nodeRoles, type Obj } from './printers.ts';
import { addQuantity, parseQuantity, quantityString, quantityValue, type Quantity } from './quantity.ts';
import { lookupResource, qualifiedResource, type ResourceInfo } from './resources.ts';
import { DESCRIBE_TABWRITER, TabWriter } from './tabwriter.ts';
import { clockOf, rfc1123z, since, toMs, type RenderClock } from './time.ts';
import { objectsOf, type RenderResult } from './get.ts';

export interface DescribeRequest {
  /** Resource as typed: pod, po, node, svc, deployment, ... */
  resource: string;
  /** Object name; kubectl falls back to describing every object whose name starts with it. Omit for all. */
  name?: string;
  namespace?: string;
  epochMs?: number;
}

class PrefixWriter {
  constructor(private readonly tw: TabWriter) {}
  write(level: number, text: string): void {
    this.tw.write('  '.repeat(level) + text);
  }
  /** fmt.Sprintln of one value: the value and a newline. */
  writeLine(text = ''): void {
    this.tw.write(text + '\n');
  }
  flush(): void {
    this.tw.flush();
  }
}

interface Ctx {
  state: ClusterState;
  clock: RenderClock;
}

function tabbed(f: (w: PrefixWriter) => void): string {
  const tw = new TabWriter(DESCRIBE_TABWRITER);
  f(new PrefixWriter(tw));
  return tw.toString();
}

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const stableSort = <T>(xs: T[], less: (a: T, b: T) => boolean): T[] =>
  xs.map((x, i) => ({ x, i })).sort((a, b) => (less(a.x, b.x) ? -1 : less(b.x, a.x) ? 1 : a.i - b.i)).map((e) => e.x);

/** Quantity.String() of a stored quantity; the raw text if it does not parse. */
function qty(v: unknown): string {
  const q = parseQuantity(v);
  return q ? quantityString(q) : str(v);
}

// ------------------------------------------------------------------ shared blocks

function printLabelsMultiline(w: PrefixWriter, title: string, labels: Record<string, string> | undefined, initialIndent = '', innerIndent = '\t'): void {
  w.write(0, `${initialIndent}${title}:${innerIndent}`);
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) {
    w.writeLine('<none>');
    return;
  }
  keys.forEach((k, i) => {
    if (i !== 0) {
      w.write(0, initialIndent);
      w.write(0, innerIndent);
    }
    w.write(0, `${k}=${labels![k]}\n`);
  });
}

const MAX_ANNOTATION_LEN = 140;

function printAnnotationsMultiline(w: PrefixWriter, title: string, annotations: Record<string, string> | undefined): void {
  w.write(0, `${title}:\t`);
  const keys = Object.keys(annotations ?? {})
    .filter((k) => k !== 'kubectl.kubernetes.io/last-applied-configuration')
    .sort();
  if (keys.length === 0) {
    w.writeLine('<none>');
    return;
  }
  const indent = '\t';
  keys.forEach((key, i) => {
    if (i !== 0) w.write(0, indent);
    const value = annotations![key].replace(/\n$/, '');
    if (value.length + key.length + 2 > MAX_ANNOTATION_LEN || value.includes('\n')) {
      w.write(0, `${key}:\n`);
      for (const s of value.split('\n')) {
        const short = s.length > MAX_ANNOTATION_LEN - 2 ? s.slice(0, MAX_ANNOTATION_LEN - 2) + '...' : s;
        w.write(0, `${indent}  ${short}\n`);
      }
    } else {
      w.write(0, `${key}: ${value}\n`);
    }
  });
}

function taintString(t: Obj): string {
  let s = str(t.key);
  if (t.value) s += `=${t.value}`;
  if (t.effect) s += `:${t.effect}`;
  return s;
}

function printTaintsMultiline(w: PrefixWriter, title: string, taints: Obj[] | undefined): void {
  w.write(0, `${title}:\t`);
  if (!taints || taints.length === 0) {
    w.writeLine('<none>');
    return;
  }
  const key = (t: Obj): string => `${str(t.effect)},${str(t.key)}`;
  goSort([...taints], (a, b) => key(a) < key(b)).forEach((t, i) => {
    if (i !== 0) w.write(0, '\t');
    w.write(0, `${taintString(t)}\n`);
  });
}

function printTolerationsMultiline(w: PrefixWriter, title: string, tolerations: Obj[] | undefined): void {
  w.write(0, `${title}:\t`);
  if (!tolerations || tolerations.length === 0) {
    w.writeLine('<none>');
    return;
  }
  goSort([...tolerations], (a, b) => str(a.key) < str(b.key)).forEach((t, i) => {
    if (i !== 0) w.write(0, '\t');
    w.write(0, str(t.key));
    if (t.value) w.write(0, `=${t.value}`);
    if (t.effect) w.write(0, `:${t.effect}`);
    if (t.operator === 'Exists' && !t.value) w.write(0, t.key || t.effect ? ' op=Exists' : 'op=Exists');
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null) w.write(0, ` for ${t.tolerationSeconds}s`);
    w.write(0, '\n');
  });
}

function controllerOf(o: Obj): Obj | undefined {
  return ((o.metadata?.ownerReferences ?? []) as Obj[]).find((r) => r.controller === true);
}

/**
 * Event objects about one object in the order kubectl shows them: the API list order (namespace,
 * name) sorted by time with Go's sort.Sort over SortableEvents. For a node kubectl merges two
 * queries, events carrying the node's UID (controllers) and then those carrying its name as UID
 * (the kubelet).
 */
function eventsFor(ctx: Ctx, kind: string, namespace: string | undefined, name: string): Obj[] {
  const key = (e: Obj): string => `${e.metadata?.namespace ?? ''}/${e.metadata?.name ?? ''}`;
  let evs = (allEventObjects(ctx.state, ctx.clock) as Obj[])
    .filter((e) => {
      const io: Obj = e.involvedObject ?? {};
      if (io.name !== name) return false;
      if (io.kind && io.kind !== kind) return false;
      if (namespace !== undefined && (io.namespace ?? '') !== namespace) return false;
      return true;
    })
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  if (kind === 'Node') {
    const byKubelet = (e: Obj): boolean => (e.source?.component ?? e.reportingComponent) === 'kubelet';
    evs = [...evs.filter((e) => !byKubelet(e)), ...evs.filter(byKubelet)];
  }
  const time = (e: Obj): number =>
    toMs(e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime, ctx.clock.epochMs) ?? -Infinity;
  return goSort(evs, (a, b) => time(a) < time(b));
}

function describeEvents(w: PrefixWriter, events: Obj[], ctx: Ctx): void {
  if (events.length === 0) {
    w.write(0, 'Events:\t<none>\n');
    return;
  }
  w.flush();
  w.write(0, 'Events:\n  Type\tReason\tAge\tFrom\tMessage\n');
  w.write(1, '----\t------\t----\t----\t-------\n');
  for (const e of events) {
    let first = since(e.eventTime, ctx.clock);
    if (!e.eventTime) first = since(e.firstTimestamp, ctx.clock);
    let interval: string;
    if (e.series) interval = `${since(e.series.lastObservedTime, ctx.clock)} (x${e.series.count} over ${first})`;
    else if ((e.count ?? 0) > 1) interval = `${since(e.lastTimestamp, ctx.clock)} (x${e.count} over ${first})`;
    else interval = first;
    const source = e.source?.component || e.reportingComponent || '';
    let message = str(e.message).trim();
    if (e.involvedObject?.fieldPath) message = `${e.involvedObject.fieldPath}: ${message}`;
    w.write(1, `${str(e.type)}\t${str(e.reason)}\t${interval}\t${source}\t${message}\n`);
  }
}

// ------------------------------------------------------------------ containers and volumes

type EnvResolver = ((e: Obj) => string) | undefined;

function fieldPathValue(pod: Obj, path: string): string {
  const m = path.match(/^metadata\.(labels|annotations)\['(.*)'\]$/);
  if (m) return str(pod.metadata?.[m[1]]?.[m[2]]);
  switch (path) {
    case 'metadata.name': return str(pod.metadata?.name);
    case 'metadata.namespace': return str(pod.metadata?.namespace);
    case 'metadata.uid': return str(pod.metadata?.uid);
    case 'spec.nodeName': return str(pod.spec?.nodeName);
    case 'spec.serviceAccountName': return str(pod.spec?.serviceAccountName);
    case 'status.hostIP': return str(pod.status?.hostIP);
    case 'status.podIP': return str(pod.status?.podIP);
    case 'status.hostIPs': return ((pod.status?.hostIPs ?? []) as Obj[]).map((x) => x.ip).join(',');
    case 'status.podIPs': return ((pod.status?.podIPs ?? []) as Obj[]).map((x) => x.ip).join(',');
  }
  return '';
}

function containerResourceValue(ref: Obj, container: Obj): string {
  const [kind, res] = str(ref.resource).split('.');
  const list: Obj = (kind === 'limits' ? container.resources?.limits : container.resources?.requests) ?? {};
  const q = parseQuantity(list[res] ?? (kind === 'requests' ? container.resources?.limits?.[res] : undefined));
  const divisor = parseQuantity(ref.divisor ?? '1') ?? { milli: 1000, format: 'DecimalSI' as const };
  if (!q || divisor.milli === 0) return '0';
  // Values are rounded up to whole multiples of the divisor.
  return String(Math.ceil(q.milli / divisor.milli));
}

function portList(ports: Obj[] | undefined, field: 'containerPort' | 'hostPort'): string {
  return (ports ?? [])
    .map((p) => {
      let s = `${p[field] ?? 0}/${p.protocol ?? 'TCP'}`;
      if (p.name) s += ` (${p.name})`;
      return s;
    })
    .join(', ');
}

function describeProbe(p: Obj): string {
  const attrs = `delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 1}s period=${p.periodSeconds ?? 10}s ` +
    `#success=${p.successThreshold ?? 1} #failure=${p.failureThreshold ?? 3}`;
  if (p.exec) return `exec [${((p.exec.command ?? []) as string[]).join(' ')}] ${attrs}`;
  if (p.httpGet) {
    const scheme = str(p.httpGet.scheme || 'HTTP').toLowerCase();
    const host = str(p.httpGet.host);
    const port = str(p.httpGet.port);
    const hostPort = port ? (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`) : host;
    return `http-get ${scheme}://${hostPort}${str(p.httpGet.path)} ${attrs}`;
  }
  if (p.tcpSocket) return `tcp-socket ${str(p.tcpSocket.host)}:${str(p.tcpSocket.port)} ${attrs}`;
  if (p.grpc) return `grpc <pod>:${p.grpc.port} ${str(p.grpc.service)} ${attrs}`;
  return `unknown ${attrs}`;
}

function describeStatus(w: PrefixWriter, stateName: string, state: Obj | undefined, ctx: Ctx): void {
  const s: Obj = state ?? {};
  if (s.running) {
    w.write(2, `${stateName}:\tRunning\n`);
    w.write(3, `Started:\t${rfc1123z(s.running.startedAt, ctx.clock)}\n`);
  } else if (s.waiting) {
    w.write(2, `${stateName}:\tWaiting\n`);
    if (s.waiting.reason) w.write(3, `Reason:\t${s.waiting.reason}\n`);
  } else if (s.terminated) {
    const t: Obj = s.terminated;
    w.write(2, `${stateName}:\tTerminated\n`);
    if (t.reason) w.write(3, `Reason:\t${t.reason}\n`);
    if (t.message) w.write(3, `Message:\t${t.message}\n`);
    w.write(3, `Exit Code:\t${t.exitCode ?? 0}\n`);
    if ((t.signal ?? 0) > 0) w.write(3, `Signal:\t${t.signal}\n`);
    w.write(3, `Started:\t${rfc1123z(t.startedAt, ctx.clock)}\n`);
    w.write(3, `Finished:\t${rfc1123z(t.finishedAt, ctx.clock)}\n`);
  } else {
    w.write(2, `${stateName}:\tWaiting\n`);
  }
}

function describeResources(w: PrefixWriter, resources: Obj | undefined, level: number): void {
  if (!resources) return;
  const limits: Obj = resources.limits ?? {};
  const requests: Obj = resources.requests ?? {};
  if (Object.keys(limits).length > 0) w.write(level, 'Limits:\n');
  for (const name of Object.keys(limits).sort()) w.write(level + 1, `${name}:\t${qty(limits[name])}\n`);
  if (Object.keys(requests).length > 0) w.write(level, 'Requests:\n');
  for (const name of Object.keys(requests).sort()) w.write(level + 1, `${name}:\t${qty(requests[name])}\n`);
}

function describeContainers(
  w: PrefixWriter, label: string, containers: Obj[] | undefined, statuses: Obj[] | undefined,
  resolve: EnvResolver, space: string, ctx: Ctx,
): void {
  const byName = new Map<string, Obj>();
  for (const s of statuses ?? []) byName.set(s.name, s);
  const cs = containers ?? [];
  w.write(0, `${space}${label}:${cs.length === 0 ? ' <none>' : ''}\n`);
  for (const c of cs) {
    const status = byName.get(c.name);
    w.write(1, `${space ? ' ' : ''}${c.name}:\n`);
    if (status) w.write(2, `Container ID:\t${str(status.containerID)}\n`);
    w.write(2, `Image:\t${str(c.image)}\n`);
    if (status) w.write(2, `Image ID:\t${str(status.imageID)}\n`);
    const ports = portList(c.ports, 'containerPort');
    if (ports.includes(',')) w.write(2, `Ports:\t${ports}\n`);
    else w.write(2, `Port:\t${ports || '<none>'}\n`);
    const hostPorts = portList(c.ports, 'hostPort');
    if (hostPorts.includes(',')) w.write(2, `Host Ports:\t${hostPorts}\n`);
    else w.write(2, `Host Port:\t${hostPorts || '<none>'}\n`);
    const seccomp = c.securityContext?.seccompProfile;
    if (seccomp) {
      w.write(2, `SeccompProfile:\t${str(seccomp.type)}\n`);
      if (seccomp.type === 'Localhost') w.write(3, `LocalhostProfile:\t${str(seccomp.localhostProfile)}\n`);
    }
    if ((c.command ?? []).length > 0) {
      w.write(2, 'Command:\n');
      for (const cmd of c.command as string[]) for (const s of cmd.split('\n')) w.write(3, `${s}\n`);
    }
    if ((c.args ?? []).length > 0) {
      w.write(2, 'Args:\n');
      for (const arg of c.args as string[]) for (const s of arg.split('\n')) w.write(3, `${s}\n`);
    }
    if (status) {
      describeStatus(w, 'State', status.state, ctx);
      if (status.lastState?.terminated) describeStatus(w, 'Last State', status.lastState, ctx);
      w.write(2, `Ready:\t${status.ready ? 'True' : 'False'}\n`);
      w.write(2, `Restart Count:\t${status.restartCount ?? 0}\n`);
    }
    describeResources(w, c.resources, 2);
    if (c.livenessProbe) w.write(2, `Liveness:\t${describeProbe(c.livenessProbe)}\n`);
    if (c.readinessProbe) w.write(2, `Readiness:\t${describeProbe(c.readinessProbe)}\n`);
    if (c.startupProbe) w.write(2, `Startup:\t${describeProbe(c.startupProbe)}\n`);
    if ((c.envFrom ?? []).length > 0) {
      w.write(2, 'Environment Variables from:\n');
      for (const e of c.envFrom as Obj[]) {
        const from = e.configMapRef ? 'ConfigMap' : e.secretRef ? 'Secret' : '';
        const ref: Obj = e.configMapRef ?? e.secretRef ?? {};
        const optional = ref.optional === true;
        if (!e.prefix) w.write(3, `${str(ref.name)}\t${from}\tOptional: ${optional}\n`);
        else w.write(3, `${str(ref.name)}\t${from} with prefix '${e.prefix}'\tOptional: ${optional}\n`);
      }
    }
    const env: Obj[] = c.env ?? [];
    w.write(2, `Environment:${env.length === 0 ? '\t<none>' : ''}\n`);
    for (const e of env) {
      if (!e.valueFrom) {
        str(e.value).split('\n').forEach((s, i) => w.write(3, i === 0 ? `${e.name}:\t${s}\n` : `\t${s}\n`));
        continue;
      }
      const vf: Obj = e.valueFrom;
      if (vf.fieldRef) {
        const value = resolve ? resolve(e) : '';
        w.write(3, `${e.name}:\t${value} (${vf.fieldRef.apiVersion ?? 'v1'}:${vf.fieldRef.fieldPath})\n`);
      } else if (vf.resourceFieldRef) {
        let value = containerResourceValue(vf.resourceFieldRef, c);
        const res = str(vf.resourceFieldRef.resource);
        if (value === '0' && (res === 'limits.cpu' || res === 'limits.memory')) value = 'node allocatable';
        w.write(3, `${e.name}:\t${value} (${res})\n`);
      } else if (vf.secretKeyRef) {
        w.write(3, `${e.name}:\t<set to the key '${vf.secretKeyRef.key}' in secret '${vf.secretKeyRef.name}'>\tOptional: ${vf.secretKeyRef.optional === true}\n`);
      } else if (vf.configMapKeyRef) {
        w.write(3, `${e.name}:\t<set to the key '${vf.configMapKeyRef.key}' of config map '${vf.configMapKeyRef.name}'>\tOptional: ${vf.configMapKeyRef.optional === true}\n`);
      }
    }
    const mounts: Obj[] = stableSort([...(c.volumeMounts ?? [])] as Obj[], (a, b) => str(a.mountPath) < str(b.mountPath));
    w.write(2, `Mounts:${mounts.length === 0 ? '\t<none>' : ''}\n`);
    for (const m of mounts) {
      const flags = [m.readOnly ? 'ro' : 'rw'];
      if (m.subPath) flags.push(`path=${JSON.stringify(m.subPath)}`);
      w.write(3, `${m.mountPath} from ${m.name} (${flags.join(',')})\n`);
    }
    const devices: Obj[] = c.volumeDevices ?? [];
    if (devices.length > 0) {
      w.write(2, 'Devices:\n');
      for (const d of stableSort([...devices], (a, b) => str(a.devicePath) < str(b.devicePath))) w.write(3, `${d.devicePath} from ${d.name}\n`);
    }
  }
}

function describeVolumes(w: PrefixWriter, volumes: Obj[] | undefined, space: string): void {
  if (!volumes || volumes.length === 0) {
    w.write(0, `${space}Volumes:\t<none>\n`);
    return;
  }
  w.write(0, `${space}Volumes:\n`);
  for (const v of volumes) {
    w.write(1, `${space ? ' ' : ''}${v.name}:\n`);
    if (v.hostPath) {
      w.write(2, `Type:\tHostPath (bare host directory volume)\n    Path:\t${str(v.hostPath.path)}\n    HostPathType:\t${v.hostPath.type ?? '<none>'}\n`);
    } else if (v.emptyDir) {
      const size = parseQuantity(v.emptyDir.sizeLimit);
      w.write(2, `Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t${str(v.emptyDir.medium)}\n    SizeLimit:\t${size && size.milli > 0 ? quantityString(size) : '<unset>'}\n`);
    } else if (v.secret) {
      w.write(2, `Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t${str(v.secret.secretName)}\n    Optional:\t${v.secret.optional === true}\n`);
    } else if (v.configMap) {
      w.write(2, `Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t${str(v.configMap.name)}\n    Optional:\t${v.configMap.optional === true}\n`);
    } else if (v.persistentVolumeClaim) {
      w.write(2, `Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t${str(v.persistentVolumeClaim.claimName)}\n    ReadOnly:\t${v.persistentVolumeClaim.readOnly === true}\n`);
    } else if (v.projected) {
      w.write(2, 'Type:\tProjected (a volume that contains injected data from multiple sources)\n');
      for (const s of (v.projected.sources ?? []) as Obj[]) {
        if (s.secret) w.write(2, `SecretName:\t${str(s.secret.name)}\n    Optional:\t${s.secret.optional === true}\n`);
        else if (s.downwardAPI) w.write(2, 'DownwardAPI:\ttrue\n');
        else if (s.configMap) w.write(2, `ConfigMapName:\t${str(s.configMap.name)}\n    Optional:\t${s.configMap.optional === true}\n`);
        else if (s.serviceAccountToken) w.write(2, `TokenExpirationSeconds:\t${s.serviceAccountToken.expirationSeconds ?? 3600}\n`);
      }
    } else if (v.downwardAPI) {
      w.write(2, 'Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n');
      for (const item of (v.downwardAPI.items ?? []) as Obj[]) {
        if (item.fieldRef) w.write(3, `${item.fieldRef.fieldPath} -> ${item.path}\n`);
        if (item.resourceFieldRef) w.write(3, `${item.resourceFieldRef.resource} -> ${item.path}\n`);
      }
    } else {
      w.write(1, '<unknown>\n');
    }
  }
}

function podTemplate(w: PrefixWriter, template: Obj | undefined, ctx: Ctx): void {
  w.write(0, 'Pod Template:\n');
  if (!template) {
    w.write(1, '<unset>');
    return;
  }
  const spec: Obj = template.spec ?? {};
  printLabelsMultiline(w, '  Labels', template.metadata?.labels);
  if (Object.keys(template.metadata?.annotations ?? {}).length > 0) printAnnotationsMultiline(w, '  Annotations', template.metadata.annotations);
  if (spec.serviceAccountName) w.write(1, `Service Account:\t${spec.serviceAccountName}\n`);
  if ((spec.initContainers ?? []).length > 0) describeContainers(w, 'Init Containers', spec.initContainers, undefined, undefined, '  ', ctx);
  describeContainers(w, 'Containers', spec.containers, undefined, undefined, '  ', ctx);
  describeVolumes(w, spec.volumes, '  ');
  if (spec.priorityClassName) w.write(1, `Priority Class Name:\t${spec.priorityClassName}\n`);
  printLabelsMultiline(w, '  Node-Selectors', spec.nodeSelector);
  printTolerationsMultiline(w, '  Tolerations', spec.tolerations);
}

// ------------------------------------------------------------------ resource requests (component-helpers)

type ResourceList = Map<string, Quantity>;

function containerList(c: Obj, field: 'requests' | 'limits'): ResourceList {
  const out: ResourceList = new Map();
  const own: Obj = c.resources?.[field] ?? {};
  const fallback: Obj = field === 'requests' ? c.resources?.limits ?? {} : {};
  for (const [k, v] of Object.entries({ ...fallback, ...own })) {
    const q = parseQuantity(v);
    if (q) out.set(k, q);
  }
  return out;
}

function addList(into: ResourceList, add: ResourceList): void {
  for (const [k, q] of add) into.set(k, into.has(k) ? addQuantity(into.get(k)!, q) : { ...q });
}

function maxList(into: ResourceList, other: ResourceList): void {
  for (const [k, q] of other) if (!into.has(k) || q.milli > into.get(k)!.milli) into.set(k, { ...q });
}

/** resourcehelper.PodRequests / PodLimits. */
function podResources(pod: Obj, field: 'requests' | 'limits'): ResourceList {
  const total: ResourceList = new Map();
  for (const c of (pod.spec?.containers ?? []) as Obj[]) addList(total, containerList(c, field));
  const restartable: ResourceList = new Map();
  const init: ResourceList = new Map();
  for (const c of (pod.spec?.initContainers ?? []) as Obj[]) {
    let list = containerList(c, field);
    if (c.restartPolicy === 'Always') {
      addList(total, list);
      addList(restartable, list);
      list = restartable;
    } else {
      const tmp: ResourceList = new Map();
      addList(tmp, list);
      addList(tmp, restartable);
      list = tmp;
    }
    maxList(init, list);
  }
  maxList(total, init);
  const overhead: Obj = pod.spec?.overhead ?? {};
  const ov: ResourceList = new Map();
  for (const [k, v] of Object.entries(overhead)) {
    const q = parseQuantity(v);
    if (q) ov.set(k, q);
  }
  addList(total, ov);
  return total;
}

function computeQOS(pod: Obj): string {
  if (pod.status?.qosClass) return pod.status.qosClass;
  const requests: ResourceList = new Map();
  const limits: ResourceList = new Map();
  let guaranteed = true;
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])] as Obj[]) {
    for (const [k, v] of Object.entries((c.resources?.requests ?? {}) as Obj)) {
      const q = parseQuantity(v);
      if ((k === 'cpu' || k === 'memory') && q && q.milli > 0) addList(requests, new Map([[k, q]]));
    }
    const found = new Set<string>();
    for (const [k, v] of Object.entries((c.resources?.limits ?? {}) as Obj)) {
      const q = parseQuantity(v);
      if ((k === 'cpu' || k === 'memory') && q && q.milli > 0) {
        found.add(k);
        addList(limits, new Map([[k, q]]));
      }
    }
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [k, q] of requests) {
      if (!limits.has(k) || limits.get(k)!.milli !== q.milli) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

// ------------------------------------------------------------------ describers

function describePod(pod: Obj, ctx: Ctx): string {
  const spec: Obj = pod.spec ?? {};
  const status: Obj = pod.status ?? {};
  const md: Obj = pod.metadata ?? {};
  return tabbed((w) => {
    w.write(0, `Name:\t${md.name}\n`);
    w.write(0, `Namespace:\t${str(md.namespace)}\n`);
    if (spec.priority !== undefined && spec.priority !== null) w.write(0, `Priority:\t${spec.priority}\n`);
    if (spec.priorityClassName) w.write(0, `Priority Class Name:\t${spec.priorityClassName}\n`);
    if (spec.runtimeClassName) w.write(0, `Runtime Class Name:\t${spec.runtimeClassName}\n`);
    if (spec.serviceAccountName) w.write(0, `Service Account:\t${spec.serviceAccountName}\n`);
    if (!spec.nodeName) w.write(0, 'Node:\t<none>\n');
    else w.write(0, `Node:\t${spec.nodeName}/${str(status.hostIP)}\n`);
    if (status.startTime) w.write(0, `Start Time:\t${rfc1123z(status.startTime, ctx.clock)}\n`);
    printLabelsMultiline(w, 'Labels', md.labels);
    printAnnotationsMultiline(w, 'Annotations', md.annotations);
    if (md.deletionTimestamp && status.phase !== 'Failed' && status.phase !== 'Succeeded') {
      w.write(0, `Status:\tTerminating (lasts ${since(md.deletionTimestamp, ctx.clock)})\n`);
      w.write(0, `Termination Grace Period:\t${md.deletionGracePeriodSeconds ?? 0}s\n`);
    } else {
      w.write(0, `Status:\t${str(status.phase)}\n`);
    }
    if (status.reason) w.write(0, `Reason:\t${status.reason}\n`);
    if (status.message) w.write(0, `Message:\t${status.message}\n`);
    const seccomp = spec.securityContext?.seccompProfile;
    if (seccomp) {
      w.write(0, `SeccompProfile:\t${str(seccomp.type)}\n`);
      if (seccomp.type === 'Localhost') w.write(0, `LocalhostProfile:\t${str(seccomp.localhostProfile)}\n`);
    }
    w.write(0, `IP:\t${str(status.podIP)}\n`);
    const podIPs: Obj[] = status.podIPs ?? [];
    if (podIPs.length === 0) w.write(0, 'IPs:\t<none>\n');
    else {
      w.write(0, 'IPs:\n');
      for (const ip of podIPs) w.write(1, `IP:\t${ip.ip}\n`);
    }
    const ctrl = controllerOf(pod);
    if (ctrl) w.write(0, `Controlled By:\t${ctrl.kind}/${ctrl.name}\n`);
    if (status.nominatedNodeName) w.write(0, `NominatedNodeName:\t${status.nominatedNodeName}\n`);
    if (spec.resources) {
      w.write(0, 'Resources:\n');
      describeResources(w, spec.resources, 1);
    }
    const resolve: EnvResolver = (e) => fieldPathValue(pod, str(e.valueFrom?.fieldRef?.fieldPath));
    if ((spec.initContainers ?? []).length > 0) {
      describeContainers(w, 'Init Containers', spec.initContainers, status.initContainerStatuses, resolve, '', ctx);
    }
    describeContainers(w, 'Containers', spec.containers, status.containerStatuses, resolve, '', ctx);
    const gates: Obj[] = spec.readinessGates ?? [];
    if (gates.length > 0) {
      w.write(0, 'Readiness Gates:\n  Type\tStatus\n');
      for (const g of gates) {
        const c = ((status.conditions ?? []) as Obj[]).find((x) => x.type === g.conditionType);
        w.write(1, `${g.conditionType} \t${c ? c.status : '<none>'} \n`);
      }
    }
    const conditions: Obj[] = status.conditions ?? [];
    if (conditions.length > 0) {
      w.write(0, 'Conditions:\n  Type\tStatus\n');
      for (const c of conditions) w.write(1, `${c.type} \t${c.status} \n`);
    }
    describeVolumes(w, spec.volumes, '');
    w.write(0, `QoS Class:\t${computeQOS(pod)}\n`);
    printLabelsMultiline(w, 'Node-Selectors', spec.nodeSelector);
    printTolerationsMultiline(w, 'Tolerations', spec.tolerations);
    describeEvents(w, eventsFor(ctx, 'Pod', str(md.namespace), md.name), ctx);
  });
}

function nodeLease(ctx: Ctx, node: Obj): Obj {
  const stored = Object.values(ctx.state.objects).find(
    (o) => o.kind === 'Lease' && o.metadata.namespace === 'kube-node-lease' && o.metadata.name === node.metadata?.name,
  ) as Obj | undefined;
  if (stored) return stored.spec ?? {};
  // The kubelet holds its node lease and renews it every few seconds; it never sets acquireTime.
  return { holderIdentity: node.metadata?.name, renewTime: new Date(ctx.clock.nowMs).toISOString() };
}

function describeNode(node: Obj, ctx: Ctx): string {
  const md: Obj = node.metadata ?? {};
  const spec: Obj = node.spec ?? {};
  const status: Obj = node.status ?? {};
  const pods = (objectsOfKind(ctx, 'Pod') as Obj[]).filter(
    (p) => p.spec?.nodeName === md.name && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
  );
  return tabbed((w) => {
    w.write(0, `Name:\t${md.name}\n`);
    const roles = nodeRoles(node);
    w.write(0, `Roles:\t${roles.length > 0 ? roles.join(',') : '<none>'}\n`);
    printLabelsMultiline(w, 'Labels', md.labels);
    printAnnotationsMultiline(w, 'Annotations', md.annotations);
    w.write(0, `CreationTimestamp:\t${rfc1123z(md.creationTimestamp, ctx.clock)}\n`);
    printTaintsMultiline(w, 'Taints', spec.taints);
    w.write(0, `Unschedulable:\t${spec.unschedulable === true}\n`);
    const lease = nodeLease(ctx, node);
    w.write(0, 'Lease:\n');
    w.write(1, `HolderIdentity:\t${lease.holderIdentity ?? '<unset>'}\n`);
    w.write(1, `AcquireTime:\t${lease.acquireTime ? rfc1123z(lease.acquireTime, ctx.clock) : '<unset>'}\n`);
    w.write(1, `RenewTime:\t${lease.renewTime ? rfc1123z(lease.renewTime, ctx.clock) : '<unset>'}\n`);
    const conditions: Obj[] = status.conditions ?? [];
    if (conditions.length > 0) {
      w.write(0, 'Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n');
      w.write(1, '----\t------\t-----------------\t------------------\t------\t-------\n');
      for (const c of conditions) {
        w.write(1, `${c.type} \t${c.status} \t${rfc1123z(c.lastHeartbeatTime, ctx.clock)} \t${rfc1123z(c.lastTransitionTime, ctx.clock)} \t${str(c.reason)} \t${str(c.message)}\n`);
      }
    }
    w.write(0, 'Addresses:\n');
    for (const a of (status.addresses ?? []) as Obj[]) w.write(1, `${a.type}:\t${a.address}\n`);
    const printList = (list: Obj): void => {
      for (const k of Object.keys(list).sort()) w.write(0, `  ${k}:\t${qty(list[k])}\n`);
    };
    if (Object.keys(status.capacity ?? {}).length > 0) {
      w.write(0, 'Capacity:\n');
      printList(status.capacity);
    }
    if (Object.keys(status.allocatable ?? {}).length > 0) {
      w.write(0, 'Allocatable:\n');
      printList(status.allocatable);
    }
    const info: Obj = status.nodeInfo ?? {};
    w.write(0, 'System Info:\n');
    w.write(0, `  Machine ID:\t${str(info.machineID)}\n`);
    w.write(0, `  System UUID:\t${str(info.systemUUID)}\n`);
    w.write(0, `  Boot ID:\t${str(info.bootID)}\n`);
    w.write(0, `  Kernel Version:\t${str(info.kernelVersion)}\n`);
    w.write(0, `  OS Image:\t${str(info.osImage)}\n`);
    w.write(0, `  Operating System:\t${str(info.operatingSystem)}\n`);
    w.write(0, `  Architecture:\t${str(info.architecture)}\n`);
    w.write(0, `  Container Runtime Version:\t${str(info.containerRuntimeVersion)}\n`);
    w.write(0, `  Kubelet Version:\t${str(info.kubeletVersion)}\n`);
    if (spec.podCIDR) w.write(0, `PodCIDR:\t${spec.podCIDR}\n`);
    if ((spec.podCIDRs ?? []).length > 0) w.write(0, `PodCIDRs:\t${spec.podCIDRs.join(',')}\n`);
    if (spec.providerID) w.write(0, `ProviderID:\t${spec.providerID}\n`);
    describeNodeResource(w, pods, node, ctx);
    describeEvents(w, eventsFor(ctx, 'Node', undefined, md.name), ctx);
  });
}

function describeNodeResource(w: PrefixWriter, pods: Obj[], node: Obj, ctx: Ctx): void {
  w.write(0, `Non-terminated Pods:\t(${pods.length} in total)\n`);
  w.write(1, 'Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n');
  w.write(1, '---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n');
  const allocObj: Obj = Object.keys(node.status?.allocatable ?? {}).length > 0 ? node.status.allocatable : node.status?.capacity ?? {};
  const alloc = (name: string): Quantity | undefined => parseQuantity(allocObj[name]);
  const allocCpuMilli = alloc('cpu')?.milli ?? 0;
  const allocMem = quantityValue(alloc('memory'));
  const allocEph = quantityValue(alloc('ephemeral-storage'));
  const pct = (num: number, den: number): number => (den === 0 ? 0 : Math.trunc((num / den) * 100));
  for (const pod of pods) {
    const req = podResources(pod, 'requests');
    const lim = podResources(pod, 'limits');
    const cpuReq = req.get('cpu');
    const cpuLim = lim.get('cpu');
    const memReq = req.get('memory');
    const memLim = lim.get('memory');
    w.write(1, `${pod.metadata?.namespace}\t${pod.metadata?.name}\t\t` +
      `${quantityString(cpuReq)} (${pct(cpuReq?.milli ?? 0, allocCpuMilli)}%)\t` +
      `${quantityString(cpuLim)} (${pct(cpuLim?.milli ?? 0, allocCpuMilli)}%)\t` +
      `${quantityString(memReq)} (${pct(quantityValue(memReq), allocMem)}%)\t` +
      `${quantityString(memLim)} (${pct(quantityValue(memLim), allocMem)}%)\t` +
      `${since(pod.metadata?.creationTimestamp, ctx.clock)}\n`);
  }
  w.write(0, 'Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n');
  w.write(1, 'Resource\tRequests\tLimits\n');
  w.write(1, '--------\t--------\t------\n');
  const reqs: ResourceList = new Map();
  const limits: ResourceList = new Map();
  for (const pod of pods) {
    addList(reqs, podResources(pod, 'requests'));
    addList(limits, podResources(pod, 'limits'));
  }
  const row = (name: string, num: (q: Quantity | undefined) => number, den: number): void => {
    const r = reqs.get(name);
    const l = limits.get(name);
    w.write(1, `${name}\t${quantityString(r)} (${pct(num(r), den)}%)\t${quantityString(l)} (${pct(num(l), den)}%)\n`);
  };
  row('cpu', (q) => q?.milli ?? 0, allocCpuMilli);
  row('memory', quantityValue, allocMem);
  row('ephemeral-storage', quantityValue, allocEph);
  const names = Object.keys(allocObj);
  for (const h of names.filter((n) => n.startsWith('hugepages-')).sort()) row(h, quantityValue, quantityValue(alloc(h)));
  const standard = new Set(['cpu', 'memory', 'ephemeral-storage', 'pods']);
  for (const ext of names.filter((n) => !standard.has(n) && !n.startsWith('hugepages-') && !n.startsWith('requests.')).sort()) {
    w.write(1, `${ext}\t${quantityString(reqs.get(ext))}\t${quantityString(limits.get(ext))}\n`);
  }
}

/** describe.formatEndpointSlices: ready endpoints of the given port name, at most 3 shown. */
export function formatEndpointSlices(slices: Obj[], portName: string | undefined): string {
  if (slices.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  const ready = (ep: Obj): boolean => ep.conditions?.ready === undefined || ep.conditions?.ready === null || ep.conditions.ready === true;
  for (const s of slices) {
    const ports: Obj[] = s.ports ?? [];
    if (ports.length === 0) {
      for (const ep of (s.endpoints ?? []) as Obj[]) {
        if (list.length === max) more = true;
        if (!ready(ep)) continue;
        if (!more) list.push(ep.addresses?.[0]);
        count++;
      }
      continue;
    }
    for (const port of ports) {
      if (portName !== undefined && (port.name ?? '') !== portName) continue;
      for (const ep of (s.endpoints ?? []) as Obj[]) {
        if (list.length === max) more = true;
        const addr: string = ep.addresses?.[0] ?? '';
        if (!ready(ep)) continue;
        if (!more) list.push(addr.includes(':') ? `[${addr}]:${port.port}` : `${addr}:${port.port}`);
        count++;
      }
    }
  }
  const ret = list.join(',');
  return more ? `${ret} + ${count - max} more...` : ret;
}

function describeService(svc: Obj, ctx: Ctx): string {
  const md: Obj = svc.metadata ?? {};
  const spec: Obj = svc.spec ?? {};
  const slices = (objectsOfKind(ctx, 'EndpointSlice') as Obj[]).filter(
    (s) => s.metadata?.namespace === md.namespace && s.metadata?.labels?.['kubernetes.io/service-name'] === md.name,
  );
  return tabbed((w) => {
    w.write(0, `Name:\t${md.name}\n`);
    w.write(0, `Namespace:\t${str(md.namespace)}\n`);
    printLabelsMultiline(w, 'Labels', md.labels);
    printAnnotationsMultiline(w, 'Annotations', md.annotations);
    w.write(0, `Selector:\t${formatLabels(spec.selector)}\n`);
    w.write(0, `Type:\t${str(spec.type)}\n`);
    if (spec.ipFamilyPolicy) w.write(0, `IP Family Policy:\t${spec.ipFamilyPolicy}\n`);
    const families: string[] = spec.ipFamilies ?? [];
    w.write(0, `IP Families:\t${families.length > 0 ? families.join(',') : '<none>'}\n`);
    w.write(0, `IP:\t${str(spec.clusterIP)}\n`);
    const ips: string[] = spec.clusterIPs ?? [];
    w.write(0, `IPs:\t${ips.length > 0 ? ips.join(',') : '<none>'}\n`);
    if ((spec.externalIPs ?? []).length > 0) w.write(0, `External IPs:\t${spec.externalIPs.join(',')}\n`);
    if (spec.loadBalancerIP) w.write(0, `Desired LoadBalancer IP:\t${spec.loadBalancerIP}\n`);
    if (spec.externalName) w.write(0, `External Name:\t${spec.externalName}\n`);
    const ingress: Obj[] = svc.status?.loadBalancer?.ingress ?? [];
    if (ingress.length > 0) {
      const list = ingress.map((i) => (i.ip ? i.ip + (i.ipMode ? ` (${i.ipMode})` : '') : str(i.hostname))).join(', ');
      w.write(0, `LoadBalancer Ingress:\t${list}\n`);
    }
    for (const sp of (spec.ports ?? []) as Obj[]) {
      const name = sp.name || '<unset>';
      const proto = sp.protocol ?? 'TCP';
      w.write(0, `Port:\t${name}\t${sp.port}/${proto}\n`);
      const tp = sp.targetPort ?? sp.port;
      w.write(0, `TargetPort:\t${tp}/${proto}\n`);
      if (sp.appProtocol) w.write(0, `AppProtocol:\t${sp.appProtocol}\n`);
      if (sp.nodePort) w.write(0, `NodePort:\t${name}\t${sp.nodePort}/${proto}\n`);
      w.write(0, `Endpoints:\t${formatEndpointSlices(slices, sp.name ?? '')}\n`);
    }
    w.write(0, `Session Affinity:\t${str(spec.sessionAffinity)}\n`);
    if (spec.externalTrafficPolicy) w.write(0, `External Traffic Policy:\t${spec.externalTrafficPolicy}\n`);
    if (spec.internalTrafficPolicy) w.write(0, `Internal Traffic Policy:\t${spec.internalTrafficPolicy}\n`);
    if (spec.healthCheckNodePort) w.write(0, `HealthCheck NodePort:\t${spec.healthCheckNodePort}\n`);
    if ((spec.loadBalancerSourceRanges ?? []).length > 0) w.write(0, `LoadBalancer Source Ranges:\t${spec.loadBalancerSourceRanges.join(',')}\n`);
    if (spec.trafficDistribution) w.write(0, `Traffic Distribution:\t${spec.trafficDistribution}\n`);
    describeEvents(w, eventsFor(ctx, 'Service', str(md.namespace), md.name), ctx);
  });
}

function ownedBy(o: Obj, owner: Obj): boolean {
  const c = controllerOf(o);
  if (!c) return false;
  if (owner.metadata?.uid && c.uid) return c.uid === owner.metadata.uid;
  return c.kind === owner.kind && c.name === owner.metadata?.name;
}

function podStatusCounts(ctx: Ctx, owner: Obj): string {
  const pods = (objectsOfKind(ctx, 'Pod') as Obj[]).filter(
    (p) => p.metadata?.namespace === owner.metadata?.namespace && selectorMatches(owner.spec?.selector, p.metadata?.labels) && ownedBy(p, owner),
  );
  const n = (phase: string): number => pods.filter((p) => p.status?.phase === phase).length;
  return `${n('Running')} Running / ${n('Pending')} Waiting / ${n('Succeeded')} Succeeded / ${n('Failed')} Failed`;
}

function templateWithoutHash(t: Obj | undefined): string {
  const copy = JSON.parse(JSON.stringify(t ?? {})) as Obj;
  if (copy.metadata?.labels) delete copy.metadata.labels['pod-template-hash'];
  const canon = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canon) : v && typeof v === 'object'
      ? Object.fromEntries(Object.keys(v as Obj).sort().map((k) => [k, canon((v as Obj)[k])])) : v;
  return JSON.stringify(canon(copy));
}

function describeDeployment(d: Obj, ctx: Ctx): string {
  const md: Obj = d.metadata ?? {};
  const spec: Obj = d.spec ?? {};
  const st: Obj = d.status ?? {};
  const owned = (objectsOfKind(ctx, 'ReplicaSet') as Obj[]).filter(
    (rs) => rs.metadata?.namespace === md.namespace && ownedBy(rs, d),
  );
  const byAge = stableSort(owned, (a, b) => (toMs(a.metadata?.creationTimestamp, ctx.clock.epochMs) ?? 0) < (toMs(b.metadata?.creationTimestamp, ctx.clock.epochMs) ?? 0));
  const want = templateWithoutHash(spec.template);
  const newRS = byAge.find((rs) => templateWithoutHash(rs.spec?.template) === want);
  const oldRSs = byAge.filter((rs) => rs !== newRS);
  const rsList = (xs: Obj[]): string =>
    xs.map((rs) => `${rs.metadata.name} (${rs.status?.replicas ?? 0}/${rs.spec?.replicas ?? 1} replicas created)`).join(', ') || '<none>';
  return tabbed((w) => {
    w.write(0, `Name:\t${md.name}\n`);
    w.write(0, `Namespace:\t${str(md.namespace)}\n`);
    w.write(0, `CreationTimestamp:\t${rfc1123z(md.creationTimestamp, ctx.clock)}\n`);
    printLabelsMultiline(w, 'Labels', md.labels);
    printAnnotationsMultiline(w, 'Annotations', md.annotations);
    w.write(0, `Selector:\t${labelSelectorString(spec.selector)}\n`);
    w.write(0, `Replicas:\t${spec.replicas ?? 1} desired | ${st.updatedReplicas ?? 0} updated | ${st.replicas ?? 0} total | ${st.availableReplicas ?? 0} available | ${st.unavailableReplicas ?? 0} unavailable\n`);
    w.write(0, `StrategyType:\t${str(spec.strategy?.type)}\n`);
    w.write(0, `MinReadySeconds:\t${spec.minReadySeconds ?? 0}\n`);
    const ru = spec.strategy?.rollingUpdate;
    if (ru) w.write(0, `RollingUpdateStrategy:\t${str(ru.maxUnavailable)} max unavailable, ${str(ru.maxSurge)} max surge\n`);
    podTemplate(w, spec.template, ctx);
    const conditions: Obj[] = st.conditions ?? [];
    if (conditions.length > 0) {
      w.write(0, 'Conditions:\n  Type\tStatus\tReason\n');
      w.write(1, '----\t------\t------\n');
      for (const c of conditions) w.write(1, `${c.type} \t${c.status}\t${str(c.reason)}\n`);
    }
    if (oldRSs.length > 0 || newRS) {
      w.write(0, `OldReplicaSets:\t${rsList(oldRSs)}\n`);
      w.write(0, `NewReplicaSet:\t${rsList(newRS ? [newRS] : [])}\n`);
    }
    describeEvents(w, eventsFor(ctx, 'Deployment', str(md.namespace), md.name), ctx);
  });
}

function describeReplicaSet(rs: Obj, ctx: Ctx): string {
  const md: Obj = rs.metadata ?? {};
  return tabbed((w) => {
    w.write(0, `Name:\t${md.name}\n`);
    w.write(0, `Namespace:\t${str(md.namespace)}\n`);
    w.write(0, `Selector:\t${labelSelectorString(rs.spec?.selector) || '<none>'}\n`);
    printLabelsMultiline(w, 'Labels', md.labels);
    printAnnotationsMultiline(w, 'Annotations', md.annotations);
    const ctrl = controllerOf(rs);
    if (ctrl) w.write(0, `Controlled By:\t${ctrl.kind}/${ctrl.name}\n`);
    w.write(0, `Replicas:\t${rs.status?.replicas ?? 0} current / ${rs.spec?.replicas ?? 1} desired\n`);
    w.write(0, 'Pods Status:\t');
    w.write(0, `${podStatusCounts(ctx, rs)}\n`);
    podTemplate(w, rs.spec?.template, ctx);
    const conditions: Obj[] = rs.status?.conditions ?? [];
    if (conditions.length > 0) {
      w.write(0, 'Conditions:\n  Type\tStatus\tReason\n');
      w.write(1, '----\t------\t------\n');
      for (const c of conditions) w.write(1, `${c.type} \t${c.status}\t${str(c.reason)}\n`);
    }
    describeEvents(w, eventsFor(ctx, 'ReplicaSet', str(md.namespace), md.name), ctx);
  });
}

function describeDaemonSet(ds: Obj, ctx: Ctx): string {
  const md: Obj = ds.metadata ?? {};
  const st: Obj = ds.status ?? {};
  return tabbed((w) => {
    w.write(0, `Name:\t${md.name}\n`);
    w.write(0, `Namespace:\t${str(md.namespace)}\n`);
    w.write(0, `Selector:\t${labelSelectorString(ds.spec?.selector)}\n`);
    w.write(0, `Node-Selector:\t${formatLabels(ds.spec?.template?.spec?.nodeSelector)}\n`);
    printLabelsMultiline(w, 'Labels', md.labels);
    printAnnotationsMultiline(w, 'Annotations', md.annotations);
    w.write(0, `Desired Number of Nodes Scheduled: ${st.desiredNumberScheduled ?? 0}\n`);
    w.write(0, `Current Number of Nodes Scheduled: ${st.currentNumberScheduled ?? 0}\n`);
    w.write(0, `Number of Nodes Scheduled with Up-to-date Pods: ${st.updatedNumberScheduled ?? 0}\n`);
    w.write(0, `Number of Nodes Scheduled with Available Pods: ${st.numberAvailable ?? 0}\n`);
    w.write(0, `Number of Nodes Misscheduled: ${st.numberMisscheduled ?? 0}\n`);
    w.write(0, `Pods Status:\t${podStatusCounts(ctx, ds)}\n`);
    podTemplate(w, ds.spec?.template, ctx);
    describeEvents(w, eventsFor(ctx, 'DaemonSet', str(md.namespace), md.name), ctx);
  });
}

function describeNamespace(ns: Obj): string {
  const md: Obj = ns.metadata ?? {};
  return tabbed((w) => {
    w.write(0, `Name:\t${md.name}\n`);
    printLabelsMultiline(w, 'Labels', md.labels);
    printAnnotationsMultiline(w, 'Annotations', md.annotations);
    w.write(0, `Status:\t${str(ns.status?.phase)}\n`);
    w.write(0, '\n');
    w.write(0, 'No resource quota.\n');
    w.write(0, '\n');
    w.write(0, 'No LimitRange resource.\n');
  });
}

function describeEndpointSlice(eps: Obj, ctx: Ctx): string {
  const md: Obj = eps.metadata ?? {};
  return tabbed((w) => {
    w.write(0, `Name:\t${md.name}\n`);
    w.write(0, `Namespace:\t${str(md.namespace)}\n`);
    printLabelsMultiline(w, 'Labels', md.labels);
    printAnnotationsMultiline(w, 'Annotations', md.annotations);
    w.write(0, `AddressType:\t${str(eps.addressType)}\n`);
    const ports: Obj[] = eps.ports ?? [];
    if (ports.length === 0) w.write(0, 'Ports: <unset>\n');
    else {
      w.write(0, 'Ports:\n');
      w.write(1, 'Name\tPort\tProtocol\n');
      w.write(1, '----\t----\t--------\n');
      for (const p of ports) w.write(1, `${p.name || '<unset>'}\t${p.port ?? '<unset>'}\t${str(p.protocol ?? 'TCP')}\n`);
    }
    const endpoints: Obj[] = eps.endpoints ?? [];
    if (endpoints.length === 0) w.write(0, 'Endpoints: <none>\n');
    else {
      w.write(0, 'Endpoints:\n');
      for (const ep of endpoints) {
        w.write(1, `- Addresses:\t${((ep.addresses ?? []) as string[]).join(', ') || '<none>'}\n`);
        w.write(2, 'Conditions:\n');
        const ready = ep.conditions?.ready;
        w.write(3, `Ready:\t${ready === undefined || ready === null ? '<unset>' : String(ready)}\n`);
        w.write(2, `Hostname:\t${ep.hostname ?? '<unset>'}\n`);
        if (ep.targetRef) w.write(2, `TargetRef:\t${ep.targetRef.kind}/${ep.targetRef.name}\n`);
        w.write(2, `NodeName:\t${ep.nodeName ?? '<unset>'}\n`);
        w.write(2, `Zone:\t${ep.zone ?? '<unset>'}\n`);
      }
    }
    describeEvents(w, eventsFor(ctx, 'EndpointSlice', str(md.namespace), md.name), ctx);
  });
}

/** Go's time.Time.String() in UTC ("2025-01-01 00:00:05 +0000 UTC"), as "%s" prints a metav1.Time. */
function goTimeString(t: unknown, clock: RenderClock): string {
  const ms = toMs(t as string, clock.epochMs);
  if (ms === undefined) return '0001-01-01 00:00:00 +0000 UTC';
  const iso = new Date(ms).toISOString();
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? '.' + frac : ''} +0000 UTC`;
}

function networkPolicyPeers(w: PrefixWriter, peers: Obj[] | undefined, word: 'From' | 'To', indent: string): void {
  if (!peers || peers.length === 0) {
    w.write(0, `${indent}${word}: <any> (traffic not restricted by ${word === 'From' ? 'source' : 'destination'})\n`);
    return;
  }
  for (const p of peers) {
    w.write(0, `${indent}${word}:\n`);
    if (p.podSelector && p.namespaceSelector) {
      w.write(1, `${indent}NamespaceSelector: ${formatLabelSelector(p.namespaceSelector)}\n`);
      w.write(1, `${indent}PodSelector: ${formatLabelSelector(p.podSelector)}\n`);
    } else if (p.podSelector) {
      w.write(1, `${indent}PodSelector: ${formatLabelSelector(p.podSelector)}\n`);
    } else if (p.namespaceSelector) {
      w.write(1, `${indent}NamespaceSelector: ${formatLabelSelector(p.namespaceSelector)}\n`);
    } else if (p.ipBlock) {
      w.write(1, `${indent}IPBlock:\n`);
      w.write(2, `${indent}CIDR: ${str(p.ipBlock.cidr)}\n`);
      w.write(2, `${indent}Except: ${((p.ipBlock.except ?? []) as string[]).join(', ')}\n`);
    }
  }
}

function networkPolicyRules(w: PrefixWriter, rules: Obj[] | undefined, dir: 'ingress' | 'egress', indent: string): void {
  if (!rules || rules.length === 0) {
    w.write(0, `${indent}<none> (Selected pods are isolated for ${dir} connectivity)\n`);
    return;
  }
  rules.forEach((rule, i) => {
    const ports: Obj[] = rule.ports ?? [];
    if (ports.length === 0) w.write(0, `${indent}To Port: <any> (traffic allowed to all ports)\n`);
    for (const port of ports) {
      const proto = port.protocol ?? 'TCP';
      const p = port.port === undefined || port.port === null ? '<nil>' : String(port.port);
      if (port.endPort === undefined || port.endPort === null) w.write(0, `${indent}To Port: ${p}/${proto}\n`);
      else w.write(0, `${indent}To Port Range: ${p}-${port.endPort}/${proto}\n`);
    }
    networkPolicyPeers(w, dir === 'ingress' ? rule.from : rule.to, dir === 'ingress' ? 'From' : 'To', indent);
    if (i !== rules.length - 1) w.write(0, `${indent}----------\n`);
  });
}

function describeNetworkPolicy(np: Obj, ctx: Ctx): string {
  const md: Obj = np.metadata ?? {};
  const spec: Obj = np.spec ?? {};
  return tabbed((w) => {
    w.write(0, `Name:\t${md.name}\n`);
    w.write(0, `Namespace:\t${str(md.namespace)}\n`);
    w.write(0, `Created on:\t${goTimeString(md.creationTimestamp, ctx.clock)}\n`);
    printLabelsMultiline(w, 'Labels', md.labels);
    printAnnotationsMultiline(w, 'Annotations', md.annotations);
    w.write(0, 'Spec:\n');
    w.write(1, 'PodSelector: ');
    const sel: Obj = spec.podSelector ?? {};
    if (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0) {
      w.write(2, '<none> (Allowing the specific traffic to all pods in this namespace)\n');
    } else {
      w.write(2, `${formatLabelSelector(sel)}\n`);
    }
    const types: string[] = spec.policyTypes ?? [];
    if (types.includes('Ingress')) {
      w.write(1, 'Allowing ingress traffic:\n');
      networkPolicyRules(w, spec.ingress, 'ingress', '    ');
    } else {
      w.write(1, 'Not affecting ingress traffic\n');
    }
    if (types.includes('Egress')) {
      w.write(1, 'Allowing egress traffic:\n');
      networkPolicyRules(w, spec.egress, 'egress', '    ');
    } else {
      w.write(1, 'Not affecting egress traffic\n');
    }
    w.write(1, `Policy Types: ${types.length > 0 ? types.join(', ') : '<none>'}\n`);
  });
}

// ------------------------------------------------------------------ entry point

/** Objects of a kind in API list order (namespace, then name). */
function objectsOfKind(ctx: Ctx, kind: string): KObject[] {
  const key = (o: KObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  return Object.values(ctx.state.objects)
    .filter((o) => o.kind === kind)
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

const DESCRIBERS: Record<string, (o: Obj, ctx: Ctx) => string> = {
  Pod: describePod,
  Node: describeNode,
  Service: describeService,
  Deployment: describeDeployment,
  ReplicaSet: describeReplicaSet,
  DaemonSet: describeDaemonSet,
  Namespace: (o) => describeNamespace(o),
  EndpointSlice: describeEndpointSlice,
  NetworkPolicy: describeNetworkPolicy,
};

/** Kinds renderDescribe can describe. */
export const DESCRIBABLE_KINDS = Object.keys(DESCRIBERS);

export function renderDescribe(state: ClusterState, req: DescribeRequest): RenderResult {
  const slash = req.resource.indexOf('/');
  if (slash > 0 && (req.name === undefined || req.name === '')) {
    return renderDescribe(state, { ...req, resource: req.resource.slice(0, slash), name: req.resource.slice(slash + 1) });
  }
  const info: ResourceInfo | undefined = lookupResource(req.resource);
  if (!info) return { stdout: '', stderr: `error: the server doesn't have a resource type "${req.resource}"\n`, exitCode: 1 };
  const describer = DESCRIBERS[info.kind];
  if (!describer) {
    return { stdout: '', stderr: `error: no description has been implemented for ${info.kind}\n`, exitCode: 1 };
  }
  const ctx: Ctx = { state, clock: clockOf(state, req.epochMs) };
  const namespace = req.namespace || 'default';
  const inScope = objectsOf(state, info, ctx.clock).filter((o) => !info.namespaced || (o.metadata.namespace ?? '') === namespace);
  if (req.name === undefined || req.name === '') {
    if (inScope.length === 0) {
      const msg = info.namespaced ? `No resources found in ${namespace} namespace.\n` : 'No resources found\n';
      return { stdout: '', stderr: msg, exitCode: 0 };
    }
    return { stdout: inScope.map((o) => describer(o as Obj, ctx)).join('\n\n'), stderr: '', exitCode: 0 };
  }
  const exact = inScope.find((o) => o.metadata.name === req.name);
  if (exact) return { stdout: describer(exact as Obj, ctx), stderr: '', exitCode: 0 };
  // kubectl describes every object whose name starts with the argument, each followed by a newline.
  const prefixed = inScope.filter((o) => o.metadata.name.startsWith(req.name!));
  if (prefixed.length > 0) return { stdout: prefixed.map((o) => describer(o as Obj, ctx) + '\n').join(''), stderr: '', exitCode: 0 };
  return {
    stdout: '',
    stderr: `Error from server (NotFound): ${qualifiedResource(info)} "${req.name}" not found\n`,
    exitCode: 1,
  };
}
