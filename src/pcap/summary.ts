// tcpdump-style text for captured frames: what `tcpdump -n -r FILE` (tcpdump 4.99) prints at
// default verbosity, one line per packet, timestamps in UTC (run tcpdump with TZ=UTC to compare).
// Covers Ethernet II with ARP and IPv4 carrying ICMP, UDP (DNS on port 53, VXLAN on 4789, whose
// inner frame follows on the next line without a timestamp, as tcpdump prints it) and TCP
// (relative sequence numbers per connection as tcpdump tracks them, options, HTTP first lines on
// ports 80 and 8080). Other payloads fall back to tcpdump's generic forms.

import { bytesToIpv4, bytesToIpv6, u16, u32 } from '../wire/bytes.ts';
import { parseIpv6 } from '../wire/ipv6.ts';
import { parseArp } from '../wire/arp.ts';
import { parseDns, type DnsRecord } from '../wire/dns.ts';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, parseEthernet } from '../wire/ethernet.ts';
import { parseIcmp } from '../wire/icmp.ts';
import { internetChecksum, transportChecksum } from '../wire/checksum.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../wire/ipv4.ts';
import { parseTcp, tcpFlagString, type TcpOption } from '../wire/tcp.ts';
import { parseVxlan } from '../wire/vxlan.ts';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2, type CaptureFile, type CapturedPacket } from './types.ts';
import { parseSll2, SLL2_HEADER_LEN } from '../wire/sll2.ts';
import { readCapture } from './read.ts';

/** "HH:MM:SS.uuuuuu" in UTC, as tcpdump prints its default timestamp. */
export function formatTimestamp(timeUs: number): string {
  const secOfDay = Math.floor(timeUs / 1e6) % 86400;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(Math.floor(secOfDay / 3600))}:${p(Math.floor(secOfDay / 60) % 60)}:${p(secOfDay % 60)}.${String(timeUs % 1e6).padStart(6, '0')}`;
}

export interface SummaryOptions {
  /** Print link-level headers, like tcpdump -e. */
  link?: boolean;
  /** Interface names by index for LINUX_SLL2 captures (tcpdump -i any). tcpdump looks indexes up
   *  on the host reading the file; unknown ones print as "?". */
  interfaceNames?: Record<number, string>;
  /** tcpdump -v: IP header details on the first line and the payload on an indented second
   *  line, TCP checksum verdicts, quoted packets of ICMP errors, DNS answer owners, HTTP headers. */
  verbose?: boolean;
}

const ETHERTYPE_NAMES: Record<number, string> = { 0x0800: 'IPv4', 0x0806: 'ARP', 0x86dd: 'IPv6', 0x8100: '802.1Q' };

interface SeqBase {
  /** ISN-ish base per side, keyed "addr.port". */
  base: Map<string, number>;
}

/** Stateful printer: TCP relative sequence numbers depend on earlier packets, like tcpdump. */
export class TcpdumpPrinter {
  private readonly tcpConv = new Map<string, SeqBase>();
  constructor(private readonly opts: SummaryOptions = {}) {}

  /** The text tcpdump prints for one packet (VXLAN adds a second line for the inner frame). */
  print(p: CapturedPacket, linkType = LINKTYPE_ETHERNET): string {
    const ts = formatTimestamp(p.timeUs);
    if (linkType === LINKTYPE_LINUX_SLL2) return `${ts} ${this.sll2(p.data, p.origLen ?? p.data.length)}`;
    if (linkType !== LINKTYPE_ETHERNET) return `${ts} unsupported link type ${linkType}, length ${p.origLen ?? p.data.length}`;
    return `${ts} ${this.ether(p.data, p.origLen ?? p.data.length)}`;
  }

  private sll2(frame: Uint8Array, wireLen: number): string {
    let s;
    try {
      s = parseSll2(frame);
    } catch {
      return '[|sll2]';
    }
    const h = s.header;
    const name = this.opts.interfaceNames?.[h.ifindex] ?? '?';
    const dir = ({ 0: 'In', 1: 'B', 2: 'M', 3: 'P', 4: 'Out' } as Record<number, string>)[h.packetType] ?? `Unknown (${h.packetType})`;
    let out = `${name.padEnd(5)} ${dir.padEnd(3)} `;
    if (this.opts.link) {
      out += `ifindex ${h.ifindex} ${h.address ? `${h.address} ` : ''}ethertype ${ETHERTYPE_NAMES[h.protocol] ?? 'Unknown'} (0x${h.protocol.toString(16).padStart(4, '0')}), length ${wireLen}: `;
    }
    return out + this.l3(h.protocol, s.payload, wireLen - SLL2_HEADER_LEN);
  }

  private ether(frame: Uint8Array, wireLen: number): string {
    let eth;
    try {
      eth = parseEthernet(frame);
    } catch {
      return `[|ether]`;
    }
    const h = eth.header;
    const prefix = this.opts.link
      ? `${h.src} > ${h.dst}, ethertype ${ETHERTYPE_NAMES[h.etherType] ?? 'Unknown'} (0x${h.etherType.toString(16).padStart(4, '0')}), length ${wireLen}: `
      : '';
    if (![ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6].includes(h.etherType)) {
      return this.opts.link ? prefix.slice(0, -2) : `ethertype Unknown (0x${h.etherType.toString(16).padStart(4, '0')}), length ${wireLen}`;
    }
    return prefix + this.l3(h.etherType, eth.payload, wireLen - eth.headerLength);
  }

  private l3(etherType: number, payload: Uint8Array, payloadLen: number): string {
    switch (etherType) {
      case ETHERTYPE_ARP:
        return (this.opts.link ? '' : 'ARP, ') + (this.opts.verbose ? 'Ethernet (len 6), IPv4 (len 4), ' : '') + this.arp(payload, payloadLen);
      case ETHERTYPE_IPV4:
        return (this.opts.link ? '' : 'IP ') + this.ipv4(payload);
      case ETHERTYPE_IPV6:
        return (this.opts.link ? '' : 'IP6 ') + this.ipv6(payload, payloadLen);
      default:
        return `ethertype Unknown (0x${etherType.toString(16).padStart(4, '0')}), length ${payloadLen}`;
    }
  }

  private arp(b: Uint8Array, len: number): string {
    try {
      const a = parseArp(b);
      if (a.op === 1) {
        const tgt = a.targetMac === '00:00:00:00:00:00' ? a.targetIp : `${a.targetIp} (${a.targetMac})`;
        return `Request who-has ${tgt} tell ${a.senderIp}, length ${len}`;
      }
      if (a.op === 2) return `Reply ${a.senderIp} is-at ${a.senderMac}, length ${len}`;
      return `op ${a.op}, length ${len}`;
    } catch {
      return `[|arp]`;
    }
  }

  private ipv6(b: Uint8Array, len: number): string {
    let p;
    try {
      p = parseIpv6(b);
    } catch {
      return '[|ip6]';
    }
    const h = p.header;
    const names: Record<number, string> = { 0: 'Options', 6: 'TCP', 17: 'UDP', 43: 'Routing', 44: 'Frag', 58: 'ICMPv6', 59: 'NoNext', 60: 'DstOpts' };
    let head = '';
    if (this.opts.verbose) {
      head = `(${h.trafficClass ? `class 0x${h.trafficClass.toString(16)}, ` : ''}${h.flowLabel ? `flowlabel 0x${h.flowLabel.toString(16).padStart(5, '0')}, ` : ''}hlim ${h.hopLimit}, next-header ${names[h.nextHeader] ?? 'unknown'} (${h.nextHeader}) payload length: ${h.payloadLength}) `;
    }
    void len;
    const src = h.src;
    const dst = h.dst;
    switch (h.nextHeader) {
      case IPPROTO_TCP:
        return head + this.tcp(src, dst, p.payload, h.payloadLength!, false);
      case IPPROTO_UDP:
        return head + this.udp(src, dst, p.payload, true);
      case 58:
        return `${head}${src} > ${dst}: ${this.icmp6(src, dst, p.payload, h.payloadLength!)}`;
      default:
        return `${head}${src} > ${dst}: ip-proto-${h.nextHeader} ${h.payloadLength}`;
    }
  }

  private icmp6(src: string, dst: string, b: Uint8Array, len: number): string {
    if (b.length < 8) return '[|icmp6]';
    const type = b[0];
    const code = b[1];
    let sum = '';
    if (this.opts.verbose && b.length >= len) {
      sum = transportChecksum({ src, dst }, 58, b.subarray(0, len)) === 0 ? '[icmp6 sum ok] ' : `[bad icmp6 cksum 0x${u16(b, 2).toString(16).padStart(4, '0')}!] `;
    }
    const quoted = (): { dst: string; proto: number; dport?: number } | undefined => {
      const q = b.subarray(8);
      if (q.length < 40) return undefined;
      return { dst: bytesToIpv6(q, 24), proto: q[6], dport: q.length >= 44 ? u16(q, 42) : undefined };
    };
    const lenSuffix = this.opts.verbose ? '' : `, length ${len}`;
    switch (type) {
      case 128:
      case 129:
        return `${sum}ICMP6, echo ${type === 128 ? 'request' : 'reply'}, id ${u16(b, 4)}, seq ${u16(b, 6)}${lenSuffix}`;
      case 1: {
        const q = quoted();
        const d = q?.dst ?? '?';
        const what = code === 4
          ? `unreachable port, ${d} ${q?.proto === IPPROTO_TCP ? 'tcp' : 'udp'} port ${q?.dport}`
          : code === 3 ? `unreachable address ${d}` : code === 0 ? `unreachable route ${d}` : code === 1 ? `unreachable prohibited ${d}` : code === 2 ? `beyond scope ${d}` : `unknown code (${code})`;
        return `${sum}ICMP6, destination unreachable, ${what}${lenSuffix}`;
      }
      case 2:
        return `${sum}ICMP6, packet too big, mtu ${u32(b, 4)}${lenSuffix}`;
      case 3:
        return `${sum}ICMP6, time exceeded ${code === 0 ? 'in-transit' : 'reassembly'}${code === 0 && quoted() ? ` for ${quoted()!.dst}` : ''}${lenSuffix}`;
      default:
        return `${sum}ICMP6, type ${type}${lenSuffix}`;
    }
  }

  private ipv4(b: Uint8Array, quoted = false): string {
    if (b.length < 20) return '[|ip]';
    const ihl = (b[0] & 0x0f) * 4;
    const total = u16(b, 2);
    const ff = u16(b, 6);
    const src = bytesToIpv4(b, 12);
    const dst = bytesToIpv4(b, 16);
    const proto = b[9];
    const payload = b.subarray(ihl, Math.min(b.length, total));
    const plen = total - ihl;
    const fragOff = (ff & 0x1fff) * 8;
    if (this.opts.verbose) {
      const tos = b[1];
      const ecn = ['', ',ECT(1)', ',ECT(0)', ',CE'][tos & 3];
      const flags = [ff & 0x4000 ? 'DF' : '', ff & 0x2000 ? '+' : ''].filter(Boolean).join('') || 'none';
      const names: Record<number, string> = { 1: 'ICMP', 2: 'IGMP', 4: 'IPIP', 6: 'TCP', 17: 'UDP', 41: 'IPv6', 47: 'GRE', 50: 'ESP', 51: 'AH', 58: 'ICMPv6', 132: 'SCTP' };
      let head = `(tos 0x${tos.toString(16)}${ecn}, ttl ${b[8]}, id ${u16(b, 4)}, offset ${fragOff}, flags [${flags}], proto ${names[proto] ?? 'unknown'} (${proto}), length ${total}`;
      if (b.length >= ihl) {
        const sum = internetChecksum(b, 0, ihl);
        if (sum !== 0) {
          const stored = u16(b, 10);
          const copy = b.slice(0, ihl);
          copy[10] = 0;
          copy[11] = 0;
          head += `, bad cksum ${stored.toString(16)} (->${internetChecksum(copy).toString(16)})!`;
        }
      }
      return `${head})\n    ${this.ipv4Body(b, src, dst, proto, payload, plen, fragOff, quoted)}`;
    }
    return this.ipv4Body(b, src, dst, proto, payload, plen, fragOff, quoted);
  }

  private ipv4Body(b: Uint8Array, src: string, dst: string, proto: number, payload: Uint8Array, plen: number, fragOff: number, quoted: boolean): string {
    void b;
    if (fragOff !== 0) {
      return `${src} > ${dst}: ${proto === IPPROTO_UDP ? 'udp' : proto === IPPROTO_TCP ? 'tcp' : proto === IPPROTO_ICMP ? 'icmp' : `ip-proto-${proto}`}`;
    }
    switch (proto) {
      case IPPROTO_ICMP:
        return `${src} > ${dst}: ${this.icmp(payload, plen)}`;
      case IPPROTO_UDP:
        return this.udp(src, dst, payload);
      case IPPROTO_TCP:
        return this.tcp(src, dst, payload, plen, quoted);
      default:
        return `${src} > ${dst}: ip-proto-${proto} ${plen}`;
    }
  }

  private icmp(b: Uint8Array, len: number): string {
    let ic;
    try {
      ic = parseIcmp(b).packet;
    } catch {
      return '[|icmp]';
    }
    let text: string;
    const quoted = (): { dst: string; proto: number; dport?: number } | undefined => {
      const q = ic.data;
      if (q.length < 20) return undefined;
      const qihl = (q[0] & 0x0f) * 4;
      return { dst: bytesToIpv4(q, 16), proto: q[9], dport: q.length >= qihl + 4 ? u16(q, qihl + 2) : undefined };
    };
    switch (ic.type) {
      case 0:
        text = `echo reply, id ${ic.id}, seq ${ic.seq}`;
        break;
      case 8:
        text = `echo request, id ${ic.id}, seq ${ic.seq}`;
        break;
      case 3: {
        const q = quoted();
        const d = q?.dst ?? '?';
        switch (ic.code) {
          case 0: text = `net ${d} unreachable`; break;
          case 1: text = `host ${d} unreachable`; break;
          case 2: text = `${d} protocol ${q?.proto} unreachable`; break;
          case 3:
            text = `${d} ${q?.proto === IPPROTO_TCP ? 'tcp' : 'udp'} port ${q?.dport} unreachable`;
            break;
          case 4: text = ic.nextHopMtu ? `${d} unreachable - need to frag (mtu ${ic.nextHopMtu})` : `${d} unreachable - need to frag`; break;
          case 5: text = `${d} unreachable - source route failed`; break;
          case 6: text = `${d} unreachable - net unknown`; break;
          case 7: text = `${d} unreachable - host unknown`; break;
          case 9: text = `net ${d} unreachable - admin prohibited`; break;
          case 10: text = `host ${d} unreachable - admin prohibited`; break;
          case 13: text = `${d} unreachable - admin prohibited filter`; break;
          default: text = `${d} unreachable - #${ic.code}`;
        }
        break;
      }
      case 11:
        text = ic.code === 0 ? 'time exceeded in-transit' : ic.code === 1 ? 'ip reassembly time exceeded' : `time exceeded-#${ic.code}`;
        break;
      default:
        text = `type-#${ic.type}`;
    }
    let out = `ICMP ${text}, length ${len}`;
    if (this.opts.verbose && [3, 4, 5, 11, 12].includes(ic.type) && ic.data.length >= 20) {
      out += `\n\t${this.opts.link ? '' : 'IP '}${this.ipv4(ic.data, true)}`;
    }
    return out;
  }

  private udp(src: string, dst: string, b: Uint8Array, v6 = false): string {
    if (b.length < 8) return `${src} > ${dst}: [|udp]`;
    const sp = u16(b, 0);
    const dp = u16(b, 2);
    const ulen = u16(b, 4);
    const payload = b.subarray(8, Math.min(b.length, ulen));
    let head = `${src}.${sp} > ${dst}.${dp}:`;
    if (v6 && this.opts.verbose && b.length >= ulen) {
      head += transportChecksum({ src, dst }, IPPROTO_UDP, b.subarray(0, ulen)) === 0 ? ' [udp sum ok]' : ` [bad udp cksum 0x${u16(b, 6).toString(16).padStart(4, '0')}!]`;
    }
    if (sp === 4789 || dp === 4789) {
      try {
        const vx = parseVxlan(payload);
        const flags = `[${vx.header.flags & 0x08 ? 'I' : '.'}] (0x${vx.header.flags.toString(16).padStart(2, '0')})`;
        return `${head} VXLAN, flags ${flags}, vni ${vx.header.vni}\n${this.ether(vx.payload, vx.payload.length)}`;
      } catch {
        return `${head} VXLAN [|vxlan]`;
      }
    }
    if (sp === 53 || dp === 53) return `${head} ${this.dns(payload, false)}`;
    if (sp === 5353 || dp === 5353) return `${head} ${this.dns(payload, true)}`;
    return `${head} UDP, length ${ulen - 8}`;
  }

  private dns(b: Uint8Array, mdns: boolean): string {
    let m;
    try {
      m = parseDns(b);
    } catch {
      return '[|domain]';
    }
    const ops = ['', ' inv_q', ' stat', ' op3', ' notify', ' update', ' op6', ' op7', ' op8', ' updateA', ' updateD', ' updateDA', ' updateM', ' updateMA', ' zoneInit', ' zoneRef'];
    const rcodes = ['', ' FormErr', ' ServFail', ' NXDomain', ' NotImp', ' Refused', ' YXDomain', ' YXRRSet', ' NXRRSet', ' NotAuth', ' NotZone', ' Resp11', ' Resp12', ' Resp13', ' Resp14', ' NoChange'];
    const typeName = (t: number) => ({ 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 41: 'OPT', 255: 'ANY' } as Record<number, string>)[t] ?? `Type${t}`;
    let s: string;
    if (m.qr) {
      s = `${m.id}${ops[m.opcode]}${rcodes[m.rcode]}${m.aa ? '*' : ''}${m.ra ? '' : '-'}${m.tc ? '|' : ''}${m.ad ? '$' : ''}`;
      if (m.questions.length !== 1) s += ` [${m.questions.length}q]`;
      s += ` ${m.answers.length}/${m.authorities.length}/${m.additionals.length}`;
      const rr = (r: DnsRecord): string => {
        const d = r.data as Record<string, unknown>;
        let t = `${this.opts.verbose ? ` ${r.name}` : ''} ${typeName(r.type)}`;
        const cls = mdns ? r.class & 0x7fff : r.class;
        if (cls !== 1 && r.type !== 41) t = ` (Class ${cls})${t}`;
        if (mdns && r.class & 0x8000 && r.type !== 41) t = `${t} (Cache flush)`;
        switch (r.type) {
          case 1: case 28: return `${t} ${d.address}`;
          case 2: case 5: case 12: return `${t} ${d.target}`;
          case 15: return `${t} ${d.exchange} ${d.preference}`;
          case 33: return `${t} ${d.target}:${d.port} ${d.priority} ${d.weight}`;
          case 16: return `${t} ${(d.texts as string[]).map((x) => `"${x}"`).join(' ')}`;
          default: return t;
        }
      };
      s += m.answers.map(rr).join(',');
    } else {
      s = `${m.id}${ops[m.opcode]}${m.rd ? '+' : ''}${m.ad ? '$' : ''}`;
      const flags = u16(b, 2);
      if (flags & 0x6cf) s += ` [b2&3=0x${flags.toString(16)}]`;
      if (m.answers.length) s += ` [${m.answers.length}a]`;
      if (m.questions.length !== 1) s += ` [${m.questions.length}q]`;
      if (m.authorities.length) s += ` [${m.authorities.length}n]`;
      if (m.additionals.length) s += ` [${m.additionals.length}au]`;
      for (const q of m.questions) {
        const cls = mdns ? q.class & 0x7fff : q.class;
        s += ` ${typeName(q.type)}${cls !== 1 ? ` (Class ${cls})` : ''}${mdns ? (q.class & 0x8000 ? ' (QU)' : ' (QM)') : ''}? ${q.name}`;
      }
    }
    return `${s} (${b.length})`;
  }

  private tcp(src: string, dst: string, b: Uint8Array, ipPayloadLen: number, quoted = false): string {
    let t;
    try {
      t = parseTcp(b);
    } catch {
      return `${src} > ${dst}: [|tcp]`;
    }
    const h = t.header;
    const a = `${src}.${h.srcPort}`;
    const z = `${dst}.${h.dstPort}`;
    const length = ipPayloadLen - t.headerLength;
    let seq = h.seq;
    let ack = h.ack;
    let otherBase = 0;
    if (h.flags & 0x10) {
      const key = [a, z].sort().join('|');
      const conv = this.tcpConv.get(key);
      if (!conv || h.flags & 0x02) {
        this.tcpConv.set(key, { base: new Map([[a, h.seq], [z, (h.ack - 1) >>> 0]]) });
        otherBase = (h.ack - 1) >>> 0;
      } else {
        const sb = conv.base.get(a) ?? 0;
        otherBase = conv.base.get(z) ?? 0;
        seq = (h.seq - sb) >>> 0;
        ack = (h.ack - otherBase) >>> 0;
      }
    }
    let s = `${a} > ${z}: Flags [${tcpFlagString(h.flags)}]`;
    if (this.opts.verbose && !quoted && b.length >= ipPayloadLen) {
      const seg = b.subarray(0, ipPayloadLen);
      const ok = transportChecksum({ src, dst }, IPPROTO_TCP, seg) === 0;
      if (ok) s += `, cksum 0x${h.checksum!.toString(16).padStart(4, '0')} (correct)`;
      else {
        const z0 = seg.slice();
        z0[16] = 0;
        z0[17] = 0;
        s += `, cksum 0x${h.checksum!.toString(16).padStart(4, '0')} (incorrect -> 0x${transportChecksum({ src, dst }, IPPROTO_TCP, z0).toString(16).padStart(4, '0')})`;
      }
    }
    if (length > 0 || h.flags & 0x07) {
      s += `, seq ${seq}`;
      if (length > 0) s += `:${(seq + length) >>> 0}`;
    }
    if (h.flags & 0x10) s += `, ack ${ack}`;
    s += `, win ${h.window}`;
    if (h.flags & 0x20) s += `, urg ${h.urgent}`;
    if (t.headerLength > 20) s += `, options [${h.options.map((o) => optionText(o, otherBase)).join(',')}]`;
    s += `, length ${length}`;
    if (length > 0 && [80, 8080].some((p) => p === h.srcPort || p === h.dstPort)) s += `: ${httpText(t.payload, this.opts.verbose ?? false, length)}`;
    return s;
  }
}

function optionText(o: TcpOption, sackBase: number): string {
  switch (o.kind) {
    case 'mss': return `mss ${o.value}`;
    case 'nop': return 'nop';
    case 'eol': return 'eol';
    case 'wscale': return `wscale ${o.shift}`;
    case 'sackPermitted': return 'sackOK';
    case 'timestamps': return `TS val ${o.tsval} ecr ${o.tsecr}`;
    case 'sack': return `sack ${o.blocks.length} ${o.blocks.map(([l, r]) => `{${(l - sackBase) >>> 0}:${(r - sackBase) >>> 0}}`).join('')}`;
    case 'unknown': return `unknown-${o.type} 0x${Array.from(o.data, (x) => x.toString(16).padStart(2, '0')).join('')}`;
  }
}

const HTTP_METHODS = ['OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'CONNECT', 'PROPFIND', 'PROPPATCH', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'ORDERPATCH', 'PATCH'];

/** tcpdump's txtproto_print at default verbosity: "HTTP: <first line>" when the segment starts
 *  with a request method or an HTTP/x.y status line, else just "HTTP". */
function httpText(b: Uint8Array, verbose: boolean, length: number): string {
  let end = 0;
  while (end < b.length && b[end] !== 10 && end < 300) end++;
  let line = '';
  for (let i = 0; i < end; i++) line += String.fromCharCode(b[i]);
  line = line.replace(/\r$/, '');
  const first = line.split(' ')[0];
  const known = end < b.length && (HTTP_METHODS.includes(first) || /^HTTP\/\d\.\d$/.test(first));
  if (!verbose) return known ? `HTTP: ${line}` : 'HTTP';
  if (!known) return 'HTTP';
  // -v: every line of the segment, each on its own line after a tab, CR/LF stripped.
  let text = '';
  for (let i = 0; i < b.length; i++) text += String.fromCharCode(b[i]);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return `HTTP, length: ${length}${lines.map((l) => `\n\t${l.replace(/\r$/, '')}`).join('')}`;
}

/** One text entry per packet of a capture (pcap or pcapng bytes, or an already read file). */
export function summarizeCapture(file: Uint8Array | CaptureFile, opts: SummaryOptions = {}): string[] {
  const cap = file instanceof Uint8Array ? readCapture(file) : file;
  const pr = new TcpdumpPrinter(opts);
  return cap.packets.map((p) => pr.print(p, cap.interfaces[p.interfaceId ?? 0]?.linkType ?? LINKTYPE_ETHERNET));
}

/** The whole capture as tcpdump's text output (lines joined with newlines, trailing newline). */
export function tcpdumpText(file: Uint8Array | CaptureFile, opts: SummaryOptions = {}): string {
  const lines = summarizeCapture(file, opts);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

