// NetworkPolicy matrix benchmark: 1,000 pods in 20 namespaces and 200 policies (a mix of default-deny,
// podSelector, namespaceSelector, AND peers, ipBlock with except, numeric, named and ranged ports, both
// directions), all 1,000,000 ordered pairs judged on TCP/80 with the deciding policy and rule.
// Goal: ≤ 2 s per matrix (compile + evaluate). NP_BENCH_PODS / NP_BENCH_POLICIES / NP_BENCH_RUNS change it.
// Run: npx tsx bench/netpol.bench.ts   → writes bench/results/netpol.json
import os from 'node:os';
import { r1, timedRuns, timings, writeResult } from './_stats.ts';
import type { V1Namespace, V1NetworkPolicy, V1Pod } from '../src/k8s/types.ts';
import { matrixOf, type Matrix } from '../src/netpol/index.ts';

const PODS = Number(process.env.NP_BENCH_PODS ?? 1000);
const POLICIES = Number(process.env.NP_BENCH_POLICIES ?? 200);
const RUNS = Number(process.env.NP_BENCH_RUNS ?? 5);
const NAMESPACES = 20;
const APPS = 10;

function build(): { pods: V1Pod[]; namespaces: V1Namespace[]; policies: V1NetworkPolicy[] } {
  const namespaces: V1Namespace[] = Array.from({ length: NAMESPACES }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: `ns${i}`, labels: { team: `t${i % 4}`, env: i % 2 ? 'prod' : 'dev' } },
  }));
  const pods: V1Pod[] = Array.from({ length: PODS }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `pod-${i}`, namespace: `ns${i % NAMESPACES}`, labels: { app: `app${i % APPS}`, tier: i % 3 ? 'web' : 'db' } },
    spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }, { containerPort: 5432, name: 'pg', protocol: 'TCP' }] }] },
    status: { phase: 'Running', podIP: `10.${1 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}` },
  }));
  const policies: V1NetworkPolicy[] = Array.from({ length: POLICIES }, (_, i) => {
    const ns = `ns${i % NAMESPACES}`;
    const kind = i % 8;
    const app = { matchLabels: { app: `app${i % APPS}` } };
    const spec: Record<string, unknown> =
      kind === 0
        ? { podSelector: {}, policyTypes: ['Ingress'] }
        : kind === 1
          ? { podSelector: app, ingress: [{ from: [{ podSelector: { matchLabels: { app: `app${(i + 1) % APPS}` } } }], ports: [{ port: 80 }] }] }
          : kind === 2
            ? { podSelector: app, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: `t${i % 4}` } } }], ports: [{ port: 'http' }] }] }
            : kind === 3
              ? { podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { env: 'prod' } }, podSelector: { matchLabels: { tier: 'web' } } }], ports: [{ port: 5000, endPort: 5500 }] }] }
              : kind === 4
                ? { podSelector: app, ingress: [{ from: [{ ipBlock: { cidr: '10.1.0.0/16', except: [`10.1.${i % 4}.0/24`] } }] }] }
                : kind === 5
                  ? { podSelector: app, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: {} , podSelector: { matchLabels: { tier: 'db' } } }], ports: [{ port: 5432 }] }, { ports: [{ port: 53, protocol: 'UDP' }] }] }
                  : kind === 6
                    ? { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{ from: [{ podSelector: {} }] }], egress: [{}] }
                    : { podSelector: { matchLabels: { tier: 'web' } }, ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['t0'] }] } }] }] };
    return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `np-${i}`, namespace: ns }, spec } as V1NetworkPolicy;
  });
  return { pods, namespaces, policies };
}

const inputs = build();
const opts = { port: 80, protocol: 'TCP' as const };
const warm: Matrix = matrixOf(inputs, opts); // warm-up
// Fresh inputs objects each run: compile() and its memos are part of the cost.
const { runs, cpuRuns, last } = timedRuns(RUNS, () => matrixOf({ pods: [...inputs.pods], namespaces: [...inputs.namespaces], policies: [...inputs.policies] }, opts), warm);
const cells = last.cells.flat();

const result = {
  benchmark: 'NetworkPolicy matrix (src/netpol matrixOf: compile + every ordered pair with the deciding rule)',
  date: new Date().toISOString(),
  node: process.version,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  inputs: { pods: PODS, namespaces: NAMESPACES, policies: POLICIES, port: 80, protocol: 'TCP' },
  output: { pairs: cells.length, allowed: cells.filter((v) => v.allowed).length, denied: cells.filter((v) => !v.allowed).length },
  loadAverage1m: r1(os.loadavg()[0]!),
  cpus: os.cpus().length,
  ...timings('matrix', runs, cpuRuns, 2000),
};
writeResult('netpol', result);
