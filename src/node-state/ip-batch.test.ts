// ip-batch plan properties (the kernel-side proof is src/render/iproute2/differential.test.ts,
// which builds these plans in real namespaces and compares every `ip` output).

import { describe, expect, it } from 'vitest';
import { eksNode } from '../testing/node-scenarios.ts';
import { batchToShell, hostToBatch, routeAddLine, routeDelLine, ruleAddLine } from './ip-batch.ts';
import { addLink, addVethPair, newHost, newNetns } from './ops.ts';

describe('hostToBatch', () => {
  const plan = hostToBatch(eksNode());
  const all = plan.steps.flatMap((s) => s.lines.map((l) => `${s.ns}|${s.tool}|${l}`));

  it('sets netnsids before any veth crosses namespaces', () => {
    const firstNetns = all.findIndex((l) => l.includes('|netns set '));
    const firstVeth = all.findIndex((l) => l.includes('type veth'));
    expect(firstNetns).toBeGreaterThanOrEqual(0);
    expect(firstNetns).toBeLessThan(firstVeth);
    expect(all).toContain('root|ip|netns set cni-1a2b3c4d-0001 0');
    expect(all).toContain('cni-1a2b3c4d-0001|ip|netns set root 0');
  });

  it('creates veth pairs once, with both ifindexes and MACs', () => {
    const veths = all.filter((l) => l.includes('type veth'));
    expect(veths).toHaveLength(5);
    expect(veths[0]).toBe('root|ip|link add eni5a7f3c2b1d0 index 4 address fe:3f:21:ab:d1:06 mtu 9001 type veth peer name eth0 index 2 address 0e:11:22:33:44:01 mtu 9001 netns cni-1a2b3c4d-0001');
  });

  it('materialises ENIs as multi-queue taps that need a holder', () => {
    expect(plan.taps).toEqual([
      { ns: 'root', dev: 'eth0' },
      { ns: 'root', dev: 'eth1' },
    ]);
    expect(all).toContain('root|ip|tuntap add mode tap multi_queue name eth0');
  });

  it('deletes the connected route a CNI removed, after the routes that needed it', () => {
    const del = all.indexOf('root|ip|route del 192.168.0.0/19 table 254 proto kernel scope link dev eth1 src 192.168.20.7');
    expect(del).toBeGreaterThan(all.indexOf('root|ip|route add 0.0.0.0/0 table 2 via 192.168.0.1 dev eth1'));
  });

  it('skips kernel-made addresses and routes', () => {
    expect(all.some((l) => l.includes('127.0.0.1') || l.includes('fe80::/64') || l.includes('ff00::/8') || l.includes('proto kernel') && l.includes('route add'))).toBe(false);
  });

  it('places placeholder links under a tap whose ifindex has free indexes below it', () => {
    const h = newHost('n');
    const root = h.namespaces.root;
    addLink(root, { name: 'x', kind: 'bridge' }); // ifindex 2
    addLink(root, { name: 'eth0', kind: 'device', mac: '02:00:00:00:00:03' }); // ifindex 3
    const p = hostToBatch(h);
    const lines = p.steps.flatMap((s) => s.lines);
    expect(lines.slice(lines.indexOf('link add kwph2 index 2 type ifb'), lines.indexOf('link del kwph2') + 1)).toEqual([
      'link add kwph2 index 2 type ifb',
      'tuntap add mode tap multi_queue name eth0',
      'link del kwph2',
    ]);
  });

  it('renders a shell script with here-documents', () => {
    const sh = batchToShell(plan, { root: 'kwt-x-root' });
    expect(sh).toContain("ip -n kwt-x-root -batch - <<'EOF'\n");
    expect(sh).toContain('ip netns exec kwt-x-root sysctl -qw net.ipv4.ip_forward=1\n');
  });
});

describe('line renderers', () => {
  it('route add/del lines name only what differs from iproute2 defaults', () => {
    expect(routeAddLine({ family: 4, table: 254, type: 'unicast', dst: 'default', via: '10.0.0.1', dev: 'eth0', proto: 'boot', scope: 'universe' })).toBe('route add 0.0.0.0/0 via 10.0.0.1 dev eth0');
    expect(routeAddLine({ family: 4, table: 255, type: 'local', dst: '10.0.0.5/32', dev: 'eth0', proto: 'boot', scope: 'host' })).toBe('route add local 10.0.0.5/32 dev eth0');
    expect(routeAddLine({ family: 6, table: 254, type: 'unicast', dst: 'fd00::/64', dev: 'eth0', proto: 'static', scope: 'universe', metric: 1024, pref: 'high' })).toBe('route add fd00::/64 proto static dev eth0 pref high');
    expect(routeDelLine({ family: 4, table: 254, type: 'unicast', dst: '10.0.0.0/24', dev: 'eth1', proto: 'kernel', scope: 'link', src: '10.0.0.5' })).toBe('route del 10.0.0.0/24 table 254 proto kernel scope link dev eth1 src 10.0.0.5');
  });
  it('rule lines carry the priority', () => {
    expect(ruleAddLine({ family: 4, priority: 1536, from: '10.0.0.5/32', table: 2, action: 'table' })).toBe('rule add pref 1536 from 10.0.0.5/32 lookup 2');
    expect(ruleAddLine({ family: 4, priority: 10, fwmark: 0x80, fwmask: 0x80, table: 254, action: 'table' })).toBe('rule add pref 10 fwmark 0x80/0x80 lookup main');
  });
  it('a model whose veth peer is missing is rejected with a KubewireError', () => {
    const h = newHost('n');
    newNetns(h, 'p');
    addVethPair(h, 'root', 'a', 'p', 'b');
    delete h.namespaces.p;
    expect(() => hostToBatch(h)).toThrow(/peer p\/b not found/);
  });
});
