// One DNS question from a client socket to a nameserver: the UDP datagram traced through the
// engine (Service DNAT to a CoreDNS pod for kube-dns's ClusterIP), and the answer of whatever the
// packet reached: a CoreDNS pod answers (src/engine/apps/coredns.ts); the Amazon-provided resolver
// (VPC base + 2) is an AWS service behind the fabric, not an ENI, so the walk ends at the fabric
// there and the VPC resolver model answers; anything else either refuses (nothing on udp/53: ICMP
// port unreachable) or swallows the datagram.

import { vpcDnsServer } from '../../aws/vpc.ts';
import { findPodAt, podListens } from './workloads.ts';
import { coreDnsAnswer, vpcResolverAnswer, type DnsAnswer, type QType } from './coredns.ts';
import { jitter, outcomeOf, traceFlow, type AppContext, type Errno } from './transport.ts';
import type { DnsExchange } from './types.ts';

export type DnsResult =
  | { kind: 'answer'; answer: DnsAnswer; rttUs: number }
  | { kind: 'error'; errno: Errno; afterUs: number }
  | { kind: 'silent' };

export interface DnsQuestion {
  /** Without the trailing dot. */
  name: string;
  qtype: QType;
  id: number;
}

/** A DNS message id (16 bits) from the run's generator. */
export function dnsId(ctx: AppContext): number {
  return Math.floor(ctx.rng() * 0x10000);
}

/** Send `q` from udp `sport` to `server`:53 at the context's current time; records the flow. */
export function askDns(ctx: AppContext, server: string, sport: number, seed: number, q: DnsQuestion): DnsResult {
  const exchange: DnsExchange = { name: q.name, qtype: q.qtype, id: q.id, rcode: 'NOERROR', answers: [], ttl: 0, answered: false };
  const { trace, branch } = traceFlow(ctx, { kind: 'dns', dns: exchange }, { dst: server, dport: 53, protocol: 'UDP', sport }, seed);
  const out = outcomeOf(ctx, branch, 'UDP');
  let result: DnsResult;
  const f = branch.forward.disposition;
  if (out.kind === 'answered') {
    const pod = findPodAt(ctx.state, out.server.node, out.server.netns);
    if (pod?.kind === 'coredns') {
      result = { kind: 'answer', answer: coreDnsAnswer(ctx.state, q.name, q.qtype, ctx.rng), rttUs: out.rttUs + jitter(ctx, 60) };
    } else if (pod && podListens(pod, 'udp', 53)) {
      // Something reads udp/53 but is no DNS server: the query goes unanswered.
      result = { kind: 'silent' };
    } else {
      result = { kind: 'error', errno: 'ECONNREFUSED', afterUs: out.rttUs };
    }
  } else if (f.code === 'unreachable' && f.decidedBy?.kind === 'eni' && server === vpcDnsServer(ctx.state.vpc)) {
    // The Amazon-provided DNS server answers from the VPC router at base + 2.
    result = { kind: 'answer', answer: vpcResolverAnswer(ctx.state, q.name, q.qtype), rttUs: jitter(ctx, 350) };
  } else if (out.kind === 'error') {
    result = { kind: 'error', errno: out.errno, afterUs: out.afterUs };
  } else {
    result = { kind: 'silent' };
  }
  if (result.kind === 'answer') {
    exchange.answered = true;
    exchange.rcode = result.answer.rcode;
    exchange.answers = result.answer.answers;
    exchange.ttl = result.answer.answers.length ? result.answer.ttl : 0;
    exchange.aa = result.answer.aa;
  }
  void trace;
  return result;
}
