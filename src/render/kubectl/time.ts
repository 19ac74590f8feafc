// Time as kubectl shows it. The cluster has a logical clock (seconds since creation); object
// timestamps are ISO strings at a fixed epoch plus logical seconds. Every helper here accepts
// either form, so callers never convert by hand.

import { CLUSTER_EPOCH_MS } from '../../control-plane/store.ts';
import type { ClusterState } from '../../control-plane/types.ts';

/** The control plane's fixed epoch (logical time 0), used unless a rendering says otherwise. */
export const DEFAULT_EPOCH_MS = CLUSTER_EPOCH_MS;

/** A point in time: ISO-8601 string, logical seconds, or absent. */
export type TimeLike = string | number | null | undefined;

/** Clock shared by one rendering: the epoch and "now", both in ms since 1970. */
export interface RenderClock {
  epochMs: number;
  nowMs: number;
}

/** Milliseconds since 1970 for a TimeLike, or undefined when absent/unparseable. */
export function toMs(t: TimeLike, epochMs: number): number | undefined {
  if (t === null || t === undefined || t === '') return undefined;
  if (typeof t === 'number') return epochMs + t * 1000;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

function isoTimestampsOf(state: ClusterState): number[] {
  const out: number[] = [];
  for (const o of Object.values(state.objects)) {
    const ts = o.metadata?.creationTimestamp as unknown;
    const ms = typeof ts === 'string' ? Date.parse(ts) : ts instanceof Date ? ts.getTime() : NaN;
    if (!Number.isNaN(ms)) out.push(ms);
  }
  return out;
}

/**
 * The clock for rendering `state`. The epoch is, in order: `epochMs` if given; a numeric
 * `epochMs` field on the state; DEFAULT_EPOCH_MS when every object timestamp fits in
 * [DEFAULT_EPOCH_MS, DEFAULT_EPOCH_MS + clock]; otherwise the oldest creationTimestamp
 * (the bootstrap objects are created at logical time 0).
 */
export function clockOf(state: ClusterState, epochMs?: number): RenderClock {
  const clock = typeof state.clock === 'number' ? state.clock : 0;
  let epoch = epochMs;
  const declared = (state as unknown as { epochMs?: unknown }).epochMs;
  if (epoch === undefined && typeof declared === 'number') epoch = declared;
  if (epoch === undefined) {
    const all = isoTimestampsOf(state);
    const fits = all.every((ms) => ms >= DEFAULT_EPOCH_MS && ms <= DEFAULT_EPOCH_MS + clock * 1000);
    epoch = fits || all.length === 0 ? DEFAULT_EPOCH_MS : Math.min(...all);
  }
  return { epochMs: epoch, nowMs: epoch + clock * 1000 };
}

/** apimachinery duration.HumanDuration, for a duration in (possibly fractional) seconds. */
export function humanDuration(seconds: number): string {
  const secs = Math.trunc(seconds);
  if (secs < -1) return '<invalid>';
  if (secs < 0) return '0s';
  if (secs < 60 * 2) return `${secs}s`;
  const minutes = Math.floor(secs / 60);
  if (minutes < 10) {
    const s = secs % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(secs / 3600);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    const y = Math.floor(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** kubectl translateTimestampSince: "<unknown>" for a zero/absent time, else HumanDuration(now - t). */
export function since(t: TimeLike, clock: RenderClock): string {
  const ms = toMs(t, clock.epochMs);
  if (ms === undefined) return '<unknown>';
  return humanDuration((clock.nowMs - ms) / 1000);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Go's time.RFC1123Z layout ("Mon, 02 Jan 2006 15:04:05 -0700"), in UTC. Absent time is Go's zero time. */
export function rfc1123z(t: TimeLike, clock: RenderClock): string {
  const ms = toMs(t, clock.epochMs);
  if (ms === undefined) return 'Mon, 01 Jan 0001 00:00:00 +0000';
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]}, ${pad2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`;
}

/** RFC 3339 at second precision, as metav1.Time marshals ("2025-01-01T00:00:05Z"). */
export function rfc3339(t: TimeLike, clock: RenderClock): string | undefined {
  const ms = toMs(t, clock.epochMs);
  if (ms === undefined) return undefined;
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
