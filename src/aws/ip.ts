// IPv4 ↔ uint32 and CIDR helpers for the VPC model (parsing via ipaddr.js).
import ipaddr from 'ipaddr.js';
import { KubewireError } from '../errors.ts';

export function ipToU32(ip: string): number {
  if (!ipaddr.IPv4.isValidFourPartDecimal(ip)) throw new KubewireError(`invalid IPv4 address "${ip}"`);
  const b = ipaddr.IPv4.parse(ip).toByteArray();
  return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
}

export function u32ToIp(v: number): string {
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

export interface Cidr4 {
  /** Network address as uint32. */
  base: number;
  prefixLen: number;
  /** Number of addresses (2^(32-prefixLen)). */
  size: number;
}

export function parseCidr4(cidr: string): Cidr4 {
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(cidr);
  } catch {
    throw new KubewireError(`invalid CIDR "${cidr}"`);
  }
  const [addr, prefixLen] = parsed;
  if (addr.kind() !== 'ipv4') throw new KubewireError(`not an IPv4 CIDR: "${cidr}"`);
  const size = 2 ** (32 - prefixLen);
  const raw = ipToU32(addr.toString());
  const base = prefixLen === 0 ? 0 : (raw - (raw % size)) >>> 0;
  return { base, prefixLen, size };
}

export function cidrContains(c: Cidr4, ip: string): boolean {
  const v = ipToU32(ip);
  return v >= c.base && v < c.base + c.size;
}

export function formatCidr(c: Cidr4): string {
  return `${u32ToIp(c.base)}/${c.prefixLen}`;
}
