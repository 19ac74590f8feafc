// Kernel vs simulator for one flow, on the simulator's real traces: what each interface carries
// (headers, TTL with the lab fabric's decrement, lengths, VXLAN), which branch a kernel run
// matches (the endpoint it chose), and what is reported when the kernel does something else.
import { describe, expect, it } from 'vitest';
import { tracePacket, type Trace } from '../../engine/index.ts';
import { ipsetsOf } from '../../cni/index.ts';
import type { ClusterState } from '../../control-plane/types.ts';
import { compareFlow, expectedOutcomes, type KernelObservation, type KernelOutcome } from './compare.ts';
import { branchEvents, ifaceKey, legEvents, traceInterfaces, VXLAN_OVERHEAD, type ExpectOptions } from './expect.ts';
import type { CapturedFlowPacket } from './decode.ts';
import { generateFlows, type FlowCategory } from './flows.ts';
import { verifyTestCluster } from './testing.ts';

const vpc = verifyTestCluster('vpc-cni');
const calico = verifyTestCluster('calico-vxlan');

function flowTrace(state: ClusterState, category: FlowCategory): Trace {
  const f = generateFlows(state, { seed: 1 }).flows.find((x) => x.category === category)!;
  return tracePacket(state, f.probe, { enumerate: true, ipsets: ipsetsOf(state) });
}

const LEN: ExpectOptions = { requestLength: 60, replyLength: 60 };

/** A kernel run that did what branch `i` says: its packets on every interface the trace touches (empty elsewhere). */
function kernelLike(trace: Trace, i: number, outcome: KernelOutcome = 'connected'): KernelObservation {
  const captures: Record<string, CapturedFlowPacket[]> = {};
  for (const r of traceInterfaces(trace.branches)) captures[ifaceKey(r)] = [];
  let t = 0;
  for (const e of branchEvents(trace.branches[i], LEN)) captures[ifaceKey(e)].push({ ...e.pkt, leg: e.leg, replyKind: e.leg === 'reply' ? 'answer' : undefined, timeUs: t++ });
  return { outcome, detail: outcome, captures };
}

describe('expected wire events', () => {
  it('pod to pod on another node (VPC CNI): out of the pod, over the ENIs, into the pod; TTL down by the node forward and the lab fabric', () => {
    const tr = flowTrace(vpc, 'pod-pod-other-node');
    expect(tr.branches).toHaveLength(1);
    const ev = legEvents(tr.branches[0].forward, 'request', LEN);
    expect(ev.map((e) => `${e.dir} ${e.netns === 'root' ? 'node' : 'pod'} ${e.iface.replace(/^eni.*/, 'eni*')} ttl ${e.pkt.ttl}`)).toEqual([
      'out pod eth0 ttl 64',
      'in node eni* ttl 64',
      'out node ens5 ttl 63',
      'in node ens5 ttl 62',
      'out node eni* ttl 61',
      'in pod eth0 ttl 61',
    ]);
    expect(new Set(ev.map((e) => `${e.pkt.src} ${e.pkt.dst} ${e.pkt.length}`)).size).toBe(1);
    // Without the fabric's decrement (a fabric that switches), the far side keeps one more.
    expect(legEvents(tr.branches[0].forward, 'request', { fabricTtl: 0 }).at(-1)!.pkt.ttl).toBe(62);
  });

  it('Calico VXLAN: the ENIs carry the outer UDP packet with VNI 4096 around the inner one, 50 bytes longer', () => {
    const tr = flowTrace(calico, 'pod-pod-other-node');
    const ev = legEvents(tr.branches[0].forward, 'request', LEN);
    const onEni = ev.filter((e) => e.iface === 'ens5');
    expect(onEni).toHaveLength(2);
    for (const e of onEni) {
      expect(e.pkt.proto).toBe(17);
      expect(e.pkt.dport).toBe(4789);
      expect(e.pkt.vxlan?.vni).toBe(4096);
      expect(e.pkt.vxlan?.inner).toMatchObject({ proto: 6, ttl: 63, length: 60 });
      expect(e.pkt.length).toBe(60 + VXLAN_OVERHEAD);
      expect(e.free).toContain('sport');
    }
    expect(onEni.map((e) => e.pkt.ttl)).toEqual([64, 63]);
    const vx = ev.filter((e) => e.iface === 'vxlan.calico');
    expect(vx.map((e) => [e.dir, e.pkt.ttl, !!e.pkt.vxlan])).toEqual([
      ['out', 63, false],
      ['in', 63, false],
    ]);
  });
});

describe('expectedOutcomes', () => {
  it('delivered and answered: connected; a Service without endpoints: refused (kube-proxy REJECT); outside the VPC: unreachable or timeout', () => {
    expect(expectedOutcomes(flowTrace(vpc, 'pod-clusterip').branches[0])).toEqual(['connected']);
    expect(flowTrace(vpc, 'pod-service-no-endpoints').branches.map(expectedOutcomes)).toEqual([['refused']]);
    expect(flowTrace(vpc, 'pod-outside-vpc').branches.map(expectedOutcomes)).toEqual([['unreachable', 'timeout']]);
  });
});

describe('compareFlow', () => {
  it('a kernel run along any one Service branch agrees with that branch, and its endpoint is the one named', () => {
    const tr = flowTrace(vpc, 'pod-clusterip');
    expect(tr.branches.length).toBeGreaterThan(1);
    tr.branches.forEach((b, i) => {
      const c = compareFlow(tr, kernelLike(tr, i), LEN);
      expect(c.agree, c.best.mismatches.join('\n')).toBe(true);
      expect(c.best.branch).toBe(i);
      expect(c.kernelEndpoints).toEqual([`${b.forward.disposition.node}|${b.forward.disposition.netns}`]);
    });
  });

  it('the request missing on the endpoint: a disagreement naming that interface', () => {
    const tr = flowTrace(vpc, 'pod-pod-other-node');
    const k = kernelLike(tr, 0, 'timeout');
    const last = branchEvents(tr.branches[0], LEN).filter((e) => e.leg === 'request').at(-1)!;
    k.captures[ifaceKey(last)] = [];
    for (const key of Object.keys(k.captures)) k.captures[key] = k.captures[key].filter((p) => p.leg === 'request');
    const c = compareFlow(tr, k, { ...LEN, label: (r) => `${r.netns === 'root' ? 'node' : 'pod'} ${r.iface}` });
    expect(c.agree).toBe(false);
    expect(c.best.mismatches[0]).toMatch(/^outcome: kernel timeout \(timeout\), simulator connected: DELIVERED at /);
    expect(c.best.mismatches, c.best.mismatches.join('\n')).toContain(`pod eth0: simulator has the request here (TCP ${last.pkt.src}.${last.pkt.sport} > ${last.pkt.dst}.${last.pkt.dport} ttl 61 length 60), the kernel did not see it`);
    expect(c.best.mismatches).toContain("the simulator's reply passes 6 captured interfaces; the kernel sent no answer on any");
    expect(c.best.mismatches.filter((m) => m.includes('has the reply here'))).toEqual([]);
    expect(c.kernelEndpoints).toEqual([]);
  });

  it('a header the kernel wrote differently is named with both values', () => {
    const tr = flowTrace(vpc, 'pod-pod-other-node');
    const k = kernelLike(tr, 0);
    const dstEni = legEvents(tr.branches[0].forward, 'request', LEN).find((e) => e.dir === 'in' && e.iface === 'ens5')!;
    const key = ifaceKey(dstEni);
    k.captures[key] = k.captures[key].map((p) => (p.leg === 'request' ? { ...p, ttl: p.ttl + 1, length: 64 } : p));
    const c = compareFlow(tr, k, LEN);
    expect(c.agree).toBe(false);
    expect(c.best.mismatches.filter((m) => m.includes(' ens5 request: '))).toEqual([
      expect.stringMatching(/ request: TTL kernel 63, simulator 62$/),
      expect.stringMatching(/ request: IP total length kernel 64, simulator 60$/),
    ]);
  });

  it('ports NAT picks at random (kube-proxy MASQUERADE --random-fully on a NodePort) are not compared; the client port is', () => {
    const tr = flowTrace(vpc, 'pod-nodeport');
    const i = 0;
    const events = branchEvents(tr.branches[i], LEN);
    expect(events.some((e) => e.free?.includes('sport'))).toBe(true);
    const k = kernelLike(tr, i);
    const rnd = new Set(events.filter((e) => e.free?.includes('sport')).map((e) => e.pkt.sport));
    for (const key of Object.keys(k.captures))
      k.captures[key] = k.captures[key].map((p) => ({ ...p, sport: p.sport !== undefined && rnd.has(p.sport) ? 1025 : p.sport, dport: p.dport !== undefined && rnd.has(p.dport) ? 1025 : p.dport }));
    expect(compareFlow(tr, k, LEN).agree).toBe(true);
    const first = events[0];
    const k2 = kernelLike(tr, i);
    k2.captures[ifaceKey(first)] = k2.captures[ifaceKey(first)].map((p) => (p.leg === 'request' ? { ...p, sport: (p.sport ?? 0) + 1 } : p));
    expect(compareFlow(tr, k2, LEN).best.mismatches.join('\n')).toMatch(/request: source port kernel \d+, simulator \d+/);
  });

  it('Calico: a VXLAN packet with another VNI, or none, is a disagreement', () => {
    const tr = flowTrace(calico, 'pod-pod-other-node');
    const ens5 = legEvents(tr.branches[0].forward, 'request', LEN).find((e) => e.iface === 'ens5')!;
    const key = ifaceKey(ens5);
    const k = kernelLike(tr, 0);
    k.captures[key] = k.captures[key].map((p) => (p.vxlan ? { ...p, sport: 1, vxlan: { ...p.vxlan, vni: 1 } } : p));
    expect(compareFlow(tr, k, LEN).best.mismatches.filter((m) => m.includes('ens5'))).toEqual([expect.stringMatching(/request: VXLAN VNI kernel 1, simulator 4096$/), expect.stringMatching(/reply: VXLAN VNI kernel 1, simulator 4096$/)]);
    const k2 = kernelLike(tr, 0);
    k2.captures[key] = k2.captures[key].map((p) => (p.vxlan && p.leg === 'request' ? { ...p.vxlan.inner, leg: p.leg, timeUs: p.timeUs } : p));
    expect(compareFlow(tr, k2, LEN).best.mismatches.join('\n')).toMatch(/request: encapsulation kernel none, simulator VXLAN vni 4096/);
  });
});

describe('a drop by a rule (as a NetworkPolicy drop is)', () => {
  it('is compared like any other: the kernel must stop where the simulator does, and a kernel that delivers disagrees', async () => {
    const { iptablesRestore } = await import('../../netfilter/restore.ts');
    const state = structuredClone(vpc);
    const f = generateFlows(state, { seed: 1 }).flows.find((x) => x.category === 'pod-pod-other-node')!;
    const [node, host] = Object.entries(state.hosts).find(([, h]) => Object.values(h.namespaces).some((ns) => ns.addresses.some((a) => a.local === f.probe.dst && a.dev === 'eth0')))!;
    const netns = Object.keys(host.namespaces).find((m) => host.namespaces[m].addresses.some((a) => a.local === f.probe.dst && a.dev === 'eth0'))!;
    const ns = host.namespaces[netns];
    ns.netfilter = iptablesRestore(ns.netfilter, `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport ${f.probe.dport} -j DROP\nCOMMIT\n`, { noflush: true });
    const tr = tracePacket(state, f.probe, { enumerate: true });
    expect(tr.branches.map((b) => [b.forward.disposition.code, b.forward.disposition.node, b.forward.disposition.netns])).toEqual([['denied', node, netns]]);
    expect(expectedOutcomes(tr.branches[0])).toEqual(['timeout']);
    // The request still arrives on the pod's eth0 (the drop is after it), and no reply is expected.
    const ev = branchEvents(tr.branches[0], LEN);
    expect(ev.at(-1)).toMatchObject({ node, netns, iface: 'eth0', dir: 'in', leg: 'request' });
    expect(ev.some((e) => e.leg === 'reply')).toBe(false);
    expect(compareFlow(tr, kernelLike(tr, 0, 'timeout'), LEN).agree).toBe(true);
    // The kernel delivered (no such rule there): the outcome says so.
    const delivered = compareFlow(tr, kernelLike(tr, 0, 'connected'), LEN);
    expect(delivered.agree).toBe(false);
    expect(delivered.best.mismatches[0]).toMatch(/^outcome: kernel connected \(connected\), simulator timeout: DENIED at .* eth0 \(dropped by filter INPUT\)$/);
  });
});
