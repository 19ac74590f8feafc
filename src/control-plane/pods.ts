// Pod helpers shared by the controllers, scheduler and kubelet.
import type { KObject, V1Pod } from '../k8s/types.ts';
import { selectorMatches } from '../k8s/validation.ts';

export type Pod = V1Pod & KObject;

export function podKey(p: { metadata: { namespace?: string; name: string } }): string {
  return `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`;
}

export function isTerminating(p: V1Pod): boolean {
  return p.metadata?.deletionTimestamp !== undefined && p.metadata?.deletionTimestamp !== null;
}

/** Succeeded or Failed: no longer counts toward anything. */
export function isTerminated(p: V1Pod): boolean {
  const ph = p.status?.phase;
  return ph === 'Succeeded' || ph === 'Failed';
}

/** controller.IsPodActive: not terminated and not being deleted. */
export function isPodActive(p: V1Pod): boolean {
  return !isTerminated(p) && !isTerminating(p);
}

export function isPodReady(p: V1Pod): boolean {
  return (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function labelsOf(o: { metadata?: { labels?: Record<string, string> } }): Record<string, string> {
  return o.metadata?.labels ?? {};
}

/** LabelSelector match; an empty/absent selector matches nothing here (controllers require one). */
export function selects(selector: unknown, labels: Record<string, string>): boolean {
  if (!selector || typeof selector !== 'object') return false;
  const s = selector as { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
  if (Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0) return false;
  return selectorMatches(selector, labels);
}

/** Service-style map selector (spec.selector of a Service). */
export function mapSelects(sel: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!sel || Object.keys(sel).length === 0) return false;
  return Object.entries(sel).every(([k, v]) => labels[k] === v);
}
