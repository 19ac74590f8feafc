// pcapng (draft-ietf-opsawg-pcapng): a Section Header Block, one Interface Description Block per
// interface (if_name, if_tsresol options) and Enhanced Packet Blocks carrying the interface id,
// written little-endian. Options are padded to 32 bits and end with opt_endofopt.

import { KubewireError } from '../errors.ts';
import { textEncoder } from '../wire/bytes.ts';
import { DEFAULT_SNAPLEN, type CaptureInterface, type CapturedPacket } from './types.ts';

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 0x00000001;
export const BT_PB = 0x00000002;
export const BT_SPB = 0x00000003;
export const BT_EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const SHB_HARDWARE = 2;
const SHB_OS = 3;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
const EPB_FLAGS = 2;

/** Option values are length-prefixed with 16 bits; an option must also leave room in its block. */
export const MAX_OPTION_VALUE = 0xffff - 3;

interface Opt {
  code: number;
  value: Uint8Array;
}

function optsLen(opts: Opt[]): number {
  if (opts.length === 0) return 0;
  let n = 4; // endofopt
  for (const o of opts) n += 4 + ((o.value.length + 3) & ~3);
  return n;
}

function writeOpts(dv: DataView, out: Uint8Array, off: number, opts: Opt[]): number {
  if (opts.length === 0) return off;
  for (const o of opts) {
    dv.setUint16(off, o.code, true);
    dv.setUint16(off + 2, o.value.length, true);
    out.set(o.value, off + 4);
    off += 4 + ((o.value.length + 3) & ~3);
  }
  dv.setUint32(off, 0, true); // opt_endofopt, length 0
  return off + 4;
}

function strOpt(code: number, s: string, what: string): Opt {
  const value = textEncoder.encode(s);
  if (value.length > MAX_OPTION_VALUE) throw new KubewireError(`pcapng ${what}: ${value.length} bytes exceed the option limit of ${MAX_OPTION_VALUE}`);
  return { code, value };
}

function block(type: number, body: number, fill: (dv: DataView, out: Uint8Array, off: number) => void): Uint8Array {
  const total = 12 + body;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, type, true);
  dv.setUint32(4, total, true);
  fill(dv, out, 8);
  dv.setUint32(total - 4, total, true);
  return out;
}

export interface PcapngWriteOptions {
  /** shb_userappl; default "kubewire". */
  application?: string;
  hardware?: string;
  os?: string;
  /** Timestamp resolution: 6 (microseconds, default) or 9 (nanoseconds, microsecond times × 1000). */
  tsresol?: 6 | 9;
}

export interface PcapngPacket extends CapturedPacket {
  comment?: string;
}

/** Writes a pcapng file with one IDB per entry of `interfaces`; each packet's interfaceId
 *  (default 0) must name one of them. */
export function writePcapng(interfaces: readonly CaptureInterface[], packets: readonly PcapngPacket[], opts: PcapngWriteOptions = {}): Uint8Array {
  if (interfaces.length === 0) throw new KubewireError('pcapng: at least one interface is required');
  const tsresol = opts.tsresol ?? 6;
  const blocks: Uint8Array[] = [];

  const shbOpts: Opt[] = [];
  if (opts.hardware) shbOpts.push(strOpt(SHB_HARDWARE, opts.hardware, 'shb_hardware'));
  if (opts.os) shbOpts.push(strOpt(SHB_OS, opts.os, 'shb_os'));
  shbOpts.push(strOpt(SHB_USERAPPL, opts.application ?? 'kubewire', 'shb_userappl'));
  blocks.push(block(BT_SHB, 16 + optsLen(shbOpts), (dv, out, off) => {
    dv.setUint32(off, BYTE_ORDER_MAGIC, true);
    dv.setUint16(off + 4, 1, true);
    dv.setUint16(off + 6, 0, true);
    dv.setInt32(off + 8, -1, true); // section length unknown (0xffffffffffffffff)
    dv.setInt32(off + 12, -1, true);
    writeOpts(dv, out, off + 16, shbOpts);
  }));

  for (const itf of interfaces) {
    const o: Opt[] = [];
    if (itf.name !== undefined) o.push(strOpt(IF_NAME, itf.name, 'if_name'));
    if (itf.description !== undefined) o.push(strOpt(IF_DESCRIPTION, itf.description, 'if_description'));
    o.push({ code: IF_TSRESOL, value: Uint8Array.of(tsresol) });
    blocks.push(block(BT_IDB, 8 + optsLen(o), (dv, out, off) => {
      dv.setUint16(off, itf.linkType, true);
      dv.setUint16(off + 2, 0, true);
      dv.setUint32(off + 4, itf.snapLen ?? DEFAULT_SNAPLEN, true);
      writeOpts(dv, out, off + 8, o);
    }));
  }

  for (const p of packets) {
    const id = p.interfaceId ?? 0;
    if (!Number.isInteger(id) || id < 0 || id >= interfaces.length) {
      throw new KubewireError(`pcapng: packet interface id ${id} does not name one of the ${interfaces.length} interfaces`);
    }
    if (!Number.isSafeInteger(p.timeUs) || p.timeUs < 0) throw new KubewireError(`capture timestamp ${p.timeUs} µs is not a non-negative integer`);
    const snap = interfaces[id].snapLen ?? DEFAULT_SNAPLEN;
    const data = p.data.subarray(0, Math.min(p.data.length, snap));
    const orig = p.origLen ?? p.data.length;
    const o: Opt[] = [];
    if (p.comment !== undefined) o.push(strOpt(OPT_COMMENT, p.comment, 'comment'));
    if (p.direction) {
      const v = new Uint8Array(4);
      new DataView(v.buffer).setUint32(0, p.direction === 'in' ? 1 : 2, true);
      o.push({ code: EPB_FLAGS, value: v });
    }
    const ts = tsresol === 6 ? BigInt(p.timeUs) : BigInt(p.timeUs) * 1000n;
    const padded = (data.length + 3) & ~3;
    blocks.push(block(BT_EPB, 20 + padded + optsLen(o), (dv, out, off) => {
      dv.setUint32(off, id, true);
      dv.setUint32(off + 4, Number(ts >> 32n), true);
      dv.setUint32(off + 8, Number(ts & 0xffffffffn), true);
      dv.setUint32(off + 12, data.length, true);
      dv.setUint32(off + 16, orig, true);
      out.set(data, off + 20);
      writeOpts(dv, out, off + 20 + padded, o);
    }));
  }
  let n = 0;
  for (const b of blocks) n += b.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const b of blocks) {
    out.set(b, off);
    off += b.length;
  }
  return out;
}

export interface ParsedPcapng {
  interfaces: Array<CaptureInterface & { tsresol: number }>;
  packets: PcapngPacket[];
}

/** Units per second for an if_tsresol byte: high bit clear = 10^-n, set = 2^-n. */
function unitsPerSecond(tsresol: number): number {
  return tsresol & 0x80 ? 2 ** (tsresol & 0x7f) : 10 ** tsresol;
}

function readOpts(dv: DataView, file: Uint8Array, start: number, end: number, le: boolean): Opt[] {
  const out: Opt[] = [];
  let o = start;
  while (o + 4 <= end) {
    const code = dv.getUint16(o, le);
    const len = dv.getUint16(o + 2, le);
    if (code === OPT_ENDOFOPT) break;
    if (o + 4 + len > end) throw new KubewireError(`pcapng: option ${code} at offset ${o} runs past its block`);
    out.push({ code, value: file.subarray(o + 4, o + 4 + len) });
    o += 4 + ((len + 3) & ~3);
  }
  return out;
}

/** Reads a pcapng file (all sections; interface ids are made global across sections). */
export function readPcapng(file: Uint8Array): ParsedPcapng {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const interfaces: ParsedPcapng['interfaces'] = [];
  const packets: PcapngPacket[] = [];
  let le = true;
  let sectionBase = 0;
  let o = 0;
  while (o < file.length) {
    if (o + 12 > file.length) throw new KubewireError(`pcapng: truncated block header at offset ${o}`);
    const rawType = dv.getUint32(o, true);
    if (rawType === BT_SHB) {
      if (o + 16 > file.length) throw new KubewireError(`pcapng: truncated section header at offset ${o}`);
      const bom = dv.getUint32(o + 8, true);
      if (bom === BYTE_ORDER_MAGIC) le = true;
      else if (dv.getUint32(o + 8, false) === BYTE_ORDER_MAGIC) le = false;
      else throw new KubewireError(`pcapng: bad byte-order magic at offset ${o + 8}`);
      sectionBase = interfaces.length;
    } else if (o === 0) {
      throw new KubewireError('pcapng: file does not start with a Section Header Block');
    }
    const type = dv.getUint32(o, le);
    const total = dv.getUint32(o + 4, le);
    if (total < 12 || total % 4 !== 0 || o + total > file.length) {
      throw new KubewireError(`pcapng: block at offset ${o} has bad total length ${total}`);
    }
    if (dv.getUint32(o + total - 4, le) !== total) throw new KubewireError(`pcapng: block at offset ${o} has mismatched trailing length`);
    const body = o + 8;
    const end = o + total - 4;
    if (type === BT_IDB) {
      const itf: ParsedPcapng['interfaces'][number] = { linkType: dv.getUint16(body, le), snapLen: dv.getUint32(body + 4, le), tsresol: 6 };
      for (const op of readOpts(dv, file, body + 8, end, le)) {
        if (op.code === IF_NAME) itf.name = new TextDecoder().decode(op.value);
        else if (op.code === IF_DESCRIPTION) itf.description = new TextDecoder().decode(op.value);
        else if (op.code === IF_TSRESOL && op.value.length >= 1) itf.tsresol = op.value[0];
      }
      interfaces.push(itf);
    } else if (type === BT_EPB || type === BT_PB) {
      const id = type === BT_EPB ? dv.getUint32(body, le) : dv.getUint16(body, le);
      const gid = sectionBase + id;
      const itf = interfaces[gid];
      if (!itf) throw new KubewireError(`pcapng: packet at offset ${o} names undefined interface ${id}`);
      const hi = dv.getUint32(body + 4, le);
      const lo = dv.getUint32(body + 8, le);
      const capLen = dv.getUint32(body + 12, le);
      const origLen = dv.getUint32(body + 16, le);
      if (body + 20 + capLen > end) throw new KubewireError(`pcapng: packet at offset ${o} claims ${capLen} bytes past its block`);
      const ticks = (BigInt(hi) << 32n) | BigInt(lo);
      const ups = BigInt(unitsPerSecond(itf.tsresol));
      const timeUs = Number((ticks * 1000000n) / ups);
      const p: PcapngPacket = { timeUs, data: file.slice(body + 20, body + 20 + capLen), origLen, interfaceId: gid };
      if (type === BT_EPB) {
        for (const op of readOpts(dv, file, body + 20 + ((capLen + 3) & ~3), end, le)) {
          if (op.code === OPT_COMMENT) p.comment = new TextDecoder().decode(op.value);
          else if (op.code === EPB_FLAGS && op.value.length === 4) {
            const d = new DataView(op.value.buffer, op.value.byteOffset, 4).getUint32(0, le) & 3;
            if (d === 1) p.direction = 'in';
            else if (d === 2) p.direction = 'out';
          }
        }
      }
      packets.push(p);
    } else if (type === BT_SPB) {
      const itf = interfaces[sectionBase];
      if (!itf) throw new KubewireError(`pcapng: simple packet block at offset ${o} before any interface`);
      const origLen = dv.getUint32(body, le);
      const capLen = Math.min(origLen, end - body - 4, itf.snapLen || Infinity);
      packets.push({ timeUs: 0, data: file.slice(body + 4, body + 4 + capLen), origLen, interfaceId: sectionBase });
    }
    o += total;
  }
  return { interfaces, packets };
}

