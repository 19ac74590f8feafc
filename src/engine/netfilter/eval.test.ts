import { describe, expect, it } from 'vitest';
import { addAddress, addLink, newHost, setLinkUp } from '../../node-state/ops.ts';
import type { NetNs } from '../../node-state/types.ts';
import { iptablesRestore } from '../../netfilter/restore.ts';
import { emptyNetfilter } from '../../netfilter/types.ts';
import type { Packet } from '../packet.ts';
import { evalTable, type NfEnv } from './eval.ts';

function hostNs(rules: string): NetNs {
  const h = newHost('n1');
  const ns = h.namespaces.root;
  addLink(ns, { name: 'eth0', kind: 'device' });
  setLinkUp(h, 'root', 'eth0');
  addAddress(ns, 'eth0', '10.0.0.5/24');
  ns.netfilter = iptablesRestore(emptyNetfilter(), rules);
  return ns;
}

const pkt = (p: Partial<Packet> = {}): Packet => ({ family: 4, src: '10.0.0.9', dst: '10.96.0.10', proto: 6, sport: 40000, dport: 53, tcpFlags: 2, ttl: 64, mark: 0, ...p });

describe('netfilter interpreter', () => {
  it('walks jump, RETURN and the built-in policy, reporting matched rules', () => {
    const ns = hostNs(`*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:A - [0:0]
-A INPUT -j A
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A A -s 10.0.0.0/8 -j RETURN
-A A -j ACCEPT
COMMIT
`);
    const env: NfEnv = { ns, hook: 'INPUT', iif: 'eth0' };
    const [o] = evalTable(ns.netfilter, 'filter', 'INPUT', pkt({ dst: '10.0.0.5', dport: 80 }), env);
    expect(o.verdict).toBe('DROP');
    expect(o.decidedBy).toEqual({ kind: 'policy', table: 'filter', chain: 'INPUT', policy: 'DROP' });
    expect(o.matched.map((r) => `${r.chain}#${r.rule}`)).toEqual(['INPUT#1', 'A#1']);
    expect(o.walked).toEqual([
      { table: 'filter', chain: 'INPUT', first: 1, last: 1 },
      { table: 'filter', chain: 'A', first: 1, last: 1 },
      { table: 'filter', chain: 'INPUT', first: 2, last: 2 },
    ]);
    const [o2] = evalTable(ns.netfilter, 'filter', 'INPUT', pkt({ src: '192.0.2.1', dst: '10.0.0.5', dport: 80 }), env);
    expect(o2.verdict).toBe('ACCEPT');
    expect(o2.decidedBy).toMatchObject({ kind: 'rule', chain: 'A', rule: 2, text: '-A A -j ACCEPT' });
  });

  it('goto returns to the last -j caller, not the -g one', () => {
    const ns = hostNs(`*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:A - [0:0]
:B - [0:0]
-A INPUT -j A
-A INPUT -j DROP
-A A -g B
-A A -j ACCEPT
-A B -p udp -j ACCEPT
COMMIT
`);
    const [o] = evalTable(ns.netfilter, 'filter', 'INPUT', pkt(), { ns, hook: 'INPUT', iif: 'eth0' });
    expect(o.verdict).toBe('DROP');
    expect(o.decidedBy).toMatchObject({ chain: 'INPUT', rule: 2 });
  });

  it('forks on statistic --mode random with the probabilities kube-proxy writes', () => {
    const ns = hostNs(`*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SVC-X - [0:0]
:KUBE-SEP-1 - [0:0]
:KUBE-SEP-2 - [0:0]
:KUBE-SEP-3 - [0:0]
:KUBE-MARK-MASQ - [0:0]
-A PREROUTING -d 10.96.0.10/32 -p tcp -m tcp --dport 53 -j KUBE-SVC-X
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-SVC-X ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m tcp --dport 53 -j KUBE-MARK-MASQ
-A KUBE-SVC-X -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-1
-A KUBE-SVC-X -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-2
-A KUBE-SVC-X -j KUBE-SEP-3
-A KUBE-SEP-1 -p tcp -m tcp -j DNAT --to-destination 10.244.1.1:53
-A KUBE-SEP-2 -p tcp -m tcp -j DNAT --to-destination 10.244.1.2:53
-A KUBE-SEP-3 -p tcp -m tcp -j DNAT --to-destination 10.244.1.3:53
COMMIT
`);
    const outs = evalTable(ns.netfilter, 'nat', 'PREROUTING', pkt(), { ns, hook: 'PREROUTING', iif: 'eth0' });
    expect(outs).toHaveLength(3);
    const byDst = Object.fromEntries(outs.map((o) => [o.nat!.minAddr, o]));
    expect(byDst['10.244.1.1'].probability).toBeCloseTo(1 / 3, 6);
    expect(byDst['10.244.1.2'].probability).toBeCloseTo(1 / 3, 6);
    expect(byDst['10.244.1.3'].probability).toBeCloseTo(1 / 3, 6);
    expect(outs.reduce((a, o) => a + o.probability, 0)).toBeCloseTo(1, 9);
    for (const o of outs) {
      expect(o.packet.mark).toBe(0x4000);
      expect(o.nat).toMatchObject({ kind: 'DNAT', minPort: 53 });
      expect(o.decidedBy).toMatchObject({ kind: 'rule', chain: o.nat!.rule.chain, rule: 1 });
    }
  });

  it('addrtype LOCAL with --limit-iface-in uses the local route of the input device', () => {
    const ns = hostNs(`*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -i eth0 -m addrtype --dst-type LOCAL --limit-iface-in -j MARK --set-xmark 0x80/0x80
COMMIT
`);
    const [hit] = evalTable(ns.netfilter, 'mangle', 'PREROUTING', pkt({ dst: '10.0.0.5' }), { ns, hook: 'PREROUTING', iif: 'eth0' });
    expect(hit.packet.mark).toBe(0x80);
    const [miss] = evalTable(ns.netfilter, 'mangle', 'PREROUTING', pkt({ dst: '10.0.0.6' }), { ns, hook: 'PREROUTING', iif: 'eth0' });
    expect(miss.packet.mark).toBe(0);
  });

  it('CONNMARK save/restore with masks and connmark/conntrack matches', () => {
    const ns = hostNs(`*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -m conntrack --ctstate NEW -j CONNMARK --set-xmark 0x80/0x80
-A PREROUTING -j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80
-A PREROUTING -m connmark --mark 0x80/0x80 -j ACCEPT
COMMIT
`);
    const entry = { orig: { src: '1.1.1.1', dst: '2.2.2.2', proto: 6 }, reply: { src: '2.2.2.2', dst: '1.1.1.1', proto: 6 }, dir: 'ORIGINAL' as const, mark: 0, seenReply: false, assured: false, confirmed: false, expected: false, timeout: 120 };
    const [o] = evalTable(ns.netfilter, 'mangle', 'PREROUTING', pkt({ mark: 0x1 }), { ns, hook: 'PREROUTING', iif: 'eth0', ct: { state: 'NEW', entry } });
    expect(o.ctmark).toBe(0x80);
    expect(o.packet.mark).toBe(0x81);
    expect(o.decidedBy).toMatchObject({ rule: 3 });
    // No conntrack entry: CONNMARK does nothing, connmark never matches.
    const [n] = evalTable(ns.netfilter, 'mangle', 'PREROUTING', pkt(), { ns, hook: 'PREROUTING', iif: 'eth0' });
    expect(n.packet.mark).toBe(0);
    expect(n.decidedBy.kind).toBe('policy');
  });

  it('REJECT carries --reject-with; unknown targets and matches are insufficient info, naming the rule', () => {
    const ns = hostNs(`*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p udp -j REJECT --reject-with icmp-host-unreachable
-A INPUT -p tcp -m tcp --tcp-option 2 -j ACCEPT
COMMIT
`);
    const [r] = evalTable(ns.netfilter, 'filter', 'INPUT', pkt({ proto: 17 }), { ns, hook: 'INPUT', iif: 'eth0' });
    expect(r.verdict).toBe('REJECT');
    expect(r.rejectWith).toBe('icmp-host-unreachable');
    const [i] = evalTable(ns.netfilter, 'filter', 'INPUT', pkt(), { ns, hook: 'INPUT', iif: 'eth0' });
    expect(i.verdict).toBe('INSUFFICIENT');
    expect(i.insufficient?.rule).toMatchObject({ chain: 'INPUT', rule: 2 });
  });

  it('recent --set then --rcheck --seconds, ipset lookups and multiport', () => {
    const ns = hostNs(`*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m multiport --dports 80,8000:8100 -m set --match-set allow src -j ACCEPT
-A INPUT -p tcp -m recent --rcheck --seconds 60 --name seen --rsource -j DROP
-A INPUT -p tcp -m recent --set --name seen --rsource
COMMIT
`);
    const env: NfEnv = { ns, hook: 'INPUT', iif: 'eth0', ipsets: { allow: { type: 'hash:net', members: ['10.0.0.0/24'] } }, now: 100 };
    expect(evalTable(ns.netfilter, 'filter', 'INPUT', pkt({ dport: 8050 }), env)[0].decidedBy).toMatchObject({ rule: 1 });
    const p = pkt({ src: '192.0.2.7', dport: 22 });
    expect(evalTable(ns.netfilter, 'filter', 'INPUT', p, env)[0].verdict).toBe('ACCEPT');
    expect(evalTable(ns.netfilter, 'filter', 'INPUT', p, env)[0].verdict).toBe('DROP');
    env.now = 200;
    expect(evalTable(ns.netfilter, 'filter', 'INPUT', p, env)[0].verdict).toBe('ACCEPT');
  });

  it('forks at the probabilistic match: later matches run only in the branch where it held (session affinity)', () => {
    const ns = hostNs(`*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:SVC - [0:0]
:SEP1 - [0:0]
:SEP2 - [0:0]
-A PREROUTING -d 10.96.0.10/32 -j SVC
-A SVC -m recent --rcheck --seconds 10800 --reap --name SEP1 --rsource -j SEP1
-A SVC -m recent --rcheck --seconds 10800 --reap --name SEP2 --rsource -j SEP2
-A SVC -m statistic --mode random --probability 0.5 -m recent --set --name SEP1 --rsource -j SEP1
-A SVC -m recent --set --name SEP2 --rsource -j SEP2
-A SEP1 -p tcp -j DNAT --to-destination 10.244.1.1:53
-A SEP2 -p tcp -j DNAT --to-destination 10.244.1.2:53
COMMIT
`);
    const outs = evalTable(ns.netfilter, 'nat', 'PREROUTING', pkt(), { ns, hook: 'PREROUTING', iif: 'eth0', now: 10 });
    expect(outs).toHaveLength(2);
    for (const o of outs) {
      const sep = o.nat!.rule.chain;
      // Only the chosen endpoint's recent list holds the client.
      expect(Object.keys(o.recent?.[sep] ?? {})).toEqual(['10.0.0.9']);
      expect(Object.keys(o.recent?.[sep === 'SEP1' ? 'SEP2' : 'SEP1'] ?? {})).toEqual([]);
      // The next connection from the client sticks to it.
      const again = evalTable(ns.netfilter, 'nat', 'PREROUTING', pkt({ sport: 40001 }), { ns, hook: 'PREROUTING', iif: 'eth0', now: 20, recent: o.recent });
      expect(again).toHaveLength(1);
      expect(again[0].nat!.rule.chain).toBe(sep);
      expect(again[0].decidedBy).toMatchObject({ chain: sep });
    }
  });

  it('ipset: the most specific element decides, nomatch elements exclude, --return-nomatch turns them into matches', () => {
    const ns = hostNs(`*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m set --match-set nets src -j DROP
-A INPUT -m set --match-set nets src --return-nomatch -j REJECT
-A INPUT -m set --match-set svc dst,dst -j ACCEPT
COMMIT
`);
    const env: NfEnv = {
      ns,
      hook: 'INPUT',
      iif: 'eth0',
      ipsets: { nets: { type: 'hash:net', members: ['10.0.0.0/8', '10.1.0.0/16 nomatch'] }, svc: { type: 'hash:ip,port', members: ['10.0.0.5,tcp:443'] } },
    };
    expect(evalTable(ns.netfilter, 'filter', 'INPUT', pkt({ src: '10.2.0.1' }), env)[0].verdict).toBe('DROP');
    // 10.1.0.1 hits the nomatch element: not in the set for rule 1, a match for --return-nomatch.
    expect(evalTable(ns.netfilter, 'filter', 'INPUT', pkt({ src: '10.1.0.1' }), env)[0].verdict).toBe('REJECT');
    const [a] = evalTable(ns.netfilter, 'filter', 'INPUT', pkt({ src: '192.0.2.1', dst: '10.0.0.5', dport: 443 }), env);
    expect(a.decidedBy).toMatchObject({ rule: 3 });
    const [p] = evalTable(ns.netfilter, 'filter', 'INPUT', pkt({ src: '192.0.2.1', dst: '10.0.0.5', dport: 80 }), env);
    expect(p.decidedBy.kind).toBe('policy');
  });

  it('indexes a 10k-rule chain and still reports the positions walked', () => {
    // Built from one parsed rule (restoring 10k lines is the restore module's benchmark, not ours).
    const ns = hostNs(`*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:HIT - [0:0]
-A PREROUTING -j KUBE-SERVICES
-A KUBE-SERVICES -d 10.100.0.0/32 -p tcp -m comment --comment "svc" -m tcp --dport 80 -j HIT
-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j HIT
-A HIT -j DNAT --to-destination 10.244.0.1
COMMIT
`);
    const svc = ns.netfilter.tables[0].chains.find((c) => c.name === 'KUBE-SERVICES')!;
    const [tmpl, last] = svc.rules;
    svc.rules = [];
    for (let i = 0; i < 10000; i++) {
      svc.rules.push({ ...structuredClone(tmpl), destination: { value: `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`, negated: false } });
    }
    svc.rules.push(last);
    const t0 = Date.now();
    const [o] = evalTable(ns.netfilter, 'nat', 'PREROUTING', pkt({ dst: '10.100.39.15', dport: 80 }), { ns, hook: 'PREROUTING', iif: 'eth0' });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(o.matched[1]).toMatchObject({ chain: 'KUBE-SERVICES', rule: 39 * 256 + 15 + 1 });
    expect(o.walked[1]).toEqual({ table: 'nat', chain: 'KUBE-SERVICES', first: 1, last: 39 * 256 + 16 });
    const [miss] = evalTable(ns.netfilter, 'nat', 'PREROUTING', pkt({ dst: '10.200.0.1', dport: 80 }), { ns, hook: 'PREROUTING', iif: 'eth0' });
    expect(miss.decidedBy).toMatchObject({ kind: 'policy' });
    expect(miss.walked[1]).toEqual({ table: 'nat', chain: 'KUBE-SERVICES', first: 1, last: 10001 });
  });
});
