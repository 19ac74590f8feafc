// Differential test: `-m set` lookups (hash:ip,port with dst,dst; hash:net with a nomatch element,
// --return-nomatch and `!`) vs the kernel's per-rule counters after the same UDP datagrams.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { NetnsLab, netnsUsable } from '../../testing/netns.node.ts';
import { buildNfScene, kernelCounters, nfScene } from '../../testing/nf-netns.node.ts';
import { countMatched } from '../../testing/iptables-counters.ts';
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
  return nfScene({ rules: RULES, macByte: 8, second: true });
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
    const cmds = [
      'create svc hash:ip,port',
      'add svc 10.7.0.2,udp:7000',
      'add svc 10.7.1.1,udp:7008',
      'create nets hash:net',
      'add nets 10.7.0.0/16',
      'add nets 10.7.1.0/24 nomatch',
    ];
    const py = `
import socket, time
for sport, dport, dst in ${JSON.stringify(SENDS)}:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('10.7.0.1', sport)); s.sendto(b'x', (dst, dport)); s.close(); time.sleep(0.05)
`;
    await buildNfScene(lab, host, RULES, py, cmds);
  }, 30000);
  afterAll(() => lab.cleanup());

  it('per-rule counts equal', () => {
    const real = kernelCounters(lab, 'filter');
    const ours: Record<string, number> = {};
    const ns = host.namespaces.root;
    for (const [sport, dport, dst] of SENDS) {
      const pkt: Packet = { family: 4, src: '10.7.0.1', dst, proto: 17, sport, dport, ttl: 64, mark: 0 };
      const [o] = evalTable(ns.netfilter, 'filter', 'INPUT', pkt, { ns, hook: 'INPUT', iif: 'vb0', ipsets: SETS, ct: { state: 'NEW' } });
      countMatched(ours, o.matched);
    }
    expect(ours).toEqual(real);
    // --return-nomatch matches only the nomatch element (10.7.1.1).
    expect(real['filter/INPUT#3']).toBe(1);
  });
});
