// The API server's store as the controllers see it: objects keyed "<kind>/<namespace>/<name>",
// server-set metadata (uid, resourceVersion, creationTimestamp, generation), owner references
// and the logical clock rendered as RFC 3339 timestamps.

import type { KObject } from '../k8s/types.ts';
import { objectKey } from '../k8s/resources.ts';
import { randUuid } from '../k8s/rand.ts';
import type { ClusterState } from './types.ts';

export { objectKey };

/** Wall-clock time of logical second 0 (cluster creation). Fixed so output is reproducible. */
export const CLUSTER_EPOCH_MS = Date.UTC(2025, 0, 1, 0, 0, 0);

/** RFC 3339 (seconds precision, "Z"), as metav1.Time serialises. */
export function rfc3339(clockSeconds: number): string {
  return new Date(CLUSTER_EPOCH_MS + clockSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function nowTime(state: ClusterState): string {
  return rfc3339(state.clock);
}

/** Seconds since creation for an RFC 3339 timestamp written by rfc3339(). */
export function clockOf(ts: string | undefined): number {
  if (!ts) return 0;
  return Math.round((Date.parse(ts) - CLUSTER_EPOCH_MS) / 1000);
}

export function getObject<T = KObject>(state: ClusterState, kind: string, namespace: string, name: string): T | undefined {
  return state.objects[`${kind}/${namespace}/${name}`] as T | undefined;
}

/** Objects of a kind (optionally in one namespace), in key order (deterministic). */
export function listObjects<T = KObject>(state: ClusterState, kind: string, namespace?: string): T[] {
  const prefix = namespace === undefined ? `${kind}/` : `${kind}/${namespace}/`;
  return Object.keys(state.objects)
    .filter((k) => k.startsWith(prefix))
    .sort()
    .map((k) => state.objects[k] as T);
}

/** resourceVersion: the cluster-wide change counter (etcd revision), kept in pluginState so it survives JSON. */
function nextResourceVersion(state: ClusterState): string {
  const ps = state.pluginState as Record<string, unknown>;
  const cur = typeof ps['apiserver.resourceVersion'] === 'number' ? (ps['apiserver.resourceVersion'] as number) : 0;
  ps['apiserver.resourceVersion'] = cur + 1;
  return String(cur + 1);
}

/** Create: fills uid, resourceVersion, creationTimestamp (and generation for kinds that track it). */
export function createObject<T extends KObject>(state: ClusterState, obj: T): T {
  const key = objectKey(obj);
  const meta = obj.metadata;
  if (meta.namespace === undefined && key.split('/')[1] !== '') meta.namespace = 'default';
  meta.uid = meta.uid ?? randUuid(state);
  const m = meta as unknown as Record<string, unknown>;
  m.creationTimestamp = m.creationTimestamp ?? nowTime(state);
  meta.resourceVersion = nextResourceVersion(state);
  if (tracksGeneration(obj.kind)) meta.generation = 1;
  state.objects[key] = obj;
  return obj;
}

/** Update in place: bumps resourceVersion (and generation when spec changed, if asked). */
export function touchObject(state: ClusterState, obj: KObject, specChanged = false): void {
  obj.metadata.resourceVersion = nextResourceVersion(state);
  if (specChanged && tracksGeneration(obj.kind)) obj.metadata.generation = (obj.metadata.generation ?? 0) + 1;
  state.objects[objectKey(obj)] = obj;
}

export function removeObject(state: ClusterState, obj: KObject): void {
  delete state.objects[objectKey(obj)];
}

/** Kinds whose strategy sets metadata.generation (bumped on spec changes). */
function tracksGeneration(kind: string): boolean {
  return kind === 'Deployment' || kind === 'ReplicaSet' || kind === 'DaemonSet' || kind === 'NetworkPolicy';
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The controller ownerReference a controller puts on what it creates. */
export function controllerRef(owner: KObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid as string,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function getControllerOf(obj: KObject): OwnerReference | undefined {
  const refs = (obj.metadata.ownerReferences ?? []) as OwnerReference[];
  return refs.find((r) => r.controller);
}

export function isControlledBy(obj: KObject, owner: KObject): boolean {
  const c = getControllerOf(obj);
  return c !== undefined && c.uid === owner.metadata.uid;
}

/** Deep copy through JSON (objects are plain data). */
export function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
