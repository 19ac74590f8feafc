// The cluster's DNS as CoreDNS's kubernetes plugin serves it on EKS (browser-safe, pure): the
// records computed from the cluster state, and the answer CoreDNS gives to one question. The
// lab's DNS workload serves exactly these; the simulator can use the same function.
//
// EKS's Corefile: `kubernetes cluster.local in-addr.arpa ip6.arpa { pods insecure; fallthrough
// in-addr.arpa ip6.arpa }`, then `forward . /etc/resolv.conf`, `cache 30`, `loadbalance`. So:
// - <svc>.<ns>.svc.cluster.local: A = ClusterIP; headless: one A per ready endpoint address;
//   ExternalName: CNAME. <ep>.<svc>.<ns>.svc...: the headless endpoint (hostname, else the
//   address with dashes). _<port>._<proto>.<svc>.<ns>.svc...: SRV (named ports), and SRV on the
//   service name lists every named port; the SRV targets' A records go in the additional section.
// - <a-b-c-d>.<ns>.pod.cluster.local: A a.b.c.d ("pods insecure": no pod lookup), namespace must exist.
// - A name that exists with no record of the asked type, or a namespace (<ns>.svc...): NOERROR
//   with no answer (NODATA); an unknown name in the zone: NXDOMAIN. Both carry the zone's SOA in
//   the authority section. The zone apex answers SOA and NS (ns.dns.<zone>, A = kube-dns's IP).
// - PTR for Service ClusterIPs and headless endpoint addresses; other reverse names fall through
//   to `forward`, like every name outside the zone.
// Answers' owner name is the question's name as asked (CoreDNS uses state.QName()).
// Not modelled: the cache plugin's decreasing TTLs, TXT dns-version, wildcard queries, IPv6.

import type { ClusterState } from '../control-plane/types.ts';
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
  RCODE_NOERROR,
  RCODE_NXDOMAIN,
  addressRecord,
  coreDnsSoa,
  fqdn,
  type DnsRecord,
} from '../wire/dns.ts';

export const CLUSTER_DOMAIN = 'cluster.local.';

interface SvcLike {
  metadata: { name: string; namespace?: string };
  spec?: { clusterIP?: string; type?: string; externalName?: string; ports?: Array<{ name?: string; port: number; protocol?: string }>; publishNotReadyAddresses?: boolean };
}
interface SliceLike {
  metadata: { namespace?: string; labels?: Record<string, string> };
  addressType?: string;
  endpoints?: Array<{ addresses: string[]; hostname?: string; conditions?: { ready?: boolean } }>;
  ports?: Array<{ name?: string; port?: number; protocol?: string }>;
}

/** What CoreDNS knows, keyed by lower-case fully qualified name. */
export interface ClusterDns {
  zone: string;
  /** kube-dns's ClusterIP (the A of ns.dns.<zone>). */
  dnsIp: string;
  namespaces: string[];
  /** Records by owner (lower case, trailing dot); owner names inside are the same key. */
  names: Record<string, DnsRecord[]>;
  /** SRV targets' address records, by target name (for the additional section). */
  targets: Record<string, DnsRecord[]>;
}

function add(m: Record<string, DnsRecord[]>, r: DnsRecord): void {
  const k = r.name.toLowerCase();
  (m[k] ??= []).push(r);
}

/** in-addr.arpa name of an IPv4 address. */
export function reverseName(ip: string): string {
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa.`;
}

/** The records CoreDNS would serve for `state` (services, headless endpoints, reverse). */
export function clusterDns(state: ClusterState, zone = CLUSTER_DOMAIN): ClusterDns {
  const z = fqdn(zone).toLowerCase();
  const names: Record<string, DnsRecord[]> = {};
  const targets: Record<string, DnsRecord[]> = {};
  const namespaces: string[] = [];
  const services: SvcLike[] = [];
  const slices: SliceLike[] = [];
  for (const [k, o] of Object.entries(state.objects)) {
    if (k.startsWith('Namespace//')) namespaces.push((o as { metadata: { name: string } }).metadata.name);
    else if (k.startsWith('Service/')) services.push(o as unknown as SvcLike);
    else if (k.startsWith('EndpointSlice/')) slices.push(o as unknown as SliceLike);
  }
  const dnsSvc = services.find((s) => s.metadata.name === 'kube-dns' && s.metadata.namespace === 'kube-system');
  const dnsIp = dnsSvc?.spec?.clusterIP ?? '';
  if (dnsIp) add(names, addressRecord(`ns.dns.${z}`, dnsIp));
  const sorted = [...services].sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
  for (const s of sorted) {
    const ns = s.metadata.namespace ?? 'default';
    const base = `${s.metadata.name}.${ns}.svc.${z}`.toLowerCase();
    const spec = s.spec ?? {};
    const namedPorts = (spec.ports ?? []).filter((p) => p.name);
    if (spec.type === 'ExternalName') {
      if (spec.externalName) add(names, { name: base, type: DNS_CNAME, class: DNS_CLASS_IN, ttl: COREDNS_TTL, data: { target: fqdn(spec.externalName) } });
      continue;
    }
    if (spec.clusterIP && spec.clusterIP !== 'None') {
      add(names, addressRecord(base, spec.clusterIP));
      add(names, { name: reverseName(spec.clusterIP), type: DNS_PTR, class: DNS_CLASS_IN, ttl: COREDNS_TTL, data: { target: base } });
      targets[base] = [addressRecord(base, spec.clusterIP)];
      const srv = namedPorts.map((p) => ({ port: p.port, proto: (p.protocol ?? 'TCP').toLowerCase(), name: p.name!, target: base }));
      addSrv(names, base, srv);
      continue;
    }
    // Headless: the endpoints of the service's EndpointSlices.
    const eps: Array<{ ip: string; host: string }> = [];
    const slicePorts: Array<{ name: string; port: number; proto: string }> = [];
    for (const sl of slices) {
      if (sl.metadata.namespace !== ns || sl.metadata.labels?.['kubernetes.io/service-name'] !== s.metadata.name || sl.addressType !== 'IPv4') continue;
      for (const p of sl.ports ?? []) if (p.name && p.port !== undefined && !slicePorts.some((x) => x.name === p.name)) slicePorts.push({ name: p.name, port: p.port, proto: (p.protocol ?? 'TCP').toLowerCase() });
      for (const e of sl.endpoints ?? []) {
        if (e.conditions?.ready === false && !spec.publishNotReadyAddresses) continue;
        for (const ip of e.addresses) if (!eps.some((x) => x.ip === ip)) eps.push({ ip, host: (e.hostname ?? ip.replace(/\./g, '-')).toLowerCase() });
      }
    }
    for (const e of eps) {
      const epName = `${e.host}.${base}`;
      add(names, addressRecord(base, e.ip));
      add(names, addressRecord(epName, e.ip));
      add(names, { name: reverseName(e.ip), type: DNS_PTR, class: DNS_CLASS_IN, ttl: COREDNS_TTL, data: { target: epName } });
      (targets[epName] ??= []).push(addressRecord(epName, e.ip));
    }
    addSrv(
      names,
      base,
      slicePorts.flatMap((p) => eps.map((e) => ({ port: p.port, proto: p.proto, name: p.name, target: `${e.host}.${base}` }))),
    );
  }
  return { zone: z, dnsIp, namespaces: namespaces.sort(), names, targets };
}

/** SRV records: per named port under _<port>._<proto>.<svc>..., and all of them under the service
 *  name. Weight as CoreDNS computes it: 100 / (records of that priority) * 100, floored. */
function addSrv(names: Record<string, DnsRecord[]>, base: string, srv: Array<{ port: number; proto: string; name: string; target: string }>): void {
  const groups = new Map<string, typeof srv>();
  for (const r of srv) {
    const owner = `_${r.name}._${r.proto}.${base}`.toLowerCase();
    groups.set(owner, [...(groups.get(owner) ?? []), r]);
  }
  const rec = (owner: string, r: (typeof srv)[number], n: number): DnsRecord => ({
    name: owner,
    type: DNS_SRV,
    class: DNS_CLASS_IN,
    ttl: COREDNS_TTL,
    data: { priority: 0, weight: Math.floor((100 / (100 * n)) * 100), port: r.port, target: fqdn(r.target) },
  });
  for (const [owner, rs] of groups) for (const r of rs) add(names, rec(owner, r, rs.length));
  for (const r of srv) add(names, rec(base, r, srv.length));
}

export type CoreDnsAnswer =
  | { forward: false; rcode: number; answers: DnsRecord[]; authorities: DnsRecord[]; additionals: DnsRecord[] }
  /** Not CoreDNS's kubernetes data: it goes to `forward . /etc/resolv.conf` (the VPC resolver). */
  | { forward: true };

const REVERSE_ZONES = ['in-addr.arpa.', 'ip6.arpa.'];

function under(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** The answer CoreDNS (EKS Corefile) gives to `name`/`qtype`; owner names are the question's as asked. */
export function coreDnsAnswer(dns: ClusterDns, name: string, qtype: number): CoreDnsAnswer {
  const asked = fqdn(name);
  const q = asked.toLowerCase();
  const own = (rs: DnsRecord[]) => rs.map((r) => ({ ...r, name: asked }));
  const soa = coreDnsSoa(dns.zone);
  const reply = (rcode: number, answers: DnsRecord[], additionals: DnsRecord[] = []): CoreDnsAnswer => ({
    forward: false,
    rcode,
    answers,
    authorities: answers.length ? [] : [soa],
    additionals,
  });
  const reverse = REVERSE_ZONES.find((z) => under(q, z));
  if (reverse) {
    const ptr = (dns.names[q] ?? []).filter((r) => r.type === DNS_PTR);
    // fallthrough in-addr.arpa ip6.arpa: what the plugin does not know goes to forward.
    if (!ptr.length) return { forward: true };
    return qtype === DNS_PTR ? reply(RCODE_NOERROR, own(ptr)) : reply(RCODE_NOERROR, []);
  }
  if (!under(q, dns.zone)) return { forward: true };
  if (q === dns.zone) {
    if (qtype === DNS_SOA) return { forward: false, rcode: RCODE_NOERROR, answers: [soa], authorities: [], additionals: [] };
    if (qtype === DNS_NS) {
      const nsName = `ns.dns.${dns.zone}`;
      return reply(RCODE_NOERROR, [{ name: asked, type: DNS_NS, class: DNS_CLASS_IN, ttl: COREDNS_TTL, data: { target: nsName } }], dns.names[nsName] ?? []);
    }
    return reply(RCODE_NOERROR, []);
  }
  const labels = q.slice(0, -dns.zone.length - 1).split('.');
  // <a-b-c-d>.<ns>.pod.<zone>
  if (labels.length >= 2 && labels[labels.length - 1] === 'pod') {
    if (labels.length === 2) return reply(dns.namespaces.includes(labels[0]) ? RCODE_NOERROR : RCODE_NXDOMAIN, []);
    if (labels.length !== 3 || !dns.namespaces.includes(labels[1])) return reply(RCODE_NXDOMAIN, []);
    const ip = labels[0].split('-');
    if (ip.length !== 4 || !ip.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)) return reply(RCODE_NXDOMAIN, []);
    return reply(RCODE_NOERROR, qtype === DNS_A ? [addressRecord(asked, ip.map(Number).join('.'))] : []);
  }
  const recs = dns.names[q];
  if (recs) {
    const cname = recs.filter((r) => r.type === DNS_CNAME);
    if (cname.length) return reply(RCODE_NOERROR, own(cname));
    const hit = recs.filter((r) => r.type === qtype);
    if (qtype === DNS_SRV && hit.length) {
      const extra = hit.flatMap((r) => dns.targets[(r.data as { target: string }).target.toLowerCase()] ?? []);
      return reply(RCODE_NOERROR, own(hit), extra);
    }
    return reply(RCODE_NOERROR, own(hit));
  }
  // <ns>.svc.<zone>: a namespace that exists has no records of its own (NODATA).
  if (labels.length === 2 && labels[1] === 'svc' && dns.namespaces.includes(labels[0])) return reply(RCODE_NOERROR, []);
  return reply(RCODE_NXDOMAIN, []);
}

/** Whether qtype is an address type (loadbalance shuffles these). */
export function isAddressType(t: number): boolean {
  return t === DNS_A || t === DNS_AAAA;
}
