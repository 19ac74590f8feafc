// Live-lab benchmark: `lab up` and `lab down` of the default cluster (3 x m5.large, VPC CNI,
// kube-proxy iptables) with 8 nginx replicas, i.e. 3 nodes and 10 pod namespaces (2 coredns +
// 8 nginx), plus the VPC fabric. Needs root (skips with a message otherwise). LAB_BENCH_RUNS
// changes the repetitions. Run: npx tsx bench/lab.bench.ts → writes bench/results/lab.json
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { labDown, labUp, rootCheck } from '../src/lab/lab.node.ts';
import { labDiff } from '../src/lab/diff.node.ts';
import { labTestCluster } from '../src/lab/testing.ts';

const root = rootCheck();
if (!root.ok) {
  process.stderr.write(`lab bench skipped: ${root.reason}\n`);
  process.exit(0);
}

const RUNS = Number(process.env.LAB_BENCH_RUNS ?? 3);
const state = labTestCluster(8);
const podNamespaces = Object.values(state.hosts).reduce((n, h) => n + Object.keys(h.namespaces).length - 1, 0);
const runDir = mkdtempSync(join(os.tmpdir(), 'kw-labbench-'));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const up: number[] = [];
const down: number[] = [];
const diff: number[] = [];
let namespaces = 0;
let diffs = 0;
try {
  for (let i = 0; i < RUNS; i++) {
    let t0 = performance.now();
    const lab = await labUp(state, { runDir });
    up.push(performance.now() - t0);
    namespaces = lab.record.namespaces.length;
    t0 = performance.now();
    diffs = labDiff(state, lab.record).diffs.length;
    diff.push(performance.now() - t0);
    t0 = performance.now();
    labDown({ runDir });
    down.push(performance.now() - t0);
  }
} finally {
  labDown({ runDir });
  rmSync(runDir, { recursive: true, force: true });
}

const round = (xs: number[]) => xs.map((x) => Math.round(x));
const result = {
  benchmark: 'live lab up/diff/down (real network namespaces)',
  date: new Date().toISOString(),
  node: process.version,
  cpu: os.cpus()[0]?.model,
  cpus: os.cpus().length,
  loadAverage1m: Math.round(os.loadavg()[0] * 10) / 10,
  inputs: { nodes: state.nodes.length, podNamespaces, namespacesCreated: namespaces, runs: RUNS },
  diffsFound: diffs,
  upWallMs: { runs: round(up), median: Math.round(median(up)) },
  diffWallMs: { runs: round(diff), median: Math.round(median(diff)) },
  downWallMs: { runs: round(down), median: Math.round(median(down)) },
};
const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'lab.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
