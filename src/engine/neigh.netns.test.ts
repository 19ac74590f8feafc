// Differential test: Calico-style 169.254.1.1 gateway answered by proxy ARP on the host veth,
// with and without proxy_arp, vs real ICMP echo in kwt-<random>-… namespaces.
import { afterAll, describe, expect, it } from 'vitest';
import { NetnsLab, netnsUsable } from '../testing/netns.node.ts';
import { addAddress, addRoute, addVethPair, bootLoopback, newHost, newNetns, setLinkUp, setSysctl } from '../node-state/ops.ts';
import type { Host } from '../node-state/types.ts';
import { newWalkState, replyPacket, walkFrom } from './walk.ts';
import { resolveNeighbour, arpResponds } from './neigh.ts';

function model(proxyArp: boolean): Host {
  const h = newHost('node');
  newNetns(h, 'pod');
  bootLoopback(h, 'pod');
  addVethPair(h, 'pod', 'eth0', 'root', 'cali12345', { macA: '02:00:00:00:60:05', macB: 'ee:ee:ee:ee:ee:ee' });
  addVethPair(h, 'root', 'up0', 'root', 'up1', { macA: '02:00:00:00:50:01', macB: '02:00:00:00:50:02' });
  for (const [ns, dev] of [['pod', 'eth0'], ['root', 'cali12345'], ['root', 'up0'], ['root', 'up1']]) setLinkUp(h, ns, dev);
  addAddress(h.namespaces.root, 'up0', '10.50.0.1/24');
  addRoute(h.namespaces.root, { dst: 'default', via: '10.50.0.254', dev: 'up0' });
  addRoute(h.namespaces.root, { dst: '10.60.0.5/32', dev: 'cali12345', scope: 'link' });
  setSysctl(h.namespaces.root, 'net.ipv4.ip_forward', '1');
  if (proxyArp) setSysctl(h.namespaces.root, 'net.ipv4.conf.cali12345.proxy_arp', '1');
  addAddress(h.namespaces.pod, 'eth0', '10.60.0.5/32');
  addRoute(h.namespaces.pod, { dst: '169.254.1.1/32', dev: 'eth0', scope: 'link' });
  addRoute(h.namespaces.pod, { dst: 'default', via: '169.254.1.1', dev: 'eth0' });
  return h;
}

const PING = `
import socket, struct, sys, time
dst = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); s.settimeout(1.0)
def csum(b):
    t = sum(struct.unpack('!%dH' % (len(b) // 2), b)); t = (t >> 16) + (t & 0xffff); t += t >> 16
    return ~t & 0xffff
body = struct.pack('!BBHHH', 8, 0, 0, 0x4b57, 1) + b'kubewire'
s.sendto(struct.pack('!BBHHH', 8, 0, csum(body), 0x4b57, 1) + b'kubewire', (dst, 0))
end = time.time() + 1.5
while time.time() < end:
    try: data, addr = s.recvfrom(2048)
    except socket.timeout: break
    ihl = (data[0] & 15) * 4
    if addr[0] == dst and data[ihl] == 0: sys.exit(0)
sys.exit(1)
`;

describe.skipIf(!netnsUsable().ok)('proxy ARP for the 169.254.1.1 gateway vs the real kernel', () => {
  const labs: NetnsLab[] = [];
  afterAll(() => labs.forEach((l) => l.cleanup()));

  for (const proxyArp of [true, false]) {
    it(`proxy_arp=${proxyArp ? 1 : 0} on the host veth`, async () => {
      const host = model(proxyArp);
      const lab = new NetnsLab();
      labs.push(lab);
      await lab.build(host);
      await lab.settle(200);
      const real = lab.run('pod', ['python3', '-c', PING, '10.50.0.1']);
      const neigh = lab.run('pod', ['ip', 'neigh', 'show', '169.254.1.1']).stdout;

      const n = resolveNeighbour(host.namespaces.pod, 'eth0', '169.254.1.1', (tip, sip) => {
        const a = arpResponds(host.namespaces.root, 'cali12345', tip, sip);
        return a.answer ? { mac: 'ee:ee:ee:ee:ee:ee', who: 'root/cali12345', why: a.why } : undefined;
      });
      expect(n.ok).toBe(proxyArp);
      if (proxyArp) expect(neigh).toContain('lladdr ee:ee:ee:ee:ee:ee');
      else expect(neigh).not.toContain('lladdr');

      const state = newWalkState();
      const [b] = walkFrom({ hosts: { node: host } }, { node: 'node', netns: 'pod' }, { family: 4, src: '', dst: '10.50.0.1', proto: 1, icmpType: 8, icmpCode: 0, icmpId: 1, ttl: 64, mark: 0 }, {}, state);
      let ok = b.disposition.code === 'accepted';
      if (ok) ok = walkFrom({ hosts: { node: host } }, { node: 'node', netns: 'root' }, replyPacket(b.final), {}, state)[0].disposition.code === 'delivered';
      expect(ok, b.disposition.reason).toBe(real.exitCode === 0);
      expect(ok).toBe(proxyArp);
    }, 30000);
  }
});
