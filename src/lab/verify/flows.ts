// Which flows `lab verify` runs: one per category the cluster allows (pod→pod on the same and on
// another node, pod→ClusterIP, pod→NodePort, node→pod, pod→DNS, pod→Service without endpoints,
// pod→outside the VPC, pod→pod ICMP), sources and targets picked by a seeded RNG so a run can be
// repeated. Pure: reads the cluster state only (browser-safe).

import type { ClusterState } from '../../control-plane/types.ts';
import { podSandbox } from '../../control-plane/kubelet.ts';
import type { Probe } from '../../engine/index.ts';
import { seededRng } from '../../engine/packet.ts';

export const FLOW_CATEGORIES = [
  'pod-pod-same-node',
  'pod-pod-other-node',
  'pod-clusterip',
  'pod-nodeport',
  'node-pod',
  'pod-dns',
  'pod-service-no-endpoints',
  'pod-outside-vpc',
  'pod-pod-icmp',
] as const;
export type FlowCategory = (typeof FLOW_CATEGORIES)[number];

export interface Flow {
  /** 1-based, in run order. */
  id: number;
  category: FlowCategory;
  /** The engine's probe (source, destination as the client addresses it, client port or ICMP id). */
  probe: Probe & { sport: number };
  /** Where the client runs: node and model namespace. */
  src: { node: string; netns: string; label: string };
  /** What the destination is, for people: "svc default/nginx:8080", "pod default/nginx-…:80". */
  target: string;
  /** pod-dns: the name asked (an A query in the UDP payload). */
  dnsName?: string;
  /** pod-dns: then connect to the answered address on this TCP port, from this client port. */
  connect?: { dport: number; sport: number };
}

export interface SkippedCategory {
  category: FlowCategory;
  reason: string;
}

export interface FlowPlan {
  flows: Flow[];
  skipped: SkippedCategory[];
}

interface PodInfo {
  namespace: string;
  name: string;
  node: string;
  netns: string;
  ip: string;
  tcpPorts: number[];
}

interface SvcInfo {
  namespace: string;
  name: string;
  clusterIP: string;
  type: string;
  ports: Array<{ port: number; protocol: string; nodePort?: number }>;
  readyEndpoints: number;
  selector: boolean;
}

/** Where nothing answers: TEST-NET-3 (RFC 5737) is never routed, so a probe there stays inside. */
export const OUTSIDE_VPC_ADDRESS = '203.0.113.';

function pods(state: ClusterState): PodInfo[] {
  const out: PodInfo[] = [];
  for (const [key, obj] of Object.entries(state.objects)) {
    if (!key.startsWith('Pod/')) continue;
    const p = obj as unknown as {
      metadata: { namespace?: string; name: string; deletionTimestamp?: string };
      spec?: { nodeName?: string; hostNetwork?: boolean; containers?: Array<{ ports?: Array<{ containerPort: number; protocol?: string }> }> };
    };
    if (!p.spec?.nodeName || p.spec.hostNetwork || p.metadata.deletionTimestamp) continue;
    const ns = p.metadata.namespace ?? 'default';
    const sb = podSandbox(state, ns, p.metadata.name);
    if (!sb?.ready || !sb.netns || !state.hosts[sb.node]?.namespaces[sb.netns]) continue;
    const ip = sb.ips.find((a) => !a.includes(':'));
    if (!ip) continue;
    const tcpPorts = (p.spec.containers ?? []).flatMap((c) => (c.ports ?? []).filter((x) => (x.protocol ?? 'TCP') === 'TCP').map((x) => x.containerPort));
    out.push({ namespace: ns, name: p.metadata.name, node: sb.node, netns: sb.netns, ip, tcpPorts });
  }
  return out.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}

function services(state: ClusterState): SvcInfo[] {
  const ready = new Map<string, number>();
  for (const [key, obj] of Object.entries(state.objects)) {
    if (!key.startsWith('EndpointSlice/')) continue;
    const s = obj as unknown as { metadata: { namespace?: string; labels?: Record<string, string> }; endpoints?: Array<{ addresses: string[]; conditions?: { ready?: boolean } }> };
    const svc = s.metadata.labels?.['kubernetes.io/service-name'];
    if (!svc) continue;
    const k = `${s.metadata.namespace ?? 'default'}/${svc}`;
    const n = (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length;
    ready.set(k, (ready.get(k) ?? 0) + n);
  }
  const out: SvcInfo[] = [];
  for (const [key, obj] of Object.entries(state.objects)) {
    if (!key.startsWith('Service/')) continue;
    const s = obj as unknown as {
      metadata: { namespace?: string; name: string };
      spec?: { clusterIP?: string; type?: string; selector?: Record<string, string>; ports?: Array<{ port: number; protocol?: string; nodePort?: number }> };
    };
    const ip = s.spec?.clusterIP;
    if (!ip || ip === 'None' || ip.includes(':')) continue;
    const ns = s.metadata.namespace ?? 'default';
    out.push({
      namespace: ns,
      name: s.metadata.name,
      clusterIP: ip,
      type: s.spec?.type ?? 'ClusterIP',
      ports: (s.spec?.ports ?? []).map((p) => ({ port: p.port, protocol: p.protocol ?? 'TCP', nodePort: p.nodePort })),
      readyEndpoints: ready.get(`${ns}/${s.metadata.name}`) ?? 0,
      selector: !!s.spec?.selector && Object.keys(s.spec.selector).length > 0,
    });
  }
  return out.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}

type Draft = Omit<Flow, 'id' | 'probe' | 'connect'> & { probe: Omit<Flow['probe'], 'sport'>; connectPort?: number };

/**
 * The flows of one run. `max` caps the count (default: one flow per category the cluster allows);
 * beyond one round, categories repeat with other sources and targets. Categories the cluster
 * cannot offer (no NodePort Service, no Service without endpoints, a single node…) are listed as
 * skipped with the reason.
 */
export function generateFlows(state: ClusterState, opts: { seed?: number; max?: number } = {}): FlowPlan {
  const rng = seededRng(opts.seed ?? 1);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rng() * xs.length)];
  const all = pods(state);
  const svcs = services(state);
  const servers = all.filter((p) => p.tcpPorts.length > 0);
  const podFrom = (p: PodInfo) => ({ pod: p.name, namespace: p.namespace });
  const label = (p: PodInfo) => `pod ${p.namespace}/${p.name}`;
  const srcOf = (p: PodInfo) => ({ node: p.node, netns: p.netns, label: label(p) });
  const dnsSvc = svcs.find((s) => s.namespace === 'kube-system' && s.name === 'kube-dns' && s.ports.some((p) => p.protocol === 'UDP' && p.port === 53));
  const withEndpoints = svcs.filter((s) => s.selector && s.readyEndpoints > 0 && s.ports.some((p) => p.protocol === 'TCP'));
  const noEndpoints = svcs.filter((s) => s.selector && s.readyEndpoints === 0 && s.ports.some((p) => p.protocol === 'TCP'));
  const nodePorts = withEndpoints.filter((s) => (s.type === 'NodePort' || s.type === 'LoadBalancer') && s.ports.some((p) => p.protocol === 'TCP' && p.nodePort));
  const tcpPort = (s: SvcInfo) => pick(s.ports.filter((p) => p.protocol === 'TCP'));

  const makers: Record<FlowCategory, () => Draft | string> = {
    'pod-pod-same-node': () => {
      const pairs = all.flatMap((a) => servers.filter((b) => b.node === a.node && b.netns !== a.netns).map((b) => [a, b] as const));
      if (!pairs.length) return 'no two pods with a declared TCP port on one node';
      const [a, b] = pick(pairs);
      const port = pick(b.tcpPorts);
      return { category: 'pod-pod-same-node', src: srcOf(a), probe: { from: podFrom(a), dst: b.ip, dport: port, protocol: 'TCP' }, target: `${label(b)}:${port}` };
    },
    'pod-pod-other-node': () => {
      const pairs = all.flatMap((a) => servers.filter((b) => b.node !== a.node).map((b) => [a, b] as const));
      if (!pairs.length) return 'no pod with a declared TCP port on another node than a client pod';
      const [a, b] = pick(pairs);
      const port = pick(b.tcpPorts);
      return { category: 'pod-pod-other-node', src: srcOf(a), probe: { from: podFrom(a), dst: b.ip, dport: port, protocol: 'TCP' }, target: `${label(b)}:${port}` };
    },
    'pod-clusterip': () => {
      if (!withEndpoints.length || !all.length) return 'no Service with ready endpoints and a TCP port';
      const s = pick(withEndpoints);
      const a = pick(all);
      const p = tcpPort(s);
      return { category: 'pod-clusterip', src: srcOf(a), probe: { from: podFrom(a), dst: s.clusterIP, dport: p.port, protocol: 'TCP' }, target: `svc ${s.namespace}/${s.name}:${p.port}` };
    },
    'pod-nodeport': () => {
      if (!nodePorts.length || !all.length) return 'no NodePort Service with ready endpoints';
      const s = pick(nodePorts);
      const a = pick(all);
      const p = pick(s.ports.filter((x) => x.protocol === 'TCP' && x.nodePort));
      const others = state.nodes.filter((n) => n.name !== a.node);
      const n = pick(others.length ? others : state.nodes);
      return { category: 'pod-nodeport', src: srcOf(a), probe: { from: podFrom(a), dst: n.primaryIp, dport: p.nodePort!, protocol: 'TCP' }, target: `nodeport ${s.namespace}/${s.name} on ${n.name}:${p.nodePort}` };
    },
    'node-pod': () => {
      const pairs = state.nodes.flatMap((n) => servers.filter((b) => b.node !== n.name).map((b) => [n, b] as const));
      if (!pairs.length) return 'no pod with a declared TCP port on another node than a node';
      const [n, b] = pick(pairs);
      const port = pick(b.tcpPorts);
      return { category: 'node-pod', src: { node: n.name, netns: 'root', label: `node ${n.name}` }, probe: { from: { node: n.name }, dst: b.ip, dport: port, protocol: 'TCP' }, target: `${label(b)}:${port}` };
    },
    'pod-dns': () => {
      if (!dnsSvc || !all.length) return 'no kube-system/kube-dns Service with 53/UDP';
      const a = pick(all);
      // A name that resolves to a Service with endpoints: the client asks, then connects to the answer.
      if (!withEndpoints.length) return 'no Service with ready endpoints and a TCP port to resolve';
      const named = pick(withEndpoints);
      const name = `${named.name}.${named.namespace}.svc.cluster.local`;
      const port = tcpPort(named).port;
      return { category: 'pod-dns', src: srcOf(a), probe: { from: podFrom(a), dst: dnsSvc.clusterIP, dport: 53, protocol: 'UDP' }, target: `${name}:${port} (A query to kube-dns, then TCP)`, dnsName: name, connectPort: port };
    },
    'pod-service-no-endpoints': () => {
      if (!noEndpoints.length || !all.length) return 'no Service with a selector and no ready endpoint';
      const s = pick(noEndpoints);
      const a = pick(all);
      const p = tcpPort(s);
      return { category: 'pod-service-no-endpoints', src: srcOf(a), probe: { from: podFrom(a), dst: s.clusterIP, dport: p.port, protocol: 'TCP' }, target: `svc ${s.namespace}/${s.name}:${p.port} (no endpoints)` };
    },
    'pod-outside-vpc': () => {
      if (!all.length) return 'no pod';
      const a = pick(all);
      const dst = `${OUTSIDE_VPC_ADDRESS}${1 + Math.floor(rng() * 254)}`;
      return { category: 'pod-outside-vpc', src: srcOf(a), probe: { from: podFrom(a), dst, dport: 443, protocol: 'TCP' }, target: `${dst}:443 (outside the VPC)` };
    },
    'pod-pod-icmp': () => {
      const pairs = all.flatMap((a) => all.filter((b) => b.node !== a.node).map((b) => [a, b] as const));
      if (!pairs.length) return 'no two pods on different nodes';
      const [a, b] = pick(pairs);
      return { category: 'pod-pod-icmp', src: srcOf(a), probe: { from: podFrom(a), dst: b.ip, dport: 0, protocol: 'ICMP' }, target: `${label(b)} (ICMP echo)` };
    },
  };

  const skipped: SkippedCategory[] = [];
  const available: FlowCategory[] = [];
  const firstRound: Draft[] = [];
  for (const c of FLOW_CATEGORIES) {
    const d = makers[c]();
    if (typeof d === 'string') skipped.push({ category: c, reason: d });
    else {
      available.push(c);
      firstRound.push(d);
    }
  }
  const max = opts.max ?? available.length;
  const drafts = firstRound.slice(0, max);
  for (let i = drafts.length; i < max && available.length; i++) drafts.push(makers[available[i % available.length]]() as Draft);
  // Client ports below the ephemeral range (32768-60999), distinct per flow, so no flow's packets
  // can be taken for another's and no kernel-chosen port collides with them.
  const used = new Set<number>();
  const port = (): number => {
    let p: number;
    do p = 20000 + Math.floor(rng() * 10000);
    while (used.has(p));
    used.add(p);
    return p;
  };
  const flows = drafts.map(({ connectPort, ...d }, i): Flow => {
    const f: Flow = { ...d, id: i + 1, probe: { ...d.probe, sport: port() } };
    if (connectPort !== undefined) f.connect = { dport: connectPort, sport: port() };
    return f;
  });
  return { flows, skipped };
}
