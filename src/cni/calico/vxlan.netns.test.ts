// Two nodes of the example Calico cluster rebuilt in real network namespaces: the model's
// vxlan.calico (VNI, port, VTEP MAC, local), its Felix routes, static ARP and FDB entries, and
// one pod per node wired as the Calico CNI does (ee:ee:ee:ee:ee:ee host veth with proxy ARP,
// 169.254.1.1 gateway). The underlay is a veth between the two node namespaces. An ICMP echo
// from pod A to pod B must be answered, and tcpdump on the underlay must see both directions as
// VXLAN VNI 4096 on UDP 4789 between the node IPs. Needs root; namespaces are kwt-<random>-…
// and are always deleted.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { NetnsLab, netnsUsable } from '../../testing/netns.node.ts';
import { parseClusterFile } from '../../inputs/cluster-file.ts';
import { applyObjects, createCluster } from '../../control-plane/cluster.ts';
import { admitObject } from '../../inputs/k8s-objects.ts';
import { generateDeployment } from '../../k8s/generators.ts';
import { routeAddLine } from '../../node-state/ip-batch.ts';
import { getNs } from '../../node-state/ops.ts';
import { pluginsFor } from '../index.ts';
import { calicoState, VXLAN_IF, type CalicoNodeRecord, type CalicoPodRecord } from './plugin.ts';

const usable = netnsUsable();

const PING = `
import socket, struct, sys, time
dst = sys.argv[1]
def csum(b):
    if len(b) % 2: b += b'\\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return (~s) & 0xffff
payload = b'kubewire-calico'
hdr = struct.pack('!BBHHH', 8, 0, 0, 0x4b57, 1)
pkt = struct.pack('!BBHHH', 8, 0, csum(hdr + payload), 0x4b57, 1) + payload
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(3)
s.sendto(pkt, (dst, 0))
end = time.time() + 3
while time.time() < end:
    data, addr = s.recvfrom(2048)
    ihl = (data[0] & 15) * 4
    if addr[0] == dst and data[ihl] == 0:
        print('reply', addr[0]); sys.exit(0)
sys.exit(1)
`;

describe.skipIf(!usable.ok)('Calico VXLAN between two nodes in real namespaces', () => {
  const lab = new NetnsLab();
  afterAll(() => lab.cleanup());

  it('pod A → pod B crosses the underlay as VXLAN VNI 4096 and is answered', async () => {
    const text = readFileSync(new URL('../../../examples/cluster-calico.yaml', import.meta.url), 'utf8');
    const spec = parseClusterFile(text, 'examples/cluster-calico.yaml');
    const plugins = pluginsFor(spec);
    const state = createCluster(spec, { seed: 1, ...plugins });
    applyObjects(state, [admitObject(generateDeployment({ name: 'nginx', image: ['nginx'], replicas: 3, port: 80 }))], plugins);
    const s = calicoState(state);
    const withPods = Object.entries(s.nodes).filter(([, r]) => Object.keys(r.pods).length > 0);
    expect(withPods.length).toBeGreaterThanOrEqual(2);
    const [[nameA, a], [nameB, b]] = withPods as [[string, CalicoNodeRecord], [string, CalicoNodeRecord]];
    const podA = Object.values(a.pods)[0]!;
    const podB = Object.values(b.pods)[0]!;

    lab.create(['a', 'b', 'pa', 'pb']);
    const ip = (ns: string, lines: string[]) => lab.runStep(ns, 'ip', lines);

    // Underlay: the two primary interfaces joined by a veth (same subnet, as in one AZ).
    ip('a', [`link add eth0 mtu 9001 type veth peer name eth0 netns ${lab.realName('b')}`]);
    for (const [ns, rec, nodeName] of [['a', a, nameA], ['b', b, nameB]] as const) {
      const root = getNs(state.hosts[nodeName]!, 'root');
      const eth = root.addresses.find((x) => x.family === 4 && x.local === rec.nodeIp)!;
      lab.runStep(ns, 'sysctl', ['net.ipv4.ip_forward=1']);
      ip(ns, ['link set lo up', `link set eth0 mtu 9001 up`, `addr add ${rec.nodeIp}/${eth.prefixlen} dev eth0`]);
      // vxlan.calico exactly as the model holds it.
      const vx = root.links.find((l) => l.name === VXLAN_IF)!;
      const v = vx.vxlan!;
      ip(ns, [
        `link add ${VXLAN_IF} address ${vx.mac} mtu ${vx.mtu} type vxlan id ${v.vni} local ${v.local} dev eth0 dstport ${v.port} nolearning`,
        `link set ${VXLAN_IF} up`,
        `addr add ${rec.tunnelIp}/32 dev ${VXLAN_IF}`,
      ]);
      // Felix's neighbours, FDB entries and routes from the model.
      ip(ns, root.neighbours.filter((n) => n.dev === VXLAN_IF).map((n) => `neigh add ${n.dst} lladdr ${n.lladdr} dev ${n.dev} nud permanent`));
      lab.runStep(ns, 'bridge', root.fdb.filter((f) => f.dev === VXLAN_IF).map((f) => `fdb add ${f.mac} dev ${f.dev} dst ${f.dst} self permanent`));
      ip(ns, root.routes.filter((r) => r.family === 4 && r.table === 254 && (r.dev === VXLAN_IF || r.type === 'blackhole')).map(routeAddLine));
    }
    // One pod per node, wired as the Calico CNI does.
    for (const [pns, hns, pod] of [['pa', 'a', podA], ['pb', 'b', podB]] as [string, string, CalicoPodRecord][]) {
      ip(pns, [
        `link add eth0 mtu ${a.vxlanMtu} type veth peer name ${pod.hostIf} netns ${lab.realName(hns)}`,
        'link set lo up',
      ]);
      ip(hns, [`link set ${pod.hostIf} address ee:ee:ee:ee:ee:ee`, `link set ${pod.hostIf} up`]);
      lab.runStep(hns, 'sysctl', [`net.ipv4.conf.${pod.hostIf}.proxy_arp=1`, `net.ipv4.neigh.${pod.hostIf}.proxy_delay=0`, `net.ipv4.conf.${pod.hostIf}.forwarding=1`]);
      ip(pns, ['link set eth0 up', 'route add 169.254.1.1/32 dev eth0 scope link', 'route add default via 169.254.1.1 dev eth0', `addr add ${pod.ip}/32 dev eth0`]);
      ip(hns, [`route add ${pod.ip}/32 dev ${pod.hostIf} scope link`]);
    }
    // Proxy ARP answers only when the host has a route for the target via another device.
    for (const ns of ['a', 'b']) ip(ns, ['route add default dev eth0']);

    // Capture the underlay on node A while pod A pings pod B.
    const cap = spawn('ip', ['netns', 'exec', lab.realName('a'), 'timeout', '8', 'tcpdump', '-l', '-nn', '-i', 'eth0', '-c', '2', 'udp', 'port', '4789'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    cap.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const listening = new Promise<void>((resolve) => {
      cap.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('listening on')) resolve();
      });
      setTimeout(resolve, 3000);
    });
    const done = new Promise<void>((resolve) => cap.on('exit', () => resolve()));
    try {
      await listening;
      const ping = spawnSync('ip', ['netns', 'exec', lab.realName('pa'), 'python3', '-c', PING, podB.ip], { encoding: 'utf8', timeout: 6000 });
      expect(ping.stdout.trim()).toBe(`reply ${podB.ip}`);
      await done;
    } finally {
      if (cap.exitCode === null) cap.kill('SIGTERM');
    }
    const lines = out.split('\n');
    expect(lines.some((l) => l.includes(`IP ${a.nodeIp}.`) && l.includes(`> ${b.nodeIp}.4789: VXLAN, flags [I] (0x08), vni 4096`))).toBe(true);
    expect(lines.some((l) => l.includes(`IP ${b.nodeIp}.`) && l.includes(`> ${a.nodeIp}.4789: VXLAN, flags [I] (0x08), vni 4096`))).toBe(true);
    expect(out).toContain(`IP ${podA.ip} > ${podB.ip}: ICMP echo request`);
    expect(out).toContain(`IP ${podB.ip} > ${podA.ip}: ICMP echo reply`);
  }, 30000);
});
