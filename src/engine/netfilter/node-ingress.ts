// `kubewire kube-proxy trace`: a packet arriving at a node from outside, through raw/mangle/nat
// PREROUTING (Service DNAT for the connection's first packet), the routing decision, then INPUT or
// FORWARD (and POSTROUTING for forwarded packets, where masquerading happens). Every probabilistic
// branch is an outcome with its probability, the DNAT destination, whether kube-proxy's masquerade
// mark is set, the final verdict and what decided it, and the rules matched on the way.

import type { NetNs } from '../../node-state/types.ts';
import type { TableName } from '../../netfilter/types.ts';
import type { Packet } from '../packet.ts';
import { routeInput, selectSourceAddress, type InputResult } from '../route.ts';
import { ctApplyNat, ctBindNat, ctLookup, ctView, newCtTable, type CtResult } from '../conntrack.ts';
import { evalTable, type IpSet, type NfEnv } from './eval.ts';
import type { Hook, NfChoice, NfDecider, NfOutcome, NfRuleRef } from './types.ts';

export interface NodeIngressOptions {
  /** Interface the packet arrives on (default "eth0"). */
  iif?: string;
  ipsets?: Record<string, IpSet>;
  /** kube-proxy's masquerade bit (--iptables-masquerade-bit 14 → 0x4000). */
  masqueradeMark?: number;
}

export interface NodeIngressStep {
  table: TableName;
  hook: Hook;
  verdict: NfOutcome['verdict'];
  decidedBy: NfDecider;
  matched: NfRuleRef[];
}

export interface NodeIngressOutcome {
  probability: number;
  choices: NfChoice[];
  verdict: 'ACCEPT' | 'DROP' | 'REJECT' | 'INSUFFICIENT';
  /** The rule or policy that decided the verdict; for routing drops, the routing reason. */
  decidedBy: NfDecider | { kind: 'routing'; result: string; reason: string };
  /** Where the packet went after PREROUTING. */
  path: 'INPUT' | 'FORWARD' | 'dropped-at-routing';
  /** Destination after DNAT, when PREROUTING translated it. */
  dnat?: { to: string; rule: NfRuleRef };
  /** Source NAT in POSTROUTING (forwarded packets). */
  snat?: { to: string; kind: string; rule: NfRuleRef };
  /** The masquerade bit was set on the packet (KUBE-MARK-MASQ). */
  masqueradeMarked: boolean;
  outIface?: string;
  rejectWith?: string;
  insufficient?: { rule: NfRuleRef; reason: string };
  packet: Packet;
  steps: NodeIngressStep[];
  /** All rules matched across tables, in order. */
  matched: NfRuleRef[];
}

interface St {
  probability: number;
  choices: NfChoice[];
  pkt: Packet;
  steps: NodeIngressStep[];
  matched: NfRuleRef[];
  dnat?: NodeIngressOutcome['dnat'];
  snat?: NodeIngressOutcome['snat'];
  masqSeen: boolean;
  ct: CtResult;
}

function clone(s: St): St {
  return { ...s, choices: [...s.choices], pkt: { ...s.pkt }, steps: [...s.steps], matched: [...s.matched], ct: { ...s.ct, entry: s.ct.entry ? structuredClone(s.ct.entry) : undefined } };
}

/** Trace a packet arriving at a node through its netfilter tables; one outcome per branch. */
export function traceNodeIngress(ns: NetNs, pkt: Packet, opts: NodeIngressOptions = {}): NodeIngressOutcome[] {
  const iif = opts.iif ?? 'eth0';
  const masqBit = opts.masqueradeMark ?? 0x4000;
  const table0 = newCtTable();
  const st0: St = { probability: 1, choices: [], pkt: { ...pkt }, steps: [], matched: [], masqSeen: false, ct: ctLookup(table0, pkt) };
  const results: NodeIngressOutcome[] = [];

  const finish = (s: St, o: Partial<NodeIngressOutcome> & Pick<NodeIngressOutcome, 'verdict' | 'decidedBy' | 'path'>): void => {
    results.push({
      probability: s.probability,
      choices: s.choices,
      packet: s.pkt,
      steps: s.steps,
      matched: s.matched,
      dnat: s.dnat,
      snat: s.snat,
      masqueradeMarked: s.masqSeen || (s.pkt.mark & masqBit) === masqBit,
      ...o,
    });
  };

  /** Run tables in order; `done` continues each surviving branch. */
  const run = (s: St, list: Array<[TableName, Hook]>, env: Omit<NfEnv, 'hook' | 'ns'>, done: (s: St) => void): void => {
    if (list.length === 0) return done(s);
    const [[tbl, hook], ...rest] = list;
    // The nat table sees only a connection's first packet.
    if (tbl === 'nat' && s.ct.state !== 'NEW') return run(s, rest, env, done);
    const outs = evalTable(ns.netfilter, tbl, hook, s.pkt, { ...env, ns, hook, ct: ctView(s.ct) }, s.ct.entry?.mark);
    outs.forEach((o, i) => {
      const b = i === outs.length - 1 ? s : clone(s);
      b.probability *= o.probability;
      b.choices.push(...o.choices);
      b.pkt = { ...o.packet };
      if (b.ct.entry && o.ctmark !== undefined) b.ct.entry.mark = o.ctmark;
      if ((b.pkt.mark & masqBit) === masqBit) b.masqSeen = true;
      if (o.decidedBy.kind !== 'no-table') {
        b.steps.push({ table: tbl, hook, verdict: o.verdict, decidedBy: o.decidedBy, matched: o.matched });
        b.matched.push(...o.matched);
      }
      if (o.verdict !== 'ACCEPT') {
        const path = hook === 'PREROUTING' ? 'dropped-at-routing' : hook === 'INPUT' ? 'INPUT' : 'FORWARD';
        finish(b, { verdict: o.verdict, decidedBy: o.decidedBy, path, rejectWith: o.rejectWith, insufficient: o.insufficient, outIface: env.oif });
        return;
      }
      if (o.nat && b.ct.entry) {
        const bound = ctBindNat(b.ct.entry, o.nat, {
          table: table0,
          masqueradeAddr: env.oif ? selectSourceAddress(ns, env.oif, b.pkt.dst, 0) : undefined,
          redirectAddr: ns.addresses.find((a) => a.family === 4 && a.dev === iif)?.local,
        });
        if (!('error' in bound)) {
          b.pkt = ctApplyNat(b.ct.entry, 'ORIGINAL', bound.manip, b.pkt);
          const to = `${bound.to.addr}${bound.to.port !== undefined ? `:${bound.to.port}` : ''}`;
          if (bound.manip === 'dst') b.dnat = { to, rule: o.nat.rule };
          else b.snat = { to, kind: o.nat.kind, rule: o.nat.rule };
        }
      }
      run(b, rest, env, done);
    });
  };

  run(st0, [['raw', 'PREROUTING'], ['mangle', 'PREROUTING'], ['nat', 'PREROUTING']], { iif }, (s) => {
    const r: InputResult = routeInput(ns, s.pkt, iif);
    if (!r.ok) {
      finish(s, { verdict: 'DROP', decidedBy: { kind: 'routing', result: r.kind, reason: r.reason }, path: 'dropped-at-routing' });
      return;
    }
    if (r.kind === 'local' || r.kind === 'broadcast') {
      run(s, [['mangle', 'INPUT'], ['filter', 'INPUT'], ['security', 'INPUT'], ['nat', 'INPUT']], { iif }, (e) => {
        const last = [...e.steps].reverse().find((x) => x.hook === 'INPUT' && x.table === 'filter');
        finish(e, { verdict: 'ACCEPT', decidedBy: last?.decidedBy ?? { kind: 'no-table', table: 'filter', chain: 'INPUT' }, path: 'INPUT' });
      });
      return;
    }
    const oif = r.dev;
    s.pkt = { ...s.pkt, ttl: s.pkt.ttl - 1 };
    run(s, [['mangle', 'FORWARD'], ['filter', 'FORWARD'], ['security', 'FORWARD'], ['mangle', 'POSTROUTING'], ['nat', 'POSTROUTING']], { iif, oif }, (e) => {
      const last = [...e.steps].reverse().find((x) => x.hook === 'FORWARD' && x.table === 'filter');
      finish(e, { verdict: 'ACCEPT', decidedBy: last?.decidedBy ?? { kind: 'no-table', table: 'filter', chain: 'FORWARD' }, path: 'FORWARD', outIface: oif });
    });
  });
  return results;
}

function deciderText(d: NodeIngressOutcome['decidedBy']): string {
  switch (d.kind) {
    case 'rule':
      return `${d.table} ${d.chain} #${d.rule}: ${d.text}`;
    case 'policy':
      return `${d.table} ${d.chain} policy ${d.policy}`;
    case 'no-table':
      return `no ${d.table} table (${d.chain} accepts)`;
    case 'routing':
      return `routing: ${d.result} (${d.reason})`;
  }
}

/** Text for `kubewire kube-proxy trace`: one block per outcome. */
export function renderNodeIngressText(outs: NodeIngressOutcome[]): string {
  let s = '';
  outs.forEach((o, i) => {
    s += `outcome ${i + 1}/${outs.length}: probability ${o.probability.toFixed(4)}: ${o.verdict} (${o.path}${o.outIface ? ` → ${o.outIface}` : ''})\n`;
    s += `  decided by ${deciderText(o.decidedBy)}\n`;
    if (o.rejectWith) s += `  reject with ${o.rejectWith}\n`;
    if (o.dnat) s += `  DNAT to ${o.dnat.to} by ${o.dnat.rule.chain} #${o.dnat.rule.rule}\n`;
    if (o.snat) s += `  ${o.snat.kind} to ${o.snat.to} by ${o.snat.rule.chain} #${o.snat.rule.rule}\n`;
    s += `  masquerade mark: ${o.masqueradeMarked ? 'set' : 'not set'}\n`;
    if (o.insufficient) s += `  insufficient info: ${o.insufficient.reason}\n`;
    for (const m of o.matched) s += `  matched ${m.table} ${m.chain} #${m.rule}: ${m.text}\n`;
  });
  return s;
}
