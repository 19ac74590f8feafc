// Live-lab benchmark: `lab up` and `lab down` (workloads included) of
// - the default cluster (3 x m5.large, VPC CNI, kube-proxy iptables) with 8 nginx replicas: 3 nodes
//   and 10 pod namespaces (2 coredns + 8 nginx), plus the VPC fabric; also `lab diff` (goal: up ≤ 3 s);
// - the same cluster file with a 20-node group and a Deployment of 200 nginx replicas: 20 nodes and
//   202 pod namespaces (m5.large: 29 pods per node, ~10 used) (goal: up ≤ 30 s).
// Needs root (skips with a message otherwise). LAB_BENCH_RUNS (default 3) and LAB_BENCH_BIG_RUNS
// (default 2) change the repetitions; LAB_BENCH_BIG=0 skips the big cluster.
// Run: npx tsx bench/lab.bench.ts → writes bench/results/lab.json
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { labDown, labUp, rootCheck } from '../src/lab/lab.node.ts';
import { labDiff } from '../src/lab/diff.node.ts';
import { labTestCluster } from '../src/lab/testing.ts';
import type { ClusterState } from '../src/control-plane/types.ts';

const root = rootCheck();
if (!root.ok) {
  process.stderr.write(`lab bench skipped: ${root.reason}\n`);
  process.exit(0);
}

/** CPU time (ms) of this process and its waited-for children (/proc/self/stat utime+stime+cutime+cstime):
 *  unlike wall time it hardly depends on what else the machine runs. The relay and the workload
 *  server are not waited for, so their start-up is not counted. */
function cpuMs(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  const ticks = [11, 12, 13, 14].reduce((a, i) => a + Number(f[i]), 0);
  return (ticks * 1000) / 100;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (xs: number[]) => xs.map((x) => Math.round(x));
const load = () => Math.round(os.loadavg()[0] * 10) / 10;

async function measure(name: string, state: ClusterState, runs: number, withDiff: boolean, goalUpMs: number) {
  const podNamespaces = Object.values(state.hosts).reduce((n, h) => n + Object.keys(h.namespaces).length - 1, 0);
  const runDir = mkdtempSync(join(os.tmpdir(), 'kw-labbench-'));
  const up: number[] = [];
  const upCpu: number[] = [];
  const down: number[] = [];
  const diff: number[] = [];
  const loadBefore = load();
  let namespaces = 0;
  let diffs: number | undefined;
  try {
    for (let i = 0; i < runs; i++) {
      let t0 = performance.now();
      const c0 = cpuMs();
      const lab = await labUp(state, { runDir, prefix: 'kwb' });
      up.push(performance.now() - t0);
      upCpu.push(cpuMs() - c0);
      namespaces = lab.record.namespaces.length;
      if (withDiff) {
        t0 = performance.now();
        diffs = labDiff(state, lab.record).diffs.length;
        diff.push(performance.now() - t0);
      }
      t0 = performance.now();
      labDown({ runDir });
      down.push(performance.now() - t0);
      process.stderr.write(`${name} run ${i + 1}: up ${Math.round(up[i])} ms (cpu ${Math.round(upCpu[i])} ms), down ${Math.round(down[i])} ms, load ${load()}\n`);
    }
  } finally {
    labDown({ runDir });
    rmSync(runDir, { recursive: true, force: true });
  }
  return {
    name,
    inputs: { nodes: state.nodes.length, podNamespaces, namespacesCreated: namespaces, runs },
    loadAverage1mBefore: loadBefore,
    ...(withDiff ? { diffsFound: diffs, diffWallMs: { runs: round(diff), median: Math.round(median(diff)) } } : {}),
    upWallMs: { runs: round(up), median: Math.round(median(up)), goal: goalUpMs, meetsGoal: median(up) <= goalUpMs },
    upCpuMs: { runs: round(upCpu), median: Math.round(median(upCpu)) },
    downWallMs: { runs: round(down), median: Math.round(median(down)) },
  };
}

const results = [await measure('3 nodes + 10 pods', labTestCluster(8), Number(process.env.LAB_BENCH_RUNS ?? 3), true, 3000)];
if (process.env.LAB_BENCH_BIG !== '0') {
  results.push(await measure('20 nodes + 200 pods', labTestCluster(200, true, 'vpc-cni', 20), Number(process.env.LAB_BENCH_BIG_RUNS ?? 2), false, 30_000));
}

const result = {
  benchmark: 'live lab up/down (real network namespaces, workloads included)',
  date: new Date().toISOString(),
  node: process.version,
  cpu: os.cpus()[0]?.model,
  cpus: os.cpus().length,
  loadAverage1m: load(),
  results,
};
const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'lab.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
