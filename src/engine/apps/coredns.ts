// What answers a pod's DNS question: CoreDNS with the EKS Corefile, and behind it (`forward .
// /etc/resolv.conf`, CoreDNS runs with dnsPolicy Default) the Amazon-provided VPC resolver.
//
// CoreDNS kubernetes plugin (`kubernetes cluster.local in-addr.arpa ip6.arpa { pods insecure;
// fallthrough in-addr.arpa ip6.arpa }`, parse.go / kubernetes.go / handler.go), for names in
// cluster.local:
// - the apex, svc.<zone>, pod.<zone>: NODATA;
// - <svc>.<ns>.svc: A = ClusterIP (with or without endpoints); headless: the ready endpoint
//   addresses (none → NXDOMAIN); ExternalName: CNAME; <ep>.<svc>.<ns>.svc: the headless endpoint
//   whose hostname (else dashed address) matches; _<port>._<proto>.<svc>.<ns>.svc: SRV is not
//   modelled here (NODATA for A/AAAA);
// - <ns>.svc / <ns>.pod of an existing namespace: NODATA; an unknown namespace: NXDOMAIN;
// - <a-b-c-d>.<ns>.pod: A a.b.c.d without a pod lookup ("pods insecure");
// - more labels than <port>.<proto>.<svc>.<ns>.svc, a 4th-level label other than svc/pod: NXDOMAIN.
// A name that exists has no AAAA in an IPv4 cluster: NODATA. TTL 5. `loadbalance` shuffles A/AAAA.
//
// Everything else goes to the VPC resolver. Modelled: EC2 private names
// (ip-a-b-c-d.<region>.compute.internal, ec2.internal in us-east-1) for addresses in the VPC;
// other names in that domain, and names under a top-level domain the public root does not have
// (single labels, `kubernetes.default`, .local, .internal, .svc …): NXDOMAIN, as the root says.
// Names under a real TLD: the simulation has no internet, so the resolver is taken as unable to
// answer (SERVFAIL), never as saying the name does not exist.

import type { ClusterState } from '../../control-plane/types.ts';
import { ec2InternalDomain } from '../../k8s/naming.ts';
import { inPrefix4 } from '../packet.ts';
import { CLUSTER_DOMAIN } from './resolv.ts';

export type Rcode = 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED';
export type QType = 'A' | 'AAAA';

export interface DnsAnswer {
  rcode: Rcode;
  /** Answer records in order: addresses (A/AAAA) or a CNAME target (then `cname`). */
  answers: string[];
  cname?: string;
  ttl: number;
  /** Authoritative answer (CoreDNS's own zone) or relayed from the upstream resolver. */
  aa: boolean;
  /** Which server made the answer. */
  by: 'coredns' | 'vpc-resolver';
}

export const COREDNS_TTL = 5;
/** Route 53 Resolver's TTL for EC2 private DNS names. */
export const EC2_NAME_TTL = 60;

interface Svc {
  metadata: { name: string; namespace?: string };
  spec?: { clusterIP?: string; clusterIPs?: string[]; type?: string; externalName?: string; publishNotReadyAddresses?: boolean };
}
interface Slice {
  metadata: { namespace?: string; labels?: Record<string, string> };
  addressType?: string;
  endpoints?: Array<{ addresses: string[]; hostname?: string; conditions?: { ready?: boolean | null } }> | null;
}

function namespaces(state: ClusterState): Set<string> {
  const out = new Set<string>();
  for (const k of Object.keys(state.objects)) {
    if (k.startsWith('Namespace//')) out.add(k.slice('Namespace//'.length));
  }
  return out;
}

function headlessEndpoints(state: ClusterState, svc: Svc): Array<{ ip: string; host: string }> {
  const ns = svc.metadata.namespace ?? 'default';
  const out: Array<{ ip: string; host: string }> = [];
  for (const [k, o] of Object.entries(state.objects)) {
    if (!k.startsWith(`EndpointSlice/${ns}/`)) continue;
    const sl = o as unknown as Slice;
    if (sl.metadata.labels?.['kubernetes.io/service-name'] !== svc.metadata.name || (sl.addressType ?? 'IPv4') !== 'IPv4') continue;
    for (const e of sl.endpoints ?? []) {
      // The plugin serves ready addresses (unready only with publishNotReadyAddresses).
      if (e.conditions?.ready === false && !svc.spec?.publishNotReadyAddresses) continue;
      for (const ip of e.addresses) if (!out.some((x) => x.ip === ip)) out.push({ ip, host: (e.hostname ?? ip.replace(/\./g, '-')).toLowerCase() });
    }
  }
  return out;
}

function shuffle<T>(xs: T[], rng: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

const isIpv4 = (s: string) => /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s) && s.split('.').every((o) => Number(o) <= 255);

function answer(rcode: Rcode, answers: string[] = [], extra: Partial<DnsAnswer> = {}): DnsAnswer {
  return { rcode, answers, ttl: COREDNS_TTL, aa: true, by: 'coredns', ...extra };
}

/** CoreDNS's answer for a name in cluster.local (lower case, no trailing dot). */
function kubernetesZone(state: ClusterState, name: string, qtype: QType, rng: () => number): DnsAnswer {
  const zone = CLUSTER_DOMAIN;
  const base = name === zone ? '' : name.slice(0, -(zone.length + 1));
  if (base === '' || base === 'svc' || base === 'pod') return answer('NOERROR');
  const segs = base.split('.');
  const kind = segs[segs.length - 1];
  if (kind !== 'svc' && kind !== 'pod') return answer('NXDOMAIN');
  const [ns, service] = [segs[segs.length - 2], segs[segs.length - 3]];
  const rest = segs.slice(0, -3);
  if (rest.length > 2) return answer('NXDOMAIN');
  const nsExists = namespaces(state).has(ns);
  if (!nsExists) return answer('NXDOMAIN');
  if (service === undefined) return answer('NOERROR');
  if (kind === 'pod') {
    if (rest.length) return answer('NXDOMAIN');
    const ip = service.split('-').join('.');
    if (!(service.split('-').length === 4 && isIpv4(ip))) return answer('NXDOMAIN');
    return answer('NOERROR', qtype === 'A' ? [ip] : []);
  }
  const svc = state.objects[`Service/${ns}/${service}`] as unknown as Svc | undefined;
  // Service names are lower case in the API; the plugin matches case-insensitively.
  if (!svc) return answer('NXDOMAIN');
  if (svc.spec?.type === 'ExternalName') {
    if (rest.length || !svc.spec.externalName) return answer('NXDOMAIN');
    return answer('NOERROR', [], { cname: svc.spec.externalName.replace(/\.$/, '') });
  }
  const headless = !svc.spec?.clusterIP || svc.spec.clusterIP === 'None';
  if (rest.length === 2) return answer('NOERROR'); // _port._proto: SRV data only
  if (headless || rest.length === 1) {
    let eps = headlessEndpoints(state, svc);
    if (rest.length === 1) eps = eps.filter((e) => e.host === rest[0]);
    if (!eps.length) return answer('NXDOMAIN');
    return answer('NOERROR', qtype === 'A' ? shuffle(eps.map((e) => e.ip), rng) : []);
  }
  const ips = (svc.spec?.clusterIPs ?? [svc.spec!.clusterIP!]).filter((ip) => (qtype === 'A' ? isIpv4(ip) : ip.includes(':')));
  return answer('NOERROR', shuffle(ips, rng));
}

// Generic TLDs in the root zone that names are commonly tried under; any two-letter label is
// taken as a country code (nearly all are delegated). Anything else: no such TLD.
const GENERIC_TLDS = new Set(
  ('com net org edu gov mil int arpa info biz name pro aero coop museum mobi asia tel travel jobs cat xxx post ' +
    'io dev app ai cloud xyz online site tech store shop blog art page web live news email link click ' +
    'aws amazon google microsoft apple docker run sh').split(' '),
);

function isPublicTld(tld: string): boolean {
  return /^[a-z]{2}$/.test(tld) || GENERIC_TLDS.has(tld) || tld.startsWith('xn--');
}

/** The Amazon-provided resolver (Route 53 Resolver) for what the simulation knows of it. */
export function vpcResolverAnswer(state: ClusterState, name: string, qtype: QType): DnsAnswer {
  const q = name.toLowerCase().replace(/\.$/, '');
  const domain = ec2InternalDomain(state.spec.region);
  const up = (rcode: Rcode, answers: string[] = []): DnsAnswer => ({ rcode, answers, ttl: EC2_NAME_TTL, aa: false, by: 'vpc-resolver' });
  if (q === domain || q.endsWith(`.${domain}`)) {
    const m = /^ip-(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})$/.exec(q.slice(0, -(domain.length + 1)));
    const ip = m ? m.slice(1).join('.') : '';
    if (m && isIpv4(ip) && inPrefix4(ip, state.vpc.cidr)) return up('NOERROR', qtype === 'A' ? [ip] : []);
    return up('NXDOMAIN');
  }
  const tld = q.slice(q.lastIndexOf('.') + 1);
  if (!isPublicTld(tld)) return up('NXDOMAIN');
  return up('SERVFAIL');
}

/** The answer a pod gets from CoreDNS for `name` (any case, trailing dot optional). */
export function coreDnsAnswer(state: ClusterState, name: string, qtype: QType, rng: () => number): DnsAnswer {
  const q = name.toLowerCase().replace(/\.$/, '');
  if (q === CLUSTER_DOMAIN || q.endsWith(`.${CLUSTER_DOMAIN}`)) return kubernetesZone(state, q, qtype, rng);
  // forward . /etc/resolv.conf: CoreDNS relays the upstream's answer (AA clear).
  return vpcResolverAnswer(state, q, qtype);
}
