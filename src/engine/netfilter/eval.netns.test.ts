// Differential test: which rules a packet sequence matches, and how often, in the interpreter vs the
// real kernel's per-rule counters (`iptables-save -c`) after the same UDP datagrams were sent into a
// kwt-<random>-… namespace. Covers jump/goto/RETURN, marks and connmarks with masks, multiport,
// addrtype with and without --limit-iface-in, ctstate NEW/UNTRACKED, ctorigdst/ctorigdstport,
// statistic nth, recent --set/--rcheck, iprange, interface wildcards and CT --notrack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetnsLab, netnsUsable } from '../../testing/netns.node.ts';
import { buildNfScene, kernelCounters, nfScene } from '../../testing/nf-netns.node.ts';
import { countMatched } from '../../testing/iptables-counters.ts';
import type { Host } from '../../node-state/types.ts';
import type { TableName } from '../../netfilter/types.ts';
import type { Packet } from '../packet.ts';
import { ctConfirm, ctLookup, ctUpdate, ctView, newCtTable } from '../conntrack.ts';
import { evalTable, type NfEnv } from './eval.ts';
import type { Hook } from './types.ts';

const RULES = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp -m udp --dport 7001 -j CT --notrack
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:MARKS - [0:0]
-A PREROUTING -i vb+ -j MARKS
-A PREROUTING -m connmark --mark 0x10/0x30 -j MARK --or-mark 0x100
-A PREROUTING -m addrtype --dst-type LOCAL --limit-iface-in -j MARK --or-mark 0x200
-A PREROUTING -m addrtype --dst-type LOCAL -j MARK --or-mark 0x400
-A PREROUTING -m conntrack --ctstate NEW -j MARK --or-mark 0x800
-A PREROUTING -m conntrack --ctstate UNTRACKED -j MARK --or-mark 0x1000
-A PREROUTING -m statistic --mode nth --every 3 --packet 1 -j MARK --or-mark 0x2000
-A PREROUTING ! -i vb0 -j MARK --or-mark 0x4000
-A MARKS -p udp -m multiport --dports 7000:7010,8000 -j MARK --set-xmark 0x10/0x30
-A MARKS -m mark --mark 0x10/0x10 -j CONNMARK --save-mark --nfmask 0x30 --ctmask 0x30
-A MARKS -j RETURN
-A MARKS -j MARK --set-xmark 0x1/0x1
-A INPUT -m mark --mark 0x2000/0x2000
-A INPUT -m mark --mark 0x600/0x600
-A INPUT -m mark --mark 0x400/0x600
-A INPUT -m connmark ! --mark 0x0
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:CHK - [0:0]
:GOTO - [0:0]
-A INPUT -m mark --mark 0x100/0x100 -j CHK
-A INPUT -j GOTO
-A INPUT -m comment --comment "after goto" -j ACCEPT
-A CHK -m iprange --src-range 10.7.0.1-10.7.0.5 -g GOTO
-A CHK -j ACCEPT
-A GOTO -p udp -m udp --sport 5000:5999 -j RETURN
-A GOTO -m recent --rcheck --seconds 100 --name r1 --rsource -j ACCEPT
-A GOTO -m recent --set --name r1 --rsource
-A GOTO -m conntrack --ctorigdst 10.7.0.2 --ctorigdstport 7000:7005 -j DROP
-A GOTO -p udp -m udp --dport 9000 -j DROP
COMMIT
`;

function model(): Host {
  return nfScene({ rules: RULES, macByte: 7, second: true });
}

const SENDS: Array<[number, number, string]> = [
  [5001, 7000, '10.7.0.2'],
  [5001, 7000, '10.7.0.2'],
  [6001, 7001, '10.7.0.2'],
  [6002, 7002, '10.7.0.2'],
  [6002, 8000, '10.7.1.1'],
  [6003, 9000, '10.7.0.2'],
  [6003, 7003, '10.7.0.2'],
  [6004, 7008, '10.7.1.1'],
];

/** The interpreter's counters for the same datagrams arriving on vb0. */
function simulate(host: Host): Record<string, number> {
  const ns = host.namespaces.root;
  const counts: Record<string, number> = {};
  const ct = newCtTable();
  const env0: Omit<NfEnv, 'hook'> = { ns, iif: 'vb0', recent: {}, nth: {}, now: 0 };
  for (const [sport, dport, dst] of SENDS) {
    let pkt: Packet = { family: 4, src: '10.7.0.1', dst, proto: 17, sport, dport, ttl: 64, mark: 0 };
    const run = (table: TableName, hook: Hook, r: ReturnType<typeof ctLookup>): string => {
      const outs = evalTable(ns.netfilter, table, hook, pkt, { ...env0, hook, ct: ctView(r) }, r.entry?.mark);
      expect(outs).toHaveLength(1);
      const o = outs[0];
      countMatched(counts, o.matched);
      pkt = o.packet;
      if (r.entry && o.ctmark !== undefined) r.entry.mark = o.ctmark;
      return o.verdict;
    };
    const notrack = evalTable(ns.netfilter, 'raw', 'PREROUTING', pkt, { ...env0, hook: 'PREROUTING' })[0].notrack;
    const r = ctLookup(ct, pkt, { notrack });
    if (r.entry && !r.fresh) ctUpdate(r.entry, r.dir, pkt);
    run('raw', 'PREROUTING', r);
    run('mangle', 'PREROUTING', r);
    run('mangle', 'INPUT', r);
    const v = run('filter', 'INPUT', r);
    if (v === 'ACCEPT' && r.entry) ctConfirm(ct, r.entry);
  }
  return counts;
}

describe.skipIf(!netnsUsable().ok)('rule counters vs the real kernel', () => {
  const lab = new NetnsLab();
  let host: Host;
  beforeAll(async () => {
    host = model();
    const py = `
import socket, time
for sport, dport, dst in ${JSON.stringify(SENDS)}:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('10.7.0.1', sport)); s.sendto(b'x', (dst, dport)); s.close(); time.sleep(0.05)
`;
    await buildNfScene(lab, host, RULES, py);
  }, 30000);
  afterAll(() => lab.cleanup());

  it('every rule matched as often as on the kernel', () => {
    const real = kernelCounters(lab);
    const ours = simulate(host);
    expect(ours).toEqual(real);
    // The sequence exercises the interesting paths at all.
    expect(Object.keys(real).length).toBeGreaterThan(15);
    expect(real['mangle/PREROUTING#6']).toBe(1);
    expect(real['mangle/PREROUTING#7']).toBe(3);
  });
});
