// TCP header (RFC 9293) with options, and the option layouts Linux writes (tcp_options_write in
// net/ipv4/tcp_output.c):
//   SYN / SYN-ACK: MSS, then SACK-permitted folded into the timestamp word (4,2,8,10) when both are
//   on, else NOP,NOP before the timestamp or before SACK-permitted; then NOP + window scale.
//   Other segments: NOP,NOP,timestamp (plus SACK blocks after NOP,NOP when there are any).

import { KubewireError } from '../errors.ts';
import { checkUint, need, put16, put32, u16, u32 } from './bytes.ts';
import { transportChecksum, type PseudoHeader } from './checksum.ts';
import { IPPROTO_TCP } from './ipv4.ts';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;
/** AE (formerly NS), bit 8 of the 12-bit flags field. */
export const TCP_AE = 0x100;

export type TcpOption =
  | { kind: 'eol' }
  | { kind: 'nop' }
  | { kind: 'mss'; value: number }
  | { kind: 'wscale'; shift: number }
  | { kind: 'sackPermitted' }
  | { kind: 'sack'; blocks: Array<[number, number]> }
  | { kind: 'timestamps'; tsval: number; tsecr: number }
  | { kind: 'unknown'; type: number; data: Uint8Array };

export interface TcpHeader {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Bit set of TCP_* flags. */
  flags: number;
  window: number;
  /** On parse: the value found. On emit: computed unless given. */
  checksum?: number;
  urgent: number;
  options: TcpOption[];
}

export interface ParsedTcp {
  header: TcpHeader;
  headerLength: number;
  payload: Uint8Array;
  /** Set when a pseudo-header was given. */
  checksumOk?: boolean;
}

function parseOptions(b: Uint8Array, start: number, end: number): TcpOption[] {
  const out: TcpOption[] = [];
  let i = start;
  while (i < end) {
    const kind = b[i];
    if (kind === 0) {
      out.push({ kind: 'eol' });
      break; // the rest is padding
    }
    if (kind === 1) {
      out.push({ kind: 'nop' });
      i++;
      continue;
    }
    if (i + 1 >= end) throw new KubewireError(`TCP options: option ${kind} at offset ${i - start} has no length byte`);
    const len = b[i + 1];
    if (len < 2 || i + len > end) throw new KubewireError(`TCP options: option ${kind} at offset ${i - start} has bad length ${len}`);
    const fixed: Record<number, number> = { 2: 4, 3: 3, 4: 2, 8: 10 };
    if (fixed[kind] !== undefined && fixed[kind] !== len) {
      throw new KubewireError(`TCP options: option ${kind} has length ${len}, expected ${fixed[kind]}`);
    }
    switch (kind) {
      case 2: out.push({ kind: 'mss', value: u16(b, i + 2) }); break;
      case 3: out.push({ kind: 'wscale', shift: b[i + 2] }); break;
      case 4: out.push({ kind: 'sackPermitted' }); break;
      case 5: {
        if ((len - 2) % 8 !== 0) throw new KubewireError(`TCP options: SACK length ${len} is not 2 + 8n`);
        const blocks: Array<[number, number]> = [];
        for (let j = i + 2; j < i + len; j += 8) blocks.push([u32(b, j), u32(b, j + 4)]);
        out.push({ kind: 'sack', blocks });
        break;
      }
      case 8: out.push({ kind: 'timestamps', tsval: u32(b, i + 2), tsecr: u32(b, i + 6) }); break;
      default: out.push({ kind: 'unknown', type: kind, data: b.slice(i + 2, i + len) });
    }
    i += len;
  }
  return out;
}

export function parseTcp(bytes: Uint8Array, offset = 0, ph?: PseudoHeader): ParsedTcp {
  need(bytes, offset, 20, 'TCP header');
  const doff = (bytes[offset + 12] >>> 4) * 4;
  if (doff < 20) throw new KubewireError(`TCP header: data offset ${doff} is less than 20`);
  need(bytes, offset, doff, 'TCP header with options');
  const header: TcpHeader = {
    srcPort: u16(bytes, offset),
    dstPort: u16(bytes, offset + 2),
    seq: u32(bytes, offset + 4),
    ack: u32(bytes, offset + 8),
    flags: u16(bytes, offset + 12) & 0x1ff,
    window: u16(bytes, offset + 14),
    checksum: u16(bytes, offset + 16),
    urgent: u16(bytes, offset + 18),
    options: parseOptions(bytes, offset + 20, offset + doff),
  };
  const res: ParsedTcp = { header, headerLength: doff, payload: bytes.subarray(offset + doff) };
  if (ph) res.checksumOk = transportChecksum(ph, IPPROTO_TCP, bytes.subarray(offset)) === 0;
  return res;
}

function optionBytes(opts: TcpOption[]): number[] {
  const o: number[] = [];
  const p16 = (v: number) => o.push((v >>> 8) & 0xff, v & 0xff);
  const p32 = (v: number) => o.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  for (const opt of opts) {
    switch (opt.kind) {
      case 'eol': o.push(0); break;
      case 'nop': o.push(1); break;
      case 'mss': checkUint(opt.value, 16, 'TCP MSS'); o.push(2, 4); p16(opt.value); break;
      case 'wscale': checkUint(opt.shift, 8, 'TCP window scale'); o.push(3, 3, opt.shift); break;
      case 'sackPermitted': o.push(4, 2); break;
      case 'sack':
        if (opt.blocks.length < 1 || opt.blocks.length > 4) throw new KubewireError(`TCP SACK option: ${opt.blocks.length} blocks (1 to 4 allowed)`);
        o.push(5, 2 + 8 * opt.blocks.length);
        for (const [l, r] of opt.blocks) { p32(l >>> 0); p32(r >>> 0); }
        break;
      case 'timestamps':
        checkUint(opt.tsval, 32, 'TCP TS val');
        checkUint(opt.tsecr, 32, 'TCP TS ecr');
        o.push(8, 10); p32(opt.tsval); p32(opt.tsecr);
        break;
      case 'unknown':
        o.push(opt.type, opt.data.length + 2, ...opt.data);
        break;
    }
  }
  return o;
}

/** Emits header (options padded with zero bytes to a 4-byte boundary) + payload. The checksum
 *  is computed over the pseudo-header `ph` unless given. */
export function emitTcp(h: TcpHeader, payload: Uint8Array = new Uint8Array(0), ph?: PseudoHeader): Uint8Array {
  checkUint(h.srcPort, 16, 'TCP source port');
  checkUint(h.dstPort, 16, 'TCP destination port');
  checkUint(h.seq, 32, 'TCP sequence number');
  checkUint(h.ack, 32, 'TCP acknowledgment number');
  checkUint(h.flags, 9, 'TCP flags');
  checkUint(h.window, 16, 'TCP window');
  checkUint(h.urgent, 16, 'TCP urgent pointer');
  const ob = optionBytes(h.options);
  const optLen = (ob.length + 3) & ~3;
  if (optLen > 40) throw new KubewireError(`TCP options: ${ob.length} bytes exceed the 40-byte limit`);
  const hl = 20 + optLen;
  const out = new Uint8Array(hl + payload.length);
  put16(out, 0, h.srcPort);
  put16(out, 2, h.dstPort);
  put32(out, 4, h.seq);
  put32(out, 8, h.ack);
  put16(out, 12, ((hl / 4) << 12) | h.flags);
  put16(out, 14, h.window);
  put16(out, 18, h.urgent);
  out.set(ob, 20);
  out.set(payload, hl);
  if (h.checksum !== undefined) put16(out, 16, h.checksum);
  else {
    if (!ph) throw new KubewireError('TCP: the enclosing IP addresses are needed to compute the checksum');
    put16(out, 16, transportChecksum(ph, IPPROTO_TCP, out));
  }
  return out;
}

export interface LinuxSynOptions {
  mss: number;
  /** net.ipv4.tcp_timestamps (default on). */
  timestamps?: { tsval: number; tsecr: number } | false;
  /** net.ipv4.tcp_sack (default on). */
  sack?: boolean;
  /** Window scale shift; false when net.ipv4.tcp_window_scaling is off. Default 7 (see linuxRcvWscale). */
  wscale?: number | false;
}

/** Options exactly as Linux writes them on a SYN or SYN-ACK. */
export function linuxSynOptions(o: LinuxSynOptions): TcpOption[] {
  const out: TcpOption[] = [{ kind: 'mss', value: o.mss }];
  const sack = o.sack ?? true;
  const ts = o.timestamps;
  if (ts) {
    if (sack) out.push({ kind: 'sackPermitted' });
    else out.push({ kind: 'nop' }, { kind: 'nop' });
    out.push({ kind: 'timestamps', tsval: ts.tsval, tsecr: ts.tsecr });
  } else if (sack) {
    out.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'sackPermitted' });
  }
  const ws = o.wscale ?? 7;
  if (ws !== false) out.push({ kind: 'nop' }, { kind: 'wscale', shift: ws });
  return out;
}

/** Options on an established-state segment: NOP, NOP, timestamps (and SACK blocks if any). */
export function linuxDataOptions(ts: { tsval: number; tsecr: number } | false, sackBlocks: Array<[number, number]> = []): TcpOption[] {
  const out: TcpOption[] = [];
  if (ts) out.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamps', tsval: ts.tsval, tsecr: ts.tsecr });
  if (sackBlocks.length) out.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: sackBlocks });
  return out;
}

/** MSS advertised on a SYN: route/device MTU minus IP and TCP headers (tcp_advertise_mss). */
export function linuxAdvertisedMss(mtu: number, family: 4 | 6 = 4): number {
  const mss = mtu - (family === 4 ? 40 : 60);
  if (mss < 88) throw new KubewireError(`MTU ${mtu} is too small for TCP`);
  return Math.min(mss, 65535);
}

/** Window scale Linux offers (tcp_select_initial_window): ilog2(max(tcp_rmem[2], rmem_max)) - 15,
 *  clamped to 0..14. Defaults tcp_rmem[2] = 6291456, rmem_max = 212992 give 7. */
export function linuxRcvWscale(tcpRmemMax = 6291456, rmemMax = 212992): number {
  const space = Math.min(Math.max(tcpRmemMax, rmemMax), 65535 * 2 ** 14);
  return Math.max(0, Math.min(14, Math.floor(Math.log2(space)) - 15));
}

/** Window Linux puts in its SYN / SYN-ACK: the initial receive space (64 KiB with the default
 *  tcp_rmem[1] = 131072) rounded down to a multiple of the MSS the peer will use towards us:
 *  the advertised MSS on a SYN, minus 12 on a SYN-ACK when timestamps were negotiated.
 *  (64240 for MSS 1460; 65160 for a SYN-ACK with timestamps.) */
export function linuxSynWindow(mss: number, space = 65536): number {
  const w = space > mss ? Math.floor(space / mss) * mss : space;
  return Math.min(w, 65535);
}

/** tcpdump-style flag letters: "S", "S.", ".", "P.", "F.", "R.", ... */
export function tcpFlagString(flags: number): string {
  let s = '';
  if (flags & TCP_FIN) s += 'F';
  if (flags & TCP_SYN) s += 'S';
  if (flags & TCP_RST) s += 'R';
  if (flags & TCP_PSH) s += 'P';
  if (flags & TCP_ACK) s += '.';
  if (flags & TCP_URG) s += 'U';
  if (flags & TCP_ECE) s += 'E';
  if (flags & TCP_CWR) s += 'W';
  if (flags & TCP_AE) s += 'e';
  return s === '' ? 'none' : s;
}

/** Window field Linux advertises on an established connection before the receive buffer grows:
 *  the remaining window (initial receive window minus bytes received since) rounded up to the
 *  scale unit (tcp_select_window keeps the current window, ALIGNed to 1 << wscale), shifted.
 *  Reproduces captured values: 64240 with wscale 7 -> 502, after 238 bytes -> 501, after 853
 *  -> 496; 65160 after a 69-byte request -> 509. */
export function linuxAdvertisedWindow(remaining: number, wscale: number): number {
  const unit = 2 ** wscale;
  return Math.min(0xffff, Math.ceil(Math.max(0, remaining) / unit));
}
