// Classic libpcap files (https://www.tcpdump.org/manpages/pcap-savefile.5.html): 24-byte global
// header written little-endian with magic 0xa1b2c3d4 (microsecond timestamps), version 2.4, one
// link type; 16-byte record headers (seconds, microseconds, captured length, original length).

import { KubewireError } from '../errors.ts';
import { DEFAULT_SNAPLEN, LINKTYPE_ETHERNET, type CapturedPacket } from './types.ts';

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;

export interface PcapWriteOptions {
  linkType?: number;
  snapLen?: number;
}

function checkTime(us: number): void {
  if (!Number.isSafeInteger(us) || us < 0) throw new KubewireError(`capture timestamp ${us} µs is not a non-negative integer`);
  if (Math.floor(us / 1e6) > 0xffffffff) throw new KubewireError(`capture timestamp ${us} µs does not fit a 32-bit seconds field`);
}

/** Writes a classic pcap file. Packets longer than the snapshot length are truncated with their
 *  original length kept, as libpcap does. */
export function writePcap(packets: readonly CapturedPacket[], opts: PcapWriteOptions = {}): Uint8Array {
  const snap = opts.snapLen ?? DEFAULT_SNAPLEN;
  let size = 24;
  for (const p of packets) size += 16 + Math.min(p.data.length, snap);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, PCAP_MAGIC_US, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setInt32(8, 0, true);
  dv.setUint32(12, 0, true);
  dv.setUint32(16, snap, true);
  dv.setUint32(20, opts.linkType ?? LINKTYPE_ETHERNET, true);
  let o = 24;
  for (const p of packets) {
    checkTime(p.timeUs);
    const incl = Math.min(p.data.length, snap);
    const orig = p.origLen ?? p.data.length;
    if (orig < p.data.length) throw new KubewireError(`capture packet: original length ${orig} is less than captured length ${p.data.length}`);
    dv.setUint32(o, Math.floor(p.timeUs / 1e6), true);
    dv.setUint32(o + 4, p.timeUs % 1e6, true);
    dv.setUint32(o + 8, incl, true);
    dv.setUint32(o + 12, orig, true);
    out.set(p.data.subarray(0, incl), o + 16);
    o += 16 + incl;
  }
  return out;
}

export interface ParsedPcap {
  linkType: number;
  snapLen: number;
  nanosecond: boolean;
  packets: CapturedPacket[];
}

/** Reads a classic pcap file of either byte order, microsecond or nanosecond flavour. */
export function readPcap(file: Uint8Array): ParsedPcap {
  if (file.length < 24) throw new KubewireError(`pcap file: ${file.length} bytes is too short for the global header`);
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let le: boolean;
  const m = dv.getUint32(0, true);
  if (m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS) le = true;
  else if (dv.getUint32(0, false) === PCAP_MAGIC_US || dv.getUint32(0, false) === PCAP_MAGIC_NS) le = false;
  else throw new KubewireError(`pcap file: bad magic 0x${dv.getUint32(0, false).toString(16).padStart(8, '0')}`);
  const nanosecond = dv.getUint32(0, le) === PCAP_MAGIC_NS;
  const snapLen = dv.getUint32(16, le);
  const linkType = dv.getUint32(20, le) & 0x0fffffff;
  const packets: CapturedPacket[] = [];
  let o = 24;
  while (o < file.length) {
    if (o + 16 > file.length) throw new KubewireError(`pcap file: truncated record header at offset ${o}`);
    const sec = dv.getUint32(o, le);
    const frac = dv.getUint32(o + 4, le);
    const incl = dv.getUint32(o + 8, le);
    const orig = dv.getUint32(o + 12, le);
    if (o + 16 + incl > file.length) throw new KubewireError(`pcap file: record at offset ${o} claims ${incl} bytes past the end of the file`);
    packets.push({
      timeUs: sec * 1e6 + (nanosecond ? Math.floor(frac / 1000) : frac),
      data: file.slice(o + 16, o + 16 + incl),
      origLen: orig,
      interfaceId: 0,
    });
    o += 16 + incl;
  }
  return { linkType, snapLen, nanosecond, packets };
}
