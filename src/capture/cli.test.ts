// `kubewire capture` end to end, in process, on a state directory of its own: busybox's
// wget to the nginx Service captured along its path and on named devices; pcapng, pcap and text
// output; clear errors for bad capture points and missing output.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../cli/main.ts';
import { readPcapng } from '../pcap/pcapng.ts';
import { readPcap } from '../pcap/pcap.ts';

const dir = mkdtempSync(join(tmpdir(), 'kwt-capcli-'));
const state = join(dir, 'state');

async function kw(...args: string[]): Promise<{ code: number; out: string; err: string; bytes: Uint8Array[] }> {
  let out = '';
  let err = '';
  const bytes: Uint8Array[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (typeof s === 'string' ? (out += s) : bytes.push(s), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    process.exitCode = undefined;
    const code = await main(['node', 'kubewire', '--state', state, ...args]);
    return { code, out, err, bytes };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = undefined;
  }
}

const WGET = ['--', 'exec', 'busybox', '--', 'wget', '-qO-', 'http://nginx:8080'];

beforeAll(async () => {
  for (const a of [
    ['create', 'deployment', 'nginx', '--image=nginx', '--replicas=3', '--port=80'],
    ['expose', 'deployment', 'nginx', '--port=8080', '--target-port=80'],
    ['run', 'busybox', '--image=busybox', '--', 'sleep', '3600'],
  ]) expect((await kw(...a)).code).toBe(0);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kubewire capture', () => {
  it('--path -r: the whole exchange, one line per packet naming interface and direction', async () => {
    const r = await kw('capture', '--path', '-r', ...WGET);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{6} default\/busybox:eth0 Out IP \S+ > \S+\.53: \d+\+ A\? nginx\.default\.svc\.cluster\.local\. \(49\)$/);
    expect(lines.some((l) => /default\/busybox:eth0 Out .*: Flags \[P\.\], .*HTTP: GET \/ HTTP\/1\.1$/.test(l))).toBe(true);
    expect(lines.some((l) => /default\/busybox:eth0 In .*HTTP: HTTP\/1\.1 200 OK$/.test(l))).toBe(true);
    expect(lines.filter((l) => / Flags \[F\.\]/.test(l)).length).toBeGreaterThanOrEqual(2);
  });

  it('-w pcapng with named points: one interface block per device, in the order given; eth0 is the node\'s ens5', async () => {
    const pods = (await kw('get', 'pods', '-o', 'wide')).out;
    const node = /^busybox\s+.*\s(ip-[\d-]+)\.\S+/m.exec(pods)![1];
    const file = join(dir, 'out.pcapng');
    const r = await kw('capture', '-i', `${node}:eth0`, '-i', 'busybox:eth0', '-w', file, ...WGET);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/wrote \d+ packets to .*out\.pcapng \(2 interfaces: ip-[\d-]+\.[^:]+:ens5, default\/busybox:eth0\)/);
    const f = readPcapng(new Uint8Array(readFileSync(file)));
    expect(f.interfaces.map((i) => i.name)).toEqual([expect.stringMatching(new RegExp(`^${node}\\..*:ens5$`)), 'default/busybox:eth0']);
    expect(f.packets.filter((p) => p.interfaceId === 1).length).toBeGreaterThanOrEqual(15);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('-w -: the pcapng on standard output', async () => {
    const r = await kw('capture', '--path', '-w', '-', ...WGET);
    expect(r.code).toBe(0);
    expect(r.bytes.length).toBe(1);
    const f = readPcapng(r.bytes[0]);
    expect(f.interfaces[0].name).toBe('default/busybox:eth0');
    expect(f.packets.length).toBeGreaterThan(30);
    const both = await kw('capture', '--path', '-w', '-', '-r', ...WGET);
    expect(both.err).toBe('error: capture: -w - and -r both write to standard output; use one\n');
  });

  it('--format pcap: one classic pcap per device, named after it', async () => {
    const base = join(dir, 'per.pcap');
    const r = await kw('capture', '--path', '--format', 'pcap', '-w', base, ...WGET);
    expect(r.code).toBe(0);
    const files = readdirSync(dir).filter((n) => n.startsWith('per.') && n.endsWith('.pcap'));
    expect(files).toContain('per.default_busybox_eth0.pcap');
    for (const n of files) expect(readPcap(new Uint8Array(readFileSync(join(dir, n)))).packets.length).toBeGreaterThan(0);
  });

  it('errors: unknown device (with the devices there), unknown pod, no output, bad exec part; nothing written', async () => {
    const file = join(dir, 'none.pcapng');
    let r = await kw('capture', '-i', 'busybox:eth9', '-w', file, ...WGET);
    expect([r.code, r.err]).toEqual([1, 'error: capture point "busybox:eth9": pod default/busybox has no device "eth9" (devices: lo, eth0)\n']);
    r = await kw('capture', '-i', 'nope:eth0', '-w', file, ...WGET);
    expect(r.err).toMatch(/^error: capture point "nope:eth0": no node or pod "nope" \(nodes: ip-.*; pods in default: .*busybox\)\n$/);
    r = await kw('capture', '-i', 'busybox:eth0', ...WGET);
    expect(r.err).toBe('error: capture: say where the packets go: -w FILE to write a capture, -r to print them\n');
    r = await kw('capture', '-i', 'busybox:eth0', '-r', '--', 'busybox', 'wget');
    expect(r.err).toMatch(/^error: capture: expected "-- exec \[-n NS\] POD -- COMMAND\.\.\."/);
    r = await kw('capture', '-i', 'busybox:eth0', '-w', join(dir, 'no', 'such', 'dir.pcapng'), ...WGET);
    expect(r.err).toMatch(/^error: capture: cannot write .*dir\.pcapng: ENOENT\n$/);
    expect(existsSync(file)).toBe(false);
  });

  it('--path of a command that sends nothing: an error, no file', async () => {
    const file = join(dir, 'nothing.pcapng');
    const r = await kw('capture', '--path', '-w', file, '--', 'exec', 'busybox', '--', 'cat', '/etc/resolv.conf');
    expect([r.code, r.err]).toEqual([1, 'error: capture: "cat /etc/resolv.conf" sent no packets, so there is no path to capture on\n']);
    expect(existsSync(file)).toBe(false);
  });

  it('a failing command: its error and status, and the capture of what it sent', async () => {
    const r = await kw('capture', '-i', 'busybox:eth0', '-r', '--', 'exec', 'busybox', '--', 'wget', '-qO-', 'http://nope:8080');
    expect(r.code).toBe(1);
    expect(r.err).toContain("wget: bad address 'nope:8080'");
    expect(r.out).toMatch(/A\? nope\.default\.svc\.cluster\.local\. \(48\)\n.* NXDomain\*- 0\/1\/0/);
    // nginx's own 404 page, headers and body in one segment, then nginx closes.
    const nf = await kw('capture', '-i', 'busybox:eth0', '-r', '--', 'exec', 'busybox', '--', 'wget', '-qO-', 'http://nginx:8080/nope');
    expect(nf.code).toBe(1);
    expect(nf.out, nf.out).toMatch(/HTTP: GET \/nope HTTP\/1\.1\n.*\n.*length 303: HTTP: HTTP\/1\.1 404 Not Found\n.*Flags \[\.\], ack 304.*\n.*Flags \[F\.\]/);
  });
});
