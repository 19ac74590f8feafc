// Differential test: the walk's conntrack entries (DNAT + MASQUERADE through a router namespace)
// against `conntrack -L` on the real kernel after the same flows, in kwt-<random>-… namespaces.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { NetnsLab, netnsUsable } from '../testing/netns.node.ts';
import { routerScene } from '../testing/node-scenarios.ts';
import { iptablesRestore } from '../netfilter/restore.ts';
import type { Host } from '../node-state/types.ts';
import { newWalkState, replyPacket, walkFrom, type WalkWorld } from './walk.ts';
import { renderConntrack } from './conntrack.ts';
import { waitForOutput } from '../testing/process.node.ts';

const RULES = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 10.96.0.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.9.1.2:80
-A PREROUTING -d 10.96.0.1/32 -p udp -m udp --dport 53 -j DNAT --to-destination 10.9.1.2:5353
-A PREROUTING -d 10.96.0.1/32 -p udp -m udp --dport 54 -j DNAT --to-destination 10.9.1.2:5354
-A PREROUTING -d 10.96.0.1/32 -p icmp -j DNAT --to-destination 10.9.1.2
-A POSTROUTING -o r1 -j MASQUERADE
COMMIT
`;

function model(): Host {
  const h = routerScene({ clientNet: '10.9.0', serverNet: '10.9.1', macs: ['02:00:00:00:00:02', '02:00:00:00:00:01', '02:00:00:00:01:02', '02:00:00:00:01:01'] });
  h.namespaces.root.netfilter = iptablesRestore(h.namespaces.root.netfilter, RULES);
  return h;
}

const PY_SERVER = `
import socket, sys, time
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind(('10.9.1.2', 80)); t.listen(5)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('10.9.1.2', 5354))
print('ready', flush=True)
d, a = u.recvfrom(100); u.sendto(d, a)
c, _ = t.accept(); c.recv(10)
time.sleep(8)
`;

const PY_CLIENT = `
import socket
s = socket.socket(); s.bind(('10.9.0.2', 40000)); s.settimeout(3); s.connect(('10.96.0.1', 8080)); s.send(b'x')
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('10.9.0.2', 40001)); u.sendto(b'q', ('10.96.0.1', 53))
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(('10.9.0.2', 40002)); r.settimeout(3); r.sendto(b'e', ('10.96.0.1', 54)); r.recvfrom(100)
import struct
i = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); i.settimeout(3)
def csum(b):
    t = sum(struct.unpack('!%dH' % (len(b) // 2), b)); t = (t >> 16) + (t & 0xffff); t += t >> 16
    return ~t & 0xffff
body = struct.pack('!BBHHH', 8, 0, 0, 0x4b57, 1) + b'kubewire'
i.sendto(struct.pack('!BBHHH', 8, 0, csum(body), 0x4b57, 1) + b'kubewire', ('10.96.0.1', 0))
while True:
    data, addr = i.recvfrom(2048)
    if data[(data[0] & 15) * 4] == 0: break
print('sent', flush=True)
import time; time.sleep(8)
`;

function normalise(text: string): string[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/^(\S+ +\d+) \d+ /, '$1 T '))
    .sort();
}

describe.skipIf(!netnsUsable().ok)('conntrack entries vs the real kernel', () => {
  const lab = new NetnsLab();
  let host: Host;
  let server: ChildProcess | undefined;
  let client: ChildProcess | undefined;
  beforeAll(async () => {
    host = model();
    await lab.build(host);
    const r = spawnSync('ip', ['netns', 'exec', lab.realName('root'), 'iptables-restore'], { input: RULES, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    server = spawn('ip', ['netns', 'exec', lab.realName('server'), 'python3', '-c', PY_SERVER], { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitForOutput(server!, 'ready', 5000, 'server did not start');
    // The client keeps its sockets open while conntrack is listed (a close would move TCP on to FIN states).
    client = spawn('ip', ['netns', 'exec', lab.realName('client'), 'python3', '-c', PY_CLIENT], { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitForOutput(client!, 'sent', 8000, 'client did not connect');
    await new Promise((r) => setTimeout(r, 200));
  }, 30000);
  afterAll(() => {
    for (const p of [client, server]) if (p?.pid !== undefined && p.exitCode === null) p.kill('SIGTERM');
    lab.cleanup();
  });

  it('DNAT + MASQUERADE: TCP after the handshake, one-way UDP, replied UDP, ICMP echo', () => {
    const real = spawnSync('ip', ['netns', 'exec', lab.realName('root'), 'conntrack', '-L'], { encoding: 'utf8' });
    expect(real.status).toBe(0);
    expect(real.stderr).toMatch(/conntrack v1\.4\.7 \(conntrack-tools\): 4 flow entries have been shown\./);

    const world: WalkWorld = { hosts: { router: host }, listening: (_n, ns, proto, port) => ns === 'server' && ((proto === 6 && port === 80) || (proto === 17 && port === 5354)) };
    const state = newWalkState();
    const from = { node: 'router', netns: 'client' };
    const syn = walkFrom(world, from, { family: 4, src: '10.9.0.2', dst: '10.96.0.1', proto: 6, sport: 40000, dport: 8080, tcpFlags: 0x02, ttl: 64, mark: 0 }, {}, state);
    expect(syn).toHaveLength(1);
    expect(syn[0].disposition.code).toBe('delivered');
    const synack = walkFrom(world, { node: 'router', netns: 'server' }, replyPacket(syn[0].final), {}, state);
    expect(synack[0].disposition.code).toBe('delivered');
    const ack = walkFrom(world, from, { family: 4, src: '10.9.0.2', dst: '10.96.0.1', proto: 6, sport: 40000, dport: 8080, tcpFlags: 0x10, ttl: 64, mark: 0 }, {}, state);
    expect(ack[0].disposition.code).toBe('delivered');
    const udp = walkFrom(world, from, { family: 4, src: '10.9.0.2', dst: '10.96.0.1', proto: 17, sport: 40001, dport: 53, ttl: 64, mark: 0 }, {}, state);
    expect(udp[0].disposition.netns).toBe('server');
    // A replied UDP flow and an ICMP echo, both DNATed and masqueraded.
    for (const p of [
      { family: 4 as const, src: '10.9.0.2', dst: '10.96.0.1', proto: 17, sport: 40002, dport: 54, ttl: 64, mark: 0 },
      { family: 4 as const, src: '10.9.0.2', dst: '10.96.0.1', proto: 1, icmpType: 8, icmpCode: 0, icmpId: 0x4b57, ttl: 64, mark: 0 },
    ]) {
      const [req] = walkFrom(world, from, p, {}, state);
      expect(req.disposition.code).toBe('delivered');
      const [rep] = walkFrom(world, { node: 'router', netns: 'server' }, replyPacket(req.final), {}, state);
      expect(rep.disposition).toMatchObject({ code: 'delivered', netns: 'client' });
    }
    const ours = renderConntrack(state.conntrack['router/root']);
    expect(normalise(ours.stdout)).toEqual(normalise(real.stdout));
    expect(ours.stderr).toBe('conntrack v1.4.7 (conntrack-tools): 4 flow entries have been shown.\n');
  });
});
