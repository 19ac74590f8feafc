// Small hand-built topologies for the dispositions the cluster scenarios do not reach.
import { describe, expect, it } from 'vitest';
import { addAddress, addRoute, addVethPair, newHost, newNetns, bootLoopback, setLinkUp, setSysctl } from '../node-state/ops.ts';
import { iptablesRestore } from '../netfilter/restore.ts';
import type { Host } from '../node-state/types.ts';
import type { Packet } from './packet.ts';
import { walkFrom, type WalkWorld } from './walk.ts';

/** client ── r1 ── r2, both routers forwarding; 10.99.0.0/16 points from r1 to r2 and back. */
function chain(): Host {
  const h = newHost('h');
  for (const n of ['client', 'r2']) {
    newNetns(h, n);
    bootLoopback(h, n);
  }
  addVethPair(h, 'client', 'eth0', 'root', 'c0');
  addVethPair(h, 'root', 'x0', 'r2', 'x1');
  for (const [ns, dev] of [['client', 'eth0'], ['root', 'c0'], ['root', 'x0'], ['r2', 'x1']]) setLinkUp(h, ns, dev);
  addAddress(h.namespaces.client, 'eth0', '10.1.0.2/24');
  addAddress(h.namespaces.root, 'c0', '10.1.0.1/24');
  addAddress(h.namespaces.root, 'x0', '10.2.0.1/24');
  addAddress(h.namespaces.r2, 'x1', '10.2.0.2/24');
  addRoute(h.namespaces.client, { dst: 'default', via: '10.1.0.1', dev: 'eth0' });
  addRoute(h.namespaces.root, { dst: '10.99.0.0/16', via: '10.2.0.2', dev: 'x0' });
  addRoute(h.namespaces.r2, { dst: '10.99.0.0/16', via: '10.2.0.1', dev: 'x1' });
  addRoute(h.namespaces.r2, { dst: '10.1.0.0/24', via: '10.2.0.1', dev: 'x1' });
  setSysctl(h.namespaces.root, 'net.ipv4.ip_forward', '1');
  setSysctl(h.namespaces.r2, 'net.ipv4.ip_forward', '1');
  return h;
}

const udp = (dst: string, ttl = 64): Packet => ({ family: 4, src: '', dst, proto: 17, sport: 40000, dport: 53, ttl, mark: 0 });

describe('dispositions on small topologies', () => {
  it('a routing loop between two forwarding namespaces', () => {
    const h = chain();
    const w: WalkWorld = { hosts: { h } };
    const [b] = walkFrom(w, { node: 'h', netns: 'client' }, udp('10.99.1.1'));
    expect(b.disposition.code).toBe('loop');
  });

  it('TTL exceeded at the first router for TTL 1, at the second for TTL 2', () => {
    const h = chain();
    const w: WalkWorld = { hosts: { h } };
    const [one] = walkFrom(w, { node: 'h', netns: 'client' }, udp('10.2.0.2', 1));
    expect(one.disposition).toMatchObject({ code: 'ttl-exceeded', netns: 'root', signal: 'ICMP time exceeded' });
    const [two] = walkFrom(w, { node: 'h', netns: 'client' }, udp('10.99.1.1', 2));
    expect(two.disposition).toMatchObject({ code: 'ttl-exceeded', netns: 'r2' });
    const [ok] = walkFrom(w, { node: 'h', netns: 'client' }, udp('10.2.0.2', 2));
    expect(ok.disposition).toMatchObject({ code: 'delivered', netns: 'r2' });
    expect(ok.final.ttl).toBe(1);
  });

  it('a rule kubewire cannot evaluate ends the walk as insufficient info, naming it', () => {
    const h = chain();
    h.namespaces.root.netfilter = iptablesRestore(h.namespaces.root.netfilter, `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -p udp -m udp --dport 53 -j QUEUE
COMMIT
`);
    const [b] = walkFrom({ hosts: { h } }, { node: 'h', netns: 'client' }, udp('10.2.0.2'));
    expect(b.disposition).toMatchObject({ code: 'insufficient-info', netns: 'root', decidedBy: { kind: 'rule', table: 'filter', chain: 'FORWARD', rule: 1 } });
    const [d] = walkFrom({ hosts: { h } }, { node: 'h', netns: 'client' }, { ...udp('10.2.0.2'), dport: 54 });
    expect(d.disposition).toMatchObject({ code: 'denied', decidedBy: { kind: 'policy', table: 'filter', chain: 'FORWARD', policy: 'DROP' } });
  });

  it('no answer to ARP: neighbour unreachable', () => {
    const h = chain();
    const [b] = walkFrom({ hosts: { h } }, { node: 'h', netns: 'client' }, udp('10.2.0.77'));
    expect(b.disposition).toMatchObject({ code: 'neighbour-unreachable', netns: 'root', iface: 'x0' });
  });
});
