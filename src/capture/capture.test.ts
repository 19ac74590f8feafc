// Captures built from engine traces on the default cluster (VPC CNI) and its Calico VXLAN variant:
// which devices a flow crosses, what each capture point sees (NAT, TTL, MACs, MSS, VXLAN outer
// headers), timestamps in causal order, and how capture points are named and resolved.
import { describe, expect, it } from 'vitest';
import { labTestCluster } from '../lab/testing.ts';
import type { ClusterState } from '../control-plane/types.ts';
import { ROOT_NS } from '../node-state/types.ts';
import { parseEthernet } from '../wire/ethernet.ts';
import { parseIpv4, type Ipv4Header } from '../wire/ipv4.ts';
import { parseTcp, type TcpHeader } from '../wire/tcp.ts';
import { parseUdp, type UdpHeader } from '../wire/udp.ts';
import { parseVxlan } from '../wire/vxlan.ts';
import { vpcRouterMac } from '../engine/walk.ts';
import { tracePacket } from '../engine/index.ts';
import { findPodNetns } from '../k8s/lookup.ts';
import { modelCluster } from '../netpol/cluster.testing.ts';
import { np } from '../netpol/testing.ts';
import { testSpec } from '../control-plane/testing.ts';
import { captureFiles, captureRun, captureSummary, resolvePoint, type CaptureResult } from './index.ts';
import { testWgetRun } from './testing.ts';
import { readPcapng } from '../pcap/pcapng.ts';
import { readPcap } from '../pcap/pcap.ts';

interface Layer { srcMac: string; dstMac: string; ip: Ipv4Header; udp?: UdpHeader; tcp?: TcpHeader; payload: Uint8Array; ipLen: number }
interface Decoded { outer: Layer; vni?: number; inner?: Layer }

function layer(frame: Uint8Array): Layer {
  const eth = parseEthernet(frame);
  const ip = parseIpv4(eth.payload);
  const l: Layer = { srcMac: eth.header.src, dstMac: eth.header.dst, ip: ip.header, payload: ip.payload, ipLen: eth.payload.length };
  if (ip.header.protocol === 17) {
    const u = parseUdp(ip.payload, 0, { src: ip.header.src, dst: ip.header.dst });
    l.udp = u.header;
    l.payload = u.payload;
  } else if (ip.header.protocol === 6) {
    const t = parseTcp(ip.payload, 0, { src: ip.header.src, dst: ip.header.dst });
    l.tcp = t.header;
    l.payload = t.payload;
  }
  return l;
}

function decode(frame: Uint8Array): Decoded {
  const outer = layer(frame);
  if (outer.udp?.dstPort !== 4789) return { outer };
  const vx = parseVxlan(outer.payload);
  return { outer, vni: vx.header.vni, inner: layer(vx.payload) };
}

function podsOn(state: ClusterState, node: string): string[] {
  return Object.keys(state.objects)
    .filter((k) => k.startsWith('Pod/default/nginx'))
    .map((k) => k.split('/')[2])
    .filter((p) => (state.objects[`Pod/default/${p}`] as unknown as { spec: { nodeName: string } }).spec.nodeName === node);
}

function podIp(state: ClusterState, name: string): string {
  return (state.objects[`Pod/default/${name}`] as unknown as { status: { podIP: string } }).status.podIP;
}

function framesAt(r: CaptureResult, name: string): Decoded[] {
  const i = r.points.findIndex((p) => p.name === name);
  expect(i, `${name} in ${r.points.map((p) => p.name).join(', ')}`).toBeGreaterThanOrEqual(0);
  return r.packets.filter((p) => p.interfaceId === i).map((p) => decode(p.data));
}

describe('captures on the VPC CNI cluster', () => {
  const state = labTestCluster();
  const [n0, n1] = state.nodes;
  const client = podsOn(state, n0.name)[0];
  const server = podsOn(state, n1.name)[0];
  const run = testWgetRun(state, { pod: client, target: podIp(state, server), port: 80 });
  const r = captureRun(state, run, 'path');
  const h0 = state.hosts[n0.name].namespaces[ROOT_NS];
  const h1 = state.hosts[n1.name].namespaces[ROOT_NS];
  const ens5 = (ns: typeof h0) => ns.links.find((l) => l.name === 'ens5')!;

  it('crosses pod eth0, the host veth, both nodes\' ens5, the host veth and pod eth0', () => {
    const names = r.points.map((p) => p.name);
    expect(names[0]).toBe(`default/${client}:eth0`);
    expect(names[1]).toMatch(new RegExp(`^${n0.name}:eni[0-9a-f]{11}$`));
    expect(names.slice(2, 4)).toEqual([`${n0.name}:ens5`, `${n1.name}:ens5`]);
    expect(names[4]).toMatch(new RegExp(`^${n1.name}:eni[0-9a-f]{11}$`));
    expect(names[5]).toBe(`default/${server}:eth0`);
  });

  it('on the wire between the nodes: node MACs to the VPC router, pod IPs, TTL 63, DF, Linux MSS 8961', () => {
    const out = framesAt(r, `${n0.name}:ens5`);
    const inn = framesAt(r, `${n1.name}:ens5`);
    expect(out.length).toBe(inn.length);
    expect(out.length).toBe(12);
    const c2s = out.filter((d) => d.outer.ip.src === podIp(state, client));
    expect(c2s.length).toBe(6);
    for (const d of c2s) {
      expect([d.outer.srcMac, d.outer.dstMac]).toEqual([ens5(h0).mac, vpcRouterMac(state.vpc.enis.find((e) => e.id === ens5(h0).eniId)!.subnetId)]);
      expect([d.outer.ip.dst, d.outer.tcp!.dstPort, d.outer.ip.ttl, d.outer.ip.dontFragment]).toEqual([podIp(state, server), 80, 63, true]);
    }
    // The receiving node sees its own subnet's router as the sender; the VPC keeps the TTL.
    for (const d of inn.filter((x) => x.outer.ip.src === podIp(state, client))) {
      expect(d.outer.dstMac).toBe(ens5(h1).mac);
      expect(d.outer.srcMac).toBe(vpcRouterMac(state.vpc.enis.find((e) => e.id === ens5(h1).eniId)!.subnetId));
      expect(d.outer.ip.ttl).toBe(63);
    }
    const syn = out[0].outer.tcp!;
    expect(syn.options).toContainEqual({ kind: 'mss', value: 8961 });
    expect(syn.window).toBe(62727);
    const synAck = out[1].outer.tcp!;
    expect(synAck.options).toContainEqual({ kind: 'mss', value: 8961 });
    expect(out[1].outer.ip.identification).toBe(0);
  });

  it('at the pods: TTL 64 leaving, 62 arriving; the frames carry the same TCP bytes at every point', () => {
    const atClient = framesAt(r, `default/${client}:eth0`);
    const atServer = framesAt(r, `default/${server}:eth0`);
    expect(atClient.filter((d) => d.outer.ip.src === podIp(state, client)).every((d) => d.outer.ip.ttl === 64)).toBe(true);
    expect(atClient.filter((d) => d.outer.ip.src !== podIp(state, client)).every((d) => d.outer.ip.ttl === 62)).toBe(true);
    expect(atServer.filter((d) => d.outer.ip.src === podIp(state, client)).every((d) => d.outer.ip.ttl === 62)).toBe(true);
    expect(atClient.map((d) => d.outer.tcp!.seq)).toEqual(atServer.map((d) => d.outer.tcp!.seq));
    const flags = atClient.map((d) => d.outer.tcp!.flags);
    expect(flags.slice(0, 3)).toEqual([0x02, 0x12, 0x10]);
    // The client ACKs each data segment; nginx closes first (Connection: close), the client's FIN
    // ACKs nginx's, nginx ACKs it.
    expect(flags.slice(-5)).toEqual([0x10, 0x10, 0x11, 0x11, 0x10]);
    expect(atClient.slice(-5).map((d) => d.outer.ip.src === podIp(state, client))).toEqual([true, true, false, true, false]);
  });

  it('timestamps: every interface in order, each packet seen later the further it went', () => {
    for (let i = 0; i < r.points.length; i++) {
      const t = r.packets.filter((p) => p.interfaceId === i).map((p) => p.timeUs);
      expect([...t].sort((a, b) => a - b)).toEqual(t);
    }
    const at = (name: string) => r.packets.filter((p) => p.interfaceId === r.points.findIndex((x) => x.name === name)).map((p) => p.timeUs);
    const a = at(`default/${client}:eth0`);
    const b = at(`default/${server}:eth0`);
    expect(b[0]).toBeGreaterThan(a[0]); // SYN
    expect(a[1]).toBeGreaterThan(b[1]); // SYN-ACK
  });

  it('a Service: DNS through kube-dns, DNAT after the pod, the answer un-NATed on the way back', () => {
    const svc = (state.objects['Service/default/nginx'] as unknown as { spec: { clusterIP: string } }).spec.clusterIP;
    const dnsIp = (state.objects['Service/kube-system/kube-dns'] as unknown as { spec: { clusterIP: string } }).spec.clusterIP;
    const run2 = testWgetRun(state, { pod: client, target: 'nginx', port: 8080, seed: 7 });
    const r2 = captureRun(state, run2, 'path');
    const at = framesAt(r2, `default/${client}:eth0`);
    expect(at.filter((d) => d.outer.udp).map((d) => d.outer.ip.dst === dnsIp || d.outer.ip.src === dnsIp)).toEqual([true, true, true, true]);
    const tcp = at.filter((d) => d.outer.tcp);
    expect(tcp[0].outer.ip.dst).toBe(svc);
    expect(tcp[0].outer.tcp!.dstPort).toBe(8080);
    expect(tcp[1].outer.ip.src).toBe(svc);
    const uri = tcp.map((d) => new TextDecoder().decode(d.outer.payload)).find((s) => s.startsWith('GET '));
    expect(uri).toBe('GET / HTTP/1.1\r\nHost: nginx:8080\r\nUser-Agent: Wget\r\nConnection: close\r\n\r\n');
    // Past the pod the destination is an nginx pod on port 80.
    const backendIps = podsOn(state, n0.name).concat(podsOn(state, n1.name), podsOn(state, state.nodes[2].name)).map((p) => podIp(state, p));
    const syns = r2.packets.map((p) => decode(p.data)).filter((d) => d.outer.tcp && d.outer.tcp.flags === 0x02);
    expect(syns.some((d) => backendIps.includes(d.outer.ip.dst) && d.outer.tcp!.dstPort === 80)).toBe(true);
    // The host veth sees the frame as the pod sent it (PREROUTING's DNAT comes after the capture).
    expect(framesAt(r2, r2.points[1].name).find((d) => d.outer.tcp?.flags === 0x02)!.outer.ip.dst).toBe(svc);
  });

  it('ping: echo request with DF and busybox\'s data, the kernel\'s reply with DF clear, TTL 63 between the nodes', () => {
    const probe = { from: { pod: client, namespace: 'default' }, dst: podIp(state, server), dport: 0, protocol: 'ICMP' as const, sport: 39 };
    const flows = [0, 1].map((seq) => ({ kind: 'icmp' as const, probe, trace: tracePacket(state, probe, { enumerate: false, seed: 1 }), icmpSeq: seq, icmpDataLen: 56, startUs: seq * 1_000_000 }));
    const pr = captureRun(state, { ...run, argv: ['ping', '-c2', podIp(state, server)], flows }, [resolvePoint(state, `${n0.name}:ens5`)]);
    expect(pr.packets.length).toBe(4);
    const ips = pr.packets.map((p) => parseIpv4(parseEthernet(p.data).payload));
    expect(ips.map((x) => [x.header.protocol, x.header.ttl, x.header.dontFragment, x.header.totalLength])).toEqual([[1, 63, true, 84], [1, 63, false, 84], [1, 63, true, 84], [1, 63, false, 84]]);
    const icmp = ips.map((x) => x.payload);
    expect(icmp.map((b) => [b[0], (b[4] << 8) | b[5], (b[6] << 8) | b[7]])).toEqual([[8, 39, 0], [0, 39, 0], [8, 39, 1], [0, 39, 1]]);
    expect([...icmp[1].subarray(8)]).toEqual([...icmp[0].subarray(8)]);
    expect(icmp[0].subarray(12).every((x) => x === 0)).toBe(true);
    expect(pr.packets[2].timeUs - pr.packets[0].timeUs).toBeGreaterThanOrEqual(1_000_000);
  });

  it('a closed port: the SYN there and the kernel\'s RST|ACK back along the reverse path', () => {
    const probe = { from: { pod: client, namespace: 'default' }, dst: podIp(state, server), dport: 8081, protocol: 'TCP' as const, sport: 40001 };
    const trace = tracePacket(state, probe, { enumerate: false, seed: 1 });
    expect(trace.branches[0].forward.disposition.code).toBe('port-closed');
    const rr = captureRun(state, { ...run, flows: [{ kind: 'tcp', probe, trace, startUs: 0 }] }, 'path');
    expect(rr.points.map((p) => p.name)).toEqual(r.points.map((p) => p.name));
    const atClient = framesAt(rr, `default/${client}:eth0`);
    expect(atClient.map((d) => d.outer.tcp!.flags)).toEqual([0x02, 0x14]);
    const [syn, rst] = atClient;
    expect([rst.outer.ip.src, rst.outer.tcp!.srcPort, rst.outer.tcp!.dstPort]).toEqual([podIp(state, server), 8081, 40001]);
    expect([rst.outer.tcp!.seq, rst.outer.tcp!.ack, rst.outer.tcp!.window, rst.outer.tcp!.options]).toEqual([0, (syn.outer.tcp!.seq + 1) >>> 0, 0, []]);
    expect([rst.outer.ip.identification, rst.outer.ip.dontFragment, rst.outer.ip.ttl]).toEqual([0, true, 62]);
    expect(framesAt(rr, `${n1.name}:ens5`).map((d) => d.outer.tcp!.flags)).toEqual([0x02, 0x14]);
  });

  it('pcapng: one IDB per point named node:dev or ns/pod:dev; pcap: one file per point', () => {
    const [ng] = captureFiles(r, 'pcapng', 'out.pcapng');
    const f = readPcapng(ng.bytes);
    expect(f.interfaces.map((i) => i.name)).toEqual(r.points.map((p) => p.name));
    expect(f.interfaces[2].description).toContain('ENI eni-');
    expect(f.packets.length).toBe(r.packets.length);
    const files = captureFiles(r, 'pcap', 'out.pcap');
    expect(files.map((x) => x.name)).toContain(`out.${n0.name}_ens5.pcap`);
    expect(files.reduce((n, x) => n + readPcap(x.bytes).packets.length, 0)).toBe(r.packets.length);
  });

  it('summary names the interface and direction when there are several', () => {
    const lines = captureSummary(r);
    expect(lines[0]).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{6} default/${client}:eth0 Out IP ${podIp(state, client).replace(/\./g, '\\.')}\\.52344 > `));
    const one = captureRun(state, run, [resolvePoint(state, `${n0.name.split('.')[0]}:ens5`)]);
    expect(captureSummary(one)[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{6} IP \S+ > \S+: Flags \[S\]/);
  });
});

describe('captures on the Calico VXLAN cluster', () => {
  const state = labTestCluster(3, true, 'calico-vxlan');
  const [n0, n1] = state.nodes;
  const client = podsOn(state, n0.name)[0];
  const server = podsOn(state, n1.name)[0];
  const run = testWgetRun(state, { pod: client, target: podIp(state, server), port: 80 });
  const r = captureRun(state, run, 'path');

  it('crosses caliX, vxlan.calico and ens5 on both nodes', () => {
    expect(r.points.map((p) => p.name.replace(/cali[0-9a-f]{11}/, 'caliX'))).toEqual([
      `default/${client}:eth0`, `${n0.name}:caliX`, `${n0.name}:vxlan.calico`, `${n0.name}:ens5`,
      `${n1.name}:ens5`, `${n1.name}:vxlan.calico`, `${n1.name}:caliX`, `default/${server}:eth0`,
    ]);
  });

  it('ens5 carries VXLAN: node IPs, UDP to 4789, VNI 4096, outer DF clear and TTL 64, inner pod packet TTL 63', () => {
    const out = framesAt(r, `${n0.name}:ens5`);
    const inn = framesAt(r, `${n1.name}:ens5`);
    const vx0 = state.hosts[n0.name].namespaces[ROOT_NS].links.find((l) => l.name === 'vxlan.calico')!;
    const vx1 = state.hosts[n1.name].namespaces[ROOT_NS].links.find((l) => l.name === 'vxlan.calico')!;
    expect(out.length).toBe(12);
    const ports = new Set<number>();
    out.forEach((d, i) => {
      expect(d.vni).toBe(4096);
      expect(d.outer.udp!.dstPort).toBe(4789);
      expect(d.outer.ip.dontFragment).toBe(false);
      expect(d.outer.ip.ttl).toBe(64);
      expect(d.outer.ipLen).toBe(d.inner!.ipLen + 50);
      expect(d.outer.udp!.srcPort).toBeGreaterThanOrEqual(32768);
      expect(d.outer.udp!.srcPort).toBeLessThanOrEqual(60999);
      expect(d.inner!.ip.ttl).toBe(63);
      const fromClient = d.inner!.ip.src === podIp(state, client);
      expect([d.outer.ip.src, d.outer.ip.dst]).toEqual(fromClient ? [n0.primaryIp, n1.primaryIp] : [n1.primaryIp, n0.primaryIp]);
      expect([d.inner!.srcMac, d.inner!.dstMac]).toEqual(fromClient ? [vx0.mac, vx1.mac] : [vx1.mac, vx0.mac]);
      if (fromClient) ports.add(d.outer.udp!.srcPort);
      // The same outer packet on both ends (ID, source port), the VPC keeps the TTL.
      expect(inn[i].outer.ip.identification).toBe(d.outer.ip.identification);
      expect(inn[i].outer.udp!.srcPort).toBe(d.outer.udp!.srcPort);
    });
    // One flow, one hash: every client packet has the same outer source port.
    expect(ports.size).toBe(1);
    const ids = out.filter((d) => d.inner!.ip.src === podIp(state, client)).map((d) => d.outer.ip.identification);
    expect(ids.slice(1).map((v, i) => (v - ids[i]) & 0xffff)).toEqual(ids.slice(1).map(() => 1));
    expect(out[0].inner!.tcp!.options).toContainEqual({ kind: 'mss', value: 8911 });
  });

  it('vxlan.calico shows the inner frames between the VTEP MACs', () => {
    const at = framesAt(r, `${n0.name}:vxlan.calico`);
    expect(at.length).toBe(12);
    expect(at.every((d) => d.vni === undefined && d.outer.tcp)).toBe(true);
  });
});

describe('capture points', () => {
  const state = labTestCluster();
  const node = state.nodes[0];
  const short = node.name.split('.')[0];

  it('NODE:DEV by name, short name, IP; altname and eth0 alias resolve to ens5', () => {
    for (const w of [`${node.name}:ens5`, `${short}:enp0s5`, `${node.primaryIp}:eth0`]) {
      const p = resolvePoint(state, w);
      expect([p.node, p.netns, p.dev, p.name]).toEqual([node.name, ROOT_NS, 'ens5', `${node.name}:ens5`]);
    }
  });

  it('ethN on a node: its N-th ENI (ens5, ens6, ... on AL2023), as AL2 would name it', () => {
    const enis = state.hosts[node.name].namespaces[ROOT_NS].links.filter((l) => l.eniId).sort((a, b) => a.ifindex - b.ifindex);
    expect(enis.length).toBeGreaterThanOrEqual(2);
    expect(resolvePoint(state, `${short}:eth1`).dev).toBe(enis[1].name);
    expect(enis[1].name).toBe('ens6');
    expect(() => resolvePoint(state, `${short}:eth${enis.length}`)).toThrow(/has no device/);
  });

  it('POD:DEV and NS/POD:DEV', () => {
    const pod = podsOn(state, node.name)[0];
    expect(resolvePoint(state, `${pod}:eth0`).name).toBe(`default/${pod}:eth0`);
    const dns = Object.keys(state.objects).find((k) => k.startsWith('Pod/kube-system/coredns'))!.split('/')[2];
    expect(resolvePoint(state, `kube-system/${dns}:eth0`).name).toBe(`kube-system/${dns}:eth0`);
    expect(() => resolvePoint(state, `${dns}:eth0`)).toThrow(/no node or pod "coredns-[^"]+" .*pods in default: nginx-/);
  });

  it('unknown device names the devices there; a missing device is an error', () => {
    expect(() => resolvePoint(state, `${short}:eth9`)).toThrow(/has no device "eth9" \(devices: lo, ens5 \(enp0s5\), .*eni[0-9a-f]{11}/);
    expect(() => resolvePoint(state, short)).toThrow(/expected NODE:DEV or POD:DEV/);
  });
});

describe('captures under the VPC CNI network policy agent', () => {
  // The agent's eBPF sits at the pod's host veth: tc ingress for what leaves the pod (after packet
  // taps: tcpdump on both veth ends sees it), tc egress for what enters it (before the taps).
  const flowRun = (c: ReturnType<typeof modelCluster>, from: string, to: string) => {
    const [ns, pod] = from.split('/');
    const dst = (c.state.objects[`Pod/${to}`] as unknown as { status: { podIP: string } }).status.podIP;
    const probe = { from: { pod, namespace: ns }, dst, dport: 80, protocol: 'TCP' as const, sport: 40000 };
    const trace = tracePacket(c.state, probe, { enumerate: false, seed: 1 });
    const where = findPodNetns(c.state, ns, pod);
    return { trace, run: { argv: ['wget'], pod: { namespace: ns, name: pod, node: where.node, netns: where.netns, ip: '' }, stdout: '', stderr: '', exitCode: 1, flows: [{ kind: 'http' as const, probe, trace, startUs: 0 }] } };
  };
  const agent = () => modelCluster(testSpec({ cni: { type: 'vpc-cni', vpcCni: { env: {}, version: 'v1.19.2-eksbuild.1', enableNetworkPolicy: true } } }));

  it('ingress denied: the SYN is on the sender\'s side and the wire, on neither end of the receiving pod\'s veth', () => {
    const c = agent();
    c.apply([np('deny', { podSelector: {}, policyTypes: ['Ingress'] })]);
    const { trace, run } = flowRun(c, 'y/a', 'x/b');
    expect(trace.branches[0].forward.disposition.code).toBe('denied');
    const r = captureRun(c.state, run, 'path');
    const names = r.points.map((p) => p.name);
    expect(names[0]).toBe('y/a:eth0');
    expect(names).not.toContain('x/b:eth0');
    const b = findPodNetns(c.state, 'x', 'b');
    const hostIf = c.state.hosts[b.node].namespaces[b.netns].links.find((l) => l.name === 'eth0')!.veth!.peerName;
    expect(names).not.toContain(`${b.node}:${hostIf}`);
    expect(r.packets.length).toBe(names.length);
  });

  it('egress denied: the SYN is on both ends of the sending pod\'s veth, nowhere else', () => {
    const c = agent();
    c.apply([np('deny', { podSelector: {}, policyTypes: ['Egress'] }, 'y')]);
    const { trace, run } = flowRun(c, 'y/a', 'x/b');
    expect(trace.branches[0].forward.disposition.code).toBe('denied');
    const r = captureRun(c.state, run, 'path');
    const a = findPodNetns(c.state, 'y', 'a');
    const hostIf = c.state.hosts[a.node].namespaces[a.netns].links.find((l) => l.name === 'eth0')!.veth!.peerName;
    expect(r.points.map((p) => p.name)).toEqual(['y/a:eth0', `${a.node}:${hostIf}`]);
    expect(r.packets.map((p) => p.direction)).toEqual(['out', 'in']);
  });
});
