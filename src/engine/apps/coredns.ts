// What answers a pod's DNS question: CoreDNS with the EKS Corefile, and behind it (`forward .
// /etc/resolv.conf`, CoreDNS runs with dnsPolicy Default) the Amazon-provided VPC resolver.
// Browser-safe and pure. This is the ONE model: the simulator's apps (nslookup, wget via
// dns-client.ts) use coreDnsAnswer; the lab's DNS server (src/lab/workloads.ts dnsTable, served by
// src/lab/workload-py.ts) and `lab verify` use coreDnsRecords, the same decisions as DNS records.
//
// EKS Corefile: `kubernetes cluster.local in-addr.arpa ip6.arpa { pods insecure; fallthrough
// in-addr.arpa ip6.arpa }`, `forward . /etc/resolv.conf`, `cache 30`, `loadbalance`. The kubernetes
// plugin, as its source has it (parse.go parseRequest, kubernetes.go Records/findServices/findPods/
// Services, handler.go ServeDNS, reverse.go, plugin/backend_lookup.go A/SRV):
// - parseRequest: the apex, `svc.<zone>` and `pod.<zone>` are NODATA ("return NODATA for apex
//   queries"); a 4th-level label other than svc/pod, or more than two labels left of
//   <svc>.<ns>.svc: NXDOMAIN (errInvalidRequest). One extra label is an endpoint, two are
//   _<port>._<proto>.
// - Records: an unknown namespace is NXDOMAIN (errNsNotExposed); `<ns>.svc` / `<ns>.pod` of an
//   existing namespace: NODATA.
// - findServices: ExternalName → CNAME (not with an endpoint label; an IP externalName gives
//   nothing). Headless, or any Service asked with an endpoint label: its ready endpoint addresses
//   (per endpoint port that matches _port/_proto), named by hostname, else the dashed address.
//   ClusterIP: its ClusterIPs per matching Service port. Nothing matched: NXDOMAIN (errNoItems) —
//   so a headless Service without ready endpoints is NXDOMAIN, and `_http._tcp.<svc>` answers A
//   too (the port only filters).
// - findPods ("pods insecure"): <a-b-c-d>.<ns>.pod → A a.b.c.d when it parses as an address (Go's
//   net.ParseIP: no leading zeros); endpoint/_port labels are ignored. IPv6 pod names (dashes →
//   colons) are not modelled (IPv4 clusters).
// - ServeDNS by type: A/AAAA by address family (a name with only the other family: NODATA); SRV:
//   one record per (target, port), target = the Service name for a ClusterIP, the endpoint name
//   for endpoints, the pod name for pods, their address in the additional section, weight =
//   floor(100 / (100 × records of that priority) × 100); SRV of an ExternalName is dropped
//   (Services(): "SRV for external services is not yet implemented"); Services without ports
//   (port -1) give no SRV. TXT: only dns-version.<zone> ("1.1.0", TTL 28800); another existing
//   name is NODATA, anything else (even a namespace) NXDOMAIN (Services' TXT case checks Records
//   has services). SOA: the apex only; any other name NODATA (handler.go never looks it up). NS:
//   the apex (ns.dns.<zone>, A = kube-dns's ClusterIP); CNAME: the ExternalName's; other types: a
//   fake A lookup decides NODATA vs NXDOMAIN. AXFR/IXFR: REFUSED.
// - An A/AAAA on an ExternalName chases the target: inside the zone the plugin's own answer (the
//   CNAME is kept only if the target has records); outside it, the CNAME plus what the upstream
//   (here the VPC resolver model) answers.
// - Reverse (in-addr.arpa): PTR of a ClusterIP → the Service name; else of an endpoint address of
//   any Service → <endpoint>.<svc>.<ns>.svc (one per Service). Anything else in the reverse zones
//   (unknown addresses, other types: Records refuses reverse names) falls through to forward.
// - Answers' owner is the question's name as asked (state.QName()); TTL 5; NXDOMAIN and NODATA
//   carry the zone's SOA in the authority section; `loadbalance` shuffles A/AAAA answers.
//   Simplified: SRV targets / additionals are written in lower case (CoreDNS keeps the zone's
//   case as asked), the SOA serial is 0, the cache plugin's decreasing TTLs are not modelled.
//
// Everything else goes to the VPC resolver. Modelled: EC2 private names
// (ip-a-b-c-d.<region>.compute.internal, ec2.internal in us-east-1) for addresses in the VPC;
// other names in that domain, and names under a top-level domain the public root does not have
// (single labels, `kubernetes.default`, .local, .internal, .svc …): NXDOMAIN, as the root says.
// Names under a real TLD: the simulation (and the lab) has no internet, so the resolver is taken
// as unable to answer: CoreDNS's forward gives up and CoreDNS answers SERVFAIL itself (AA and RA
// clear), never as saying the name does not exist. The lab's DNS server gives the same answers
// (dnsTable's `forward` part), so both sides of `lab verify` see one model.

import type { ClusterState } from '../../control-plane/types.ts';
import { ec2InternalDomain } from '../../k8s/naming.ts';
import {
  COREDNS_TTL,
  DNS_A,
  DNS_AAAA,
  DNS_CLASS_IN,
  DNS_CNAME,
  DNS_NS,
  DNS_PTR,
  DNS_SOA,
  DNS_SRV,
  DNS_TXT,
  RCODE_NOERROR,
  RCODE_NXDOMAIN,
  RCODE_REFUSED,
  RCODE_SERVFAIL,
  addressRecord,
  coreDnsSoa,
  fqdn,
  type DnsMessage,
  type DnsRecord,
} from '../../wire/dns.ts';
import { inPrefix4 } from '../packet.ts';
import { CLUSTER_DOMAIN } from './resolv.ts';

export { COREDNS_TTL };

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

/** Route 53 Resolver's TTL for EC2 private DNS names. */
export const EC2_NAME_TTL = 60;
/** CoreDNS's DNSSchemaVersion (TXT dns-version.<zone>, TTL 28800). */
export const DNS_SCHEMA_VERSION = '1.1.0';

const RCODES: Record<number, Rcode> = { [RCODE_NOERROR]: 'NOERROR', [RCODE_NXDOMAIN]: 'NXDOMAIN', [RCODE_SERVFAIL]: 'SERVFAIL', [RCODE_REFUSED]: 'REFUSED' };

// ------------------------------------------------------------------ cluster data

interface PortInfo {
  name: string;
  /** -1: CoreDNS's sentinel for an endpoint slice without ports. */
  port: number;
  proto: string;
}
interface EndpointInfo {
  ip: string;
  /** endpointHostname: the hostname, else the address with dashes (lower case). */
  host: string;
  ports: PortInfo[];
}
interface ServiceInfo {
  name: string;
  ns: string;
  externalName?: string;
  headless: boolean;
  clusterIPs: string[];
  ports: PortInfo[];
  endpoints: EndpointInfo[];
}

/** What CoreDNS's informers hold about the cluster. */
export interface ClusterDns {
  /** Lower case, trailing dot. */
  zone: string;
  /** kube-dns's ClusterIP (the A of ns.dns.<zone>). */
  dnsIp: string;
  namespaces: string[];
  services: ServiceInfo[];
  /** For names forwarded to the VPC resolver. */
  vpc: { cidr: string; domain: string };
}

interface SvcObj {
  metadata: { name: string; namespace?: string };
  spec?: {
    clusterIP?: string;
    clusterIPs?: string[];
    type?: string;
    externalName?: string;
    ports?: Array<{ name?: string; port: number; protocol?: string }>;
    publishNotReadyAddresses?: boolean;
  };
}
interface SliceObj {
  metadata: { namespace?: string; labels?: Record<string, string> };
  addressType?: string;
  endpoints?: Array<{ addresses: string[]; hostname?: string; conditions?: { ready?: boolean | null } }> | null;
  ports?: Array<{ name?: string; port?: number; protocol?: string }> | null;
}

const isIpv4 = (s: string) => /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/.test(s) && s.split('.').every((o) => Number(o) <= 255);

/** The data CoreDNS serves for `state`. */
export function clusterDns(state: ClusterState, zone = CLUSTER_DOMAIN): ClusterDns {
  const z = fqdn(zone).toLowerCase();
  const namespaces: string[] = [];
  const svcs: SvcObj[] = [];
  const slices: SliceObj[] = [];
  for (const [k, o] of Object.entries(state.objects)) {
    if (k.startsWith('Namespace//')) namespaces.push(k.slice('Namespace//'.length));
    else if (k.startsWith('Service/')) svcs.push(o as unknown as SvcObj);
    else if (k.startsWith('EndpointSlice/')) slices.push(o as unknown as SliceObj);
  }
  const services: ServiceInfo[] = [];
  for (const s of svcs) {
    const ns = s.metadata.namespace ?? 'default';
    const spec = s.spec ?? {};
    const headless = spec.type !== 'ExternalName' && (!spec.clusterIP || spec.clusterIP === 'None');
    const endpoints: EndpointInfo[] = [];
    for (const sl of slices) {
      if ((sl.metadata.namespace ?? 'default') !== ns || sl.metadata.labels?.['kubernetes.io/service-name'] !== s.metadata.name || (sl.addressType ?? 'IPv4') !== 'IPv4') continue;
      // object/endpoint.go: a slice without ports gets the sentinel port -1.
      const ports = sl.ports?.length ? sl.ports.map((p) => ({ name: p.name ?? '', port: p.port ?? -1, proto: (p.protocol ?? 'TCP').toLowerCase() })) : [{ name: '', port: -1, proto: '' }];
      for (const e of sl.endpoints ?? []) {
        // Ready addresses (the endpoint slice controller marks all ready with publishNotReadyAddresses).
        if (e.conditions?.ready === false && !spec.publishNotReadyAddresses) continue;
        for (const ip of e.addresses) endpoints.push({ ip, host: (e.hostname ?? ip.replace(/\./g, '-')).toLowerCase(), ports });
      }
    }
    services.push({
      name: s.metadata.name.toLowerCase(),
      ns,
      externalName: spec.type === 'ExternalName' ? (spec.externalName ?? '') : undefined,
      headless,
      clusterIPs: headless || spec.type === 'ExternalName' ? [] : (spec.clusterIPs ?? [spec.clusterIP!]),
      ports: (spec.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.port, proto: (p.protocol ?? 'TCP').toLowerCase() })),
      endpoints,
    });
  }
  services.sort((a, b) => `${a.ns}/${a.name}`.localeCompare(`${b.ns}/${b.name}`));
  const dnsIp = services.find((s) => s.name === 'kube-dns' && s.ns === 'kube-system')?.clusterIPs[0] ?? '';
  return { zone: z, dnsIp, namespaces: namespaces.sort(), services, vpc: { cidr: state.vpc.cidr, domain: ec2InternalDomain(state.spec.region) } };
}

/** in-addr.arpa name of an IPv4 address. */
export function reverseName(ip: string): string {
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa.`;
}

// ------------------------------------------------------------------ the kubernetes plugin

/** msg.Service: an address or CNAME target, a port, and the name its key spells (SRV target). */
interface Found {
  host: string;
  port: number;
  key: string;
}
type Lookup = { nx: true } | { nx: false; found: Found[] };

const NX: Lookup = { nx: true };
const NODATA: Lookup = { nx: false, found: [] };

/** kubernetes.go Records(): what the plugin finds for a (lower-case, fully qualified) name in the zone. */
function records(dns: ClusterDns, q: string): Lookup {
  const base = q === dns.zone ? '' : q.slice(0, -(dns.zone.length + 1));
  if (base === '' || base === 'svc' || base === 'pod') return NODATA;
  const segs = base.split('.');
  const kind = segs[segs.length - 1];
  if (kind !== 'svc' && kind !== 'pod') return NX;
  if (segs.length > 5) return NX;
  const ns = segs[segs.length - 2];
  if (!dns.namespaces.includes(ns)) return NX;
  const service = segs[segs.length - 3];
  if (service === undefined) return NODATA;
  const rest = segs.slice(0, -3);
  const endpoint = rest.length === 1 ? rest[0] : '';
  const [port, proto] = rest.length === 2 ? rest.map((l) => (l.startsWith('_') ? l.slice(1) : l)) : ['', ''];
  if (kind === 'pod') {
    const ip = (service.match(/-/g) ?? []).length === 3 && !service.includes('--') ? service.replace(/-/g, '.') : '';
    if (!isIpv4(ip)) return NX;
    return { nx: false, found: [{ host: ip, port: 0, key: `${service}.${ns}.pod.${dns.zone}` }] };
  }
  const match = (p: PortInfo) => (port === '' || port === p.name.toLowerCase()) && (proto === '' || proto === p.proto);
  const found: Found[] = [];
  let hit = false;
  for (const s of dns.services) {
    if (s.ns !== ns || s.name !== service) continue;
    const svcName = `${s.name}.${s.ns}.svc.${dns.zone}`;
    if (s.externalName !== undefined) {
      if (endpoint || !s.externalName || isIpv4(s.externalName.replace(/\.$/, '')) || s.externalName.includes(':')) continue;
      found.push({ host: fqdn(s.externalName.toLowerCase()), port: 0, key: svcName });
      hit = true;
      continue;
    }
    if (s.headless || endpoint) {
      for (const e of s.endpoints) {
        if (endpoint && endpoint !== e.host) continue;
        for (const p of e.ports) {
          if (!match(p)) continue;
          found.push({ host: e.ip, port: p.port, key: `${e.host}.${svcName}` });
          hit = true;
        }
      }
      continue;
    }
    for (const p of s.ports) {
      if (!match(p)) continue;
      hit = true;
      for (const ip of s.clusterIPs) found.push({ host: ip, port: p.port, key: svcName });
    }
  }
  return hit ? { nx: false, found } : NX;
}

const isAddr = (h: string) => isIpv4(h) || h.includes(':');

export type CoreDnsAnswer =
  | { forward: false; rcode: number; answers: DnsRecord[]; authorities: DnsRecord[]; additionals: DnsRecord[] }
  /** Not the kubernetes plugin's: it goes to `forward . /etc/resolv.conf` (the VPC resolver). */
  | { forward: true };

const REVERSE_ZONES = ['in-addr.arpa.', 'ip6.arpa.'];
const under = (name: string, zone: string) => name === zone || name.endsWith(`.${zone}`);

/** reverse.go serviceRecordForIP: PTR targets for an address. */
function ptrTargets(dns: ClusterDns, ip: string): string[] {
  for (const s of dns.services) if (s.clusterIPs.includes(ip)) return [`${s.name}.${s.ns}.svc.${dns.zone}`];
  const out: string[] = [];
  for (const s of dns.services) for (const e of s.endpoints) if (e.ip === ip) out.push(`${e.host}.${s.name}.${s.ns}.svc.${dns.zone}`);
  return out;
}

/** The kubernetes plugin's reply (or `forward`) for `name`/`qtype`, as DNS records. `upstream`
 *  answers what the plugin looks up outside the zone (ExternalName targets); default: nothing. */
export function coreDnsRecords(dns: ClusterDns, name: string, qtype: number, upstream: (name: string, qtype: number) => DnsRecord[] = () => []): CoreDnsAnswer {
  const asked = fqdn(name);
  const q = asked.toLowerCase();
  const soa = coreDnsSoa(dns.zone);
  const reply = (rcode: number, answers: DnsRecord[], additionals: DnsRecord[] = []): CoreDnsAnswer => ({
    forward: false,
    rcode,
    answers,
    authorities: answers.length ? [] : [soa],
    additionals,
  });
  const rr = (type: number, data: DnsRecord['data'], owner = asked, ttl = COREDNS_TTL): DnsRecord => ({ name: owner, type, class: DNS_CLASS_IN, ttl, data });
  const reverse = REVERSE_ZONES.find((z) => under(q, z));
  if (reverse) {
    // Only PTR is looked up; the rest (and unknown addresses) fall through to forward.
    if (qtype !== DNS_PTR || reverse !== 'in-addr.arpa.') return { forward: true };
    const ip = q.slice(0, -'.in-addr.arpa.'.length).split('.').reverse().join('.');
    const targets = isIpv4(ip) ? ptrTargets(dns, ip) : [];
    if (!targets.length) return { forward: true };
    return reply(RCODE_NOERROR, targets.map((t) => rr(DNS_PTR, { target: t })));
  }
  if (!under(q, dns.zone)) return { forward: true };
  if (qtype === 252 || qtype === 251) return { forward: false, rcode: RCODE_REFUSED, answers: [], authorities: [], additionals: [] };
  const nsName = `ns.dns.${dns.zone}`;
  if (q === dns.zone && qtype === DNS_SOA) return reply(RCODE_NOERROR, [{ ...soa, name: asked }]);
  if (qtype === DNS_SOA) return reply(RCODE_NOERROR, []);
  if (q === dns.zone && qtype === DNS_NS) return reply(RCODE_NOERROR, [rr(DNS_NS, { target: nsName })], dns.dnsIp ? [addressRecord(nsName, dns.dnsIp)] : []);
  // Services(): ns.dns.<zone> (isDefaultNS) is kube-dns's address.
  if (q === nsName) {
    if (qtype === DNS_TXT) return reply(RCODE_NXDOMAIN, []);
    return reply(RCODE_NOERROR, qtype === DNS_A && dns.dnsIp ? [rr(DNS_A, { address: dns.dnsIp })] : []);
  }
  if (qtype === DNS_TXT) {
    if (q === `dns-version.${dns.zone}`) return reply(RCODE_NOERROR, [rr(DNS_TXT, { texts: [DNS_SCHEMA_VERSION] }, asked, 28800)]);
    const r = records(dns, q);
    return reply(!r.nx && r.found.length ? RCODE_NOERROR : RCODE_NXDOMAIN, []);
  }
  const r = records(dns, q);
  if (r.nx) return reply(RCODE_NXDOMAIN, []);
  if (qtype === DNS_A || qtype === DNS_AAAA) return reply(RCODE_NOERROR, addressAnswers(dns, asked, qtype, r.found, upstream, 0));
  if (qtype === DNS_CNAME) return reply(RCODE_NOERROR, r.found.filter((f) => !isAddr(f.host)).map((f) => rr(DNS_CNAME, { target: f.host })));
  if (qtype === DNS_SRV) {
    const internal = r.found.filter((f) => isAddr(f.host));
    // Weights count every service of the priority (the sentinel -1 ports too), as plugin.SRV does.
    const weight = Math.floor((100 / (100 * internal.length)) * 100);
    const answers: DnsRecord[] = [];
    const extra: DnsRecord[] = [];
    const seen = new Set<string>();
    for (const f of internal) {
      if (f.port === -1) continue;
      if (!seen.has(`${f.key} ${f.port}`)) answers.push(rr(DNS_SRV, { priority: 0, weight, port: f.port, target: f.key }));
      seen.add(`${f.key} ${f.port}`);
      if (!seen.has(`${f.key} ${f.host}`)) extra.push(addressRecord(f.key, f.host));
      seen.add(`${f.key} ${f.host}`);
    }
    return reply(RCODE_NOERROR, answers, extra);
  }
  // PTR of a forward name, MX, NS below the apex, other types: the fake A lookup decided NXDOMAIN above.
  return reply(RCODE_NOERROR, []);
}

/** plugin.A / plugin.AAAA: the addresses of the family (deduplicated), CNAMEs chased. */
function addressAnswers(dns: ClusterDns, asked: string, qtype: number, found: Found[], upstream: (name: string, qtype: number) => DnsRecord[], depth: number): DnsRecord[] {
  const out: DnsRecord[] = [];
  const dup = new Set<string>();
  for (const f of found) {
    if (!isAddr(f.host)) {
      const cname: DnsRecord = { name: asked, type: DNS_CNAME, class: DNS_CLASS_IN, ttl: COREDNS_TTL, data: { target: f.host } };
      if (under(f.host, dns.zone)) {
        const next = records(dns, f.host);
        const more = !next.nx && depth < 7 ? addressAnswers(dns, f.host, qtype, next.found, upstream, depth + 1) : [];
        if (more.length) out.push(cname, ...more);
      } else out.push(cname, ...upstream(f.host, qtype));
      continue;
    }
    if ((qtype === DNS_A) !== isIpv4(f.host) || dup.has(f.host)) continue;
    dup.add(f.host);
    out.push(addressRecord(asked, f.host));
  }
  return out;
}

// ------------------------------------------------------------------ the VPC resolver

// Generic TLDs in the root zone that names are commonly tried under; any two-letter label is
// taken as a country code (nearly all are delegated). Anything else: no such TLD.
export const GENERIC_TLDS = (
  'com net org edu gov mil int arpa info biz name pro aero coop museum mobi asia tel travel jobs cat xxx post ' +
  'io dev app ai cloud xyz online site tech store shop blog art page web live news email link click ' +
  'aws amazon google microsoft apple docker run sh'
).split(' ');
const GENERIC = new Set(GENERIC_TLDS);

function isPublicTld(tld: string): boolean {
  return /^[a-z]{2}$/.test(tld) || GENERIC.has(tld) || tld.startsWith('xn--');
}

/** The VPC resolver's (Route 53 Resolver) answer as CoreDNS relays it, as records: NOERROR/NXDOMAIN
 *  relayed (AA clear, RA set), or SERVFAIL from CoreDNS itself when no upstream answers. */
export function vpcResolverRecords(dns: ClusterDns, name: string, qtype: number): { rcode: number; answers: DnsRecord[]; relayed: boolean } {
  const asked = fqdn(name);
  const q = asked.toLowerCase().replace(/\.$/, '');
  const domain = dns.vpc.domain;
  if (q === domain || q.endsWith(`.${domain}`)) {
    const m = /^ip-(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})$/.exec(q.slice(0, -(domain.length + 1)));
    const ip = m ? m.slice(1).join('.') : '';
    if (m && isIpv4(ip) && inPrefix4(ip, dns.vpc.cidr)) return { rcode: RCODE_NOERROR, answers: qtype === DNS_A ? [addressRecord(asked, ip, EC2_NAME_TTL)] : [], relayed: true };
    return { rcode: RCODE_NXDOMAIN, answers: [], relayed: true };
  }
  const tld = q.slice(q.lastIndexOf('.') + 1);
  if (!isPublicTld(tld)) return { rcode: RCODE_NXDOMAIN, answers: [], relayed: true };
  return { rcode: RCODE_SERVFAIL, answers: [], relayed: false };
}

/** The Amazon-provided resolver (Route 53 Resolver) for what the simulation knows of it. */
export function vpcResolverAnswer(state: ClusterState, name: string, qtype: QType): DnsAnswer {
  const r = vpcResolverRecords(vpcOnly(state), name, qtype === 'A' ? DNS_A : DNS_AAAA);
  return { rcode: RCODE_NAME(r.rcode), answers: r.answers.map((a) => (a.data as { address: string }).address), ttl: EC2_NAME_TTL, aa: false, by: 'vpc-resolver' };
}

function vpcOnly(state: ClusterState): ClusterDns {
  return { zone: fqdn(CLUSTER_DOMAIN), dnsIp: '', namespaces: [], services: [], vpc: { cidr: state.vpc.cidr, domain: ec2InternalDomain(state.spec.region) } };
}

function RCODE_NAME(rc: number): Rcode {
  return RCODES[rc] ?? 'SERVFAIL';
}

// ------------------------------------------------------------------ the simulator's view

function shuffle<T>(xs: T[], rng: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** Upstream lookups the plugin makes (ExternalName targets): the VPC resolver's answer records. */
export function upstreamOf(dns: ClusterDns): (name: string, qtype: number) => DnsRecord[] {
  return (name, qtype) => vpcResolverRecords(dns, name, qtype).answers;
}

/** The answer a pod gets from CoreDNS for `name` (any case, trailing dot optional). */
export function coreDnsAnswer(state: ClusterState, name: string, qtype: QType, rng: () => number): DnsAnswer {
  const dns = clusterDns(state);
  const t = qtype === 'A' ? DNS_A : DNS_AAAA;
  const a = coreDnsRecords(dns, name, t, upstreamOf(dns));
  if (a.forward) {
    // forward . /etc/resolv.conf: CoreDNS relays the upstream's answer (AA clear).
    return vpcResolverAnswer(state, name, qtype);
  }
  const cname = a.answers.find((r) => r.type === DNS_CNAME);
  const addrs = a.answers.filter((r) => r.type === t).map((r) => (r.data as { address: string }).address);
  const out: DnsAnswer = { rcode: RCODE_NAME(a.rcode), answers: shuffle(addrs, rng), ttl: COREDNS_TTL, aa: true, by: 'coredns' };
  if (cname) out.cname = (cname.data as { target: string }).target.replace(/\.$/, '');
  return out;
}

/** Whether qtype is an address type (loadbalance shuffles these). */
export function isAddressType(t: number): boolean {
  return t === DNS_A || t === DNS_AAAA;
}

/** CoreDNS's whole reply to `query` (one question; EDNS, loadbalance's shuffle and truncation
 *  aside): the kubernetes plugin's answer (AA set), REFUSED for zone transfers, or the VPC
 *  resolver's answer relayed by forward (AA clear, RA set), or CoreDNS's own SERVFAIL when the
 *  upstream cannot answer (AA and RA clear, as the server's error reply: SetRcode). */
export function coreDnsMessage(dns: ClusterDns, query: DnsMessage): DnsMessage {
  const q = query.questions[0];
  const head = { id: query.id, qr: true, opcode: query.opcode, tc: false, rd: query.rd, ad: false, cd: query.cd, questions: query.questions.map((x) => ({ ...x })) };
  const a = coreDnsRecords(dns, q.name, q.type, upstreamOf(dns));
  if (!a.forward) return { ...head, aa: a.rcode !== RCODE_REFUSED, ra: false, rcode: a.rcode, answers: a.answers, authorities: a.authorities, additionals: a.additionals };
  const r = vpcResolverRecords(dns, q.name, q.type);
  return { ...head, aa: false, ra: r.relayed, rcode: r.rcode, answers: r.answers, authorities: [], additionals: [] };
}
