// fibLookup4 against the kernel: the same namespace built in the model and (with ip-batch) in a
// real namespace; `ip route get` must print the same for every query, errors included.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetnsLab, netnsUsable } from '../testing/netns.node.ts';
import { runIpCommand } from '../render/iproute2/index.ts';
import { addAddress, addLink, addRoute, addRule, newHost, setLinkUp, addVethPair, newNetns, setSysctl } from './ops.ts';
import { fibLookup4, selectSource4 } from './fib.ts';
import type { Host } from './types.ts';

function routerHost(): Host {
  const h = newHost('r');
  const root = h.namespaces.root;
  newNetns(h, 'peer');
  addVethPair(h, 'root', 'a0', 'peer', 'a1', { macA: '02:00:00:00:00:a0', macB: '02:00:00:00:00:a1' });
  addVethPair(h, 'root', 'b0', 'peer', 'b1', { macA: '02:00:00:00:00:b0', macB: '02:00:00:00:00:b1' });
  for (const [ns, d] of [['root', 'a0'], ['peer', 'a1'], ['root', 'b0'], ['peer', 'b1']]) setLinkUp(h, ns, d);
  addAddress(root, 'a0', '10.0.1.1/24');
  addAddress(root, 'a0', '10.0.1.2/24');
  addAddress(root, 'a0', '10.0.9.1/24', { scope: 'link' });
  addAddress(root, 'b0', '10.0.2.1/24');
  addLink(root, { name: 'br0', kind: 'bridge', mac: '02:00:00:00:00:bb' });
  addRoute(root, { dst: 'default', via: '10.0.1.254' });
  addRoute(root, { dst: '10.50.0.0/16', type: 'unreachable' });
  addRoute(root, { dst: '10.51.0.0/16', type: 'prohibit' });
  addRoute(root, { dst: '10.52.0.0/16', type: 'blackhole' });
  addRoute(root, { dst: '10.53.0.0/16', via: '10.0.2.254', table: 10 });
  addRoute(root, { dst: '10.54.0.0/16', type: 'throw', table: 10 });
  addRoute(root, { dst: '10.54.0.0/16', via: '10.0.2.253' });
  addRoute(root, { dst: '10.55.0.0/16', via: '10.0.2.252', table: 11 });
  addRoute(root, { dst: '10.56.0.0/16', dev: 'b0', table: 12 });
  addRoute(root, { dst: '10.57.0.0/24', via: '10.0.2.251', src: '10.0.2.1' });
  addRoute(root, { dst: '10.58.0.0/16', via: '10.0.1.254', metric: 20 });
  addRoute(root, { dst: '10.58.0.0/16', via: '10.0.2.254', metric: 10 });
  addRule(root, { priority: 100, to: '10.53.0.0/16', table: 10 });
  addRule(root, { priority: 101, to: '10.54.0.0/16', table: 10 });
  addRule(root, { priority: 102, fwmark: 0x4, fwmask: 0x4, table: 11 });
  addRule(root, { priority: 103, not: true, to: '10.0.0.0/8', table: 12, suppressPrefixlength: 0 });
  addRule(root, { priority: 104, from: '10.0.2.1', table: 12 });
  addRule(root, { priority: 105, to: '10.60.0.0/16', action: 'prohibit' });
  addRule(root, { priority: 106, to: '10.61.0.0/16', action: 'blackhole' });
  addRule(root, { priority: 107, to: '10.62.0.0/16', action: 'unreachable' });
  addRule(root, { priority: 108, to: '10.63.0.0/16', action: 'goto', gotoPriority: 110 });
  addRule(root, { priority: 109, to: '10.63.0.0/16', action: 'unreachable' });
  addRule(root, { priority: 110, to: '10.63.0.0/16', table: 10 });
  addRule(root, { priority: 111, iif: 'lo', to: '10.64.0.0/16', table: 12 });
  addRule(root, { priority: 112, iif: 'b0', to: '10.65.0.0/16', table: 12 });
  return h;
}

/** The same router with forwarding on and reverse-path filtering (strict on b0, loose on a0). */
function forwardingHost(): Host {
  const h = routerHost();
  const root = h.namespaces.root;
  setSysctl(root, 'net.ipv4.ip_forward', '1');
  setSysctl(root, 'net.ipv4.conf.b0.rp_filter', '1');
  setSysctl(root, 'net.ipv4.conf.a0.rp_filter', '2');
  return h;
}

const QUERIES: string[][] = [
  ['10.0.1.9'],
  ['10.0.1.2'],
  ['10.0.1.255'],
  ['10.0.9.7'],
  ['10.0.2.5'],
  ['1.2.3.4'],
  ['10.50.1.1'],
  ['10.51.1.1'],
  ['10.52.1.1'],
  ['10.53.1.1'],
  ['10.54.1.1'],
  ['10.55.1.1'],
  ['10.55.1.1', 'mark', '4'],
  ['10.55.1.1', 'mark', '0x6'],
  ['10.56.1.1'],
  ['10.56.1.1', 'from', '10.0.2.1'],
  ['10.57.0.9'],
  ['10.58.1.1'],
  ['10.60.1.1'],
  ['10.61.1.1'],
  ['10.62.1.1'],
  ['10.63.1.1'],
  ['10.64.1.1'],
  ['1.2.3.4', 'from', '10.0.1.2'],
  ['1.2.3.4', 'from', '10.9.9.9'],
  ['1.2.3.4', 'from', '224.0.0.5'],
  ['1.2.3.4', 'from', '0.0.0.7'],
  ['1.2.3.4', 'oif', 'b0'],
  ['10.52.1.1', 'oif', 'b0'],
  ['1.2.3.4', 'oif', 'br0'],
  ['127.0.0.9'],
  ['10.0.1.9', 'tos', '0x10'],
  // Received packets.
  ['10.0.2.5', 'from', '10.0.1.9', 'iif', 'a0'],
  ['10.0.1.1', 'from', '10.0.1.9', 'iif', 'a0'],
  ['10.0.1.255', 'from', '10.0.1.9', 'iif', 'a0'],
  ['10.0.1.1', 'from', '10.0.1.2', 'iif', 'a0'],
  ['10.0.1.1', 'from', '0.0.0.7', 'iif', 'a0'],
  ['0.0.0.7', 'from', '10.0.1.9', 'iif', 'a0'],
];

const FORWARD_QUERIES: string[][] = [
  ['10.0.2.5', 'from', '10.0.1.9', 'iif', 'a0'],
  ['1.2.3.4', 'from', '10.0.1.9', 'iif', 'a0'],
  ['10.0.1.7', 'from', '10.0.1.9', 'iif', 'a0'],
  ['10.0.1.7', 'from', '1.1.1.1', 'iif', 'a0'],
  ['10.0.1.7', 'from', '10.0.2.9', 'iif', 'b0'],
  ['10.0.1.7', 'from', '1.1.1.1', 'iif', 'b0'],
  ['10.0.1.7', 'from', '10.50.0.1', 'iif', 'a0'],
  ['10.0.1.7', 'from', '10.52.0.1', 'iif', 'a0'],
  ['10.0.1.1', 'from', '10.0.2.9', 'iif', 'a0'],
  ['10.0.2.1', 'from', '10.0.1.9', 'iif', 'a0'],
  ['127.0.0.1', 'from', '10.0.1.9', 'iif', 'a0'],
  ['10.0.1.7', 'from', '127.0.0.1', 'iif', 'a0'],
  ['10.50.0.7', 'from', '10.0.1.9', 'iif', 'a0'],
  ['10.62.0.7', 'from', '10.0.1.9', 'iif', 'a0'],
  ['10.64.0.7', 'from', '10.0.1.9', 'iif', 'a0'],
  ['10.65.0.7', 'from', '10.0.2.9', 'iif', 'b0'],
  ['10.65.0.7', 'from', '10.0.1.9', 'iif', 'a0'],
  ['10.55.0.7', 'from', '10.0.1.9', 'iif', 'a0', 'mark', '4'],
  ['10.0.1.7', 'from', '0.0.0.0', 'iif', 'a0'],
  ['255.255.255.255', 'from', '10.0.1.9', 'iif', 'a0'],
  ['10.0.2.5', 'from', '224.0.0.1', 'iif', 'a0'],
  ['10.0.2.5', 'from', '10.0.1.9', 'iif', 'br0'],
];

describe('fibLookup4 (model)', () => {
  it('selects sources like inet_select_addr', () => {
    const h = routerHost();
    const root = h.namespaces.root;
    expect(selectSource4(root, 'a0', '10.0.1.254', 0)).toBe('10.0.1.1');
    expect(selectSource4(root, 'br0', undefined, 0)).toBe('10.0.1.1');
    const r = fibLookup4(root, { dst: '10.53.1.1' });
    expect(r).toMatchObject({ ok: true, table: 10, dev: 'b0', via: '10.0.2.254', src: '10.0.2.1' });
    expect(fibLookup4(root, { dst: '10.62.0.1' })).toMatchObject({ ok: false, errno: 'ENETUNREACH' });
    expect(fibLookup4(root, { dst: '10.50.0.1' })).toMatchObject({ ok: false, errno: 'EHOSTUNREACH' });
  });
});

const usable = netnsUsable();
describe.skipIf(!usable.ok)(`ip route get vs the kernel (${usable.reason || 'netns available'})`, () => {
  let lab: NetnsLab;
  let host: Host;
  beforeAll(async () => {
    host = routerHost();
    lab = new NetnsLab();
    await lab.build(host);
    await lab.settleDad(host);
  }, 30000);
  afterAll(() => lab?.cleanup());
  for (const q of QUERIES) {
    it(`ip route get ${q.join(' ')}`, () => {
      const argv = ['ip', 'route', 'get', ...q];
      const real = lab.run('root', argv);
      const mine = runIpCommand(host, 'root', argv);
      expect(mine.stderr).toBe(real.stderr);
      expect(mine.stdout).toBe(real.stdout);
      expect(mine.exitCode).toBe(real.exitCode);
    });
  }
  describe('with forwarding and rp_filter', () => {
    let flab: NetnsLab;
    let fhost: Host;
    beforeAll(async () => {
      fhost = forwardingHost();
      flab = new NetnsLab();
      await flab.build(fhost);
      await flab.settleDad(fhost);
    }, 30000);
    afterAll(() => flab?.cleanup());
    for (const q of FORWARD_QUERIES) {
      it(`ip route get ${q.join(' ')}`, () => {
        const argv = ['ip', 'route', 'get', ...q];
        const real = flab.run('root', argv);
        const mine = runIpCommand(fhost, 'root', argv);
        expect(mine.stderr).toBe(real.stderr);
        expect(mine.stdout).toBe(real.stdout);
        expect(mine.exitCode).toBe(real.exitCode);
      });
    }
  });
  it('the built namespace matches the model', () => {
    for (const argv of [['ip', 'rule'], ['ip', 'route', 'show', 'table', 'all']]) {
      expect(runIpCommand(host, 'root', argv, { netnsName: (m) => lab.names[m] }).stdout).toBe(lab.run('root', argv).stdout);
    }
  });
});
