// Differential test: walk dispositions inside one EKS-like node vs real pings between the same
// namespaces built on the kernel (kwt-<random>-…, removed afterwards).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetnsLab, netnsUsable } from '../testing/netns.node.ts';
import { eksNode } from '../testing/node-scenarios.ts';
import type { Host } from '../node-state/types.ts';
import { newWalkState, replyPacket, walkFrom, type WalkWorld } from './walk.ts';

// No ping binary on every runner: one ICMP echo over a raw socket, exit 0 on an echo reply.
const PING = `
import socket, struct, sys, time
dst = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(1.0)
def csum(b):
    if len(b) % 2: b += b'\\0'
    t = sum(struct.unpack('!%dH' % (len(b) // 2), b)); t = (t >> 16) + (t & 0xffff); t += t >> 16
    return ~t & 0xffff
hdr = struct.pack('!BBHHH', 8, 0, 0, 0x4b57, 1) + b'kubewire'
pkt = struct.pack('!BBHHH', 8, 0, csum(hdr), 0x4b57, 1) + b'kubewire'
s.sendto(pkt, (dst, 0))
end = time.time() + 1.0
while time.time() < end:
    try:
        data, addr = s.recvfrom(2048)
    except socket.timeout:
        break
    ihl = (data[0] & 15) * 4
    if addr[0] == dst and data[ihl] == 0 and struct.unpack('!H', data[ihl + 4:ihl + 6])[0] == 0x4b57:
        sys.exit(0)
sys.exit(1)
`;

describe.skipIf(!netnsUsable().ok)('walk vs ping on the real kernel', () => {
  const lab = new NetnsLab();
  let host: Host;
  let world: WalkWorld;
  beforeAll(async () => {
    host = eksNode();
    await lab.build(host);
    await lab.settle(300);
    world = { hosts: { [host.name]: host } };
  }, 30000);
  afterAll(() => lab.cleanup());

  const cases: Array<[string, string, string]> = [
    ['pod → pod through the host (rule 512, proxy-less /32 routes)', 'cni-1a2b3c4d-0001', '192.168.25.3'],
    ['pod → pod whose eth0 is down', 'cni-1a2b3c4d-0001', '192.168.6.77'],
    ['pod → host address on eth1', 'cni-1a2b3c4d-0002', '192.168.20.8'],
  ];
  for (const [name, from, dst] of cases) {
    it(name, () => {
      const real = lab.run(from, ['python3', '-c', PING, dst]);
      const state = newWalkState();
      const [b] = walkFrom(world, { node: host.name, netns: from }, { family: 4, src: '', dst, proto: 1, icmpType: 8, icmpCode: 0, icmpId: 1, ttl: 64, mark: 0 }, {}, state);
      let ok = b.disposition.code === 'delivered' || b.disposition.code === 'accepted';
      if (ok) {
        const [r] = walkFrom(world, { node: host.name, netns: b.disposition.netns }, replyPacket(b.final), {}, state);
        ok = r.disposition.code === 'delivered' && r.disposition.netns === from;
      }
      expect(ok, `${b.disposition.code}: ${b.disposition.reason}\n${real.stdout}`).toBe(real.exitCode === 0);
    });
  }
});
