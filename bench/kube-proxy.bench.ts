// kube-proxy full-sync benchmark: 10,000 Services (ClusterIP, one TCP port) with 50,000 endpoints
// (5 ready endpoints each, spread over 100 nodes), generating the restore input for one node.
// Goal: ≤ 1 s per full sync. With KP_BENCH_APPLY=1 it also times applying the output to a simulated
// node (src/netfilter iptablesRestore). KP_BENCH_SERVICES / KP_BENCH_RUNS change the size / repetitions.
// Run: npx tsx bench/kube-proxy.bench.ts   → writes bench/results/kube-proxy.json
import os from 'node:os';
import { r1, time, timedRuns, timings, writeResult } from './_stats.ts';
import type { V1EndpointSlice, V1Service } from '../src/k8s/types.ts';
import { syncRulesDetailed } from '../src/kube-proxy/rules.ts';
import { iptablesRestore } from '../src/netfilter/restore.ts';
import { emptyNetfilter } from '../src/netfilter/types.ts';

const SERVICES = Number(process.env.KP_BENCH_SERVICES ?? 10_000);
const EP_PER_SERVICE = 5;
const NODES = 100;

function build(): { services: V1Service[]; slices: V1EndpointSlice[] } {
  const services: V1Service[] = [];
  const slices: V1EndpointSlice[] = [];
  let ep = 0;
  for (let i = 0; i < SERVICES; i++) {
    const ns = `ns${i % 50}`;
    const name = `svc-${i}`;
    services.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { namespace: ns, name },
      spec: {
        type: 'ClusterIP',
        clusterIP: `10.100.${Math.floor(i / 250)}.${(i % 250) + 1}`,
        sessionAffinity: 'None',
        ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 as unknown as never }],
      },
    } as V1Service);
    const endpoints = [];
    for (let j = 0; j < EP_PER_SERVICE; j++, ep++) {
      endpoints.push({
        addresses: [`192.168.${Math.floor(ep / 250) % 256}.${(ep % 250) + 1}`.replace(/^192\.168\./, `${10 + Math.floor(ep / 64000)}.${Math.floor(ep / 250) % 256}.`)],
        conditions: { ready: true, serving: true, terminating: false },
        nodeName: `node-${ep % NODES}`,
      });
    }
    slices.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { namespace: ns, name: `${name}-abcde`, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      endpoints,
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    } as V1EndpointSlice);
  }
  return { services, slices };
}

const { services, slices } = build();
const config = { nodeName: 'node-0', nodeIPs: ['192.168.0.10'], clusterCIDR: '10.0.0.0/8' };

const RUNS = Number(process.env.KP_BENCH_RUNS ?? 5);
const warm = syncRulesDetailed({ services, slices, config }); // warm-up
const { runs, cpuRuns, last } = timedRuns(RUNS, () => syncRulesDetailed({ services, slices, config }), warm);
const apply = process.env.KP_BENCH_APPLY !== '1' ? undefined : time(() => iptablesRestore(emptyNetfilter(), last.text, { noflush: true, counters: true }));

const result = {
  benchmark: 'kube-proxy iptables full sync (restore input generation)',
  date: new Date().toISOString(),
  node: process.version,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  inputs: { services: SERVICES, endpoints: last.totalEndpoints, servicePorts: last.servicePorts, nodes: NODES },
  output: {
    bytes: last.text.length,
    lines: last.text.split('\n').length - 1,
    filterRules: last.filterRules,
    natRules: last.natRules,
    natChains: last.activeNatChains.length,
    largeClusterMode: last.largeClusterMode,
  },
  // Wall-clock time depends on machine load (other processes); CPU time is what the sync costs.
  loadAverage1m: r1(os.loadavg()[0]),
  cpus: os.cpus().length,
  ...timings('syncRules', runs, cpuRuns, 1000),
  applyToSimulatedNode: apply ? { wallMs: Math.round(apply.ms), cpuMs: Math.round(apply.cpuMs) } : 'skipped (set KP_BENCH_APPLY=1 to time src/netfilter iptablesRestore of the output)',
};
writeResult('kube-proxy', result);
