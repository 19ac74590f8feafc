// Calico-style VXLAN between two nodes in one subnet: proxy-ARP'd 169.254.1.1 gateway in the pod,
// onlink route + permanent neighbour + FDB entry on vxlan.calico, outer UDP 4789 over the VPC.
import { describe, expect, it } from 'vitest';
import { addAddress, addFdb, addLink, addNeighbour, addRoute, addVethPair, bootLoopback, newHost, newNetns, setLinkUp, setSysctl } from '../node-state/ops.ts';
import type { Host } from '../node-state/types.ts';
import type { VpcState } from '../aws/types.ts';
import { newWalkState, replyPacket, walkFrom, type WalkWorld } from './walk.ts';

interface NodeDef {
  name: string;
  ip: string;
  eniMac: string;
  vtepMac: string;
  tunnel: string;
  block: string;
  pod: string;
}

const A: NodeDef = { name: 'A', ip: '192.168.1.10', eniMac: '02:00:00:00:0a:01', vtepMac: '66:aa:aa:aa:aa:01', tunnel: '10.244.0.0', block: '10.244.0.0/26', pod: '10.244.0.5' };
const B: NodeDef = { name: 'B', ip: '192.168.1.20', eniMac: '02:00:00:00:0b:01', vtepMac: '66:bb:bb:bb:bb:01', tunnel: '10.244.1.0', block: '10.244.1.0/26', pod: '10.244.1.7' };

function calicoNode(me: NodeDef, peer: NodeDef): Host {
  const h = newHost(me.name);
  const root = h.namespaces.root;
  setSysctl(root, 'net.ipv4.ip_forward', '1');
  addLink(root, { name: 'eth0', kind: 'device', mac: me.eniMac, eniId: `eni-${me.name}`, mtu: 9001 });
  setLinkUp(h, 'root', 'eth0');
  addAddress(root, 'eth0', `${me.ip}/24`, { broadcast: '+' });
  addRoute(root, { dst: 'default', via: '192.168.1.1', dev: 'eth0' });
  addLink(root, { name: 'vxlan.calico', kind: 'vxlan', mac: me.vtepMac, mtu: 8951, vxlan: { vni: 4096, port: 4789, local: me.ip, dev: 'eth0', learning: false } });
  setLinkUp(h, 'root', 'vxlan.calico');
  addAddress(root, 'vxlan.calico', `${me.tunnel}/32`);
  addNeighbour(root, { dst: peer.tunnel, dev: 'vxlan.calico', lladdr: peer.vtepMac });
  addFdb(root, { mac: peer.vtepMac, dev: 'vxlan.calico', dst: peer.ip, self: true, permanent: true });
  addRoute(root, { dst: peer.block, via: peer.tunnel, dev: 'vxlan.calico', onlink: true, proto: 80 });
  addRoute(root, { dst: me.block, type: 'blackhole', proto: 80 });
  newNetns(h, 'pod');
  bootLoopback(h, 'pod');
  addVethPair(h, 'pod', 'eth0', 'root', 'cali0123456789a', { macB: 'ee:ee:ee:ee:ee:ee' });
  setLinkUp(h, 'pod', 'eth0');
  setLinkUp(h, 'root', 'cali0123456789a');
  setSysctl(root, 'net.ipv4.conf.cali0123456789a.proxy_arp', '1');
  const pod = h.namespaces.pod;
  addAddress(pod, 'eth0', `${me.pod}/32`);
  addRoute(pod, { dst: '169.254.1.1/32', dev: 'eth0', scope: 'link' });
  addRoute(pod, { dst: 'default', via: '169.254.1.1', dev: 'eth0' });
  addRoute(root, { dst: `${me.pod}/32`, dev: 'cali0123456789a', scope: 'link', proto: 80 });
  return h;
}

function world(): WalkWorld {
  const vpc: VpcState = {
    id: 'vpc-1',
    cidr: '192.168.0.0/16',
    nextId: 1,
    subnets: [{ id: 'subnet-1', az: 'us-west-2a', cidr: '192.168.1.0/24', public: false, used: { [A.ip]: 'eni-A', [B.ip]: 'eni-B' } }],
    enis: [A, B].map((n) => ({ id: `eni-${n.name}`, subnetId: 'subnet-1', instanceId: `i-${n.name}`, deviceIndex: 0, mac: n.eniMac, primaryIp: n.ip, secondaryIps: [], prefixes: [], sourceDestCheck: true, securityGroups: [] })),
  };
  return { hosts: { A: calicoNode(A, B), B: calicoNode(B, A) }, vpc, instanceNode: { 'i-A': 'A', 'i-B': 'B' }, listening: () => true };
}

describe('VXLAN walk', () => {
  it('pod on A → pod on B: proxy ARP, encapsulation to the FDB VTEP, VPC, decapsulation, delivery; and back', () => {
    const w = world();
    const state = newWalkState();
    const [b] = walkFrom(w, { node: 'A', netns: 'pod' }, { family: 4, src: '', dst: B.pod, proto: 6, sport: 40000, dport: 80, tcpFlags: 2, ttl: 64, mark: 0 }, {}, state);
    expect(b.disposition).toMatchObject({ code: 'delivered', node: 'B', netns: 'pod' });
    const kinds = b.steps.map((s) => s.kind);
    expect(kinds).toContain('encap');
    expect(kinds).toContain('decap');
    const arp = b.steps.find((s) => s.kind === 'neigh')!;
    expect(arp.decidedBy).toMatchObject({ kind: 'neigh', ip: '169.254.1.1', lladdr: 'ee:ee:ee:ee:ee:ee', answeredBy: 'root/cali0123456789a' });
    const encap = b.steps.find((s) => s.kind === 'encap')!;
    expect(encap.decidedBy).toEqual({ kind: 'fdb', dev: 'vxlan.calico', mac: B.vtepMac, dst: B.ip });
    expect(encap.packet).toMatchObject({ src: A.ip, dst: B.ip, proto: 17, dport: 4789, ttl: 64 });
    expect(encap.packet.sport).toBeGreaterThanOrEqual(32768);
    expect(encap.packet.sport).toBeLessThan(60999);
    const fab = b.steps.find((s) => s.kind === 'fabric')!;
    expect(fab.packet).toMatchObject({ src: A.ip, dst: B.ip });
    // Inner TTL: forwarded on A (64 → 63) and on B (63 → 62).
    expect(b.final).toMatchObject({ src: A.pod, dst: B.pod, ttl: 62 });
    const [r] = walkFrom(w, { node: 'B', netns: 'pod' }, replyPacket(b.final), {}, state);
    expect(r.disposition).toMatchObject({ code: 'delivered', node: 'A', netns: 'pod' });
  });

  it('without the FDB entry the vxlan device has nowhere to send the frame', () => {
    const w = world();
    w.hosts.A.namespaces.root.fdb = [];
    const [b] = walkFrom(w, { node: 'A', netns: 'pod' }, { family: 4, src: '', dst: B.pod, proto: 17, sport: 40000, dport: 53, ttl: 64, mark: 0 });
    expect(b.disposition).toMatchObject({ code: 'neighbour-unreachable', node: 'A', iface: 'vxlan.calico', decidedBy: { kind: 'fdb', mac: B.vtepMac } });
  });

  it('the own block is a blackhole for addresses without a workload', () => {
    const w = world();
    const [b] = walkFrom(w, { node: 'B', netns: 'pod' }, { family: 4, src: '', dst: '10.244.0.9', proto: 17, sport: 40000, dport: 53, ttl: 64, mark: 0 });
    expect(b.disposition).toMatchObject({ code: 'null-routed', node: 'A', netns: 'root' });
  });
});
