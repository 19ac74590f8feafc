// The packet engine walking a whole cluster and `kubewire kube-proxy trace` (one node, the rules of
// one kube-proxy sync of the same Services and EndpointSlices) must agree on what kube-proxy's
// rules do to a connection's first packet: the endpoint choices with their probabilities, the
// rules matched in kube-proxy's chains, and the verdict (DNAT, or REJECT for no endpoints).
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { podSandbox } from '../control-plane/kubelet.ts';
import { nginxCluster, testPod } from '../testing/nginx-cluster.ts';
import type { ClusterState } from '../control-plane/types.ts';
import { ROOT_NS } from '../node-state/types.ts';
import { buildSync } from '../cli/commands/kube-proxy.ts';
import { traceCommand } from '../cli/commands/kube-proxy-trace.ts';
import { tracePacket, type TraceBranch } from './index.ts';

interface KpOutcome {
  probability: number;
  dnat: string | null;
  verdict: string;
  rules: Array<{ table: string; chain: string; index: number; rule: string }>;
}

interface Seen {
  probability: number;
  dnat: string | null;
  verdict: string;
  /** table/chain#index text, for rules in kube-proxy's own chains; table/chain text for its jumps from built-in chains. */
  rules: string[];
}

const BUILTIN = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);
const isKubeProxy = (chain: string, text: string) => chain.startsWith('KUBE-') || (BUILTIN.has(chain) && /-j KUBE-/.test(text));
const key = (table: string, chain: string, index: number, text: string) => (BUILTIN.has(chain) ? `${table}/${chain} ${text}` : `${table}/${chain}#${index} ${text}`);

let dir: string;
let state: ClusterState;
let client: { node: string; ip: string };

function build(): ClusterState {
  return nginxCluster({ nodePort: true, ghost: true, extra: () => [testPod('client', 'busybox:1.36', { container: 'c' })] }).state;
}

/** `kube-proxy trace` of the cluster's Services and EndpointSlices as kube-proxy on `node` syncs them. */
function kubeProxyTrace(node: string, src: string, dst: string, dport: number): Seen[] {
  const items = Object.entries(state.objects)
    .filter(([k]) => k.startsWith('Service/') || k.startsWith('EndpointSlice/') || k.startsWith('Node//'))
    .map(([, o]) => o);
  const file = join(dir, `objects-${node}.json`);
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  const n = state.nodes.find((x) => x.name === node)!;
  const nodeAddress = state.hosts[node].namespaces[ROOT_NS].addresses.filter((a) => a.family === 4).map((a) => a.local);
  const { config, text } = buildSync({ filename: [file], nodeName: node, nodeIp: [n.primaryIp], nodeAddress }, () => '');
  const r = traceCommand(config, text, { src, dst, dport, protocol: 'TCP', iif: 'eth0' }, 'json');
  const outs = JSON.parse(r.stdout).outcomes as KpOutcome[];
  return outs.map((o) => ({
    probability: o.probability,
    dnat: o.dnat,
    verdict: o.verdict,
    rules: o.rules.filter((x) => isKubeProxy(x.chain, x.rule)).map((x) => key(x.table, x.chain, x.index, x.rule)),
  }));
}

/** The engine's branches as seen in `node`'s root namespace (the first visit of the packet there). */
function engineSeen(branches: TraceBranch[], node: string): Seen[] {
  return branches.map((b) => {
    const steps = b.forward.steps;
    const first = steps.findIndex((s) => s.node === node && s.netns === ROOT_NS);
    let end = steps.findIndex((s, i) => i > first && (s.node !== node || s.netns !== ROOT_NS));
    if (end < 0) end = steps.length;
    const here = steps.slice(first, end);
    const rules: string[] = [];
    let dnat: string | null = null;
    for (const s of here) {
      if (s.kind === 'hook') for (const m of s.matched ?? []) if (isKubeProxy(m.chain, m.text)) rules.push(key(m.table, m.chain, m.rule, m.text));
      // A verdict decided in kube-proxy's chains (REJECT) is a matched rule for kube-proxy trace too.
      const d = s.decidedBy;
      if (s.kind === 'hook' && d?.kind === 'rule' && isKubeProxy(d.chain, d.text) && !(s.matched ?? []).some((m) => m.chain === d.chain && m.rule === d.rule)) {
        rules.push(key(d.table, d.chain, d.rule, d.text));
      }
      if (s.kind === 'nat' && s.decidedBy?.kind === 'nat' && s.decidedBy.type === 'DNAT') dnat = s.decidedBy.to;
    }
    const disp = b.forward.disposition;
    const rejectedHere = disp.code === 'rejected' && disp.node === node;
    return { probability: b.probability, dnat, verdict: rejectedHere ? 'REJECT' : 'ACCEPT', rules };
  });
}

const byDnat = (xs: Seen[]) => [...xs].sort((a, b) => String(a.dnat).localeCompare(String(b.dnat)));

function expectAgreement(engine: Seen[], kp: Seen[]): void {
  expect(engine.length).toBe(kp.length);
  const e = byDnat(engine);
  const k = byDnat(kp);
  e.forEach((x, i) => {
    expect(x.dnat).toBe(k[i].dnat);
    expect(x.probability).toBeCloseTo(k[i].probability, 9);
    expect(x.verdict).toBe(k[i].verdict);
    expect(x.rules).toEqual(k[i].rules);
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kw-agree-'));
  state = build();
  const sb = podSandbox(state, 'default', 'client')!;
  client = { node: sb.node, ip: sb.ips[0] };
  return () => rmSync(dir, { recursive: true, force: true });
});

const svc = (name: string) => state.objects[`Service/default/${name}`] as unknown as { spec: { clusterIP: string; ports: Array<{ nodePort?: number }> } };

/** A TCP packet from the client pod to dst:dport, as the engine walks it and as kube-proxy trace on `node` sees it. */
function bothTraces(dst: string, dport: number, node = client.node): { engine: Seen[]; kp: Seen[] } {
  const t = tracePacket(state, { from: { pod: 'client', namespace: 'default' }, dst, dport, protocol: 'TCP' });
  const engine = engineSeen(t.branches, node);
  return { engine, kp: kubeProxyTrace(node, client.ip, dst, dport) };
}

describe('engine trace and kube-proxy trace agree', () => {
  it('ClusterIP with three endpoints: same endpoint branches, probabilities and KUBE-* rules', () => {
    const ip = svc('nginx').spec.clusterIP;
    const { engine, kp } = bothTraces(ip, 8080);
    expect(kp).toHaveLength(3);
    expect(kp.every((o) => o.dnat?.endsWith(':80'))).toBe(true);
    expect(kp.some((o) => o.rules.some((r) => r.includes('--mode random --probability')))).toBe(true);
    for (const o of kp) expect(o.rules.at(-1) === undefined ? '' : o.rules.join('\n')).toContain(`-j DNAT --to-destination ${o.dnat}`);
    expectAgreement(engine, kp);
  });

  it('a concrete (seeded) engine run takes one of kube-proxy trace\'s outcomes, with its rules', () => {
    const ip = svc('nginx').spec.clusterIP;
    const kp = kubeProxyTrace(client.node, client.ip, ip, 8080);
    for (const seed of [1, 2, 3, 4, 5]) {
      const t = tracePacket(state, { from: { pod: 'client', namespace: 'default' }, dst: ip, dport: 8080, protocol: 'TCP' }, { enumerate: false, seed });
      const [one] = engineSeen(t.branches, client.node);
      const match = kp.find((o) => o.dnat === one.dnat)!;
      expect(match).toBeDefined();
      expect(one.rules).toEqual(match.rules);
    }
  });

  it('a Service without endpoints: both REJECT with the same rule', () => {
    const ip = svc('ghost').spec.clusterIP;
    const { engine, kp } = bothTraces(ip, 9090);
    expect(kp).toHaveLength(1);
    expect(kp[0]).toMatchObject({ verdict: 'REJECT', dnat: null });
    expect(kp[0].rules.at(-1)).toContain('"default/ghost has no endpoints"');
    expectAgreement(engine, kp);
  });

  it('NodePort on another node: the same KUBE-NODEPORTS / KUBE-EXT path, masquerade mark and endpoints at that node', () => {
    const target = state.nodes.find((n) => n.name !== client.node)!;
    const nodePort = svc('nginx-np').spec.ports[0].nodePort!;
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    const { engine, kp } = bothTraces(target.primaryIp, nodePort, target.name);
    expect(kp).toHaveLength(3);
    expect(kp.every((o) => o.rules.some((r) => r.includes('KUBE-NODEPORTS')))).toBe(true);
    expectAgreement(engine, kp);
  });
});
