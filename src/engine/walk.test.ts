// Scenario tests on the real default cluster (VPC CNI + kube-proxy iptables): what the walk
// decides, and by which rule/route/ENI.
import { beforeAll, describe, expect, it } from 'vitest';
import { applyObjects } from '../control-plane/cluster.ts';
import { pluginsFor } from '../cni/index.ts';
import { admitObject } from '../inputs/k8s-objects.ts';
import { generateDeployment, generateService } from '../k8s/generators.ts';
import { podSandbox } from '../control-plane/kubelet.ts';
import type { ClusterState } from '../control-plane/types.ts';
import { addRoute } from '../node-state/ops.ts';
import { nginxCluster, nginxPods } from '../testing/nginx-cluster.ts';
import { clusterWorld, renderTraceText, tracePacket, type Trace } from './index.ts';
import { walkArriving } from './walk.ts';
import type { Packet } from './packet.ts';

interface World {
  state: ClusterState;
  pods: Array<{ name: string; node: string; ip: string }>;
  clusterIP: string;
}

function build(): World {
  // ghost: a Service whose selector matches nothing: kube-proxy rejects its traffic.
  const { state } = nginxCluster({ ghost: true });
  const pods = nginxPods(state).map(({ name, node, ip }) => ({ name, node, ip }));
  const svc = state.objects['Service/default/nginx'] as unknown as { spec: { clusterIP: string } };
  return { state, pods, clusterIP: svc.spec.clusterIP };
}

function fresh(): World {
  return build();
}

describe('tracePacket on the default cluster', () => {
  let w: World;
  beforeAll(() => {
    w = build();
  });

  it('pod → Service IP: one outcome per endpoint, DNAT by the KUBE-SEP rule, delivered across the VPC fabric, reply un-NATed', () => {
    const client = w.pods[0];
    const t = tracePacket(w.state, { from: { pod: client.name, namespace: 'default' }, dst: w.clusterIP, dport: 8080, protocol: 'TCP' });
    expect(t.branches).toHaveLength(3);
    expect(t.branches.reduce((a, b) => a + b.probability, 0)).toBeCloseTo(1, 9);
    for (const b of t.branches) {
      expect(b.probability).toBeCloseTo(1 / 3, 6);
      expect(b.forward.disposition.code).toBe('delivered');
      const nat = b.forward.steps.find((s) => s.kind === 'nat')!;
      expect(nat.decidedBy).toMatchObject({ kind: 'nat', type: 'DNAT', from: `${w.clusterIP}:8080` });
      const rule = (nat.decidedBy as { rule: { chain: string; text: string } }).rule;
      expect(rule.chain).toMatch(/^KUBE-SEP-/);
      expect(rule.text).toContain('-j DNAT --to-destination');
      const target = (nat.decidedBy as { to: string }).to;
      const dstPod = w.pods.find((p) => `${p.ip}:80` === target)!;
      expect(dstPod).toBeDefined();
      expect(b.forward.disposition.node).toBe(dstPod.node);
      expect(b.forward.disposition.netns).toBe(podSandbox(w.state, 'default', dstPod.name)!.netns);
      if (dstPod.node !== client.node) {
        const fab = b.forward.steps.filter((s) => s.kind === 'fabric');
        expect(fab).toHaveLength(1);
        // Crossing the fabric keeps the pod source address (AWS-SNAT-CHAIN-0 returns for VPC destinations).
        expect(fab[0].packet.src).toBe(client.ip);
        // Forwarded twice: TTL 64 → 62 on arrival in the server pod.
        expect(b.forward.steps.at(-1)!.packet.ttl).toBe(62);
      }
      expect(b.reply?.disposition.code).toBe('delivered');
      expect(b.reply?.disposition.netns).toBe(podSandbox(w.state, 'default', client.name)!.netns);
      const last = b.reply!.steps.at(-1)!.packet;
      expect(last).toMatchObject({ src: w.clusterIP, sport: 8080, dst: client.ip, dport: 43512 });
      const key = `${client.node}/root`;
      if (dstPod.name === client.name) {
        // Hairpin: KUBE-SEP's "-s <endpoint> -j KUBE-MARK-MASQ" marks it, KUBE-POSTROUTING masquerades
        // to the node's address (the host-side veth has no IPv4 address of its own).
        const masq = b.forward.steps.filter((s) => s.kind === 'nat')[1];
        expect(masq.decidedBy).toMatchObject({ kind: 'nat', type: 'MASQUERADE', rule: { chain: 'KUBE-POSTROUTING' } });
        const nodeIp = w.state.nodes.find((n) => n.name === client.node)!.primaryIp;
        expect(masq.packet.src).toBe(nodeIp);
        expect(b.conntrack[key]).toMatch(new RegExp(`^tcp +6 60 SYN_RECV src=${client.ip} dst=${w.clusterIP} sport=43512 dport=8080 src=${dstPod.ip} dst=${nodeIp} sport=80 dport=\\d+ mark=0 use=1\n$`));
      } else {
        expect(b.conntrack[key]).toMatch(new RegExp(`^tcp +6 60 SYN_RECV src=${client.ip} dst=${w.clusterIP} sport=43512 dport=8080 src=${dstPod.ip} dst=${client.ip} sport=80 dport=43512 mark=0 use=1\n$`));
      }
    }
    expect(renderTraceText(t)).toContain('KUBE-SEP-');
    // Traces are plain data (STYLE.md §3): a JSON round trip loses nothing.
    expect(JSON.parse(JSON.stringify(t))).toEqual(t);
  });

  it('a concrete run picks one endpoint with a seeded RNG, reproducibly', () => {
    const probe = { from: { pod: w.pods[0].name, namespace: 'default' }, dst: w.clusterIP, dport: 8080, protocol: 'TCP' as const };
    const a = tracePacket(w.state, probe, { enumerate: false, seed: 7 });
    const b = tracePacket(w.state, probe, { enumerate: false, seed: 7 });
    expect(a.branches).toHaveLength(1);
    expect(a.mode).toBe('concrete');
    expect(a.branches[0].forward.disposition).toEqual(b.branches[0].forward.disposition);
    // The run says which endpoint rule it took and how likely that was.
    expect(a.branches[0].probability).toBeCloseTo(1 / 3, 6);
    expect(a.branches[0].choices.at(-1)?.rule.chain).toMatch(/^KUBE-SVC-/);
    const seen = new Set<string>();
    for (let s = 1; s <= 30; s++) seen.add(tracePacket(w.state, probe, { enumerate: false, seed: s }).branches[0].forward.disposition.netns);
    expect(seen.size).toBe(3);
  });

  it('a Service without endpoints is rejected by the kube-proxy rule in filter', () => {
    const svc = w.state.objects['Service/default/ghost'] as unknown as { spec: { clusterIP: string } };
    const t: Trace = tracePacket(w.state, { from: { pod: w.pods[0].name, namespace: 'default' }, dst: svc.spec.clusterIP, dport: 9090, protocol: 'TCP' });
    expect(t.branches).toHaveLength(1);
    const d = t.branches[0].forward.disposition;
    expect(d.code).toBe('rejected');
    expect(d.signal).toBe('icmp-port-unreachable');
    expect(d.decidedBy).toMatchObject({ kind: 'rule', table: 'filter', chain: 'KUBE-SERVICES' });
    expect((d.decidedBy as { text: string }).text).toContain('has no endpoints');
    expect(d.node).toBe(w.pods[0].node);
    expect(d.netns).toBe('root');
  });

  it('pod → pod directly, ICMP and UDP', () => {
    const [a, b] = w.pods;
    const t = tracePacket(w.state, { from: { pod: a.name, namespace: 'default' }, dst: b.ip, dport: 0, protocol: 'ICMP' });
    expect(t.branches[0].forward.disposition.code).toBe('delivered');
    expect(t.branches[0].reply?.disposition.code).toBe('delivered');
    const u = tracePacket(w.state, { from: { pod: a.name, namespace: 'default' }, dst: b.ip, dport: 53, protocol: 'UDP' });
    // The nginx pod declares only TCP/80.
    expect(u.branches[0].forward.disposition.code).toBe('port-closed');
  });

  it('node → Service IP from the host network (OUTPUT path)', () => {
    const t = tracePacket(w.state, { from: { node: w.pods[0].node }, dst: w.clusterIP, dport: 8080, protocol: 'TCP' });
    expect(t.branches).toHaveLength(3);
    for (const b of t.branches) {
      expect(b.forward.disposition.code).toBe('delivered');
      const nat = b.forward.steps.find((s) => s.kind === 'nat')!;
      expect(nat.decidedBy).toMatchObject({ kind: 'nat', type: 'DNAT', rule: { table: 'nat' } });
      expect(b.reply?.disposition.code).toBe('delivered');
    }
  });
});

describe('NodePort from outside the cluster', () => {
  it('arrives on eth0, KUBE-NODEPORTS → KUBE-EXT marks for masquerade, DNAT per endpoint, SNAT to the node IP when leaving for another node', () => {
    const w = fresh();
    const plugins = pluginsFor(w.state.spec);
    const dep = generateDeployment({ name: 'web', image: ['nginx'], replicas: 2, port: 80 });
    applyObjects(w.state, [admitObject(dep)], plugins);
    applyObjects(w.state, [admitObject(generateService({ target: dep, port: 80, targetPort: '80', type: 'NodePort' }))], plugins);
    const svc = w.state.objects['Service/default/web'] as unknown as { spec: { ports: Array<{ nodePort: number }> } };
    const nodePort = svc.spec.ports[0].nodePort;
    const node = w.state.nodes[0];
    const world = clusterWorld(w.state);
    const pkt: Packet = { family: 4, src: '192.168.200.9', dst: node.primaryIp, proto: 6, sport: 51000, dport: nodePort, tcpFlags: 2, ttl: 64, mark: 0 };
    const branches = walkArriving(world, { node: node.name, netns: 'root', dev: 'eth0' }, pkt);
    expect(branches).toHaveLength(2);
    expect(branches.reduce((a, b) => a + b.probability, 0)).toBeCloseTo(1, 9);
    for (const b of branches) {
      expect(b.disposition.code).toBe('delivered');
      const nats = b.steps.filter((s) => s.kind === 'nat' && s.node === node.name);
      expect(nats[0].decidedBy).toMatchObject({ kind: 'nat', type: 'DNAT', from: `${node.primaryIp}:${nodePort}` });
      const matched = b.steps.filter((s) => s.kind === 'hook' && s.table === 'nat' && s.hook === 'PREROUTING')[0].matched!.map((m) => m.chain);
      expect(matched).toEqual(expect.arrayContaining(['KUBE-NODEPORTS', 'KUBE-MARK-MASQ']));
      // kube-proxy masquerades external NodePort traffic (externalTrafficPolicy Cluster).
      expect(nats[1].decidedBy).toMatchObject({ kind: 'nat', type: 'MASQUERADE', rule: { chain: 'KUBE-POSTROUTING' } });
      expect(b.final.src).toBe(node.primaryIp);
    }
  });
});

describe('node-local traffic', () => {
  it('node → its own address goes over lo and is accepted by the host stack (no source validation on lo)', () => {
    const w = fresh();
    const n = w.state.nodes[0];
    const t = tracePacket(w.state, { from: { node: n.name }, dst: n.primaryIp, dport: 10250, protocol: 'TCP' });
    expect(t.branches).toHaveLength(1);
    expect(t.branches[0].forward.disposition).toMatchObject({ code: 'accepted', node: n.name, netns: 'root', iface: 'lo' });
    expect(t.branches[0].reply?.disposition.code).toBe('delivered');
  });
});

describe('VPC CNI egress to the internet', () => {
  it('a pod on a secondary ENI: AWS connmark 0x80 steers it to main (rule 1024), SNAT to the node IP, leaves by the primary NIC', () => {
    const w = fresh();
    const plugins = pluginsFor(w.state.spec);
    applyObjects(w.state, [admitObject(generateDeployment({ name: 'big', image: ['nginx'], replicas: 40, port: 80 }))], plugins);
    const name = Object.keys(w.state.objects)
      .filter((k) => k.startsWith('Pod/default/big-'))
      .map((k) => k.split('/')[2])
      .find((n) => {
        const sb = podSandbox(w.state, 'default', n);
        // VPC CNI adds "from <pod> lookup <table>" only for pods whose IP is on a secondary ENI.
        return sb?.ready && w.state.hosts[sb.node].namespaces.root.rules.some((r) => r.from === `${sb.ips[0]}/32`);
      })!;
    expect(name).toBeDefined();
    const onEth1 = podSandbox(w.state, 'default', name);
    const t = tracePacket(w.state, { from: { pod: name, namespace: 'default' }, dst: '8.8.8.8', dport: 443, protocol: 'TCP' });
    const b = t.branches[0].forward;
    expect(b.disposition).toMatchObject({ code: 'exits-vpc', node: onEth1!.node, netns: 'root', iface: 'ens5' });
    const route = b.steps.find((s) => s.kind === 'route' && s.netns === 'root')!;
    expect(route.decidedBy).toMatchObject({ kind: 'route', rule: { priority: 1024 } });
    const snat = b.steps.find((s) => s.kind === 'nat')!;
    const nodeIp = w.state.nodes.find((n) => n.name === onEth1!.node)!.primaryIp;
    expect(snat.decidedBy).toMatchObject({ kind: 'nat', type: 'SNAT', rule: { chain: 'AWS-SNAT-CHAIN-0' } });
    expect(snat.packet.src).toBe(nodeIp);
  });
});

describe('drops', () => {
  it('blackhole route on the client node: null-routed by that route', () => {
    const w = fresh();
    const [a, b] = w.pods.filter((p, i, all) => all.findIndex((q) => q.node === p.node) === i);
    addRoute(w.state.hosts[a.node].namespaces.root, { dst: `${b.ip}/32`, type: 'blackhole' });
    const t = tracePacket(w.state, { from: { pod: a.name, namespace: 'default' }, dst: b.ip, dport: 80, protocol: 'TCP' });
    const d = t.branches[0].forward.disposition;
    expect(d.code).toBe('null-routed');
    expect(d.node).toBe(a.node);
    expect(d.decidedBy).toMatchObject({ kind: 'route', route: `blackhole ${b.ip}` });
  });

  it('no default route on the client node: no route, ICMP net unreachable', () => {
    const w = fresh();
    const [a, b] = w.pods.filter((p, i, all) => all.findIndex((q) => q.node === p.node) === i);
    const root = w.state.hosts[a.node].namespaces.root;
    root.routes = root.routes.filter((r) => !(r.family === 4 && r.dst === 'default'));
    const t = tracePacket(w.state, { from: { pod: a.name, namespace: 'default' }, dst: b.ip, dport: 80, protocol: 'TCP' });
    const d = t.branches[0].forward.disposition;
    expect(d.code).toBe('no-route');
    expect(d.signal).toBe('ICMP net-unreachable');
    expect(d.node).toBe(a.node);
  });

  it('source/dest check: a source address the ENI does not own is dropped by the VPC', () => {
    const w = fresh();
    const [a, b] = w.pods.filter((p, i, all) => all.findIndex((q) => q.node === p.node) === i);
    const eni = w.state.vpc.enis.find((e) => e.secondaryIps.includes(a.ip))!;
    eni.secondaryIps = eni.secondaryIps.filter((ip) => ip !== a.ip);
    const t = tracePacket(w.state, { from: { pod: a.name, namespace: 'default' }, dst: b.ip, dport: 80, protocol: 'TCP' });
    const d = t.branches[0].forward.disposition;
    expect(d.code).toBe('source-dest-check');
    expect(d.decidedBy).toEqual({ kind: 'eni', eniId: eni.id, check: 'source' });
    // With the check off, the VPC carries it.
    eni.sourceDestCheck = false;
    const t2 = tracePacket(w.state, { from: { pod: a.name, namespace: 'default' }, dst: b.ip, dport: 80, protocol: 'TCP' });
    expect(t2.branches[0].forward.disposition.code).toBe('delivered');
  });

  it('forwarding disabled on the node: dropped at the routing decision', () => {
    const w = fresh();
    const [a, b] = w.pods.filter((p, i, all) => all.findIndex((q) => q.node === p.node) === i);
    const root = w.state.hosts[a.node].namespaces.root;
    for (const k of Object.keys(root.sysctls)) if (/^net\.ipv4\.conf\.[^.]+\.forwarding$/.test(k)) root.sysctls[k] = '0';
    const t = tracePacket(w.state, { from: { pod: a.name, namespace: 'default' }, dst: b.ip, dport: 80, protocol: 'TCP' });
    expect(t.branches[0].forward.disposition.code).toBe('forwarding-disabled');
  });
});
