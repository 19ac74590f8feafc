import { describe, expect, it } from 'vitest';
import { clockOf, DEFAULT_EPOCH_MS, humanDuration, rfc1123z, rfc3339, since } from './time.ts';
import { at, obj, stateWith } from './testing.ts';

describe('humanDuration (apimachinery duration.HumanDuration)', () => {
  // Expected values follow the thresholds in HumanDuration: seconds below 2m, m[s] below 10m,
  // minutes below 3h, h[m] below 8h, hours below 48h, d[h] below 8d, days below 2y, y[d] below 8y.
  const cases: [number, string][] = [
    [-5, '<invalid>'], [-2, '<invalid>'], [-1.5, '0s'], [-1, '0s'], [0, '0s'], [45, '45s'], [119, '119s'],
    [120, '2m'], [150, '2m30s'], [599, '9m59s'], [600, '10m'], [3599, '59m'], [10799, '179m'],
    [10800, '3h'], [3 * 3600 + 1800, '3h30m'], [8 * 3600, '8h'], [8 * 3600 + 1800, '8h'], [47 * 3600, '47h'],
    [48 * 3600, '2d'], [51 * 3600, '2d3h'], [7 * 86400 + 23 * 3600, '7d23h'], [8 * 86400, '8d'],
    [729 * 86400, '729d'], [730 * 86400, '2y'], [731 * 86400, '2y1d'], [8 * 365 * 86400, '8y'], [20 * 365 * 86400, '20y'],
  ];
  it.each(cases)('%d s -> %s', (secs, want) => {
    expect(humanDuration(secs)).toBe(want);
  });
});

describe('clock and timestamps', () => {
  it('ages an ISO creationTimestamp against the logical clock', () => {
    const state = stateWith([obj('Namespace', 'default', undefined, 0)], { clock: 330 });
    const clock = clockOf(state);
    expect(clock.epochMs).toBe(DEFAULT_EPOCH_MS);
    expect(since(at(30), clock)).toBe('5m');
    expect(since(30, clock)).toBe('5m');
    expect(since(undefined, clock)).toBe('<unknown>');
  });

  it('infers the epoch from the oldest object when timestamps do not fit the default epoch', () => {
    const iso = (s: number): string => new Date(Date.UTC(2030, 5, 1) + s * 1000).toISOString();
    const state = stateWith([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', creationTimestamp: iso(0) as unknown as Date } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', creationTimestamp: iso(100) as unknown as Date } },
    ], { clock: 700 });
    const clock = clockOf(state);
    expect(clock.epochMs).toBe(Date.UTC(2030, 5, 1));
    expect(since(iso(100), clock)).toBe('10m');
  });

  it('formats RFC1123Z in UTC and RFC 3339 at second precision', () => {
    const clock = { epochMs: DEFAULT_EPOCH_MS, nowMs: DEFAULT_EPOCH_MS };
    // 2025-01-01 was a Wednesday.
    expect(rfc1123z(3723, clock)).toBe('Wed, 01 Jan 2025 01:02:03 +0000');
    expect(rfc1123z(undefined, clock)).toBe('Mon, 01 Jan 0001 00:00:00 +0000');
    expect(rfc3339(5, clock)).toBe('2025-01-01T00:00:05Z');
  });
});
