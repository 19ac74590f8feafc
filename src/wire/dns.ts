// DNS messages (RFC 1035, AAAA RFC 3596, SRV RFC 2782), with what a pod's resolver and CoreDNS
// put on the wire:
// - Queries as glibc/musl stub resolvers send them: random id, RD set, one question, no EDNS.
// - CoreDNS answers for the kubernetes zone: QR, AA and the client's RD set, RA clear, TTL 5,
//   SOA "ns.dns.<zone> hostmaster.<zone>" (refresh 7200, retry 1800, expire 86400, minimum 5) in
//   the authority section for NXDOMAIN and NODATA. CoreDNS's Scrub() leaves name compression off
//   when the reply fits the client's buffer (512 bytes without EDNS), so such replies repeat the
//   owner name in full (e.g. 96 bytes for one A record of nginx.default.svc.cluster.local).
// - The search-list order a stub resolver tries for a short name (ndots).

import { KubewireError } from '../errors.ts';
import { bytesToIpv4, bytesToIpv6, ipv4ToBytes, ipv6ToBytes, need, u16, u32 } from './bytes.ts';

export const DNS_A = 1;
export const DNS_NS = 2;
export const DNS_CNAME = 5;
export const DNS_SOA = 6;
export const DNS_PTR = 12;
export const DNS_MX = 15;
export const DNS_TXT = 16;
export const DNS_AAAA = 28;
export const DNS_SRV = 33;
export const DNS_OPT = 41;
export const DNS_ANY = 255;
export const DNS_CLASS_IN = 1;

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;
export const RCODE_REFUSED = 5;

export const DNS_TYPE_NAMES: Record<number, string> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 41: 'OPT', 255: 'ANY',
};

export interface DnsQuestion {
  /** Fully qualified, with the trailing dot ("nginx.default.svc.cluster.local."). */
  name: string;
  type: number;
  class: number;
}

export type DnsRdata =
  | { address: string } // A, AAAA
  | { target: string } // CNAME, NS, PTR
  | { priority: number; weight: number; port: number; target: string } // SRV
  | { preference: number; exchange: string } // MX
  | { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number } // SOA
  | { texts: string[] } // TXT
  | { raw: Uint8Array };

export interface DnsRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  data: DnsRdata;
}

export interface DnsMessage {
  id: number;
  /** true for a response. */
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  /** The reserved Z bit. */
  z?: boolean;
  ad: boolean;
  cd: boolean;
  rcode: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

/** Canonical form: trailing dot, as written ("." for the root). */
export function fqdn(name: string): string {
  if (name === '' || name === '.') return '.';
  return name.endsWith('.') ? name : `${name}.`;
}

function labelsOf(name: string): string[] {
  const n = fqdn(name);
  if (n === '.') return [];
  const labels = n.slice(0, -1).split('.');
  for (const l of labels) {
    if (l.length === 0) throw new KubewireError(`DNS name "${name}": empty label`);
    if (l.length > 63) throw new KubewireError(`DNS name "${name}": label "${l.slice(0, 20)}…" is longer than 63 bytes`);
  }
  if (n.length + 1 > 255) throw new KubewireError(`DNS name "${name}": longer than 255 bytes on the wire`);
  return labels;
}

// ---------------------------------------------------------------- parse

function readName(b: Uint8Array, off: number, what: string): { name: string; next: number } {
  const labels: string[] = [];
  let next = -1;
  let o = off;
  let jumps = 0;
  let total = 0;
  for (;;) {
    need(b, o, 1, what);
    const len = b[o];
    if ((len & 0xc0) === 0xc0) {
      need(b, o, 2, what);
      const ptr = ((len & 0x3f) << 8) | b[o + 1];
      if (next < 0) next = o + 2;
      if (++jumps > 64 || ptr >= b.length) throw new KubewireError(`${what}: bad compression pointer ${ptr}`);
      o = ptr;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new KubewireError(`${what}: unsupported label type 0x${len.toString(16)}`);
    if (len === 0) {
      if (next < 0) next = o + 1;
      break;
    }
    need(b, o + 1, len, what);
    let s = '';
    for (let i = 0; i < len; i++) s += String.fromCharCode(b[o + 1 + i]);
    labels.push(s);
    total += len + 1;
    if (total > 255) throw new KubewireError(`${what}: name longer than 255 bytes`);
    o += 1 + len;
  }
  return { name: labels.length ? `${labels.join('.')}.` : '.', next };
}

function readRecord(b: Uint8Array, off: number, msgStart: number): { rr: DnsRecord; next: number } {
  const { name, next } = readName(b, off, 'DNS record name');
  need(b, next, 10, 'DNS record header');
  const type = u16(b, next);
  const cls = u16(b, next + 2);
  const ttl = u32(b, next + 4);
  const rdlen = u16(b, next + 8);
  const rd = next + 10;
  need(b, rd, rdlen, 'DNS record data');
  let data: DnsRdata;
  const name2 = (o: number) => readName(b, o, 'DNS record data name');
  switch (type) {
    case DNS_A:
      if (rdlen !== 4) throw new KubewireError(`DNS A record: rdata length ${rdlen}, expected 4`);
      data = { address: bytesToIpv4(b, rd) };
      break;
    case DNS_AAAA:
      if (rdlen !== 16) throw new KubewireError(`DNS AAAA record: rdata length ${rdlen}, expected 16`);
      data = { address: bytesToIpv6(b, rd) };
      break;
    case DNS_CNAME: case DNS_NS: case DNS_PTR:
      data = { target: name2(rd).name };
      break;
    case DNS_MX:
      data = { preference: u16(b, rd), exchange: name2(rd + 2).name };
      break;
    case DNS_SRV:
      need(b, rd, 7, 'DNS SRV record');
      data = { priority: u16(b, rd), weight: u16(b, rd + 2), port: u16(b, rd + 4), target: name2(rd + 6).name };
      break;
    case DNS_SOA: {
      const m = name2(rd);
      const r = name2(m.next);
      need(b, r.next, 20, 'DNS SOA record');
      data = { mname: m.name, rname: r.name, serial: u32(b, r.next), refresh: u32(b, r.next + 4), retry: u32(b, r.next + 8), expire: u32(b, r.next + 12), minimum: u32(b, r.next + 16) };
      break;
    }
    case DNS_TXT: {
      const texts: string[] = [];
      let o = rd;
      while (o < rd + rdlen) {
        const l = b[o];
        texts.push(new TextDecoder().decode(b.subarray(o + 1, o + 1 + l)));
        o += 1 + l;
      }
      data = { texts };
      break;
    }
    default:
      data = { raw: b.slice(rd, rd + rdlen) };
  }
  void msgStart;
  return { rr: { name, type, class: cls, ttl, data }, next: rd + rdlen };
}

/** Parses a DNS message (UDP payload). Names are decompressed. */
export function parseDns(bytes: Uint8Array, offset = 0): DnsMessage {
  const b = offset === 0 ? bytes : bytes.subarray(offset);
  need(b, 0, 12, 'DNS header');
  const flags = u16(b, 2);
  const counts = [u16(b, 4), u16(b, 6), u16(b, 8), u16(b, 10)];
  const m: DnsMessage = {
    id: u16(b, 0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >>> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    z: (flags & 0x0040) !== 0,
    ad: (flags & 0x0020) !== 0,
    cd: (flags & 0x0010) !== 0,
    rcode: flags & 0xf,
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
  };
  let o = 12;
  for (let i = 0; i < counts[0]; i++) {
    const q = readName(b, o, 'DNS question name');
    need(b, q.next, 4, 'DNS question');
    m.questions.push({ name: q.name, type: u16(b, q.next), class: u16(b, q.next + 2) });
    o = q.next + 4;
  }
  const sections = [m.answers, m.authorities, m.additionals];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]; i++) {
      const r = readRecord(b, o, 0);
      sections[s].push(r.rr);
      o = r.next;
    }
  }
  return m;
}

// ---------------------------------------------------------------- emit

class Writer {
  buf: number[] = [];
  private comp = new Map<string, number>();
  constructor(private readonly compress: boolean) {}
  u8(v: number) { this.buf.push(v & 0xff); }
  u16(v: number) { this.buf.push((v >>> 8) & 0xff, v & 0xff); }
  u32(v: number) { this.buf.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff); }
  bytes(b: Uint8Array | number[]) { for (const x of b) this.buf.push(x); }
  /** Writes a name; with compression on, reuses earlier suffixes (pointers must be < 0x4000)
   *  when `mayPoint`, and records this name's suffixes for later ones. */
  name(n: string, mayPoint = true) {
    const labels = labelsOf(n);
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join('.').toLowerCase();
      if (this.compress && mayPoint) {
        const p = this.comp.get(suffix);
        if (p !== undefined) {
          this.u16(0xc000 | p);
          return;
        }
      }
      if (this.compress && this.buf.length < 0x4000 && !this.comp.has(suffix)) this.comp.set(suffix, this.buf.length);
      const l = labels[i];
      this.u8(l.length);
      for (let j = 0; j < l.length; j++) {
        const c = l.charCodeAt(j);
        if (c > 255) throw new KubewireError(`DNS name "${n}": non-Latin-1 character`);
        this.u8(c);
      }
    }
    this.u8(0);
  }
}

function writeRecord(w: Writer, r: DnsRecord): void {
  w.name(r.name);
  w.u16(r.type);
  w.u16(r.class);
  w.u32(r.ttl >>> 0);
  const lenAt = w.buf.length;
  w.u16(0);
  const start = w.buf.length;
  const d = r.data as Record<string, unknown>;
  const want = (k: string) => {
    if (d[k] === undefined) throw new KubewireError(`DNS ${DNS_TYPE_NAMES[r.type] ?? r.type} record for ${r.name}: missing ${k}`);
    return d[k];
  };
  if ('raw' in r.data) w.bytes(r.data.raw);
  else switch (r.type) {
    case DNS_A: w.bytes(ipv4ToBytes(want('address') as string)); break;
    case DNS_AAAA: w.bytes(ipv6ToBytes(want('address') as string)); break;
    case DNS_CNAME: case DNS_NS: case DNS_PTR: w.name(want('target') as string); break;
    case DNS_MX: w.u16(want('preference') as number); w.name(want('exchange') as string); break;
    // RFC 2782: the SRV target is never compressed (miekg/dns packs it uncompressed).
    case DNS_SRV: w.u16(want('priority') as number); w.u16(want('weight') as number); w.u16(want('port') as number); w.name(want('target') as string, false); break;
    case DNS_SOA:
      w.name(want('mname') as string);
      w.name(want('rname') as string);
      for (const k of ['serial', 'refresh', 'retry', 'expire', 'minimum']) w.u32((want(k) as number) >>> 0);
      break;
    case DNS_TXT:
      for (const t of want('texts') as string[]) {
        const tb = new TextEncoder().encode(t);
        if (tb.length > 255) throw new KubewireError(`DNS TXT record for ${r.name}: string longer than 255 bytes`);
        w.u8(tb.length);
        w.bytes(tb);
      }
      break;
    default:
      throw new KubewireError(`DNS record type ${r.type} for ${r.name}: give its data as raw bytes`);
  }
  const len = w.buf.length - start;
  w.buf[lenAt] = len >>> 8;
  w.buf[lenAt + 1] = len & 0xff;
}

export interface EmitDnsOptions {
  /** Compress names (RFC 1035 4.1.4). Default false, as CoreDNS sends replies that fit. */
  compress?: boolean;
}

export function emitDns(m: DnsMessage, opts: EmitDnsOptions = {}): Uint8Array {
  const w = new Writer(opts.compress ?? false);
  w.u16(m.id);
  w.u16(
    (m.qr ? 0x8000 : 0) | ((m.opcode & 0xf) << 11) | (m.aa ? 0x0400 : 0) | (m.tc ? 0x0200 : 0) | (m.rd ? 0x0100 : 0) |
      (m.ra ? 0x0080 : 0) | (m.z ? 0x0040 : 0) | (m.ad ? 0x0020 : 0) | (m.cd ? 0x0010 : 0) | (m.rcode & 0xf),
  );
  w.u16(m.questions.length);
  w.u16(m.answers.length);
  w.u16(m.authorities.length);
  w.u16(m.additionals.length);
  for (const q of m.questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const r of [...m.answers, ...m.authorities, ...m.additionals]) writeRecord(w, r);
  return Uint8Array.from(w.buf);
}

// ---------------------------------------------------------------- what clients and CoreDNS send

/** A stub-resolver query: RD set, one IN question, no EDNS (glibc and musl defaults). */
export function dnsQuery(id: number, name: string, type: number): DnsMessage {
  if (!Number.isInteger(id) || id < 0 || id > 0xffff) throw new KubewireError(`DNS id ${id} is not a 16-bit value`);
  return {
    id, qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, ad: false, cd: false, rcode: 0,
    questions: [{ name: fqdn(name), type, class: DNS_CLASS_IN }], answers: [], authorities: [], additionals: [],
  };
}

/** CoreDNS kubernetes-plugin defaults. */
export const COREDNS_TTL = 5;

/** The SOA CoreDNS puts in the authority section for names in `zone` it cannot answer. */
export function coreDnsSoa(zone = 'cluster.local.', serial = 0, ttl = COREDNS_TTL): DnsRecord {
  const z = fqdn(zone);
  return {
    name: z,
    type: DNS_SOA,
    class: DNS_CLASS_IN,
    ttl: Math.min(300, ttl),
    data: { mname: `ns.dns.${z}`, rname: `hostmaster.${z}`, serial: serial >>> 0, refresh: 7200, retry: 1800, expire: 86400, minimum: ttl },
  };
}

/** A CoreDNS reply to `query`: id, question and RD copied, QR and AA set, RA clear. With no
 *  answers (NXDOMAIN or NODATA) the zone's SOA goes in the authority section. */
export function coreDnsReply(query: DnsMessage, answers: DnsRecord[], opts: { rcode?: number; zone?: string; serial?: number } = {}): DnsMessage {
  const rcode = opts.rcode ?? RCODE_NOERROR;
  return {
    id: query.id, qr: true, opcode: query.opcode, aa: true, tc: false, rd: query.rd, ra: false, ad: false, cd: query.cd, rcode,
    questions: query.questions.map((q) => ({ ...q })),
    answers,
    authorities: answers.length === 0 ? [coreDnsSoa(opts.zone ?? 'cluster.local.', opts.serial ?? 0)] : [],
    additionals: [],
  };
}

/** An A/AAAA answer record as the kubernetes plugin writes it (TTL 5). */
export function addressRecord(name: string, address: string, ttl = COREDNS_TTL): DnsRecord {
  return { name: fqdn(name), type: address.includes(':') ? DNS_AAAA : DNS_A, class: DNS_CLASS_IN, ttl, data: { address } };
}

/** An SRV record as the kubernetes plugin writes it for _port._proto.svc.ns.svc.<zone>. */
export function srvRecord(name: string, port: number, target: string, ttl = COREDNS_TTL, priority = 0, weight = 100): DnsRecord {
  return { name: fqdn(name), type: DNS_SRV, class: DNS_CLASS_IN, ttl, data: { priority, weight, port, target: fqdn(target) } };
}

// ---------------------------------------------------------------- resolver behaviour

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  ndots: number;
}

/** /etc/resolv.conf kubelet writes for a ClusterFirst pod on EKS: the cluster DNS service IP,
 *  search <ns>.svc.<domain> svc.<domain> <domain> plus the node's search domains (on EKS the
 *  VPC's, e.g. us-west-2.compute.internal), options ndots:5. */
export function podResolvConf(namespace: string, clusterDnsIp: string, clusterDomain = 'cluster.local', hostSearch: string[] = []): ResolvConf {
  const d = clusterDomain.replace(/\.$/, '');
  return { nameservers: [clusterDnsIp], search: [`${namespace}.svc.${d}`, `svc.${d}`, d, ...hostSearch], ndots: 5 };
}

/** resolv.conf text for a ResolvConf, in kubelet's order. */
export function formatResolvConf(c: ResolvConf): string {
  return `search ${c.search.join(' ')}\n${c.nameservers.map((n) => `nameserver ${n}\n`).join('')}options ndots:${c.ndots}\n`;
}

/** Names a glibc/musl stub resolver tries, in order, until one resolves (res_nsearch): a name
 *  with a trailing dot only as is; one with at least `ndots` dots as is first, then with each
 *  search domain; a shorter one with each search domain first and as is last. */
export function resolverCandidates(name: string, conf: Pick<ResolvConf, 'search' | 'ndots'>): string[] {
  if (name === '') throw new KubewireError('resolver: empty name');
  if (name.endsWith('.')) return [name];
  const dots = name.split('.').length - 1;
  const searched = conf.search.map((s) => fqdn(`${name}.${s.replace(/\.$/, '')}`));
  return dots >= conf.ndots ? [fqdn(name), ...searched] : [...searched, fqdn(name)];
}

/** The queries getaddrinfo(AF_UNSPEC) sends (busybox wget, curl, most programs): for each
 *  candidate an A and an AAAA question, sent back to back from one socket, A first. With
 *  `family: 4` (AF_INET) only A. The caller stops at the first candidate that answers. */
export function resolverQueries(name: string, conf: Pick<ResolvConf, 'search' | 'ndots'>, family: 4 | 'unspec' = 'unspec'): DnsQuestion[] {
  const out: DnsQuestion[] = [];
  for (const n of resolverCandidates(name, conf)) {
    out.push({ name: n, type: DNS_A, class: DNS_CLASS_IN });
    if (family === 'unspec') out.push({ name: n, type: DNS_AAAA, class: DNS_CLASS_IN });
  }
  return out;
}

/** The queries busybox nslookup (1.28+, its own resolver) sends for `name`: for each type (A,
 *  then AAAA) a name containing a dot is asked as is, a single-label name once per search domain
 *  (never bare, no ndots rule), all on one socket and all asked even after an answer. */
export function busyboxNslookupQueries(name: string, conf: Pick<ResolvConf, 'search'>, types: number[] = [DNS_A, DNS_AAAA]): DnsQuestion[] {
  const base = name.replace(/\.$/, '');
  const names = base.includes('.') || conf.search.length === 0 ? [fqdn(base)] : conf.search.map((s) => fqdn(`${base}.${s.replace(/\.$/, '')}`));
  const out: DnsQuestion[] = [];
  for (const t of types) for (const n of names) out.push({ name: n, type: t, class: DNS_CLASS_IN });
  return out;
}

/** Parses resolv.conf text (nameserver, search/domain, options ndots). */
export function parseResolvConf(text: string): ResolvConf {
  const c: ResolvConf = { nameservers: [], search: [], ndots: 1 };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const [k, ...v] = line.split(/\s+/);
    if (k === 'nameserver' && v[0]) c.nameservers.push(v[0]);
    else if (k === 'search' || k === 'domain') c.search = v;
    else if (k === 'options') {
      for (const o of v) {
        const m = /^ndots:(\d+)$/.exec(o);
        if (m) c.ndots = Math.min(15, Number(m[1]));
      }
    }
  }
  return c;
}
