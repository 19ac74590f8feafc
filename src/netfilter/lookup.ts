// Name ↔ number lookups iptables performs: protocols, services (ports), ICMP types.

import { PROTOCOL_NAMES, SERVICES_TEXT } from './data/names.ts';
import { paramError } from './errors.ts';
import { strtoui, type Family } from './addr.ts';

const protoByName = new Map<string, number>();
const protoByNumber = new Map<number, string>();
for (const [name, num] of PROTOCOL_NAMES) {
  if (!protoByName.has(name)) protoByName.set(name, num);
  if (!protoByNumber.has(num)) protoByNumber.set(num, name);
}

/** libxtables' own fallback names, used when /etc/protocols lacks them. */
const CHAIN_PROTOS: Record<string, number> = {
  tcp: 6,
  sctp: 132,
  udp: 17,
  udplite: 136,
  icmp: 1,
  icmpv6: 58,
  esp: 50,
  ah: 51,
  'ipv6-mh': 135,
  mh: 135,
  all: 0,
};

/** `-p` argument (already lower-cased) → protocol number. */
export function parseProtocol(s: string): number {
  const n = strtoui(s, 255);
  if (n !== null) return n;
  if (s === 'all') return 0;
  const byName = protoByName.get(s);
  if (byName !== undefined) return byName;
  const chain = CHAIN_PROTOS[s];
  if (chain !== undefined) return chain;
  throw paramError(`unknown protocol "${s}" specified`);
}

/** How iptables-save prints protocol number n (getprotobynumber, else the number). */
export function protocolName(n: number): string {
  return protoByNumber.get(n) ?? String(n);
}

/** Extension loaded implicitly for `-p <n>` when an unknown option follows. */
export function protocolMatchModule(n: number, family: Family): string | undefined {
  switch (n) {
    case 6:
      return 'tcp';
    case 17:
      return 'udp';
    case 132:
      return 'sctp';
    case 1:
      return family === 4 ? 'icmp' : undefined;
    case 58:
      return family === 6 ? 'icmp6' : undefined;
    default:
      return undefined;
  }
}

const services = new Map<string, number>();
for (const line of SERVICES_TEXT.split('\n')) {
  const f = line.trim().split(/\s+/);
  if (f.length < 2) continue;
  const [portProto, ...names] = f;
  const [port, proto] = portProto.split('/');
  for (const n of names) {
    const key = `${n}/${proto}`;
    if (!services.has(key)) services.set(key, Number(port));
  }
}

/**
 * A port: number 0..65535 or a service name. With `proto` the name must be a service of that
 * protocol (getservbyname, as tcp, sctp and multiport use); without, any protocol will do
 * (getaddrinfo, as udp and conntrack use).
 */
export function parsePort(s: string, proto: string | undefined): number {
  const n = strtoui(s, 65535);
  if (n !== null) return n;
  for (const pr of proto !== undefined ? [proto] : ['tcp', 'udp', 'sctp', 'dccp']) {
    const p = services.get(`${s}/${pr}`);
    if (p !== undefined) return p;
  }
  if (proto === undefined) throw paramError(`Port "${s}" does not resolve to anything.`);
  throw paramError(`invalid port/service \`${s}' specified`);
}

/**
 * "a", "a:b", ":b", "a:" → [min, max] (tcp/udp/sctp --sport/--dport). tcp and sctp refuse min > max;
 * udp's option parser does not check it (pass checkOrder false).
 */
export function parsePortRange(s: string, proto: string | undefined, checkOrder = true): [number, number] {
  const colon = s.indexOf(':');
  if (colon < 0) {
    const p = parsePort(s, proto);
    return [p, p];
  }
  const a = s.slice(0, colon);
  const b = s.slice(colon + 1);
  const min = a === '' ? 0 : parsePort(a, proto);
  const max = b === '' ? 65535 : parsePort(b, proto);
  if (checkOrder && min > max) throw paramError(`invalid portrange (min > max)`);
  return [min, max];
}

export function formatPortRange([min, max]: [number, number]): string {
  return min === max ? String(min) : `${min}:${max}`;
}

interface IcmpName {
  name: string;
  type: number;
  min: number;
  max: number;
}

function icmpTable(rows: Array<[string, number, number, number]>): IcmpName[] {
  return rows.map(([name, type, min, max]) => ({ name, type, min, max }));
}

/** libxt_icmp's names, in its order (the prefix search depends on it). */
const ICMP4 = icmpTable([
  ['any', 0xff, 0, 0xff],
  ['echo-reply', 0, 0, 0xff],
  ['destination-unreachable', 3, 0, 0xff],
  ['network-unreachable', 3, 0, 0],
  ['host-unreachable', 3, 1, 1],
  ['protocol-unreachable', 3, 2, 2],
  ['port-unreachable', 3, 3, 3],
  ['fragmentation-needed', 3, 4, 4],
  ['source-route-failed', 3, 5, 5],
  ['network-unknown', 3, 6, 6],
  ['host-unknown', 3, 7, 7],
  ['network-prohibited', 3, 9, 9],
  ['host-prohibited', 3, 10, 10],
  ['TOS-network-unreachable', 3, 11, 11],
  ['TOS-host-unreachable', 3, 12, 12],
  ['communication-prohibited', 3, 13, 13],
  ['host-precedence-violation', 3, 14, 14],
  ['precedence-cutoff', 3, 15, 15],
  ['source-quench', 4, 0, 0xff],
  ['redirect', 5, 0, 0xff],
  ['network-redirect', 5, 0, 0],
  ['host-redirect', 5, 1, 1],
  ['TOS-network-redirect', 5, 2, 2],
  ['TOS-host-redirect', 5, 3, 3],
  ['echo-request', 8, 0, 0xff],
  ['router-advertisement', 9, 0, 0xff],
  ['router-solicitation', 10, 0, 0xff],
  ['time-exceeded', 11, 0, 0xff],
  ['ttl-zero-during-transit', 11, 0, 0],
  ['ttl-zero-during-reassembly', 11, 1, 1],
  ['parameter-problem', 12, 0, 0xff],
  ['ip-header-bad', 12, 0, 0],
  ['required-option-missing', 12, 1, 1],
  ['timestamp-request', 13, 0, 0xff],
  ['timestamp-reply', 14, 0, 0xff],
  ['address-mask-request', 17, 0, 0xff],
  ['address-mask-reply', 18, 0, 0xff],
]);

const ICMP6 = icmpTable([
  ['destination-unreachable', 1, 0, 0xff],
  ['no-route', 1, 0, 0],
  ['communication-prohibited', 1, 1, 1],
  ['beyond-scope', 1, 2, 2],
  ['address-unreachable', 1, 3, 3],
  ['port-unreachable', 1, 4, 4],
  ['failed-policy', 1, 5, 5],
  ['reject-route', 1, 6, 6],
  ['packet-too-big', 2, 0, 0xff],
  ['time-exceeded', 3, 0, 0xff],
  ['ttl-zero-during-transit', 3, 0, 0],
  ['ttl-zero-during-reassembly', 3, 1, 1],
  ['parameter-problem', 4, 0, 0xff],
  ['bad-header', 4, 0, 0],
  ['unknown-header-type', 4, 1, 1],
  ['unknown-option', 4, 2, 2],
  ['echo-request', 128, 0, 0xff],
  ['echo-reply', 129, 0, 0xff],
  ['router-solicitation', 133, 0, 0xff],
  ['router-advertisement', 134, 0, 0xff],
  ['neighbour-solicitation', 135, 0, 0xff],
  ['neighbour-advertisement', 136, 0, 0xff],
  ['redirect', 137, 0, 0xff],
]);

const ICMP_ALIASES: Record<string, string> = {
  pong: 'echo-reply',
  ping: 'echo-request',
  'ttl-exceeded': 'time-exceeded',
  'neighbor-solicitation': 'neighbour-solicitation',
  'neighbor-advertisement': 'neighbour-advertisement',
};

/** --icmp-type / --icmpv6-type argument → saved form ("8", "3/4", "any"). */
export function parseIcmpType(s: string, family: Family): { type: number; min: number; max: number } {
  const table = family === 4 ? ICMP4 : ICMP6;
  const lower = (ICMP_ALIASES[s.toLowerCase()] ?? s).toLowerCase();
  let found: IcmpName | undefined;
  for (const row of table) {
    if (row.name.toLowerCase().startsWith(lower)) {
      if (found) {
        throw paramError(`Ambiguous ICMP${family === 6 ? 'v6' : ''} type \`${s}': \`${found.name}' or \`${row.name}'?`);
      }
      found = row;
    }
  }
  if (found && lower.length > 0) return { type: found.type, min: found.min, max: found.max };
  const m = /^([^/]+)(?:\/(.+))?$/.exec(s);
  const type = m ? strtoui(m[1], 255) : null;
  const code = m && m[2] !== undefined ? strtoui(m[2], 255) : null;
  if (!m || type === null || (m[2] !== undefined && code === null)) {
    throw paramError(`Unknown ICMP${family === 6 ? 'v6' : ''} type \`${s}'`);
  }
  return code === null ? { type, min: 0, max: 0xff } : { type, min: code, max: code };
}

export function formatIcmpType(t: { type: number; min: number; max: number }, family: Family): string {
  if (family === 4 && t.type === 0xff && t.min === 0 && t.max === 0xff) return 'any';
  if (t.min === 0 && t.max === 0xff) return String(t.type);
  return `${t.type}/${t.min}`;
}
