// glibc's getaddrinfo(AF_UNSPEC) as busybox wget and ping call it (busybox str2sockaddr: a
// numeric IPv4 is taken as is, no DNS). /etc/hosts first (kubelet's file: localhost and the pod's
// own hostname), then the stub resolver (res_nsearch with resolv.conf):
// - the names tried in order (ndots rule: fewer dots than ndots → each search domain first, the
//   bare name last); each name from a new UDP socket, an A and an AAAA question sent back to back;
// - NXDOMAIN / NODATA / SERVFAIL for both → the next name; an address → done;
// - no reply: the try is resent after `timeout` seconds, `attempts` tries per nameserver, then
//   the lookup fails as TRY_AGAIN and the search stops (res_nsearch gives up on a timeout);
// - ICMP port unreachable (ECONNREFUSED): the next nameserver at once, then the next try.

import { resolverCandidates } from '../../wire/dns.ts';
import { askDns, dnsId, type DnsResult } from './dns-client.ts';
import { drawSeed, ephemeralPort, jitter, type AppContext } from './transport.ts';
import { resolverTiming, type PodResolv } from './resolv.ts';
import type { PodView } from './workloads.ts';

export type Resolution =
  | { ok: true; addresses: string[]; via: 'numeric' | 'hosts' | 'dns'; name?: string }
  | { ok: false; error: 'EAI_NONAME' | 'EAI_AGAIN' };

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function isNumericIpv4(s: string): boolean {
  const m = IPV4.exec(s);
  return !!m && m.slice(1).every((o) => Number(o) <= 255);
}

/** kubelet's /etc/hosts: localhost, and the pod's hostname (and FQDN with a subdomain) → pod IP. */
function hostsFile(pod: PodView): Record<string, string> {
  const out: Record<string, string> = { localhost: '127.0.0.1' };
  if (!pod.hostNetwork && pod.ip) {
    const h = pod.hostname ?? pod.name;
    out[h] = pod.ip;
    if (pod.subdomain) out[`${h}.${pod.subdomain}.${pod.namespace}.svc.cluster.local`] = pod.ip;
  }
  return out;
}

export function getaddrinfo(ctx: AppContext, pod: PodView, resolv: PodResolv, host: string): Resolution {
  if (isNumericIpv4(host)) return { ok: true, addresses: [host], via: 'numeric' };
  const hosts = hostsFile(pod);
  const h = hosts[host.toLowerCase().replace(/\.$/, '')];
  if (h) return { ok: true, addresses: [h], via: 'hosts' };
  if (resolv.nameservers.length === 0) return { ok: false, error: 'EAI_NONAME' };
  const { timeoutS, attempts } = resolverTiming(resolv);
  let servfail = false;
  for (const cand of resolverCandidates(host, resolv)) {
    const name = cand.replace(/\.$/, '');
    const sport = ephemeralPort(ctx);
    const seed = drawSeed(ctx);
    let answered: [DnsResult, DnsResult] | undefined;
    for (let attempt = 0; attempt < attempts && !answered; attempt++) {
      for (const server of resolv.nameservers) {
        const t0 = ctx.nowUs;
        const a = askDns(ctx, server, sport, seed, { name, qtype: 'A', id: dnsId(ctx) });
        ctx.nowUs += jitter(ctx, 40);
        const aaaa = askDns(ctx, server, sport, seed, { name, qtype: 'AAAA', id: dnsId(ctx) });
        if (a.kind === 'answer' && aaaa.kind === 'answer') {
          ctx.nowUs = t0 + Math.max(a.rttUs, ctx.nowUs - t0 + aaaa.rttUs);
          answered = [a, aaaa];
          break;
        }
        if (a.kind === 'error' || aaaa.kind === 'error') {
          ctx.nowUs = t0 + (a.kind === 'error' ? a.afterUs : 0) + jitter(ctx, 40);
          continue;
        }
        ctx.nowUs = t0 + timeoutS * 1_000_000;
      }
    }
    if (!answered) return { ok: false, error: 'EAI_AGAIN' };
    const [a, aaaa] = answered as [Extract<DnsResult, { kind: 'answer' }>, Extract<DnsResult, { kind: 'answer' }>];
    const addresses = [...a.answer.answers, ...aaaa.answer.answers];
    if (addresses.length) return { ok: true, addresses, via: 'dns', name };
    if (a.answer.rcode === 'SERVFAIL' || aaaa.answer.rcode === 'SERVFAIL') servfail = true;
  }
  return { ok: false, error: servfail ? 'EAI_AGAIN' : 'EAI_NONAME' };
}
