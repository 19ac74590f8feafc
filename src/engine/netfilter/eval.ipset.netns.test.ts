// Differential test: `-m set` lookups (hash:ip,port with dst,dst; hash:net with a nomatch element,
// --return-nomatch and `!`) vs the kernel's per-rule counters after the same UDP datagrams.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { NetnsLab, netnsUsable } from '../../testing/netns.node.ts';
import { addAddress, addRoute, addVethPair, bootLoopback, newHost, newNetns, setLinkUp } from '../../node-state/ops.ts';
import { iptablesRestore } from '../../netfilter/restore.ts';
import type { Host } from '../../node-state/types.ts';
import type { Packet } from '../packet.ts';
import { evalTable, type IpSet } from './eval.ts';

const RULES = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m set --match-set svc dst,dst
-A INPUT -m set --match-set nets dst
-A INPUT -m set --match-set nets dst --return-nomatch
-A INPUT -m set ! --match-set nets dst
-A INPUT -p udp -m set --match-set svc dst,dst -j ACCEPT
COMMIT
`;

const SETS: Record<string, IpSet> = {
  svc: { type: 'hash:ip,port', members: ['10.7.0.2,udp:7000', '10.7.1.1,udp:7008'] },
  nets: { type: 'hash:net', members: ['10.7.0.0/16', '10.7.1.0/24 nomatch'] },
};

function model(): Host {
  const h = newHost('b');
  newNetns(h, 'a');
  bootLoopback(h, 'a');
  addVethPair(h, 'a', 'va0', 'root', 'vb0', { macA: '02:00:00:00:08:01', macB: '02:00:00:00:08:02' });
  addVethPair(h, 'root', 'vx0', 'root', 'vx1', { macA: '02:00:00:00:08:03', macB: '02:00:00:00:08:04' });
  for (const [ns, dev] of [['a', 'va0'], ['root', 'vb0'], ['root', 'vx0'], ['root', 'vx1']]) setLinkUp(h, ns, dev);
  addAddress(h.namespaces.a, 'va0', '10.7.0.1/24');
  addAddress(h.namespaces.root, 'vb0', '10.7.0.2/24');
  addAddress(h.namespaces.root, 'vx0', '10.7.1.1/24');
  addRoute(h.namespaces.a, { dst: '10.7.1.0/24', via: '10.7.0.2', dev: 'va0' });
  h.namespaces.root.netfilter = iptablesRestore(h.namespaces.root.netfilter, RULES);
  return h;
}

const SENDS: Array<[number, number, string]> = [
  [5001, 7000, '10.7.0.2'],
  [5002, 7008, '10.7.1.1'],
  [5003, 7001, '10.7.0.2'],
  [5004, 7008, '10.7.0.2'],
];

const ipsetOk = spawnSync('ipset', ['--version'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!netnsUsable().ok || !ipsetOk)('ipset matches vs the real kernel', () => {
  const lab = new NetnsLab();
  let host: Host;
  beforeAll(async () => {
    host = model();
    await lab.build(host);
    const root = lab.realName('root');
    const cmds = [
      'create svc hash:ip,port',
      'add svc 10.7.0.2,udp:7000',
      'add svc 10.7.1.1,udp:7008',
      'create nets hash:net',
      'add nets 10.7.0.0/16',
      'add nets 10.7.1.0/24 nomatch',
    ];
    const s = spawnSync('ip', ['netns', 'exec', root, 'ipset', 'restore'], { input: cmds.join('\n') + '\n', encoding: 'utf8' });
    if (s.status !== 0) throw new Error(s.stderr);
    const r = spawnSync('ip', ['netns', 'exec', root, 'iptables-restore'], { input: RULES, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    const py = `
import socket, time
for sport, dport, dst in ${JSON.stringify(SENDS)}:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('10.7.0.1', sport)); s.sendto(b'x', (dst, dport)); s.close(); time.sleep(0.05)
`;
    const c = spawnSync('ip', ['netns', 'exec', lab.realName('a'), 'python3', '-c', py], { encoding: 'utf8', timeout: 10000 });
    if (c.status !== 0) throw new Error(c.stderr);
  }, 30000);
  afterAll(() => lab.cleanup());

  it('per-rule counts equal', () => {
    const saved = spawnSync('ip', ['netns', 'exec', lab.realName('root'), 'iptables-save', '-c', '-t', 'filter'], { encoding: 'utf8' }).stdout;
    const real: Record<number, number> = {};
    let n = 0;
    for (const line of saved.split('\n')) {
      const m = /^\[(\d+):\d+\] -A INPUT /.exec(line);
      if (!m) continue;
      n++;
      if (Number(m[1]) > 0) real[n] = Number(m[1]);
    }
    const ours: Record<number, number> = {};
    const ns = host.namespaces.root;
    for (const [sport, dport, dst] of SENDS) {
      const pkt: Packet = { family: 4, src: '10.7.0.1', dst, proto: 17, sport, dport, ttl: 64, mark: 0 };
      const [o] = evalTable(ns.netfilter, 'filter', 'INPUT', pkt, { ns, hook: 'INPUT', iif: 'vb0', ipsets: SETS, ct: { state: 'NEW' } });
      for (const m of o.matched) ours[m.rule] = (ours[m.rule] ?? 0) + 1;
    }
    expect(ours).toEqual(real);
    // --return-nomatch matches only the nomatch element (10.7.1.1).
    expect(real[3]).toBe(1);
  });
});
