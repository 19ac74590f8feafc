// The kubelet's part in a pod's life: sandbox creation through the CNI (or the host's network
// for hostNetwork pods), image pulls and container starts with the events kubelet records,
// pod status as the status manager writes it, and teardown (CNI DEL) on deletion.
// Kubelet-private facts (sandbox ids, images present per node) live in
// pluginState["kubelet"] so the state stays plain JSON.

import { containerdId } from '../k8s/naming.ts';
import { fnv32a } from '../k8s/hash.ts';
import { randHex } from '../k8s/rand.ts';
import type { CniPlugin, PluginContext } from './plugins.ts';
import type { ClusterState, NodeRecord } from './types.ts';
import { listObjects, nowTime, removeObject, touchObject } from './store.ts';
import { recordEvent } from './events.ts';
import { podKey, type Pod } from './pods.ts';

export interface PodSandbox {
  /** containerd sandbox id (CNI_CONTAINERID). */
  id: string;
  node: string;
  /** Network namespace on the host (a key of host.namespaces); absent for hostNetwork pods. */
  netns?: string;
  hostInterface?: string;
  ips: string[];
  /** True once CNI ADD succeeded (or for hostNetwork). */
  ready: boolean;
  /** The last CNI error, while not ready. */
  error?: string;
}

interface KubeletState {
  /** By "<namespace>/<name>". */
  sandboxes: Record<string, PodSandbox>;
  /** Images each node has pulled (normalised references). */
  images: Record<string, string[]>;
  /** Image digests handed out, so every node reports the same imageID for an image. */
  digests: Record<string, string>;
}

export function kubeletState(state: ClusterState): KubeletState {
  const ps = state.pluginState as Record<string, unknown>;
  if (!ps.kubelet) ps.kubelet = { sandboxes: {}, images: {}, digests: {} } satisfies KubeletState;
  return ps.kubelet as KubeletState;
}

/** The sandbox record of a pod (where its network namespace is), if kubelet made one. */
export function podSandbox(state: ClusterState, namespace: string, name: string): PodSandbox | undefined {
  return kubeletState(state).sandboxes[`${namespace}/${name}`];
}

/** containerd's normalised image reference: docker.io/library/nginx:latest for "nginx". */
export function normalizeImage(image: string): string {
  let ref = image;
  const first = ref.split('/')[0];
  const hasRegistry = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) ref = `docker.io/${ref.includes('/') ? '' : 'library/'}${ref}`;
  const last = ref.split('/').pop()!;
  if (!last.includes(':') && !last.includes('@')) ref += ':latest';
  return ref;
}

/** Go time.Duration.String() for a millisecond count (as kubelet prints pull times). */
function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  return `${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')}s`;
}

function pullPolicy(c: { image?: string; imagePullPolicy?: string }): string {
  if (c.imagePullPolicy) return c.imagePullPolicy;
  const last = (c.image ?? '').split('/').pop()!;
  const tag = last.includes('@') ? 'digest' : last.includes(':') ? last.split(':').pop() : 'latest';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

interface Container {
  name: string;
  image?: string;
  imagePullPolicy?: string;
}

function pullEvents(state: ClusterState, pod: Pod, node: NodeRecord, c: Container): void {
  const ks = kubeletState(state);
  const image = c.image ?? '';
  const norm = normalizeImage(image);
  const have = (ks.images[node.name] ??= []);
  const policy = pullPolicy(c);
  if (policy !== 'Always' && have.includes(norm)) {
    recordEvent(state, pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`, 'kubelet');
    return;
  }
  recordEvent(state, pod, 'Normal', 'Pulling', `Pulling image "${image}"`, 'kubelet');
  // Pull time and size are not knowable offline; derive stable, plausible figures from the name.
  const h = fnv32a(new TextEncoder().encode(norm));
  const ms = have.includes(norm) ? 200 + (h % 400) : 800 + (h % 4200);
  const size = 5_000_000 + (h % 150_000_000);
  const d = goDuration(ms);
  recordEvent(state, pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${d} (${d} including waiting). Image size: ${size} bytes.`, 'kubelet');
  if (!have.includes(norm)) have.push(norm);
}

function imageId(state: ClusterState, image: string): string {
  const ks = kubeletState(state);
  const norm = normalizeImage(image);
  ks.digests[norm] ??= randHex(state, 64);
  const repo = norm.replace(/[:@][^/]*$/, '');
  return `${repo}@sha256:${ks.digests[norm]}`;
}

function conditions(now: string, prev: { type: string; status: string; lastTransitionTime?: unknown }[] | undefined, want: [string, boolean, string?, string?][]) {
  return want.map(([type, ok, reason, message]) => {
    const p = (prev ?? []).find((c) => c.type === type);
    const status = ok ? 'True' : 'False';
    const c: Record<string, unknown> = {
      lastProbeTime: null,
      lastTransitionTime: p && p.status === status ? p.lastTransitionTime : now,
      status,
      type,
    };
    if (reason) c.reason = reason;
    if (message) c.message = message;
    return c;
  });
}

function kubeMinor(state: ClusterState): number {
  const m = /^v?1\.(\d+)/.exec(state.spec.kubernetesVersion ?? '');
  return m ? Number(m[1]) : 0;
}

/**
 * Created/Started as kuberuntime records them: "Created container nginx" up to 1.32,
 * "Created container: nginx" from 1.33, and without the name from 1.35 (the event's
 * fieldPath names the container).
 */
function containerEvents(state: ClusterState, pod: Pod, name: string): void {
  const minor = kubeMinor(state);
  const created = minor >= 35 ? 'Created container' : minor >= 33 ? `Created container: ${name}` : `Created container ${name}`;
  const started = minor >= 35 ? 'Started container' : `Started container ${name}`;
  recordEvent(state, pod, 'Normal', 'Created', created, 'kubelet');
  recordEvent(state, pod, 'Normal', 'Started', started, 'kubelet');
}

function setRunning(state: ClusterState, pod: Pod, node: NodeRecord, ips: string[]): void {
  const now = nowTime(state);
  const spec = pod.spec!;
  const inits = (spec.initContainers ?? []) as Container[];
  for (const c of inits) {
    pullEvents(state, pod, node, c);
    containerEvents(state, pod, c.name);
  }
  for (const c of spec.containers as Container[]) {
    pullEvents(state, pod, node, c);
    containerEvents(state, pod, c.name);
  }
  const prev = pod.status?.conditions as never;
  const status: Record<string, unknown> = {
    conditions: conditions(now, prev, [
      ['PodReadyToStartContainers', true],
      ['Initialized', true],
      ['Ready', true],
      ['ContainersReady', true],
      ['PodScheduled', true],
    ]),
    containerStatuses: (spec.containers as Container[]).map((c) => ({
      containerID: `containerd://${containerdId(state)}`,
      image: normalizeImage(c.image ?? ''),
      imageID: imageId(state, c.image ?? ''),
      lastState: {},
      name: c.name,
      ready: true,
      restartCount: 0,
      started: true,
      state: { running: { startedAt: now } },
    })),
    hostIP: node.primaryIp,
    hostIPs: [{ ip: node.primaryIp }],
    phase: 'Running',
    podIP: ips[0],
    podIPs: ips.map((ip) => ({ ip })),
    qosClass: pod.status?.qosClass ?? 'BestEffort',
    startTime: (pod.status?.startTime as unknown as string | undefined) ?? now,
  };
  if (inits.length > 0) {
    status.initContainerStatuses = inits.map((c) => ({
      containerID: `containerd://${containerdId(state)}`,
      image: normalizeImage(c.image ?? ''),
      imageID: imageId(state, c.image ?? ''),
      lastState: {},
      name: c.name,
      ready: true,
      restartCount: 0,
      started: false,
      state: { terminated: { containerID: '', exitCode: 0, finishedAt: now, reason: 'Completed', startedAt: now } },
    }));
    for (const s of status.initContainerStatuses as { containerID: string; state: { terminated: { containerID: string } } }[]) {
      s.state.terminated.containerID = s.containerID;
    }
  }
  pod.status = status as never;
  touchObject(state, pod);
}

function setContainerCreating(state: ClusterState, pod: Pod, node: NodeRecord): void {
  const now = nowTime(state);
  const names = (pod.spec!.containers as Container[]).map((c) => c.name);
  const unready = `containers with unready status: [${names.join(' ')}]`;
  const inits = (pod.spec!.initContainers ?? []) as Container[];
  const status: Record<string, unknown> = {
    conditions: conditions(now, pod.status?.conditions as never, [
      ['PodReadyToStartContainers', false],
      inits.length > 0
        ? ['Initialized', false, 'ContainersNotInitialized', `containers with incomplete status: [${inits.map((c) => c.name).join(' ')}]`]
        : ['Initialized', true],
      ['Ready', false, 'ContainersNotReady', unready],
      ['ContainersReady', false, 'ContainersNotReady', unready],
      ['PodScheduled', true],
    ]),
    containerStatuses: (pod.spec!.containers as Container[]).map((c) => ({
      image: c.image,
      imageID: '',
      lastState: {},
      name: c.name,
      ready: false,
      restartCount: 0,
      started: false,
      state: { waiting: { reason: 'ContainerCreating' } },
    })),
    hostIP: node.primaryIp,
    hostIPs: [{ ip: node.primaryIp }],
    phase: 'Pending',
    qosClass: pod.status?.qosClass ?? 'BestEffort',
    startTime: (pod.status?.startTime as unknown as string | undefined) ?? now,
  };
  if (inits.length > 0) {
    status.initContainerStatuses = inits.map((c) => ({
      image: c.image,
      imageID: '',
      lastState: {},
      name: c.name,
      ready: false,
      restartCount: 0,
      started: false,
      state: { waiting: { reason: 'PodInitializing' } },
    }));
  }
  pod.status = status as never;
  touchObject(state, pod);
}

/** Wraps a CNI error the way containerd + kubelet report a failed RunPodSandbox. */
export function sandboxErrorMessage(cni: CniPlugin, sandboxId: string, error: string): string {
  if (error.startsWith('Failed to create pod sandbox')) return error;
  const inner = error.startsWith('plugin type=') ? error : `plugin type="${cni.name}" name="${cni.name}" failed (add): ${error}`;
  return `Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "${sandboxId}": ${inner}`;
}

/**
 * Kubelet admission (the "pods" resource): a pod bound straight to a full node (spec.nodeName
 * set by the user, bypassing the scheduler) is rejected and fails with OutOfpods.
 */
function rejectIfFull(state: ClusterState, pod: Pod, node: NodeRecord): boolean {
  const ks = kubeletState(state);
  const used = Object.entries(ks.sandboxes).filter(([k, sb]) => sb.node === node.name && k !== podKey(pod)).length;
  if (used + 1 <= node.podCapacity) return false;
  const detail = `Node didn't have enough resource: pods, requested: 1, used: ${used}, capacity: ${node.podCapacity}`;
  recordEvent(state, pod, 'Warning', 'OutOfpods', detail, 'kubelet');
  pod.status = {
    message: `Pod was rejected: ${detail}`,
    phase: 'Failed',
    qosClass: pod.status?.qosClass ?? 'BestEffort',
    reason: 'OutOfpods',
    startTime: nowTime(state),
  } as never;
  touchObject(state, pod);
  return true;
}

function ctxFor(state: ClusterState, nodeName: string): PluginContext | undefined {
  const node = state.nodes.find((n) => n.name === nodeName);
  const host = state.hosts[nodeName];
  return node && host ? { cluster: state, node, host } : undefined;
}

/**
 * Sandbox retry bookkeeping for one operation: kubelet backs off after a failed RunPodSandbox
 * and retries later; within an operation we retry only once a CNI DEL has freed something
 * since the last attempt (otherwise the retry would fail the same way).
 */
export interface SandboxRetries {
  /** Pod key → value of `dels` when its sandbox last failed. */
  failedAt: Map<string, number>;
  /** CNI DELs performed so far in this operation. */
  dels: number;
}

export function newSandboxRetries(): SandboxRetries {
  return { failedAt: new Map(), dels: 0 };
}

/** One kubelet pass over every node's pods. Returns true when anything changed. */
export function syncKubelets(state: ClusterState, cni: CniPlugin, retries: SandboxRetries): boolean {
  let changed = false;
  const ks = kubeletState(state);
  for (const pod of listObjects<Pod>(state, 'Pod')) {
    const key = podKey(pod);
    const nodeName = pod.spec?.nodeName;
    const ctx = nodeName ? ctxFor(state, nodeName) : undefined;
    if (pod.metadata.deletionTimestamp) {
      const sb = ks.sandboxes[key];
      if (sb && ctx) {
        for (const c of pod.spec!.containers as Container[]) {
          if (sb.ready) recordEvent(state, pod, 'Normal', 'Killing', `Stopping container ${c.name}`, 'kubelet');
        }
        // CNI DEL undoes a successful ADD; a failed ADD was already cleaned up by the runtime.
        if (!pod.spec?.hostNetwork && sb.ready) {
          cni.podDelete(ctx, pod);
          retries.dels++;
        }
      }
      delete ks.sandboxes[key];
      removeObject(state, pod);
      changed = true;
      continue;
    }
    if (!ctx) continue;
    if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') continue;
    const sb = ks.sandboxes[key];
    if (sb?.ready) continue;
    if (!sb && rejectIfFull(state, pod, ctx.node)) {
      changed = true;
      continue;
    }
    if (pod.spec?.hostNetwork) {
      ks.sandboxes[key] = { id: containerdId(state), node: ctx.node.name, ips: [ctx.node.primaryIp], ready: true };
      setRunning(state, pod, ctx.node, [ctx.node.primaryIp]);
      changed = true;
      continue;
    }
    const last = retries.failedAt.get(key);
    if (last !== undefined && last === retries.dels) continue;
    const id = containerdId(state);
    ks.sandboxes[key] = { id, node: ctx.node.name, ips: [], ready: false };
    const res = cni.podAdd(ctx, pod);
    if (res.ok) {
      ks.sandboxes[key] = { id, node: ctx.node.name, netns: res.netns, hostInterface: res.hostInterface, ips: res.ips, ready: true };
      setRunning(state, pod, ctx.node, res.ips);
    } else {
      ks.sandboxes[key] = { id, node: ctx.node.name, ips: [], ready: false, error: res.error };
      retries.failedAt.set(key, retries.dels);
      recordEvent(state, pod, 'Warning', 'FailedCreatePodSandBox', sandboxErrorMessage(cni, id, res.error), 'kubelet');
      setContainerCreating(state, pod, ctx.node);
    }
    changed = true;
  }
  return changed;
}
