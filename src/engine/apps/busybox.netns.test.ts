// Differential check against the real busybox (the host's, glibc build) in two `kwt-*` network
// namespaces: a client with the pod's resolv.conf, and a server namespace holding kube-dns's and
// the nginx Service's addresses, where a small DNS server answers exactly what the simulated
// CoreDNS answered and an HTTP server sends the simulated nginx's bytes. The real busybox must
// print what the simulated one printed, exit the same, and ask the DNS questions in the same order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nginxCluster, testPod } from '../../testing/nginx-cluster.ts';
import type { ClusterState } from '../../control-plane/types.ts';
import { emitHttpResponse } from '../../wire/http.ts';
import { NetnsLab, netnsUsable } from '../../testing/netns.node.ts';
import { waitForOutput } from '../../testing/process.node.ts';
import { resolvConfText, runPodCommand, type AppRun } from './index.ts';
import { podResolv } from './resolv.ts';
import { podView } from './workloads.ts';
import { nginxAnswer } from './nginx.ts';

const usable = netnsUsable();
const busybox = spawnSync('busybox', ['true']).status === 0;
const python = spawnSync('python3', ['-c', '0']).status === 0;
const skip = !usable.ok ? usable.reason : !busybox ? 'needs the busybox binary' : !python ? 'needs python3' : '';
if (skip) console.warn(`busybox.netns.test: skipped (${skip})`);

// Answers UDP/53 from a table and TCP/8080 with fixed HTTP responses; logs the DNS questions.
const SERVER = String.raw`
import json, socket, struct, sys, threading, time
cfg = json.load(open(sys.argv[1]))
log = open(sys.argv[2], 'a')
def read_name(b, o):
    labels = []
    while b[o]:
        labels.append(b[o + 1:o + 1 + b[o]].decode()); o += 1 + b[o]
    return '.'.join(labels), o + 1
def dns():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((cfg['dnsIp'], 53))  # replies must come from the address asked
    while True:
        q, peer = s.recvfrom(512)
        qid, flags = struct.unpack('!HH', q[:4])
        name, o = read_name(q, 12)
        qtype = struct.unpack('!H', q[o:o + 2])[0]
        log.write('%s %d\n' % (name, qtype)); log.flush()
        a = cfg['dns'].get('%s|%d' % (name.lower(), qtype))
        if a is None:
            continue
        ans = b''
        for ip in a['an']:
            ans += b'\xc0\x0c' + struct.pack('!HHIH', 1, 1, 5, 4) + socket.inet_aton(ip)
        fl = 0x8000 | (0x0400 if a['aa'] else 0x0080) | (flags & 0x0100) | a['rc']
        s.sendto(struct.pack('!HHHHHH', qid, fl, 1, len(a['an']), 0, 0) + q[12:o + 4] + ans, peer)
def http():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', 8080)); s.listen(16)
    while True:
        c, _ = s.accept(); req = b''
        while b'\r\n\r\n' not in req:
            d = c.recv(4096)
            if not d: break
            req += d
        path = req.split(b' ')[1].decode() if req else '/'
        c.sendall(bytes.fromhex(cfg['http'].get(path, cfg['http']['*']))); c.close()
threading.Thread(target=dns, daemon=True).start()
threading.Thread(target=http, daemon=True).start()
print('ready', flush=True)
time.sleep(60)
`;

let state: ClusterState;
let lab: NetnsLab;
let dir: string;
let etcDir = '';
let server: ChildProcess | undefined;
const runs: Record<string, AppRun> = {};

const CASES = [
  'nslookup nginx',
  'nslookup nosuch',
  'nslookup nginx.default.svc.cluster.local',
  'nslookup kubernetes.default',
  'nslookup example.com',
  'wget -O- http://nginx:8080',
  'wget -q -O- http://nginx:8080/nope',
  'wget -q -O- nosuch:8080',
  'wget -q -O- nginx.default.svc.cluster.local:8080',
];

function build(): ClusterState {
  return nginxCluster({ extra: () => [testPod('busybox', 'busybox:1.36')] }).state;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

describe.skipIf(!!skip)('busybox in a pod vs the real busybox', () => {
  beforeAll(async () => {
    state = build();
    for (const c of CASES) runs[c] = runPodCommand(state, { namespace: 'default', pod: 'busybox' }, c.split(' '), { seed: 3 });
    // The DNS table: every question the simulated programs asked, with the simulated answer.
    const table: Record<string, { rc: number; aa: boolean; an: string[] }> = {};
    const RC = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;
    for (const r of Object.values(runs)) {
      for (const f of r.flows) {
        if (!f.dns?.answered) continue;
        table[`${f.dns.name.toLowerCase()}|${f.dns.qtype === 'A' ? 1 : 28}`] = { rc: RC[f.dns.rcode], aa: !!f.dns.aa, an: f.dns.answers };
      }
    }
    const http = { '/': hex(emitHttpResponse(nginxAnswer('GET', '/', 1_700_000_000, '1.27.5'))), '*': hex(emitHttpResponse(nginxAnswer('GET', '/nope', 1_700_000_000, '1.27.5'))) };
    dir = mkdtempSync(join(tmpdir(), 'kwt-bb-'));
    const dnsIp = (state.objects['Service/kube-system/kube-dns'] as unknown as { spec: { clusterIP: string } }).spec.clusterIP;
    writeFileSync(join(dir, 'cfg.json'), JSON.stringify({ dns: table, http, dnsIp }));
    writeFileSync(join(dir, 'server.py'), SERVER);
    writeFileSync(join(dir, 'log'), '');

    lab = new NetnsLab();
    lab.create(['client', 'server']);
    const c = lab.realName('client');
    const s = lab.realName('server');
    const ip = (ns: string, ...a: string[]) => {
      const r = spawnSync('ip', ['-n', ns, ...a], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip -n ${ns} ${a.join(' ')}: ${r.stderr}`);
    };
    ip(c, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', s);
    ip(c, 'addr', 'add', '10.99.0.1/24', 'dev', 'eth0');
    ip(s, 'addr', 'add', '10.99.0.2/24', 'dev', 'eth0');
    for (const ns of [c, s]) {
      ip(ns, 'link', 'set', 'lo', 'up');
      ip(ns, 'link', 'set', 'eth0', 'up');
    }
    ip(c, 'route', 'add', 'default', 'via', '10.99.0.2');
    const svcIp = (state.objects['Service/default/nginx'] as unknown as { spec: { clusterIP: string } }).spec.clusterIP;
    ip(s, 'addr', 'add', `${dnsIp}/32`, 'dev', 'lo');
    ip(s, 'addr', 'add', `${svcIp}/32`, 'dev', 'lo');
    // `ip netns exec` binds /etc/netns/<name>/resolv.conf over /etc/resolv.conf.
    etcDir = join('/etc/netns', c);
    mkdirSync(etcDir, { recursive: true });
    writeFileSync(join(etcDir, 'resolv.conf'), resolvConfText(podResolv(state, 'default', podView(state, 'default', 'busybox')!)));
    server = spawn('ip', ['netns', 'exec', s, 'timeout', '60', 'python3', join(dir, 'server.py'), join(dir, 'cfg.json'), join(dir, 'log')], { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitForOutput(server!, 'ready', 5000, 'server did not start');
  }, 30_000);

  afterAll(() => {
    if (server?.pid !== undefined && server.exitCode === null) server.kill('SIGTERM');
    lab?.cleanup();
    if (etcDir) rmSync(etcDir, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(`${c}: same output, status and DNS questions`, () => {
      const before = readFileSync(join(dir, 'log'), 'utf8').length;
      const real = spawnSync('ip', ['netns', 'exec', lab.realName('client'), 'timeout', '20', 'busybox', ...c.split(' ')], { encoding: 'utf8' });
      const sim = runs[c];
      expect({ stdout: real.stdout, stderr: real.stderr, exitCode: real.status }).toEqual({ stdout: sim.stdout, stderr: sim.stderr, exitCode: sim.exitCode });
      const asked = readFileSync(join(dir, 'log'), 'utf8').slice(before).trim().split('\n').filter(Boolean);
      const simAsked = sim.flows.filter((f) => f.dns).map((f) => `${f.dns!.name} ${f.dns!.qtype === 'A' ? 1 : 28}`);
      // nslookup's queries leave back to back and may be logged in any order; the resolver's in order.
      if (c.startsWith('nslookup')) expect([...asked].sort()).toEqual([...simAsked].sort());
      else expect(asked).toEqual(simAsked);
    });
  }
});
