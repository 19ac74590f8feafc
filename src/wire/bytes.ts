// Byte-level helpers shared by the wire codecs: address text <-> bytes, bounds checks and
// big-endian field access. Browser-safe (Uint8Array/DataView only).

import { KubewireError } from '../errors.ts';
import { formatIpv6Groups, ipv6Groups } from '../node-state/addr.ts';

/** Throws a KubewireError unless `need` bytes are available at `offset`. */
export function need(bytes: Uint8Array, offset: number, len: number, what: string): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + len > bytes.length) {
    throw new KubewireError(
      `${what}: truncated, need ${len} bytes at offset ${offset} but only ${Math.max(0, bytes.length - offset)} remain`,
    );
  }
}

export function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function u16(bytes: Uint8Array, off: number): number {
  return (bytes[off] << 8) | bytes[off + 1];
}

export function u32(bytes: Uint8Array, off: number): number {
  return ((bytes[off] << 24) | (bytes[off + 1] << 16) | (bytes[off + 2] << 8) | bytes[off + 3]) >>> 0;
}

export function put16(bytes: Uint8Array, off: number, v: number): void {
  bytes[off] = (v >>> 8) & 0xff;
  bytes[off + 1] = v & 0xff;
}

export function put32(bytes: Uint8Array, off: number, v: number): void {
  bytes[off] = (v >>> 24) & 0xff;
  bytes[off + 1] = (v >>> 16) & 0xff;
  bytes[off + 2] = (v >>> 8) & 0xff;
  bytes[off + 3] = v & 0xff;
}

export function checkUint(v: number, bits: number, what: string): number {
  const max = bits >= 32 ? 0xffffffff : (1 << bits) - 1;
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new KubewireError(`${what}: ${v} is not an unsigned ${bits}-bit integer`);
  }
  return v;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** "a.b.c.d" -> 4 bytes. */
export function ipv4ToBytes(s: string): Uint8Array {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  const out = new Uint8Array(4);
  if (m) {
    let ok = true;
    for (let i = 0; i < 4; i++) {
      const o = Number(m[i + 1]);
      if (o > 255 || (m[i + 1].length > 1 && m[i + 1][0] === '0')) ok = false;
      out[i] = o;
    }
    if (ok) return out;
  }
  throw new KubewireError(`invalid IPv4 address "${s}"`);
}

export function bytesToIpv4(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** IPv6 text (RFC 4291 forms, incl. embedded IPv4 without leading zeros) -> 16 bytes. */
export function ipv6ToBytes(s: string): Uint8Array {
  const g = ipv6Groups(s, (t) => {
    try {
      return [...ipv4ToBytes(t)];
    } catch {
      return undefined;
    }
  });
  if (!g) throw new KubewireError(`invalid IPv6 address "${s}"`);
  const out = new Uint8Array(16);
  g.forEach((x, i) => put16(out, i * 2, x));
  return out;
}

/** 16 bytes -> text as inet_ntop prints it (node-state's formatter). */
export function bytesToIpv6(b: Uint8Array, off = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(u16(b, off + i * 2));
  return formatIpv6Groups(g);
}

/** "aa:bb:cc:dd:ee:ff" (or with '-') -> 6 bytes. */
export function macToBytes(s: string): Uint8Array {
  const parts = s.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new KubewireError(`invalid MAC address "${s}"`);
  }
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

/** 6 bytes -> lower-case colon form, as tcpdump and iproute2 print it. */
export function bytesToMac(b: Uint8Array, off = 0): string {
  const out: string[] = [];
  for (let i = 0; i < 6; i++) out.push(b[off + i].toString(16).padStart(2, '0'));
  return out.join(':');
}

export const textEncoder = new TextEncoder();
export const latin1Decoder = new TextDecoder('latin1');
