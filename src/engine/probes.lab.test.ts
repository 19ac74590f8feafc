// The engine against the kernel on the whole default cluster: the live lab builds it in real
// namespaces (prefix kwe-, with the VPC fabric), and each probe of the table is sent twice — traced
// by the engine (tracePacket / walkFrom) and as a real TCP connect() from python3 in the same
// namespace, bounded in time. What the engine says the sender would see (connected, refused, an
// ICMP error's errno, nothing) must be what the kernel's socket saw; where a rule or the VPC's
// source/dest check decided, the kernel's counter of that rule must have counted the probe.
// Needs root; skips with the reason otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp, nsExec, rootCheck, type Lab } from '../lab/lab.node.ts';
import { labTestCluster } from '../lab/testing.ts';
import { applyObjects } from '../control-plane/cluster.ts';
import { pluginsFor } from '../cni/index.ts';
import { admitObject } from '../inputs/k8s-objects.ts';
import { generateDeployment, generateService } from '../k8s/generators.ts';
import { podSandbox } from '../control-plane/kubelet.ts';
import type { ClusterState } from '../control-plane/types.ts';
import { ROOT_NS } from '../node-state/types.ts';
import { addAddress, addRoute } from '../node-state/ops.ts';
import { routeLine } from '../render/iproute2/route.ts';
import { clusterWorld, tracePacket, type Probe } from './index.ts';
import { walkFrom, type Branch, type DecidedBy, type Disposition } from './walk.ts';
import { parseSaveCounters } from '../testing/iptables-counters.ts';
import { CONNECT_PY, LISTEN_PY, socketSees } from '../testing/socket-probe.ts';

const root = rootCheck();
const PREFIX = 'kwe';
/** connect() timeout of a probe whose packet the engine says is dropped silently. */
const TIMEOUT_S = 1.5;
const BLACKHOLE = '198.51.100.0/24';
const OUTSIDE = '203.0.113.10';
const FORGED = '192.168.200.9';

interface Outcome {
  /** Engine disposition codes of every branch (forward[/reply]). */
  codes: string[];
  /** What the socket would see, per branch (deduplicated). */
  sees: string[];
  deciders: DecidedBy[];
  /** Destinations and sources the forward leg ended with (after DNAT / SNAT). */
  finalDsts: string[];
  finalSrcs: string[];
}

function outcome(branches: Array<{ forward: { disposition: Disposition }; reply?: { disposition: Disposition }; final: { src: string; dst: string } }>): Outcome {
  return {
    codes: [...new Set(branches.map((b) => b.forward.disposition.code + (b.reply ? `/${b.reply.disposition.code}` : '')))],
    sees: [...new Set(branches.map((b) => socketSees(b.forward.disposition, b.reply?.disposition)))],
    deciders: branches.map((b) => b.forward.disposition.decidedBy).filter((d): d is DecidedBy => !!d),
    finalDsts: [...new Set(branches.map((b) => b.final.dst))],
    finalSrcs: [...new Set(branches.map((b) => b.final.src))],
  };
}

function traced(state: ClusterState, p: Probe): Outcome {
  const t = tracePacket(state, p);
  return outcome(t.branches.map((b) => ({ ...b, final: b.forward.steps.at(-1)!.packet })));
}

function walked(state: ClusterState, node: string, src: string, dst: string, dport: number): Outcome {
  const bs: Branch[] = walkFrom(clusterWorld(state), { node, netns: ROOT_NS }, { family: 4, src, dst, proto: 6, sport: 43600, dport, tcpFlags: 0x02, ttl: 64, mark: 0 });
  return outcome(bs.map((b) => ({ forward: { disposition: b.disposition }, final: b.final })));
}

function deciderText(d: DecidedBy): string {
  if (d.kind === 'rule') return `rule ${d.table} ${d.chain}`;
  if (d.kind === 'route') return `route ${d.route}`;
  if (d.kind === 'socket') return `socket ${d.proto}/${d.port} ${d.listening === false ? 'closed' : 'open'}`;
  return d.kind;
}

/** `iptables-save -c` packet counters of one namespace, keyed by table and rule text. */
function counters(real: string): Map<string, number> {
  return new Map(parseSaveCounters(nsExec(real, ['iptables-save', '-c']).stdout).map((c) => [`${c.table} ${c.text}`, c.packets]));
}

describe.skipIf(!root.ok)(`engine vs kernel: probes on the default cluster in the live lab (${root.reason || 'root'})`, () => {
  const runDir = mkdtempSync(join(tmpdir(), 'kwe-lab-'));
  const procs: ChildProcess[] = [];
  let state: ClusterState;
  let lab: Lab;
  let names: { client: string; clientNode: string; sameNodePod: Pod; otherNodePod: Pod; node1Ip: string; clusterIP: string; ghostIP: string };
  interface Pod {
    name: string;
    node: string;
    netns: string;
    ip: string;
  }

  const realNs = (node: string, netns: string) => lab.record.nodes.find((n) => n.node === node)!.ns[netns];
  const kernelConnect = (node: string, netns: string, dst: string, port: number, src = '') =>
    nsExec(realNs(node, netns), ['python3', '-c', CONNECT_PY, dst, String(port), String(TIMEOUT_S), src], { timeoutMs: (TIMEOUT_S + 5) * 1000 }).stdout.trim();

  beforeAll(async () => {
    state = labTestCluster();
    const plugins = pluginsFor(state.spec);
    // A Service whose selector matches nothing: kube-proxy REJECTs its traffic.
    const ghost = generateDeployment({ name: 'ghost', image: ['nginx'], replicas: 0, port: 80 });
    applyObjects(state, [admitObject(ghost), admitObject(generateService({ target: ghost, port: 9090, targetPort: '80' }))], plugins);
    const pods: Pod[] = Object.keys(state.objects)
      .filter((k) => k.startsWith('Pod/'))
      .map((k) => {
        const [, ns, name] = k.split('/');
        const sb = podSandbox(state, ns, name);
        return { name: `${ns}/${name}`, node: sb?.node ?? '', netns: sb?.netns ?? '', ip: sb?.ips[0] ?? '' };
      })
      .filter((p) => p.netns);
    const nginx = pods.filter((p) => p.name.startsWith('default/nginx-'));
    const n0 = state.nodes[0].name;
    // The client: a pod on node 0 that is not an nginx endpoint.
    const client = pods.find((p) => p.node === n0 && !p.name.startsWith('default/nginx-'))!;
    // A route the node null-routes, on node 0 (both in the model and, through labUp, the kernel).
    addRoute(state.hosts[n0].namespaces[ROOT_NS], { dst: BLACKHOLE, type: 'blackhole' });
    names = {
      client: client.name,
      clientNode: n0,
      sameNodePod: nginx.find((p) => p.node === n0)!,
      otherNodePod: nginx.find((p) => p.node === state.nodes[1].name)!,
      node1Ip: state.nodes[1].primaryIp,
      clusterIP: (state.objects['Service/default/nginx'] as unknown as { spec: { clusterIP: string } }).spec.clusterIP,
      ghostIP: (state.objects['Service/default/ghost'] as unknown as { spec: { clusterIP: string } }).spec.clusterIP,
    };
    lab = await labUp(state, { runDir, prefix: PREFIX, handleSignals: false });
    // Something must listen on nginx's declared port 80 in every endpoint: the lab's own
    // workload if it runs one, else a listener of this test.
    for (const p of nginx) {
      const real = realNs(p.node, p.netns);
      if (nsExec(real, ['ss', '-Hltn', 'sport = :80']).stdout.trim()) continue;
      const child = spawn('ip', ['netns', 'exec', real, 'python3', '-c', LISTEN_PY, '80', '60'], { stdio: ['ignore', 'pipe', 'pipe'] });
      procs.push(child);
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`listener in ${real} did not start`)), 5000);
        child.stdout!.on('data', (d: Buffer) => {
          if (d.toString().includes('ready')) {
            clearTimeout(t);
            resolve();
          }
        });
      });
    }
  }, 120_000);

  afterAll(() => {
    for (const p of procs) if (p.pid !== undefined && p.exitCode === null) p.kill('SIGTERM');
    labDown({ runDir, all: true, prefix: PREFIX });
    rmSync(runDir, { recursive: true, force: true });
  });

  const podProbe = (dst: () => string, dport: number): Probe => ({ from: { pod: names.client.split('/')[1], namespace: names.client.split('/')[0] }, dst: dst(), dport, protocol: 'TCP' });
  const clientNs = () => podSandbox(state, names.client.split('/')[0], names.client.split('/')[1])!.netns!;

  // name, what the engine must decide (codes), what the socket must see; the kernel must agree.
  // `by`: what decided a drop (a netfilter rule's table and chain, a route, a socket).
  // `after`: a further kernel-side check of the engine's account.
  const table: Array<{ what: string; codes: string[]; sees: string; by?: string; run: () => { engine: Outcome; kernel: string }; after?: (e: Outcome) => void }> = [
    {
      what: 'pod → pod on the same node',
      codes: ['delivered/delivered'],
      sees: 'connected',
      run: () => ({ engine: traced(state, podProbe(() => names.sameNodePod.ip, 80)), kernel: kernelConnect(names.clientNode, clientNs(), names.sameNodePod.ip, 80) }),
    },
    {
      what: 'pod → pod on another node, through the VPC fabric',
      codes: ['delivered/delivered'],
      sees: 'connected',
      run: () => ({ engine: traced(state, podProbe(() => names.otherNodePod.ip, 80)), kernel: kernelConnect(names.clientNode, clientNs(), names.otherNodePod.ip, 80) }),
    },
    {
      what: 'pod → closed port of a pod (RST)',
      codes: ['port-closed'],
      sees: 'ECONNREFUSED',
      by: 'socket tcp/81 closed',
      run: () => ({ engine: traced(state, podProbe(() => names.sameNodePod.ip, 81)), kernel: kernelConnect(names.clientNode, clientNs(), names.sameNodePod.ip, 81) }),
    },
    {
      what: 'pod → Service without endpoints (kube-proxy REJECT)',
      codes: ['rejected'],
      sees: 'ECONNREFUSED',
      by: 'rule filter KUBE-SERVICES',
      run: () => ({ engine: traced(state, podProbe(() => names.ghostIP, 9090)), kernel: kernelConnect(names.clientNode, clientNs(), names.ghostIP, 9090) }),
    },
    {
      what: 'pod → a blackhole route on its node',
      codes: ['null-routed'],
      sees: 'timeout',
      by: `route blackhole ${BLACKHOLE}`,
      run: () => ({ engine: traced(state, podProbe(() => '198.51.100.7', 80)), kernel: kernelConnect(names.clientNode, clientNs(), '198.51.100.7', 80) }),
    },
    {
      what: 'pod → outside the VPC (leaves by the node, SNAT to its address)',
      codes: ['exits-vpc'],
      sees: 'ENETUNREACH',
      run: () => ({ engine: traced(state, podProbe(() => OUTSIDE, 80)), kernel: kernelConnect(names.clientNode, clientNs(), OUTSIDE, 80) }),
      after: (e) => {
        // The node's conntrack entry: the reply is addressed to the source the engine SNATed to.
        expect(e.finalSrcs).toEqual([state.nodes[0].primaryIp]);
        const ct = nsExec(realNs(names.clientNode, ROOT_NS), ['conntrack', '-L', '-p', 'tcp', '--orig-dst', OUTSIDE]).stdout;
        // The reply direction: src=OUTSIDE dst=<the address the node SNATed to>.
        const replyDst = [...ct.matchAll(/ src=(\S+) dst=(\S+) sport=\d+ dport=\d+/g)].filter((m) => m[1] === OUTSIDE).map((m) => m[2]);
        expect(replyDst).toEqual(e.finalSrcs);
      },
    },
    {
      what: 'node → pod on another node',
      codes: ['delivered/delivered'],
      sees: 'connected',
      run: () => ({ engine: traced(state, { from: { node: names.clientNode }, dst: names.otherNodePod.ip, dport: 80, protocol: 'TCP' }), kernel: kernelConnect(names.clientNode, ROOT_NS, names.otherNodePod.ip, 80) }),
    },
  ];

  for (const p of table) {
    it(p.what, () => {
      const before = counters(realNs(names.clientNode, ROOT_NS));
      const { engine, kernel } = p.run();
      expect(engine.codes).toEqual(p.codes);
      expect(engine.sees).toEqual([p.sees]);
      if (p.by) expect(engine.deciders.map(deciderText)).toEqual([p.by]);
      expect(kernel, `${p.what}: the engine says the socket sees ${engine.sees[0]}`).toBe(engine.sees[0]);
      p.after?.(engine);
      // A netfilter rule on the client's node that decided: the kernel counted the probe on it.
      const after = counters(realNs(names.clientNode, ROOT_NS));
      for (const d of engine.deciders) {
        if (d.kind !== 'rule') continue;
        const key = `${d.table} ${d.text}`;
        expect(after.has(key), `kernel has ${key}`).toBe(true);
        expect(after.get(key)! - (before.get(key) ?? 0), `kernel counter of ${key}`).toBeGreaterThan(0);
      }
    });
  }

  it('pod → ClusterIP: DNAT to one of the endpoints the engine enumerates, connected', () => {
    const engine = traced(state, podProbe(() => names.clusterIP, 8080));
    expect(engine.codes).toEqual(['delivered/delivered']);
    expect(engine.finalDsts.sort()).toEqual(Object.keys(state.objects).filter((k) => k.startsWith('Pod/default/nginx-')).map((k) => podSandbox(state, 'default', k.split('/')[2])!.ips[0]).sort());
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      expect(kernelConnect(names.clientNode, clientNs(), names.clusterIP, 8080)).toBe(engine.sees[0]);
      const ct = nsExec(realNs(names.clientNode, ROOT_NS), ['conntrack', '-L', '-p', 'tcp', '--orig-dst', names.clusterIP]).stdout;
      for (const m of ct.matchAll(/dport=8080 src=(\S+)/g)) seen.add(m[1]);
    }
    // Each DNAT target the kernel chose is one the engine enumerated.
    expect(seen.size).toBeGreaterThan(0);
    for (const s of seen) expect(engine.finalDsts).toContain(s);
  });

  it('source/dest check: the VPC drops a source the sending ENI does not own', () => {
    const n0 = names.clientNode;
    const real = realNs(n0, ROOT_NS);
    const model = structuredClone(state);
    addAddress(model.hosts[n0].namespaces[ROOT_NS], 'lo', `${FORGED}/32`);
    const engine = walked(model, n0, FORGED, names.node1Ip, 22);
    expect(engine.codes).toEqual(['source-dest-check']);
    expect(engine.sees).toEqual(['timeout']);
    const eni = engine.deciders[0] as Extract<DecidedBy, { kind: 'eni' }>;
    expect(eni).toMatchObject({ kind: 'eni', check: 'source' });
    const fabricDev = lab.plan.enis.find((e) => e.eniId === eni.eniId)!.fabricDev;
    const drops = () => {
      const line = nsExec(lab.record.fabricNs, ['iptables', '-L', `SDC-${fabricDev}`, '-v', '-n', '-x']).stdout.split('\n').find((l) => /\bDROP\b/.test(l))!;
      return Number(line.trim().split(/\s+/)[0]);
    };
    expect(nsExec(real, ['ip', 'addr', 'add', `${FORGED}/32`, 'dev', 'lo']).exitCode).toBe(0);
    try {
      const before = drops();
      expect(kernelConnect(n0, ROOT_NS, names.node1Ip, 22, FORGED)).toBe('timeout');
      expect(drops()).toBeGreaterThan(before);
    } finally {
      nsExec(real, ['ip', 'addr', 'del', `${FORGED}/32`, 'dev', 'lo']);
    }
  });

  it('pod → outside the VPC with no default route on its node: no route, ICMP net unreachable', () => {
    const n0 = names.clientNode;
    const real = realNs(n0, ROOT_NS);
    const model = structuredClone(state);
    const mroot = model.hosts[n0].namespaces[ROOT_NS];
    const dflt = mroot.routes.find((r) => r.family === 4 && r.table === 254 && r.dst === 'default')!;
    mroot.routes = mroot.routes.filter((r) => r !== dflt);
    const engine = traced(model, podProbe(() => OUTSIDE, 80));
    expect(engine.codes).toEqual(['no-route']);
    expect(engine.sees).toEqual(['ENETUNREACH']);
    expect(nsExec(real, ['ip', 'route', 'del', 'default']).exitCode).toBe(0);
    try {
      expect(kernelConnect(n0, clientNs(), OUTSIDE, 80)).toBe(engine.sees[0]);
    } finally {
      const r = nsExec(real, ['ip', 'route', 'add', ...routeLine(dflt, { showTable: true, hideDev: false }).trim().split(/\s+/)]);
      expect(r.exitCode, r.stderr).toBe(0);
    }
  });
});
