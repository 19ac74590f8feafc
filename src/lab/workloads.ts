// What runs inside the lab's pods (browser-safe planning; the server is src/lab/workload-py.ts):
// What each pod listens on is podListeners (src/engine/apps/workloads.ts), the engine's decision too:
// - image nginx*: nginx's stock config (`listen 80`), whatever containerPorts say, as the real
//   image does; GET/HEAD / and /index.html answer the default page with nginx's headers (bytes from
//   src/wire/http.ts, the simulator's builder), anything else nginx's 404 page, other methods 405.
// - image .../coredns: the EKS Corefile's `.:53` on UDP and TCP, answering from src/engine/apps/coredns.ts (the simulator's model);
//   metrics :9153, health :8080 and ready :8181 as plain listeners.
// - any other image: a plain listener on each declared containerPort (TCP: accept, then close;
//   UDP: read and drop), so a connection is not refused.
// Each pod also gets the /etc/resolv.conf and /etc/hosts kubelet writes, which `lab exec` binds
// over the real ones in its private mount namespace.

import type { ClusterState } from '../control-plane/types.ts';
import { podSandbox } from '../control-plane/kubelet.ts';
import { ec2InternalDomain } from '../k8s/naming.ts';
import { ROOT_NS } from '../node-state/types.ts';
import { imageName, podListeners, workloadKind as engineKind, type Listener } from '../engine/apps/workloads.ts';
import { emitHttpResponse, httpDate, nginxStaticResponse, NGINX_VERSION, type HttpResponse } from '../wire/http.ts';
import { textEncoder } from '../wire/bytes.ts';
import {
  DNS_A,
  DNS_AAAA,
  DNS_CNAME,
  DNS_MX,
  DNS_NS,
  DNS_PTR,
  DNS_SOA,
  DNS_SRV,
  DNS_TXT,
  RCODE_NXDOMAIN,
  emitDns,
  formatResolvConf,
  podResolvConf,
  type DnsRecord,
} from '../wire/dns.ts';
import { clusterDns, coreDnsRecords, COREDNS_TTL, EC2_NAME_TTL, GENERIC_TLDS, reverseName, upstreamOf, type ClusterDns } from '../engine/apps/coredns.ts';

export type WorkloadKind = 'nginx' | 'coredns' | 'listen';

export interface PodWorkload {
  namespace: string;
  name: string;
  node: string;
  /** Model network namespace (ROOT_NS for hostNetwork pods). */
  netns: string;
  ip: string;
  image: string;
  kind: WorkloadKind;
  /** Sockets the workload opens (podListeners), and which program serves each. */
  listen: Array<{ port: number; proto: 'tcp' | 'udp'; app: WorkloadKind }>;
  /** nginx version served (Server header), for nginx pods. */
  nginxVersion?: string;
  /** /etc/resolv.conf as kubelet writes it for this pod. */
  resolvConf: string;
  /** /etc/hosts as kubelet writes it (undefined for hostNetwork pods: the node's file). */
  hosts?: string;
}

interface PodLike {
  metadata: { name: string; namespace?: string };
  spec?: {
    nodeName?: string;
    hostNetwork?: boolean;
    dnsPolicy?: string;
    hostname?: string;
    subdomain?: string;
    containers?: Array<{ image?: string; ports?: Array<{ containerPort: number; protocol?: string }> }>;
  };
  status?: { podIP?: string; phase?: string };
}

/** The repository's last path component and the tag of an image reference (the simulator's). */
export { imageName };

/** nginx version from the tag (nginx:1.25.3, nginx:1.25.3-alpine); other tags (latest, 1.27,
 *  stable) serve NGINX_VERSION, the version src/wire/http.ts models. */
export function nginxVersionOf(image: string): string {
  return /^(\d+\.\d+\.\d+)(?:-|$)/.exec(imageName(image).tag)?.[1] ?? NGINX_VERSION;
}

/** The program an image runs, as the simulator sees it ('listen': a plain listener on declared ports). */
export function workloadKind(image: string): WorkloadKind {
  const k = engineKind(image);
  return k === 'other' ? 'listen' : k;
}

/** The VPC's DNS resolver address: the VPC CIDR's base + 2. */
export function vpcResolver(vpcCidr: string): string {
  const n = vpcCidr.split('/')[0].split('.').reduce((a, o) => a * 256 + Number(o), 0) + 2;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** resolv.conf of a node (the one kubelet hands to dnsPolicy Default and hostNetwork pods). */
export function nodeResolvConf(state: ClusterState): string {
  return `search ${ec2InternalDomain(state.spec.region)}\nnameserver ${vpcResolver(state.spec.vpc.cidr)}\n`;
}

/** kubelet's managed /etc/hosts for a pod (pkg/kubelet/kubelet_pods.go). */
export function podHostsFile(ip: string, hostname: string, fqdnName?: string): string {
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    fqdnName ? `${ip}\t${fqdnName}\t${hostname}` : `${ip}\t${hostname}`,
  ];
  return lines.join('\n') + '\n';
}

/** Every scheduled pod with a network namespace, and what runs in it. */
export function podWorkloads(state: ClusterState): PodWorkload[] {
  const dnsIp = (state.objects['Service/kube-system/kube-dns'] as { spec?: { clusterIP?: string } } | undefined)?.spec?.clusterIP;
  const out: PodWorkload[] = [];
  for (const [k, o] of Object.entries(state.objects)) {
    if (!k.startsWith('Pod/')) continue;
    const pod = o as unknown as PodLike;
    const ns = pod.metadata.namespace ?? 'default';
    const node = pod.spec?.nodeName;
    if (!node || !state.hosts[node]) continue;
    let netns = ROOT_NS;
    if (!pod.spec?.hostNetwork) {
      const sb = podSandbox(state, ns, pod.metadata.name);
      if (!sb?.netns || !state.hosts[node].namespaces[sb.netns]) continue;
      netns = sb.netns;
    }
    const image = pod.spec?.containers?.[0]?.image ?? '';
    const kind = workloadKind(image);
    // The one decision of what the pod's programs listen on (src/engine/apps/workloads.ts), the
    // engine's too; SCTP ports are not served in the lab.
    const listen = podListeners({ containers: (pod.spec?.containers ?? []).map((c, i) => ({ name: String(i), ...c })) })
      .listeners.filter((l): l is Listener & { proto: 'tcp' | 'udp' } => l.proto === 'tcp' || l.proto === 'udp')
      .map((l) => ({ port: l.port, proto: l.proto, app: l.app === 'other' ? ('listen' as const) : l.app }));
    const nginxImage = (pod.spec?.containers ?? []).find((c) => workloadKind(c.image ?? '') === 'nginx')?.image;
    // ClusterFirst falls back to Default for hostNetwork pods (kubelet), as for dnsPolicy Default.
    const policy = pod.spec?.dnsPolicy ?? 'ClusterFirst';
    const clusterFirst = dnsIp && (policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !pod.spec?.hostNetwork));
    const resolvConf = clusterFirst ? formatResolvConf(podResolvConf(ns, dnsIp, 'cluster.local', [ec2InternalDomain(state.spec.region)])) : nodeResolvConf(state);
    const ip = pod.status?.podIP ?? '';
    const hostname = pod.spec?.hostname ?? pod.metadata.name;
    const hosts = pod.spec?.hostNetwork ? undefined : podHostsFile(ip, hostname, pod.spec?.subdomain ? `${hostname}.${pod.spec.subdomain}.${ns}.svc.cluster.local` : undefined);
    out.push({ namespace: ns, name: pod.metadata.name, node, netns, ip, image, kind, listen, nginxVersion: nginxImage ? nginxVersionOf(nginxImage) : undefined, resolvConf, hosts });
  }
  return out.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}

// ---------------------------------------------------------------- nginx responses

/** Placeholder the server replaces with the current date (same length as an HTTP date). */
export const DATE_PLACEHOLDER = 'Thu, 01 Jan 1970 00:00:00 GMT';

const REASONS: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 405: 'Not Allowed' };

/** nginx's built-in error page (ngx_http_special_response.c: CRLF line ends, server_tokens on). */
export function nginxErrorPage(status: number, version = NGINX_VERSION): string {
  const title = `${status} ${REASONS[status] ?? ''}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx/${version}</center>\r\n</body>\r\n</html>\r\n`;
}

/** nginx's response with an error page (no Last-Modified/ETag/Accept-Ranges). */
export function nginxErrorResponse(status: number, o: { now: number; version?: string; keepAlive?: boolean }): HttpResponse {
  const body = textEncoder.encode(nginxErrorPage(status, o.version));
  return {
    version: 'HTTP/1.1',
    status,
    reason: REASONS[status] ?? '',
    headers: [
      ['Server', `nginx/${o.version ?? NGINX_VERSION}`],
      ['Date', httpDate(o.now)],
      ['Content-Type', 'text/html'],
      ['Content-Length', String(body.length)],
      ['Connection', o.keepAlive ? 'keep-alive' : 'close'],
    ],
    body,
  };
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function headOnly(r: HttpResponse): HttpResponse {
  return { ...r, body: new Uint8Array(0) };
}

/** Response bytes (hex) the server sends, keyed "<what>-<close|keep>": what = page, page-head,
 *  404, 404-head, 405, 400. The Date header holds DATE_PLACEHOLDER. */
export function nginxResponses(version: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const keepAlive of [false, true]) {
    const c = keepAlive ? 'keep' : 'close';
    const page = nginxStaticResponse({ now: 0, version, keepAlive });
    out[`page-${c}`] = hex(emitHttpResponse(page));
    out[`page-head-${c}`] = hex(emitHttpResponse(headOnly(page)));
    for (const s of [404, 405, 400]) {
      // nginx closes after 400 and 405 (lingering close, keepalive off for errors it discards the body of).
      const r = nginxErrorResponse(s, { now: 0, version, keepAlive: keepAlive && s === 404 });
      out[`${s}-${c}`] = hex(emitHttpResponse(r));
      if (s === 404) out[`404-head-${c}`] = hex(emitHttpResponse(headOnly(r)));
    }
  }
  return out;
}

// ---------------------------------------------------------------- DNS table

/** A resource record's bytes (uncompressed, as CoreDNS sends replies that fit). */
function rrHex(r: DnsRecord): string {
  const m = emitDns({ id: 0, qr: true, opcode: 0, aa: false, tc: false, rd: false, ra: false, ad: false, cd: false, rcode: 0, questions: [], answers: [r], authorities: [], additionals: [] });
  return hex(m.subarray(12));
}

export interface DnsOutcome {
  rc: number;
  /** Answer records (hex); their owner is the question's name, which the server writes as asked. */
  an: string[];
  ns: string[];
  ar: string[];
}

export interface DnsTable {
  zone: string;
  /** "<lower-case fqdn> <qtype>" → outcome. */
  exact: Record<string, DnsOutcome>;
  /** "<lower-case fqdn>" → outcome for any other qtype. */
  other: Record<string, DnsOutcome>;
  /** Outcome for an unknown name in the zone. */
  nx: DnsOutcome;
  /** Namespaces (for <a-b-c-d>.<ns>.pod.<zone>). */
  namespaces: string[];
  /** NODATA outcome (the SOA): pod names asked for other types than A/SRV, SOA below the apex. */
  nodata: DnsOutcome;
  ttl: number;
  /** The VPC resolver model behind `forward . /etc/resolv.conf` (vpcResolverRecords). */
  forward: { domain: string; net: number; mask: number; ttl: number; tlds: string[] };
}

const ASKED_TYPES = [DNS_A, DNS_NS, DNS_CNAME, DNS_SOA, DNS_PTR, DNS_MX, DNS_TXT, DNS_AAAA, DNS_SRV];

function outcomeOf(dns: ClusterDns, name: string, qtype: number): DnsOutcome | undefined {
  const a = coreDnsRecords(dns, name, qtype, upstreamOf(dns));
  if (a.forward) return undefined;
  return { rc: a.rcode, an: a.answers.map(rrHex), ns: a.authorities.map(rrHex), ar: a.additionals.map(rrHex) };
}

/** Every name the kubernetes plugin can answer other than pod names (those the server computes). */
function knownNames(dns: ClusterDns): Set<string> {
  const z = dns.zone;
  const names = new Set([z, `svc.${z}`, `pod.${z}`, `ns.dns.${z}`, `dns-version.${z}`]);
  for (const ns of dns.namespaces) {
    names.add(`${ns}.svc.${z}`);
    names.add(`${ns}.pod.${z}`);
  }
  for (const s of dns.services) {
    const base = `${s.name}.${s.ns}.svc.${z}`;
    names.add(base);
    for (const p of [...s.ports, ...s.endpoints.flatMap((e) => e.ports)]) if (p.name && p.proto) names.add(`_${p.name.toLowerCase()}._${p.proto}.${base}`);
    for (const ip of s.clusterIPs) names.add(reverseName(ip));
    for (const e of s.endpoints) {
      names.add(`${e.host}.${base}`);
      names.add(reverseName(e.ip));
    }
  }
  return names;
}

/** The answers of the cluster's CoreDNS, precomputed for the lab's DNS server. */
export function dnsTable(state: ClusterState): DnsTable {
  const dns = clusterDns(state);
  const exact: Record<string, DnsOutcome> = {};
  const other: Record<string, DnsOutcome> = {};
  for (const n of knownNames(dns)) {
    for (const t of ASKED_TYPES) {
      const o = outcomeOf(dns, n, t);
      if (o) exact[`${n} ${t}`] = o;
    }
    const o = outcomeOf(dns, n, 65280);
    if (o) other[n] = o;
  }
  const nx = outcomeOf(dns, `kubewire-no-such-name.${dns.zone}`, DNS_A)!;
  if (nx.rc !== RCODE_NXDOMAIN) throw new Error('dnsTable: expected NXDOMAIN for an unknown name');
  const nodata = outcomeOf(dns, `kubewire-no-such-name.${dns.zone}`, DNS_SOA)!;
  const [net, bits] = dns.vpc.cidr.split('/');
  const mask = Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
  const netNum = (net.split('.').reduce((a, o) => a * 256 + Number(o), 0) & mask) >>> 0;
  return {
    zone: dns.zone,
    exact,
    other,
    nx,
    namespaces: dns.namespaces,
    nodata,
    ttl: COREDNS_TTL,
    forward: { domain: dns.vpc.domain, net: netNum, mask, ttl: EC2_NAME_TTL, tlds: GENERIC_TLDS },
  };
}
