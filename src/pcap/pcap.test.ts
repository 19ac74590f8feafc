// Capture-file writers and readers: our files against libpcap/tcpdump and Wireshark's
// editcap/capinfos, and files those tools wrote read back by us.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KubewireError } from '../errors.ts';
import { loadTestCapture } from '../wire/testing.node.ts';
import { readPcap, writePcap } from './pcap.ts';
import { readPcapng, writePcapng } from './pcapng.ts';
import { readCapture } from './read.ts';

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((x) => parseInt(x, 16)));
const frame = hex('ffffffffffff 020000000001 0806 0001 0800 0604 0001 020000000001 0a000001 000000000000 0a000002');

describe('classic pcap layout (pcap-savefile(5))', () => {
  it('global and record headers, little-endian, microseconds', () => {
    const f = writePcap([{ timeUs: 1_767_268_800_000_001, data: frame }]);
    expect(Array.from(f.subarray(0, 24))).toEqual([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0]);
    const dv = new DataView(f.buffer);
    expect(dv.getUint32(24, true)).toBe(1_767_268_800);
    expect(dv.getUint32(28, true)).toBe(1);
    expect(dv.getUint32(32, true)).toBe(42);
    expect(dv.getUint32(36, true)).toBe(42);
    expect(f.length).toBe(24 + 16 + 42);
  });
  it('snaps long packets, keeps original length', () => {
    const f = writePcap([{ timeUs: 0, data: new Uint8Array(100) }], { snapLen: 64 });
    const r = readPcap(f);
    expect(r.packets[0].data.length).toBe(64);
    expect(r.packets[0].origLen).toBe(100);
  });
  it('reads big-endian and nanosecond files', () => {
    const be = new Uint8Array(24 + 16 + 2);
    const dv = new DataView(be.buffer);
    dv.setUint32(0, 0xa1b23c4d, false);
    dv.setUint16(4, 2, false);
    dv.setUint16(6, 4, false);
    dv.setUint32(16, 65535, false);
    dv.setUint32(20, 1, false);
    dv.setUint32(24, 10, false);
    dv.setUint32(28, 123456789, false);
    dv.setUint32(32, 2, false);
    dv.setUint32(36, 2, false);
    const r = readPcap(be);
    expect(r.nanosecond).toBe(true);
    expect(r.packets[0].timeUs).toBe(10_123_456);
  });
  it('errors are KubewireErrors', () => {
    expect(() => readPcap(new Uint8Array(10))).toThrow(KubewireError);
    expect(() => readCapture(hex('00112233 00000000 00000000 00000000 00000000 00000000'))).toThrow(/bad magic 0x00112233/);
    const f = writePcap([{ timeUs: 0, data: frame }]);
    expect(() => readPcap(f.subarray(0, f.length - 1))).toThrow(/past the end/);
    expect(() => writePcap([{ timeUs: 1.5, data: frame }])).toThrow(/not a non-negative integer/);
  });
  it('reads files tcpdump wrote (testdata)', () => {
    const c = readCapture(loadTestCapture('busybox-wget.pcap'));
    expect(c.format).toBe('pcap');
    expect(c.interfaces[0]).toEqual({ linkType: 1, snapLen: 262144 });
    expect(c.packets.length).toBe(16);
    expect(writePcap(c.packets)).toEqual(loadTestCapture('busybox-wget.pcap'));
  });
});

describe('pcapng layout', () => {
  it('SHB, IDB with if_name and if_tsresol, EPB with interface id', () => {
    const f = writePcapng([{ linkType: 1, name: 'eth0' }], [{ timeUs: 0x1_0000_0002, data: frame, interfaceId: 0 }]);
    const dv = new DataView(f.buffer);
    expect(dv.getUint32(0, true)).toBe(0x0a0d0d0a);
    expect(dv.getUint32(8, true)).toBe(0x1a2b3c4d);
    const shbLen = dv.getUint32(4, true);
    expect(dv.getUint32(shbLen, true)).toBe(1); // IDB
    const idbLen = dv.getUint32(shbLen + 4, true);
    // IDB body: linktype 1, reserved, snaplen, if_name "eth0", if_tsresol 6, end of options.
    expect(Array.from(f.subarray(shbLen + 8, shbLen + idbLen - 4))).toEqual([
      1, 0, 0, 0, 0, 0, 4, 0, 2, 0, 4, 0, 0x65, 0x74, 0x68, 0x30, 9, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0,
    ]);
    const epb = shbLen + idbLen;
    expect(dv.getUint32(epb, true)).toBe(6);
    expect(dv.getUint32(epb + 8, true)).toBe(0);
    expect(dv.getUint32(epb + 12, true)).toBe(1);
    expect(dv.getUint32(epb + 16, true)).toBe(2);
    expect(dv.getUint32(epb + 20, true)).toBe(42);
    expect(dv.getUint32(epb + 4, true)).toBe(32 + 44);
  });
  it('round-trips interfaces, directions, comments, nanosecond resolution', () => {
    const f = writePcapng(
      [{ linkType: 1, name: 'node-a:eth0' }, { linkType: 1, name: 'node-a:vxlan.calico', description: 'VTEP' }],
      [{ timeUs: 5, data: frame, interfaceId: 1, direction: 'out', comment: 'hello' }, { timeUs: 6, data: frame }],
      { tsresol: 9 },
    );
    const r = readPcapng(f);
    expect(r.interfaces.map((i) => [i.name, i.tsresol])).toEqual([['node-a:eth0', 9], ['node-a:vxlan.calico', 9]]);
    expect(r.interfaces[1].description).toBe('VTEP');
    expect(r.packets[0]).toMatchObject({ timeUs: 5, interfaceId: 1, direction: 'out', comment: 'hello' });
    expect(r.packets[1]).toMatchObject({ timeUs: 6, interfaceId: 0 });
  });
  it('rejects bad interface ids and oversize options', () => {
    expect(() => writePcapng([{ linkType: 1 }], [{ timeUs: 0, data: frame, interfaceId: 1 }])).toThrow(/interface id 1/);
    expect(() => writePcapng([{ linkType: 1, name: 'x'.repeat(70000) }], [])).toThrow(/if_name/);
    expect(() => writePcapng([], [])).toThrow(/at least one interface/);
    const f = writePcapng([{ linkType: 1 }], [{ timeUs: 0, data: frame }]);
    const broken = f.slice();
    broken[f.length - 1] = 0x7f;
    expect(() => readPcapng(broken)).toThrow(KubewireError);
  });
});

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'kwt-pcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!has('editcap'))('files Wireshark writes (editcap) — skipped without editcap', () => {
  it('reads a pcapng and a nanosecond pcap converted by editcap', () => {
    const src = join(dir, 'in.pcap');
    writeFileSync(src, loadTestCapture('lab-capture.pcap'));
    const orig = readCapture(loadTestCapture('lab-capture.pcap'));
    for (const fmt of ['pcapng', 'nsecpcap']) {
      const out = join(dir, `out.${fmt}`);
      execFileSync('editcap', ['-F', fmt, src, out], { stdio: 'ignore' });
      const c = readCapture(new Uint8Array(readFileSync(out)));
      expect(c.format).toBe(fmt === 'pcapng' ? 'pcapng' : 'pcap');
      expect(c.packets.map((p) => [p.timeUs, p.data])).toEqual(orig.packets.map((p) => [p.timeUs, p.data]));
    }
  });
  it('capinfos accepts our pcapng', () => {
    const f = join(dir, 'ours.pcapng');
    writeFileSync(f, writePcapng([{ linkType: 1, name: 'ip-192-168-1-2.us-west-2.compute.internal:eth0' }], readCapture(loadTestCapture('lab-capture.pcap')).packets));
    const info = execFileSync('capinfos', ['-c', '-E', '-I', f], { encoding: 'utf8' });
    expect(info).toMatch(/Number of packets:\s+34/);
    expect(info).toMatch(/File encapsulation:\s+Ethernet/);
    expect(info).toContain('ip-192-168-1-2.us-west-2.compute.internal:eth0');
  });
});

describe.skipIf(!has('tcpdump'))('libpcap reads our files — skipped without tcpdump', () => {
  it('pcap and pcapng', () => {
    const packets = readCapture(loadTestCapture('glibc-nxdomain.pcap')).packets;
    for (const [name, bytes] of [['a.pcap', writePcap(packets)], ['a.pcapng', writePcapng([{ linkType: 1, name: 'eth0' }], packets)]] as const) {
      const f = join(dir, name);
      writeFileSync(f, bytes);
      const out = execFileSync('tcpdump', ['-n', '-r', f], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' }, stdio: ['ignore', 'pipe', 'ignore'] });
      expect(out.trimEnd().split('\n').length).toBe(20);
    }
  });
});
