// node-state operations, checked two ways:
// - model-only facts (ifindex allocation, netnsids, defaults) asserted directly;
// - operation sequences replayed step by step on a real kernel (the equivalent `ip` command
//   for each operation), comparing the resulting `ip` output and the error text of rejected
//   operations with what the kernel and iproute2 6.1 print (Linux 6.18 here).

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubewireError } from '../errors.ts';
import { NetnsLab, netnsUsable } from '../testing/netns.node.ts';
import { runIpCommand } from '../render/iproute2/index.ts';
import {
  addAddress,
  addLink,
  addNeighbour,
  addRoute,
  addRule,
  addVethPair,
  delAddress,
  delLink,
  delNetns,
  delRoute,
  delRule,
  moveLink,
  newHost,
  newNetns,
  setLinkUp,
  setSysctl,
  getSysctl,
  deterministicMac,
} from './ops.ts';
import type { Host } from './types.ts';

describe('model facts', () => {
  it('a fresh namespace has lo down, no addresses, the default rules', () => {
    const h = newHost('n');
    const ns = newNetns(h, 'p');
    expect(ns.links).toHaveLength(1);
    expect(ns.links[0]).toMatchObject({ ifindex: 1, name: 'lo', mtu: 65536, up: false, qdisc: 'noop' });
    expect(ns.addresses).toEqual([]);
    expect(ns.routes).toEqual([]);
    expect(ns.rules.map((r) => `${r.family}:${r.priority}:${r.table}`)).toEqual(['4:0:255', '4:32766:254', '4:32767:253', '6:0:255', '6:32766:254']);
    expect(ns.nextIfindex).toBe(2);
  });

  it('a booted host has lo up with 127.0.0.1/8 and ::1', () => {
    const h = newHost('n');
    const root = h.namespaces.root;
    expect(root.links[0]).toMatchObject({ up: true, qdisc: 'noqueue' });
    expect(root.addresses.map((a) => `${a.local}/${a.prefixlen}`)).toEqual(['127.0.0.1/8', '::1/128']);
    expect(getSysctl(root, 'net.ipv4.ip_forward')).toBe('0');
  });

  it('veth peer is registered first; each namespace allocates its own ifindexes and netnsids', () => {
    const h = newHost('n');
    newNetns(h, 'a');
    newNetns(h, 'b');
    const [x, y] = addVethPair(h, 'a', 'x', 'root', 'y');
    expect(y.ifindex).toBe(2);
    expect(x.ifindex).toBe(2);
    const [p, q] = addVethPair(h, 'root', 'p', 'root', 'q');
    expect([q.ifindex, p.ifindex]).toEqual([3, 4]);
    addVethPair(h, 'b', 'e', 'root', 'z');
    expect(h.namespaces.root.netnsIds).toEqual({ a: 0, b: 1 });
    expect(h.namespaces.b.netnsIds).toEqual({ root: 0 });
  });

  it('deterministic MACs are locally administered unicast and stable', () => {
    const m = deterministicMac('root/eth0/2');
    expect(m).toBe(deterministicMac('root/eth0/2'));
    expect(parseInt(m.slice(0, 2), 16) & 3).toBe(2);
  });

  it('rejects bad input with KubewireError', () => {
    const h = newHost('n');
    expect(() => addAddress(h.namespaces.root, 'nope', '10.0.0.1/24')).toThrow(KubewireError);
    expect(() => addAddress(h.namespaces.root, 'lo', '10.0.0.300/24')).toThrow(/any valid prefix/);
    expect(() => addLink(h.namespaces.root, { name: 'a-very-long-ifname', kind: 'veth' })).toThrow(/not a valid ifname/);
  });

  it('ip_forward propagates to conf.all/default and every device like the kernel', () => {
    const h = newHost('n');
    const root = h.namespaces.root;
    addLink(root, { name: 'eth0', kind: 'device' });
    setSysctl(root, 'net.ipv4.ip_forward', '1');
    expect(getSysctl(root, 'net.ipv4.conf.eth0.forwarding')).toBe('1');
    expect(getSysctl(root, 'net.ipv4.conf.default.forwarding')).toBe('1');
    addLink(root, { name: 'eth1', kind: 'device' });
    expect(getSysctl(root, 'net.ipv4.conf.eth1.forwarding')).toBe('1');
  });
});

// ---------------------------------------------------------------------------------------------

const usable = netnsUsable();

interface Step {
  /** ip command run in namespace `ns` (model name) on the kernel side. */
  ns: string;
  cmd: string[];
  model: (h: Host) => void;
}

function expectSameError(fn: () => void, kernelStderr: string): void {
  let msg = '';
  try {
    fn();
  } catch (e) {
    if (!(e instanceof KubewireError)) throw e;
    msg = e.message;
  }
  expect(msg).toBe(kernelStderr.trim());
}

describe.skipIf(!usable.ok)(`operations replayed on the kernel (${usable.reason || 'netns available'})`, () => {
  let lab: NetnsLab;
  let host: Host;
  const shows: string[][] = [
    ['ip', 'addr'],
    ['ip', 'route', 'show', 'table', 'all'],
    ['ip', 'rule'],
    ['ip', '-6', 'rule'],
    ['ip', 'link'],
  ];
  const compareAll = () => {
    for (const ns of Object.keys(host.namespaces)) {
      for (const argv of shows) {
        const real = lab.run(ns, argv).stdout;
        const mine = runIpCommand(host, ns, argv, { netnsName: (m) => lab.names[m] }).stdout;
        expect(mine, `${ns}: ${argv.join(' ')}`).toBe(real);
      }
    }
  };
  const step = async (s: Step) => {
    const r = lab.run(s.ns, s.cmd);
    if (r.exitCode !== 0) throw new Error(`${s.cmd.join(' ')}: ${r.stderr}`);
    s.model(host);
  };
  /** An operation the kernel rejects: the model must reject it with the same text. */
  const rejected = (ns: string, cmd: string[], fn: (h: Host) => void) => {
    const r = lab.run(ns, cmd);
    expect(r.exitCode, `${cmd.join(' ')} should fail`).not.toBe(0);
    expectSameError(() => fn(host), r.stderr);
  };

  beforeAll(async () => {
    // Two empty namespaces; the model starts from newNetns (not a booted host).
    host = newHost('h');
    lab = new NetnsLab();
    lab.create(['root', 'pod']);
    // Match the model's booted root: lo up.
    lab.run('root', ['ip', 'link', 'set', 'lo', 'up']);
    newNetns(host, 'pod');
  });
  afterAll(() => lab?.cleanup());

  it('veth, addresses, link up/down, kernel routes, secondaries', async () => {
    const mac = (s: string) => `02:00:00:00:00:${s}`;
    await step({ ns: 'root', cmd: ['ip', 'link', 'add', 'veth0', 'address', mac('01'), 'type', 'veth', 'peer', 'name', 'eth0', 'address', mac('02'), 'netns', lab.realName('pod')], model: (h) => addVethPair(h, 'root', 'veth0', 'pod', 'eth0', { macA: mac('01'), macB: mac('02') }) });
    // Address on a down link: only the local route.
    await step({ ns: 'root', cmd: ['ip', 'addr', 'add', '10.1.0.1/24', 'dev', 'veth0'], model: (h) => addAddress(h.namespaces.root, 'veth0', '10.1.0.1/24') });
    await step({ ns: 'root', cmd: ['ip', 'addr', 'add', '10.1.0.2/24', 'dev', 'veth0'], model: (h) => addAddress(h.namespaces.root, 'veth0', '10.1.0.2/24') });
    await step({ ns: 'root', cmd: ['ip', 'addr', 'add', '10.2.0.1/32', 'dev', 'veth0'], model: (h) => addAddress(h.namespaces.root, 'veth0', '10.2.0.1/32') });
    await step({ ns: 'root', cmd: ['ip', 'addr', 'add', '10.3.0.1/16', 'brd', '+', 'dev', 'veth0'], model: (h) => addAddress(h.namespaces.root, 'veth0', '10.3.0.1/16', { broadcast: '+' }) });
    await step({ ns: 'root', cmd: ['ip', 'addr', 'add', '10.4.0.1/24', 'dev', 'veth0', 'scope', 'link'], model: (h) => addAddress(h.namespaces.root, 'veth0', '10.4.0.1/24', { scope: 'link' }) });
    compareAll();
    rejected('root', ['ip', 'addr', 'add', '10.1.0.1/24', 'dev', 'veth0'], (h) => addAddress(h.namespaces.root, 'veth0', '10.1.0.1/24'));
    rejected('root', ['ip', 'route', 'add', '10.9.0.0/16', 'dev', 'veth0'], (h) => addRoute(h.namespaces.root, { dst: '10.9.0.0/16', dev: 'veth0' }));
    // Up without carrier: routes appear with linkdown.
    await step({ ns: 'root', cmd: ['ip', 'link', 'set', 'veth0', 'up'], model: (h) => setLinkUp(h, 'root', 'veth0') });
    await lab.settleDad(host);
    compareAll();
    await step({ ns: 'pod', cmd: ['ip', 'link', 'set', 'eth0', 'up'], model: (h) => setLinkUp(h, 'pod', 'eth0') });
    await step({ ns: 'pod', cmd: ['ip', 'link', 'set', 'lo', 'up'], model: (h) => setLinkUp(h, 'pod', 'lo') });
    await step({ ns: 'pod', cmd: ['ip', 'addr', 'add', '10.1.0.50/32', 'dev', 'eth0'], model: (h) => addAddress(h.namespaces.pod, 'eth0', '10.1.0.50/32') });
    await step({ ns: 'pod', cmd: ['ip', 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link'], model: (h) => addRoute(h.namespaces.pod, { dst: '169.254.1.1', dev: 'eth0', scope: 'link' }) });
    await step({ ns: 'pod', cmd: ['ip', 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0'], model: (h) => addRoute(h.namespaces.pod, { dst: 'default', via: '169.254.1.1', dev: 'eth0' }) });
    await step({ ns: 'root', cmd: ['ip', 'route', 'add', '10.9.0.0/16', 'via', '10.1.0.7', 'metric', '7'], model: (h) => addRoute(h.namespaces.root, { dst: '10.9.0.0/16', via: '10.1.0.7', metric: 7 }) });
    await step({ ns: 'root', cmd: ['ip', 'route', 'add', '10.8.0.0/16', 'via', '10.1.0.7', 'table', '5'], model: (h) => addRoute(h.namespaces.root, { dst: '10.8.0.0/16', via: '10.1.0.7', table: 5 }) });
    await lab.settleDad(host);
    compareAll();
    rejected('root', ['ip', 'route', 'add', '10.9.0.0/16', 'via', '10.1.0.7', 'metric', '7'], (h) => addRoute(h.namespaces.root, { dst: '10.9.0.0/16', via: '10.1.0.7', metric: 7 }));
    rejected('root', ['ip', 'route', 'add', '10.10.0.0/16', 'via', '10.77.0.1'], (h) => addRoute(h.namespaces.root, { dst: '10.10.0.0/16', via: '10.77.0.1' }));
    rejected('root', ['ip', 'route', 'add', '10.10.0.0/16', 'via', '10.9.0.1'], (h) => addRoute(h.namespaces.root, { dst: '10.10.0.0/16', via: '10.9.0.1' }));
    rejected('root', ['ip', 'route', 'add', '10.10.0.0/16', 'via', '10.77.0.1', 'onlink'], (h) => addRoute(h.namespaces.root, { dst: '10.10.0.0/16', via: '10.77.0.1', onlink: true }));
    rejected('root', ['ip', 'route', 'add', '10.10.0.0/16'], (h) => addRoute(h.namespaces.root, { dst: '10.10.0.0/16' }));
    rejected('root', ['ip', 'route', 'add', 'blackhole', '10.10.0.0/16', 'dev', 'veth0'], (h) => addRoute(h.namespaces.root, { dst: '10.10.0.0/16', type: 'blackhole', dev: 'veth0' }));
    rejected('root', ['ip', 'route', 'del', '10.99.0.0/16'], (h) => delRoute(h.namespaces.root, { dst: '10.99.0.0/16' }));
    rejected('root', ['ip', 'addr', 'del', '10.1.0.99/24', 'dev', 'veth0'], (h) => delAddress(h.namespaces.root, 'veth0', '10.1.0.99/24'));
    rejected('root', ['ip', 'route', 'add', '10.10.0.0/16', 'dev', 'nope'], (h) => addRoute(h.namespaces.root, { dst: '10.10.0.0/16', dev: 'nope' }));
    // Deleting a primary deletes its secondaries (promote_secondaries=0).
    await step({ ns: 'root', cmd: ['ip', 'addr', 'del', '10.1.0.1/24', 'dev', 'veth0'], model: (h) => delAddress(h.namespaces.root, 'veth0', '10.1.0.1/24') });
    compareAll();
    // Link down flushes IPv4 routes through it (except local ones) and IPv6 addresses.
    await step({ ns: 'root', cmd: ['ip', 'route', 'add', '10.12.0.0/16', 'via', '10.3.0.9'], model: (h) => addRoute(h.namespaces.root, { dst: '10.12.0.0/16', via: '10.3.0.9' }) });
    await step({ ns: 'root', cmd: ['ip', 'link', 'set', 'veth0', 'down'], model: (h) => setLinkUp(h, 'root', 'veth0', false) });
    await lab.settleDad(host);
    compareAll();
    await step({ ns: 'root', cmd: ['ip', 'link', 'set', 'veth0', 'up'], model: (h) => setLinkUp(h, 'root', 'veth0') });
    await lab.settleDad(host);
    compareAll();
  });

  it('promote_secondaries, rules, neighbours, moving a link between namespaces', async () => {
    await step({ ns: 'root', cmd: ['sysctl', '-qw', 'net.ipv4.conf.veth0.promote_secondaries=1'], model: (h) => setSysctl(h.namespaces.root, 'net.ipv4.conf.veth0.promote_secondaries', '1') });
    await step({ ns: 'root', cmd: ['ip', 'addr', 'add', '10.20.0.1/24', 'dev', 'veth0'], model: (h) => addAddress(h.namespaces.root, 'veth0', '10.20.0.1/24') });
    await step({ ns: 'root', cmd: ['ip', 'addr', 'add', '10.20.0.2/24', 'dev', 'veth0'], model: (h) => addAddress(h.namespaces.root, 'veth0', '10.20.0.2/24') });
    await step({ ns: 'root', cmd: ['ip', 'addr', 'add', '10.20.0.3/24', 'dev', 'veth0'], model: (h) => addAddress(h.namespaces.root, 'veth0', '10.20.0.3/24') });
    await step({ ns: 'root', cmd: ['ip', 'addr', 'del', '10.20.0.1/24', 'dev', 'veth0'], model: (h) => delAddress(h.namespaces.root, 'veth0', '10.20.0.1/24') });
    compareAll();
    await step({ ns: 'root', cmd: ['ip', 'rule', 'add', 'from', '10.1.0.50', 'lookup', '5'], model: (h) => addRule(h.namespaces.root, { from: '10.1.0.50', table: 5 }) });
    await step({ ns: 'root', cmd: ['ip', 'rule', 'add', 'to', '10.1.0.50', 'lookup', 'main', 'pref', '512'], model: (h) => addRule(h.namespaces.root, { to: '10.1.0.50', table: 254, priority: 512 }) });
    await step({ ns: 'root', cmd: ['ip', 'rule', 'add', 'from', '10.1.0.51', 'lookup', '5'], model: (h) => addRule(h.namespaces.root, { from: '10.1.0.51', table: 5 }) });
    await step({ ns: 'root', cmd: ['ip', 'rule', 'add', 'fwmark', '0x80/0x80', 'lookup', 'main', 'pref', '1024'], model: (h) => addRule(h.namespaces.root, { fwmark: 0x80, fwmask: 0x80, table: 254, priority: 1024 }) });
    await step({ ns: 'root', cmd: ['ip', 'rule', 'add', 'not', 'to', '10.0.0.0/8', 'lookup', 'main', 'pref', '1025'], model: (h) => addRule(h.namespaces.root, { not: true, to: '10.0.0.0/8', table: 254, priority: 1025 }) });
    await step({ ns: 'root', cmd: ['ip', '-6', 'rule', 'add', 'from', 'fd00::/64', 'lookup', '7'], model: (h) => addRule(h.namespaces.root, { family: 6, from: 'fd00::/64', table: 7 }) });
    await step({ ns: 'root', cmd: ['ip', 'rule', 'del', 'from', '10.1.0.50', 'lookup', '5'], model: (h) => delRule(h.namespaces.root, { from: '10.1.0.50', table: 5 }) });
    rejected('root', ['ip', 'rule', 'del', 'from', '10.1.0.99', 'lookup', '5'], (h) => delRule(h.namespaces.root, { from: '10.1.0.99', table: 5 }));
    await step({ ns: 'root', cmd: ['ip', 'neigh', 'add', '10.3.0.9', 'lladdr', '02:00:00:00:00:99', 'dev', 'veth0', 'nud', 'permanent'], model: (h) => addNeighbour(h.namespaces.root, { dst: '10.3.0.9', lladdr: '02:00:00:00:00:99', dev: 'veth0' }) });
    rejected('root', ['ip', 'neigh', 'add', '10.3.0.9', 'lladdr', '02:00:00:00:00:99', 'dev', 'veth0', 'nud', 'permanent'], (h) => addNeighbour(h.namespaces.root, { dst: '10.3.0.9', lladdr: '02:00:00:00:00:99', dev: 'veth0' }));
    compareAll();
    expect(runIpCommand(host, 'root', ['ip', 'neigh']).stdout).toBe(lab.run('root', ['ip', 'neigh']).stdout);
    // Create a veth inside the pod namespace and move one end to the root namespace, as the
    // VPC CNI does: the moved end keeps its ifindex unless taken.
    await step({ ns: 'pod', cmd: ['ip', 'link', 'add', 'eth1', 'address', '02:00:00:00:01:01', 'type', 'veth', 'peer', 'name', 'enihost1', 'address', '02:00:00:00:01:02'], model: (h) => addVethPair(h, 'pod', 'eth1', 'pod', 'enihost1', { macA: '02:00:00:00:01:01', macB: '02:00:00:00:01:02' }) });
    await step({ ns: 'pod', cmd: ['ip', 'link', 'set', 'enihost1', 'netns', lab.realName('root')], model: (h) => moveLink(h, 'pod', 'enihost1', 'root') });
    await step({ ns: 'root', cmd: ['ip', 'link', 'set', 'enihost1', 'up'], model: (h) => setLinkUp(h, 'root', 'enihost1') });
    await step({ ns: 'pod', cmd: ['ip', 'link', 'set', 'eth1', 'up'], model: (h) => setLinkUp(h, 'pod', 'eth1') });
    await lab.settleDad(host);
    compareAll();
    await step({ ns: 'root', cmd: ['ip', 'link', 'del', 'enihost1'], model: (h) => delLink(h, 'root', 'enihost1') });
    await lab.settleDad(host);
    compareAll();
  });

  it('IPv6 forwarding: subnet-router anycast routes and the all-routers group', async () => {
    await step({ ns: 'root', cmd: ['ip', 'addr', 'add', 'fd00:1::1/64', 'dev', 'veth0'], model: (h) => addAddress(h.namespaces.root, 'veth0', 'fd00:1::1/64') });
    await step({ ns: 'root', cmd: ['sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1'], model: (h) => setSysctl(h.namespaces.root, 'net.ipv6.conf.all.forwarding', '1') });
    await step({ ns: 'root', cmd: ['ip', 'addr', 'add', 'fd00:2::1/64', 'dev', 'veth0'], model: (h) => addAddress(h.namespaces.root, 'veth0', 'fd00:2::1/64') });
    await lab.settleDad(host);
    compareAll();
    const argv = ['ip', '-6', 'route', 'show', 'table', 'local'];
    expect(runIpCommand(host, 'root', argv).stdout).toBe(lab.run('root', argv).stdout);
    // Multicast memberships as a set: their order is join order, which depends on history.
    const sorted = (t: string) => t.split('\n').sort().join('\n');
    expect(sorted(runIpCommand(host, 'root', ['bridge', 'fdb', 'show']).stdout)).toBe(sorted(lab.run('root', ['bridge', 'fdb', 'show']).stdout));
    await step({ ns: 'root', cmd: ['sysctl', '-qw', 'net.ipv6.conf.all.forwarding=0'], model: (h) => setSysctl(h.namespaces.root, 'net.ipv6.conf.all.forwarding', '0') });
    await lab.settleDad(host);
    compareAll();
    expect(sorted(runIpCommand(host, 'root', ['bridge', 'fdb', 'show']).stdout)).toBe(sorted(lab.run('root', ['bridge', 'fdb', 'show']).stdout));
  });

  it('rules naming missing devices, deleting a namespace with a veth into it', async () => {
    await step({ ns: 'root', cmd: ['ip', 'rule', 'add', 'iif', 'nosuch0', 'lookup', '5', 'pref', '40'], model: (h) => addRule(h.namespaces.root, { iif: 'nosuch0', table: 5, priority: 40 }) });
    await step({ ns: 'root', cmd: ['ip', 'rule', 'add', 'oif', 'veth0', 'lookup', '5', 'pref', '41'], model: (h) => addRule(h.namespaces.root, { oif: 'veth0', table: 5, priority: 41 }) });
    lab.create(['gone']);
    newNetns(host, 'gone');
    await step({ ns: 'root', cmd: ['ip', 'link', 'add', 'vg0', 'address', '02:00:00:00:02:01', 'type', 'veth', 'peer', 'name', 'vg1', 'address', '02:00:00:00:02:02', 'netns', lab.realName('gone')], model: (h) => addVethPair(h, 'root', 'vg0', 'gone', 'vg1', { macA: '02:00:00:00:02:01', macB: '02:00:00:00:02:02' }) });
    await step({ ns: 'root', cmd: ['ip', 'route', 'add', '10.30.0.0/16', 'dev', 'veth0'], model: (h) => addRoute(h.namespaces.root, { dst: '10.30.0.0/16', dev: 'veth0' }) });
    await lab.settleDad(host);
    compareAll();
    expect(lab.run('root', ['ip', 'netns', 'list-id']).stdout).toContain('nsid 1 ');
    spawnSync('ip', ['netns', 'del', lab.realName('gone')]);
    delete lab.names.gone;
    delNetns(host, 'gone');
    // The kernel tears the namespace down asynchronously.
    for (let i = 0; i < 30 && lab.run('root', ['ip', 'link', 'show', 'vg0']).exitCode === 0; i++) await lab.settle(100);
    compareAll();
    expect(host.namespaces.root.netnsIds).toEqual({ pod: 0 });
  });

  it('link-netnsid as iproute2 prints it when the peer namespace has no name', () => {
    // Hide /run/netns in a private mount namespace so iproute2 cannot resolve names.
    const real = spawnSync('ip', ['netns', 'exec', lab.realName('pod'), 'unshare', '-m', 'sh', '-c', 'mount -t tmpfs none /run/netns && ip link'], { encoding: 'utf8' });
    expect(real.status).toBe(0);
    const mine = runIpCommand(host, 'pod', ['ip', 'link'], { netnsName: () => undefined });
    expect(mine.stdout).toBe(real.stdout);
    const realRoot = spawnSync('ip', ['netns', 'exec', lab.realName('root'), 'unshare', '-m', 'sh', '-c', 'mount -t tmpfs none /run/netns && ip link'], { encoding: 'utf8' });
    expect(runIpCommand(host, 'root', ['ip', 'link'], { netnsName: () => undefined }).stdout).toBe(realRoot.stdout);
  });

  it('loopback brought up with an address already on it still gets 127.0.0.1/8 (first)', async () => {
    lab.create(['lo2']);
    newNetns(host, 'lo2');
    await step({ ns: 'lo2', cmd: ['ip', 'addr', 'add', '10.77.0.1/32', 'dev', 'lo'], model: (h) => addAddress(h.namespaces.lo2, 'lo', '10.77.0.1/32') });
    await step({ ns: 'lo2', cmd: ['ip', 'link', 'set', 'lo', 'up'], model: (h) => setLinkUp(h, 'lo2', 'lo') });
    await lab.settleDad(host);
    compareAll();
    expect(host.namespaces.lo2.addresses.filter((a) => a.family === 4).map((a) => a.local)).toEqual(['127.0.0.1', '10.77.0.1']);
  });
});
