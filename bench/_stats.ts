// Shared by the micro-benchmarks: timing a call (wall and CPU), repeated runs, their summary, and
// writing bench/results/<name>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Wall-clock and CPU (user+system) milliseconds of f(). */
export function time<T>(f: () => T): { ms: number; cpuMs: number; value: T } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = f();
  const c = process.cpuUsage(c0);
  return { ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, value };
}

/** `count` timed runs of f(): wall and CPU milliseconds, each sorted ascending, and the last value. */
export function timedRuns<T>(count: number, f: () => T, last: T): { runs: number[]; cpuRuns: number[]; last: T } {
  const runs: number[] = [];
  const cpuRuns: number[] = [];
  for (let i = 0; i < count; i++) {
    const r = time(f);
    runs.push(r.ms);
    cpuRuns.push(r.cpuMs);
    last = r.value;
  }
  runs.sort((a, b) => a - b);
  cpuRuns.sort((a, b) => a - b);
  return { runs, cpuRuns, last };
}

/** The middle of ascending-sorted `a`. */
export const median = (a: number[]): number => a[Math.floor(a.length / 2)]!;
/** Rounded to one decimal. */
export const r1 = (x: number): number => Math.round(x * 10) / 10;
/** Ascending-sorted runs, rounded, with their median and minimum. */
export const summary = (a: number[]) => ({ runs: a.map(r1), median: r1(median(a)), min: r1(a[0]!) });

/** `<prefix>WallMs` and `<prefix>CpuMs` summaries, the goal and whether the medians meet it. */
export function timings(prefix: string, runs: number[], cpuRuns: number[], goalMs: number) {
  return {
    [`${prefix}WallMs`]: summary(runs),
    [`${prefix}CpuMs`]: summary(cpuRuns),
    goalMs,
    meetsGoalWall: median(runs) <= goalMs,
    meetsGoalCpu: median(cpuRuns) <= goalMs,
  };
}

/** Writes bench/results/<name>.json and prints it. */
export function writeResult(name: string, result: unknown): void {
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', `${name}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
}
