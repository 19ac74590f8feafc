// Model hosts used by the differential tests: an EKS-like node (VPC CNI and Calico VXLAN
// shapes side by side) with pod namespaces. Built only through node-state operations, so the
// tests also exercise what those operations derive (kernel routes, link-local addresses...).
// Browser-safe.

import {
  addAddress,
  addFdb,
  addLink,
  addNeighbour,
  addRoute,
  addRule,
  addVethPair,
  newHost,
  newNetns,
  setLinkUp,
  setSysctl,
  bootLoopback,
  delRoute,
  setLink,
} from '../node-state/ops.ts';
import type { Host } from '../node-state/types.ts';

/**
 * An EKS node: eth0 (primary ENI, 192.168.12.34/19), eth1 (second ENI with secondary IPs),
 * VPC-CNI pods on veths with /32 host routes, policy rules 512/1536 and table 2, a Calico
 * vxlan.calico with FDB entries, onlink routes and permanent neighbours, plus odd cases
 * (a veth whose pod end is down, a down link, a same-namespace veth pair, metrics, labels).
 */
export function eksNode(): Host {
  const h = newHost('ip-192-168-12-34.us-west-2.compute.internal');
  const root = h.namespaces.root;
  setSysctl(root, 'net.ipv4.ip_forward', '1');
  addLink(root, { name: 'eth0', kind: 'device', mac: '02:1a:2b:3c:4d:5e', mtu: 9001 });
  setLinkUp(h, 'root', 'eth0');
  addAddress(root, 'eth0', '192.168.12.34/19', { broadcast: '+' });
  addRoute(root, { dst: 'default', via: '192.168.0.1', dev: 'eth0', proto: 'dhcp', src: '192.168.12.34', metric: 512 });
  addRoute(root, { dst: '192.168.0.2/32', via: '192.168.0.1', dev: 'eth0', proto: 'dhcp', src: '192.168.12.34', metric: 512 });
  setSysctl(root, 'net.ipv4.conf.eth0.rp_filter', '2');

  addLink(root, { name: 'eth1', kind: 'device', mac: '02:aa:bb:cc:dd:01', mtu: 9001 });
  addAddress(root, 'eth1', '192.168.20.7/19', { broadcast: '+', noprefixroute: false });
  setLinkUp(h, 'root', 'eth1');
  addAddress(root, 'eth1', '192.168.20.8/19', { label: 'eth1:1' });
  // aws-vpc-cni removes the secondary ENI's connected route from main...
  delRoute(root, { dst: '192.168.0.0/19', dev: 'eth1', src: '192.168.20.7', table: 254, scope: 'link' });
  // ...and routes through it from table 2 (device-number + 1).
  addRoute(root, { dst: '192.168.0.1/32', dev: 'eth1', table: 2 });
  addRoute(root, { dst: 'default', via: '192.168.0.1', dev: 'eth1', table: 2 });

  // VPC-CNI pods.
  const pods: Array<[string, string, string, string, boolean]> = [
    ['cni-1a2b3c4d-0001', 'eni5a7f3c2b1d0', '192.168.5.10', '0e:11:22:33:44:01', false],
    ['cni-1a2b3c4d-0002', 'eni9e8d7c6b5a4', '192.168.25.3', '0e:11:22:33:44:02', true],
    ['cni-1a2b3c4d-0003', 'eni00ff00ff00f', '192.168.6.77', '0e:11:22:33:44:03', false],
  ];
  for (const [pns, hostVeth, ip, mac, viaEth1] of pods) {
    newNetns(h, pns);
    bootLoopback(h, pns);
    addVethPair(h, pns, 'eth0', 'root', hostVeth, { mtu: 9001, macA: mac });
    // Veths made over netlink without a queue length get txqlen 0 (shown without "qlen").
    if (pns === 'cni-1a2b3c4d-0002') setLink(h, 'root', hostVeth, { txqlen: 0 });
    setLinkUp(h, 'root', hostVeth);
    if (pns !== 'cni-1a2b3c4d-0003') setLinkUp(h, pns, 'eth0');
    const pod = h.namespaces[pns];
    if (pns !== 'cni-1a2b3c4d-0003') {
      addAddress(pod, 'eth0', `${ip}/32`);
      addRoute(pod, { dst: '169.254.1.1/32', dev: 'eth0', scope: 'link' });
      addRoute(pod, { dst: 'default', via: '169.254.1.1', dev: 'eth0' });
      const hv = root.links.find((l) => l.name === hostVeth)!;
      addNeighbour(pod, { dst: '169.254.1.1', dev: 'eth0', lladdr: hv.mac });
    }
    addRoute(root, { dst: `${ip}/32`, dev: hostVeth, scope: 'link' });
    addRule(root, { priority: 512, to: `${ip}/32`, table: 254 });
    if (viaEth1) addRule(root, { priority: 1536, from: `${ip}/32`, table: 2 });
  }

  // Calico VXLAN.
  addLink(root, { name: 'vxlan.calico', kind: 'vxlan', mac: '66:1f:2e:3d:4c:5b', mtu: 8951, vxlan: { vni: 4096, port: 4789, local: '192.168.12.34', dev: 'eth0', learning: false } });
  setLinkUp(h, 'root', 'vxlan.calico');
  addAddress(root, 'vxlan.calico', '10.244.0.0/32');
  const remotes: Array<[string, string, string]> = [
    ['10.244.1.0', '192.168.40.5', '66:a0:b1:c2:d3:e4'],
    ['10.244.2.0', '192.168.70.9', '66:05:16:27:38:49'],
    ['10.244.3.64', '192.168.41.200', '66:ff:ee:dd:cc:bb'],
  ];
  for (const [tun, vtep, mac] of remotes) {
    addNeighbour(root, { dst: tun, dev: 'vxlan.calico', lladdr: mac });
    addFdb(root, { mac, dev: 'vxlan.calico', dst: vtep, self: true, permanent: true });
    addRoute(root, { dst: `${tun.replace(/\.\d+$/, '.0')}/26`.replace('10.244.3.0/26', '10.244.3.64/26'), via: tun, dev: 'vxlan.calico', onlink: true, proto: 80 });
  }
  addRoute(root, { dst: '10.244.0.0/26', type: 'blackhole', proto: 80 });
  // A Calico workload veth whose pod end never came up (NO-CARRIER, linkdown routes).
  newNetns(h, 'cni-calico-0001');
  addVethPair(h, 'cni-calico-0001', 'eth0', 'root', 'cali1f2e3d4c5b6', { macA: 'ee:ee:ee:ee:ee:ee', macB: 'ee:ee:ee:ee:ee:ef' });
  setLinkUp(h, 'root', 'cali1f2e3d4c5b6');
  setSysctl(root, 'net.ipv4.conf.cali1f2e3d4c5b6.proxy_arp', '1');
  setSysctl(root, 'net.ipv4.neigh.cali1f2e3d4c5b6.proxy_delay', '0');
  setSysctl(root, 'net.ipv6.conf.cali1f2e3d4c5b6.accept_ra', '0');
  addRoute(root, { dst: '10.244.0.5/32', dev: 'cali1f2e3d4c5b6', scope: 'link', proto: 80 });
  // A same-namespace veth pair with one end down (M-DOWN) and a link that stays down.
  addVethPair(h, 'root', 'vtest0', 'root', 'vtest1', { macA: '02:00:00:00:0a:01', macB: '02:00:00:00:0a:02' });
  setLinkUp(h, 'root', 'vtest0');
  addAddress(root, 'vtest0', '172.31.255.1/30');
  addAddress(root, 'vtest0', '172.31.254.1/24', { noprefixroute: true });
  addAddress(root, 'vtest0', 'fd00:abcd::1/64');
  addRoute(root, { dst: '10.99.0.0/16', via: '192.168.0.1', dev: 'eth0', metric: 100 });
  addRoute(root, { dst: '10.99.0.0/16', via: '192.168.0.1', dev: 'eth0', metric: 50, tos: 0x10 });
  addRoute(root, { dst: '10.98.0.0/16', dev: 'eth0', table: 100, mtu: 1400 });
  addAddress(root, 'eth1', 'fd00:ec2::7/64');
  addAddress(root, 'eth1', 'fd00:ec2::8/64');
  addRoute(root, { dst: 'fd00:beef::/48', via: 'fd00:ec2::1', dev: 'eth1' });
  addRoute(root, { dst: 'default', family: 6, via: 'fe80::1', dev: 'eth0', metric: 1024 });
  addRule(root, { priority: 10, fwmark: 0x80, fwmask: 0x80, table: 100 });
  addRule(root, { family: 6, priority: 100, to: 'fd00:beef::/48', table: 100 });
  addNeighbour(root, { dst: '192.168.0.1', dev: 'eth0', lladdr: '02:00:5e:10:00:01' });
  addNeighbour(root, { dst: 'fe80::1', dev: 'eth0', lladdr: '02:00:5e:10:00:01', router: true });
  return h;
}

export interface RouterSceneOptions {
  /** Host name (default "router") and the two end namespaces (default "client", "server"). */
  host?: string;
  client?: string;
  server?: string;
  /** First three octets of the client and server /24s (the router is .1, the end .2). */
  clientNet: string;
  serverNet: string;
  /** MACs of client eth0, router r0, server eth0, router r1 (default: deterministic ones). */
  macs?: [string, string, string, string];
}

/**
 * client ── router (root namespace, forwarding) ── server: each end's eth0 is a veth to the router
 * (r0, r1) with a /24, and a default route via the router.
 */
export function routerScene(o: RouterSceneOptions): Host {
  const c = o.client ?? 'client';
  const s = o.server ?? 'server';
  const h = newHost(o.host ?? 'router');
  for (const n of [c, s]) {
    newNetns(h, n);
    bootLoopback(h, n);
  }
  const [mc, m0, ms, m1] = o.macs ?? [undefined, undefined, undefined, undefined];
  addVethPair(h, c, 'eth0', 'root', 'r0', { macA: mc, macB: m0 });
  addVethPair(h, s, 'eth0', 'root', 'r1', { macA: ms, macB: m1 });
  for (const [ns, dev] of [[c, 'eth0'], ['root', 'r0'], [s, 'eth0'], ['root', 'r1']]) setLinkUp(h, ns, dev);
  addAddress(h.namespaces[c], 'eth0', `${o.clientNet}.2/24`);
  addAddress(h.namespaces.root, 'r0', `${o.clientNet}.1/24`);
  addAddress(h.namespaces.root, 'r1', `${o.serverNet}.1/24`);
  addAddress(h.namespaces[s], 'eth0', `${o.serverNet}.2/24`);
  addRoute(h.namespaces[c], { dst: 'default', via: `${o.clientNet}.1`, dev: 'eth0' });
  addRoute(h.namespaces[s], { dst: 'default', via: `${o.serverNet}.1`, dev: 'eth0' });
  setSysctl(h.namespaces.root, 'net.ipv4.ip_forward', '1');
  return h;
}
