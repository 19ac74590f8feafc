// Drops and their signals, engine vs kernel, on a small router scene in real namespaces
// (kwt-<random>-…): client `c` — router (root, forwarding) — server `s`. The router holds an
// unreachable, a prohibit, a blackhole and a throw route, no default route, strict rp_filter towards
// the client, and FORWARD rules that DROP or REJECT (with several --reject-with) by port. Each row is
// one TCP connect() from `c`, walked by the engine and made by python3 in `c`: what the engine says
// the socket sees (connected, ECONNREFUSED, an ICMP error's errno, nothing) must be what it saw.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { NetnsLab, netnsUsable } from '../testing/netns.node.ts';
import { CONNECT_PY, LISTEN_PY, socketSees } from '../testing/socket-probe.ts';
import { addAddress, addRoute, setSysctl } from '../node-state/ops.ts';
import { routerScene } from '../testing/node-scenarios.ts';
import { iptablesRestore } from '../netfilter/restore.ts';
import { iptablesSave } from '../netfilter/save.ts';
import type { Host } from '../node-state/types.ts';
import { newWalkState, replyPacket, walkFrom, type WalkWorld } from './walk.ts';
import { waitForOutput } from '../testing/process.node.ts';

const TIMEOUT_S = 1.5;
const SERVER = '10.31.1.2';
const FORGED = '10.31.9.9';

const RULES = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -d ${SERVER}/32 -p tcp -m tcp --dport 81 -j DROP
-A FORWARD -d ${SERVER}/32 -p tcp -m tcp --dport 82 -j REJECT --reject-with tcp-reset
-A FORWARD -d ${SERVER}/32 -p tcp -m tcp --dport 83 -j REJECT
-A FORWARD -d ${SERVER}/32 -p tcp -m tcp --dport 84 -j REJECT --reject-with icmp-host-prohibited
-A FORWARD -d ${SERVER}/32 -p tcp -m tcp --dport 85 -j REJECT --reject-with icmp-net-unreachable
-A FORWARD -d ${SERVER}/32 -p tcp -m tcp --dport 86 -j REJECT --reject-with icmp-admin-prohibited
COMMIT
`;

function scene(): Host {
  const h = routerScene({ host: 'r', client: 'c', server: 's', clientNet: '10.31.0', serverNet: '10.31.1', macs: ['02:00:00:00:31:01', '02:00:00:00:31:02', '02:00:00:00:31:03', '02:00:00:00:31:04'] });
  const { c, root } = h.namespaces;
  // A source the router has no route back to (rp_filter).
  addAddress(c, 'lo', `${FORGED}/32`);
  addRoute(root, { dst: '10.40.1.0/24', type: 'unreachable' });
  addRoute(root, { dst: '10.40.2.0/24', type: 'prohibit' });
  addRoute(root, { dst: '10.40.3.0/24', type: 'blackhole' });
  addRoute(root, { dst: '10.40.4.0/24', type: 'throw' });
  setSysctl(root, 'net.ipv4.conf.r0.rp_filter', '1');
  root.netfilter = iptablesRestore(root.netfilter, RULES);
  return h;
}

describe.skipIf(!netnsUsable().ok)(`drops: engine vs the kernel's connect() (${netnsUsable().reason || 'root'})`, () => {
  const lab = new NetnsLab();
  const procs: ChildProcess[] = [];
  let host: Host;
  let world: WalkWorld;
  beforeAll(async () => {
    host = scene();
    await lab.build(host);
    const rr = spawnSync('ip', ['netns', 'exec', lab.realName('root'), 'iptables-restore'], { input: iptablesSave(host.namespaces.root.netfilter), encoding: 'utf8' });
    if (rr.status !== 0) throw new Error(rr.stderr);
    // The engine does not model ICMP rate limits; the kernel's token bucket per peer (burst 6,
    // one a second) would silence some of the router's errors to the client, so it is off here.
    expect(lab.run('root', ['sysctl', '-qw', 'net.ipv4.icmp_ratelimit=0']).exitCode).toBe(0);
    const srv = spawn('ip', ['netns', 'exec', lab.realName('s'), 'python3', '-c', LISTEN_PY, '80', '60'], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(srv);
    await waitForOutput(srv, 'ready', 5000, 'listener did not start');
    await lab.settle(200);
    // The server listens on 80 only.
    world = { hosts: { [host.name]: host }, listening: (_n, ns, proto, port) => (ns === 's' ? proto === 6 && port === 80 : undefined) };
  }, 30_000);
  afterAll(() => {
    for (const p of procs) if (p.pid !== undefined && p.exitCode === null) p.kill('SIGTERM');
    lab.cleanup();
  });

  function engine(dst: string, dport: number, src = ''): { code: string; sees: string } {
    const st = newWalkState();
    const bs = walkFrom(world, { node: host.name, netns: 'c' }, { family: 4, src, dst, proto: 6, sport: 43700, dport, tcpFlags: 0x02, ttl: 64, mark: 0 }, {}, st);
    expect(bs).toHaveLength(1);
    const fwd = bs[0].disposition;
    const delivered = fwd.code === 'delivered' || fwd.code === 'accepted';
    const reply = delivered ? walkFrom(world, { node: host.name, netns: fwd.netns }, replyPacket(bs[0].final), {}, bs[0].state)[0].disposition : undefined;
    return { code: fwd.code + (reply ? `/${reply.code}` : ''), sees: socketSees(fwd, reply) };
  }

  const kernel = (dst: string, dport: number, src = '') =>
    lab.run('c', ['timeout', String(TIMEOUT_S + 5), 'python3', '-c', CONNECT_PY, dst, String(dport), String(TIMEOUT_S), src]).stdout.trim();

  // what, destination, port, source, engine disposition, what the socket sees.
  const rows: Array<[string, string, number, string, string, string]> = [
    ['delivered to the listener', SERVER, 80, '', 'delivered/delivered', 'connected'],
    ['closed port: RST', SERVER, 90, '', 'port-closed', 'ECONNREFUSED'],
    ['FORWARD DROP', SERVER, 81, '', 'denied', 'timeout'],
    ['REJECT --reject-with tcp-reset', SERVER, 82, '', 'rejected', 'ECONNREFUSED'],
    ['REJECT (icmp-port-unreachable)', SERVER, 83, '', 'rejected', 'ECONNREFUSED'],
    ['REJECT --reject-with icmp-host-prohibited', SERVER, 84, '', 'rejected', 'EHOSTUNREACH'],
    ['REJECT --reject-with icmp-net-unreachable', SERVER, 85, '', 'rejected', 'ENETUNREACH'],
    ['REJECT --reject-with icmp-admin-prohibited', SERVER, 86, '', 'rejected', 'EHOSTUNREACH'],
    ['unreachable route: ICMP host unreachable', '10.40.1.9', 80, '', 'unreachable', 'EHOSTUNREACH'],
    ['prohibit route: ICMP packet filtered', '10.40.2.9', 80, '', 'unreachable', 'EHOSTUNREACH'],
    ['blackhole route: silently dropped', '10.40.3.9', 80, '', 'null-routed', 'timeout'],
    ['throw route, nothing after it: ICMP net unreachable', '10.40.4.9', 80, '', 'no-route', 'ENETUNREACH'],
    ['no route at all: ICMP net unreachable', '10.50.0.9', 80, '', 'no-route', 'ENETUNREACH'],
    ['strict rp_filter, no route back to the source: dropped', SERVER, 80, FORGED, 'martian', 'timeout'],
  ];
  for (const [what, dst, dport, src, code, sees] of rows) {
    it(what, () => {
      const e = engine(dst, dport, src);
      expect(e.code).toBe(code);
      expect(e.sees).toBe(sees);
      expect(kernel(dst, dport, src)).toBe(e.sees);
    });
  }
});
