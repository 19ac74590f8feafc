// Table columns and row cells per kind, as kubectl's server-side printers produce them
// (k8s.io/kubernetes pkg/printers/internalversion/printers.go). Priority-1 columns are the
// `-o wide` extras.

import type { KObject } from '../../k8s/types.ts';
import { formatLabelSelector, formatLabels, labelSelectorString } from './labels.ts';
import { since, toMs, type RenderClock } from './time.ts';

// Objects are plain JSON as the API server stores them; fields are read loosely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

export interface Column {
  name: string;
  /** 0 = always shown, 1 = only with -o wide. */
  priority: 0 | 1;
}

export interface PrintContext {
  clock: RenderClock;
  wide: boolean;
}

export type RowPrinter = (obj: KObject, ctx: PrintContext) => string[];

const col = (name: string, priority: 0 | 1 = 0): Column => ({ name, priority });

// ------------------------------------------------------------------ pods

export const podColumns: Column[] = [
  col('Name'), col('Ready'), col('Status'), col('Restarts'), col('Age'),
  col('IP', 1), col('Node', 1), col('Nominated Node', 1), col('Readiness Gates', 1),
];

function isRestartableInit(c: Obj | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

function conditionTrue(conditions: Obj[] | undefined, type: string): boolean {
  for (const c of conditions ?? []) if (c.type === type) return c.status === 'True';
  return false;
}

/** The READY, STATUS and RESTARTS cells of a pod, computed as printPod does. */
export function podStatusCells(pod: Obj, clock: RenderClock): { ready: string; reason: string; restarts: string } {
  const spec: Obj = pod.spec ?? {};
  const status: Obj = pod.status ?? {};
  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = (spec.containers ?? []).length;
  let readyContainers = 0;
  let lastRestartMs: number | undefined;
  let lastRestartableInitMs: number | undefined;
  const later = (a: number | undefined, b: unknown): number | undefined => {
    const ms = toMs(b as string, clock.epochMs);
    if (ms === undefined) return a;
    return a === undefined || a < ms ? ms : a;
  };

  const podPhase: string = status.phase ?? '';
  let reason: string = podPhase;
  if (status.reason) reason = status.reason;
  for (const c of status.conditions ?? []) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initContainers = new Map<string, Obj>();
  for (const c of spec.initContainers ?? []) {
    initContainers.set(c.name, c);
    if (isRestartableInit(c)) totalContainers++;
  }

  let initializing = false;
  const initStatuses: Obj[] = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const container = initStatuses[i];
    const state: Obj = container.state ?? {};
    restarts += container.restartCount ?? 0;
    const lastTerm = container.lastState?.terminated;
    if (lastTerm) lastRestartMs = later(lastRestartMs, lastTerm.finishedAt);
    const restartable = isRestartableInit(initContainers.get(container.name));
    if (restartable) {
      restartableInitRestarts += container.restartCount ?? 0;
      if (lastTerm) lastRestartableInitMs = later(lastRestartableInitMs, lastTerm.finishedAt);
    }
    if (state.terminated && (state.terminated.exitCode ?? 0) === 0) continue;
    if (restartable && container.started === true) {
      if (container.ready) readyContainers++;
      continue;
    }
    if (state.terminated) {
      const t = state.terminated;
      if (!t.reason) reason = t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode ?? 0}`;
      else reason = 'Init:' + t.reason;
      initializing = true;
    } else if (state.waiting && state.waiting.reason && state.waiting.reason !== 'PodInitializing') {
      reason = 'Init:' + state.waiting.reason;
      initializing = true;
    } else {
      reason = `Init:${i}/${(spec.initContainers ?? []).length}`;
      initializing = true;
    }
    break;
  }

  if (!initializing || conditionTrue(status.conditions, 'Initialized')) {
    restarts = restartableInitRestarts;
    lastRestartMs = lastRestartableInitMs;
    let hasRunning = false;
    const statuses: Obj[] = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const container = statuses[i];
      const state: Obj = container.state ?? {};
      restarts += container.restartCount ?? 0;
      const lastTerm = container.lastState?.terminated;
      if (lastTerm) lastRestartMs = later(lastRestartMs, lastTerm.finishedAt);
      if (state.waiting && state.waiting.reason) reason = state.waiting.reason;
      else if (state.terminated && state.terminated.reason) reason = state.terminated.reason;
      else if (state.terminated && !state.terminated.reason) {
        reason = state.terminated.signal ? `Signal:${state.terminated.signal}` : `ExitCode:${state.terminated.exitCode ?? 0}`;
      } else if (container.ready && state.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = conditionTrue(status.conditions, 'Ready') ? 'Running' : 'NotReady';
    }
  }

  const deletion = pod.metadata?.deletionTimestamp;
  if (deletion && status.reason === 'NodeLost') reason = 'Unknown';
  else if (deletion && podPhase !== 'Succeeded' && podPhase !== 'Failed') reason = 'Terminating';

  let restartsStr = String(restarts);
  if (restarts !== 0 && lastRestartMs !== undefined) {
    restartsStr = `${restarts} (${since(new Date(lastRestartMs).toISOString(), clock)} ago)`;
  }
  return { ready: `${readyContainers}/${totalContainers}`, reason, restarts: restartsStr };
}

export const printPod: RowPrinter = (pod, ctx) => {
  const p = pod as Obj;
  const { ready, reason, restarts } = podStatusCells(p, ctx.clock);
  const cells = [pod.metadata.name, ready, reason, restarts, since(pod.metadata.creationTimestamp as unknown as string, ctx.clock)];
  if (ctx.wide) {
    const podIP: string = p.status?.podIPs?.[0]?.ip || '<none>';
    const nodeName: string = p.spec?.nodeName || '<none>';
    const nominated: string = p.status?.nominatedNodeName || '<none>';
    let gates = '<none>';
    const rg: Obj[] = p.spec?.readinessGates ?? [];
    if (rg.length > 0) {
      let trueConditions = 0;
      for (const g of rg) {
        for (const c of p.status?.conditions ?? []) {
          if (c.type === g.conditionType) {
            if (c.status === 'True') trueConditions++;
            break;
          }
        }
      }
      gates = `${trueConditions}/${rg.length}`;
    }
    cells.push(podIP, nodeName, nominated, gates);
  }
  return cells;
};

// ------------------------------------------------------------------ nodes

export const nodeColumns: Column[] = [
  col('Name'), col('Status'), col('Roles'), col('Age'), col('Version'),
  col('Internal-IP', 1), col('External-IP', 1), col('OS-Image', 1), col('Kernel-Version', 1), col('Container-Runtime', 1),
];

/** findNodeRoles: node-role.kubernetes.io/<role> labels and kubernetes.io/role=<role>, sorted. */
export function nodeRoles(node: Obj): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries((node.metadata?.labels ?? {}) as Record<string, string>)) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v !== '') roles.add(v);
  }
  return [...roles].sort();
}

function nodeAddress(node: Obj, type: string): string {
  for (const a of node.status?.addresses ?? []) if (a.type === type) return a.address;
  return '<none>';
}

export const printNode: RowPrinter = (node, ctx) => {
  const n = node as Obj;
  const status: string[] = [];
  for (const c of n.status?.conditions ?? []) {
    if (c.type === 'Ready') {
      status.push(c.status === 'True' ? 'Ready' : 'NotReady');
      break;
    }
  }
  if (status.length === 0) status.push('Unknown');
  if (n.spec?.unschedulable) status.push('SchedulingDisabled');
  const roles = nodeRoles(n).join(',') || '<none>';
  const info: Obj = n.status?.nodeInfo ?? {};
  const cells = [node.metadata.name, status.join(','), roles, since(n.metadata?.creationTimestamp, ctx.clock), info.kubeletVersion ?? ''];
  if (ctx.wide) {
    cells.push(
      nodeAddress(n, 'InternalIP'), nodeAddress(n, 'ExternalIP'),
      info.osImage || '<unknown>', info.kernelVersion || '<unknown>', info.containerRuntimeVersion || '<unknown>',
    );
  }
  return cells;
};

// ------------------------------------------------------------------ services

export const serviceColumns: Column[] = [
  col('Name'), col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), col('Age'), col('Selector', 1),
];

function loadBalancerStatusString(svc: Obj, wide: boolean): string {
  const set = new Set<string>();
  for (const i of svc.status?.loadBalancer?.ingress ?? []) {
    if (i.ip) set.add(i.ip);
    else if (i.hostname) set.add(i.hostname);
  }
  let r = [...set].sort().join(',');
  if (!wide && r.length > 16) r = r.slice(0, 13) + '...';
  return r;
}

export function serviceExternalIP(svc: Obj, wide: boolean): string {
  const externalIPs: string[] = svc.spec?.externalIPs ?? [];
  switch (svc.spec?.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerStatusString(svc, wide);
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return svc.spec?.externalName ?? '';
  }
  return '<unknown>';
}

export function servicePorts(svc: Obj): string {
  const pieces = ((svc.spec?.ports ?? []) as Obj[]).map((p) =>
    p.nodePort > 0 ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`,
  );
  return pieces.join(',') || '<none>';
}

export const printService: RowPrinter = (svc, ctx) => {
  const s = svc as Obj;
  const clusterIPs: string[] = s.spec?.clusterIPs ?? (s.spec?.clusterIP ? [s.spec.clusterIP] : []);
  const cells = [
    svc.metadata.name, s.spec?.type ?? 'ClusterIP', clusterIPs[0] ?? '<none>', serviceExternalIP(s, ctx.wide),
    servicePorts(s), since(s.metadata?.creationTimestamp, ctx.clock),
  ];
  if (ctx.wide) cells.push(formatLabels(s.spec?.selector));
  return cells;
};

// ------------------------------------------------------------------ endpointslices

export const endpointSliceColumns: Column[] = [col('Name'), col('AddressType'), col('Ports'), col('Endpoints'), col('Age')];

function listWithMore(list: string[], more: boolean, count: number, max: number): string {
  const ret = list.join(',');
  if (more) return `${ret} + ${count - max} more...`;
  return ret || '<unset>';
}

export const printEndpointSlice: RowPrinter = (eps, ctx) => {
  const e = eps as Obj;
  const max = 3;
  let list: string[] = [];
  let more = false;
  let count = 0;
  for (const port of (e.ports ?? []) as Obj[]) {
    if (list.length < max) {
      let num = '*';
      if (port.port !== undefined && port.port !== null) num = String(port.port);
      else if (port.name !== undefined && port.name !== null) num = port.name;
      list.push(num);
    } else if (list.length === max) more = true;
    count++;
  }
  const ports = listWithMore(list, more, count, max);
  list = [];
  more = false;
  count = 0;
  for (const ep of (e.endpoints ?? []) as Obj[]) {
    for (const addr of (ep.addresses ?? []) as string[]) {
      if (list.length < max) list.push(addr);
      else if (list.length === max) more = true;
      count++;
    }
  }
  const endpoints = listWithMore(list, more, count, max);
  return [eps.metadata.name, e.addressType ?? '', ports, endpoints, since(e.metadata?.creationTimestamp, ctx.clock)];
};

// ------------------------------------------------------------------ networkpolicies

export const networkPolicyColumns: Column[] = [col('Name'), col('Pod-Selector'), col('Age')];

export const printNetworkPolicy: RowPrinter = (np, ctx) => {
  const n = np as Obj;
  return [np.metadata.name, formatLabelSelector(n.spec?.podSelector ?? {}), since(n.metadata?.creationTimestamp, ctx.clock)];
};

// ------------------------------------------------------------------ workloads

function containerCells(containers: Obj[] | undefined): [string, string] {
  const cs = containers ?? [];
  return [cs.map((c) => c.name ?? '').join(','), cs.map((c) => c.image ?? '').join(',')];
}

export const deploymentColumns: Column[] = [
  col('Name'), col('Ready'), col('Up-to-date'), col('Available'), col('Age'),
  col('Containers', 1), col('Images', 1), col('Selector', 1),
];

export const printDeployment: RowPrinter = (d, ctx) => {
  const o = d as Obj;
  const st: Obj = o.status ?? {};
  const cells = [
    d.metadata.name, `${st.readyReplicas ?? 0}/${o.spec?.replicas ?? 1}`, String(st.updatedReplicas ?? 0),
    String(st.availableReplicas ?? 0), since(o.metadata?.creationTimestamp, ctx.clock),
  ];
  if (ctx.wide) {
    const [names, images] = containerCells(o.spec?.template?.spec?.containers);
    cells.push(names, images, labelSelectorString(o.spec?.selector));
  }
  return cells;
};

export const replicaSetColumns: Column[] = [
  col('Name'), col('Desired'), col('Current'), col('Ready'), col('Age'),
  col('Containers', 1), col('Images', 1), col('Selector', 1),
];

export const printReplicaSet: RowPrinter = (rs, ctx) => {
  const o = rs as Obj;
  const st: Obj = o.status ?? {};
  const cells = [
    rs.metadata.name, String(o.spec?.replicas ?? 1), String(st.replicas ?? 0), String(st.readyReplicas ?? 0),
    since(o.metadata?.creationTimestamp, ctx.clock),
  ];
  if (ctx.wide) {
    const [names, images] = containerCells(o.spec?.template?.spec?.containers);
    cells.push(names, images, formatLabelSelector(o.spec?.selector));
  }
  return cells;
};

export const daemonSetColumns: Column[] = [
  col('Name'), col('Desired'), col('Current'), col('Ready'), col('Up-to-date'), col('Available'), col('Node Selector'), col('Age'),
  col('Containers', 1), col('Images', 1), col('Selector', 1),
];

export const printDaemonSet: RowPrinter = (ds, ctx) => {
  const o = ds as Obj;
  const st: Obj = o.status ?? {};
  const cells = [
    ds.metadata.name, String(st.desiredNumberScheduled ?? 0), String(st.currentNumberScheduled ?? 0),
    String(st.numberReady ?? 0), String(st.updatedNumberScheduled ?? 0), String(st.numberAvailable ?? 0),
    formatLabels(o.spec?.template?.spec?.nodeSelector), since(o.metadata?.creationTimestamp, ctx.clock),
  ];
  if (ctx.wide) {
    const [names, images] = containerCells(o.spec?.template?.spec?.containers);
    cells.push(names, images, formatLabelSelector(o.spec?.selector));
  }
  return cells;
};

// ------------------------------------------------------------------ namespaces

export const namespaceColumns: Column[] = [col('Name'), col('Status'), col('Age')];

export const printNamespace: RowPrinter = (ns, ctx) => {
  const o = ns as Obj;
  return [ns.metadata.name, o.status?.phase ?? '', since(o.metadata?.creationTimestamp, ctx.clock)];
};

// ------------------------------------------------------------------ events

export const eventColumns: Column[] = [
  col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Subobject', 1), col('Source', 1), col('Message'),
  col('First Seen', 1), col('Count', 1), col('Name', 1),
];

export const printEvent: RowPrinter = (ev, ctx) => {
  const e = ev as Obj;
  let firstSeen = since(e.firstTimestamp, ctx.clock);
  if (!e.firstTimestamp) firstSeen = since(e.eventTime, ctx.clock);
  let lastSeen = since(e.lastTimestamp, ctx.clock);
  if (!e.lastTimestamp) lastSeen = firstSeen;
  let count: number = e.count ?? 0;
  if (e.series) {
    lastSeen = since(e.series.lastObservedTime, ctx.clock);
    count = e.series.count;
  } else if (count === 0) count = 1;
  const io: Obj = e.involvedObject ?? {};
  const kind = String(io.kind ?? '').toLowerCase();
  const target = io.name ? `${kind}/${io.name}` : kind;
  const message = String(e.message ?? '').trim();
  if (!ctx.wide) return [lastSeen, e.type ?? '', e.reason ?? '', target, message];
  const component = e.source?.component || e.reportingComponent || '';
  const host = e.source?.host || e.reportingInstance || '';
  const source = host ? `${component}, ${host}` : component;
  return [lastSeen, e.type ?? '', e.reason ?? '', target, io.fieldPath ?? '', source, message, firstSeen, String(count), ev.metadata.name];
};
