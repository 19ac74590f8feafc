// Neighbour resolution (net/ipv4/arp.c, net/core/neighbour.c): a cached entry answers at once
// (PERMANENT / NOARP / REACHABLE / STALE / DELAY / PROBE); otherwise an ARP request goes out and the
// link's far side answers or not. Answering follows arp_process: the target is a local address of
// the receiving namespace, or proxy ARP (proxy_arp on the receiving device with forwarding and a
// route to the target through another device, or an `ip neigh add proxy` entry).

import type { NetNs, Neighbour } from '../node-state/types.ts';
import { addrType, devOrConf, forwardingEnabled, fibLookup, selectSourceAddress } from './route.ts';

export interface ArpAnswer {
  mac: string;
  /** Who answered, for the trace ("pod netns cni-… eth0", "VPC router", …). */
  who: string;
  why: string;
}

export type NeighOutcome =
  | { ok: true; lladdr: string; via: 'cache' | 'arp' | 'noarp'; entry?: Neighbour; answer?: ArpAnswer; arpSource?: string }
  | { ok: false; reason: string; entry?: Neighbour; arpSource?: string };

const USABLE = new Set(['PERMANENT', 'NOARP', 'REACHABLE', 'STALE', 'DELAY', 'PROBE']);

export function neighLookup(ns: NetNs, dev: string, ip: string): Neighbour | undefined {
  return ns.neighbours.find((n) => n.family === 4 && !n.proxy && n.dev === dev && n.dst === ip);
}

/** arp_solicit's sender address (arp_announce 0): the packet's source when local, else inet_select_addr(dev, target, link). */
export function arpSourceAddress(ns: NetNs, dev: string, target: string, pktSrc?: string): string | undefined {
  if (pktSrc && addrType(ns, pktSrc) === 'LOCAL') return pktSrc;
  return selectSourceAddress(ns, dev, target, 253);
}

/**
 * Resolve `nexthop` on `dev`. `ask` models the wire: it delivers a who-has to the far side of the
 * link and returns the answer, if any.
 */
export function resolveNeighbour(
  ns: NetNs,
  dev: string,
  nexthop: string,
  ask: (tip: string, sip: string) => ArpAnswer | undefined,
  pktSrc?: string,
): NeighOutcome {
  const link = ns.links.find((l) => l.name === dev);
  if (link && (link.noarp || link.kind === 'loopback' || link.kind === 'ipip')) return { ok: true, lladdr: '00:00:00:00:00:00', via: 'noarp' };
  const e = neighLookup(ns, dev, nexthop);
  if (e && USABLE.has(e.state) && e.lladdr) return { ok: true, lladdr: e.lladdr, via: 'cache', entry: e };
  const sip = arpSourceAddress(ns, dev, nexthop, pktSrc) ?? '0.0.0.0';
  const answer = ask(nexthop, sip);
  if (!answer) return { ok: false, reason: `no ARP reply for ${nexthop} on ${dev} (entry would go FAILED)`, entry: e, arpSource: sip };
  return { ok: true, lladdr: answer.mac, via: 'arp', answer, arpSource: sip };
}

/** arp_process for a who-has `tip` from `sip` arriving on `dev` of `ns`: does this namespace answer? */
export function arpResponds(ns: NetNs, dev: string, tip: string, sip: string): { answer: boolean; why: string } {
  const link = ns.links.find((l) => l.name === dev);
  if (!link || !link.up) return { answer: false, why: `${dev} is down` };
  if (link.noarp) return { answer: false, why: `${dev} is NOARP` };
  const t = addrType(ns, tip);
  if (t === 'LOCAL') return { answer: true, why: `${tip} is a local address` };
  if (t !== 'UNICAST') return { answer: false, why: `${tip} is ${t.toLowerCase()}` };
  if (!forwardingEnabled(ns, dev)) return { answer: false, why: `${tip} is not local and forwarding is off on ${dev}` };
  const pn = ns.neighbours.find((n) => n.proxy && n.dst === tip && (n.dev === dev || !n.dev));
  if (pn) return { answer: true, why: `proxy neighbour entry for ${tip}` };
  if (devOrConf(ns, dev, 'proxy_arp')) {
    const r = fibLookup(ns, { dst: tip, src: sip, iif: dev });
    if (r.ok && r.route.type === 'unicast' && r.route.dev !== dev) return { answer: true, why: `proxy_arp on ${dev}: ${tip} routes via ${r.route.dev}` };
    return { answer: false, why: `proxy_arp on ${dev} but ${tip} does not route through another device` };
  }
  return { answer: false, why: `${tip} is not a local address of this namespace` };
}
