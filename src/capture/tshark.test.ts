// Captures of a whole `wget http://nginx:8080/` run (DNS through kube-dns, TCP, HTTP, teardown)
// along its path, on the VPC CNI cluster and on Calico VXLAN, read by the real tshark with
// checksum validation on: no malformed packet, every checksum good, no expert warning on any
// single interface's capture, the HTTP request/response and the TCP stream decode, and on Calico
// the ens5 frames decode as VXLAN VNI 4096 around the inner pod packet.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labTestCluster } from '../lab/testing.ts';
import { tsharkUnavailable } from '../wire/lab.node.ts';
import { captureFiles, captureRun } from './index.ts';
import { testWgetRun } from './testing.ts';
import type { ClusterState } from '../control-plane/types.ts';
import { tracePacket } from '../engine/index.ts';
import { ipsetsOf } from '../cni/index.ts';

const missing = tsharkUnavailable();
const dir = mkdtempSync(join(tmpdir(), 'kwt-capture-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CHECK = ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];
const FIELDS = ['frame.interface_name', 'ip.src', 'ip.dst', 'vxlan.vni', 'http.request.uri', 'http.response.code', 'dns.qry.name',
  'ip.checksum.status', 'udp.checksum.status', 'tcp.checksum.status', '_ws.expert.severity', '_ws.malformed', 'tcp.stream'];

function tshark(file: string, extra: string[] = []): Array<Record<string, string>> {
  const out = execFileSync('tshark', ['-r', file, ...CHECK, '-T', 'fields', '-E', 'separator=|', ...extra, ...FIELDS.flatMap((f) => ['-e', f])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.trimEnd().split('\n').map((l) => Object.fromEntries(l.split('|').map((v, i) => [FIELDS[i], v])));
}

function follow(file: string, stream: number): string {
  return execFileSync('tshark', ['-r', file, '-q', '-z', `follow,tcp,ascii,${stream}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

function clientPod(state: ClusterState): string {
  const node = state.nodes[0].name;
  return Object.keys(state.objects)
    .filter((k) => k.startsWith('Pod/default/nginx'))
    .map((k) => k.split('/')[2])
    .find((p) => (state.objects[`Pod/default/${p}`] as unknown as { spec: { nodeName: string } }).spec.nodeName === node)!;
}

function checkClean(rows: Array<Record<string, string>>, perInterface: boolean): void {
  for (const r of rows) {
    expect(r['_ws.malformed'], `malformed on ${r['frame.interface_name']}`).toBe('');
    for (const f of ['ip.checksum.status', 'udp.checksum.status', 'tcp.checksum.status']) {
      for (const v of r[f].split(',').filter(Boolean)) expect(v, `${f} on ${r['frame.interface_name']}`).toBe('1');
    }
    // Expert severities: chat 0x200000, note 0x400000 (e.g. "this frame initiates the connection
    // closing"), warning 0x600000, error 0x800000. One file with every point holds the same
    // datagram several times, which tshark warns about as DNS retransmissions; one interface alone
    // must be free of warnings, and nothing may be an error.
    for (const s of r['_ws.expert.severity'].split(',').filter(Boolean)) expect(Number(s)).toBeLessThan(perInterface ? 0x600000 : 0x800000);
  }
}

describe.skipIf(!!missing)(`captures read by tshark (${missing ?? 'tshark'})`, () => {
  for (const cni of ['vpc-cni', 'calico-vxlan'] as const) {
    describe(cni, () => {
      const state = labTestCluster(3, true, cni);
      // Seeds that send the connection to an nginx pod on another node (the DNS too, to CoreDNS there).
      const run = testWgetRun(state, { pod: clientPod(state), target: 'nginx', port: 8080, seed: cni === 'vpc-cni' ? 7 : 5 });
      const r = captureRun(state, run, 'path');
      const [ng] = captureFiles(r, 'pcapng', join(dir, `${cni}.pcapng`));
      writeFileSync(ng.name, ng.bytes);
      const singles = captureFiles(r, 'pcap', join(dir, `${cni}.pcap`));
      for (const f of singles) writeFileSync(f.name, f.bytes);
      const node0 = state.nodes[0].name;

      it('the flows cross both nodes', () => {
        expect(r.points.map((p) => p.name)).toContain(`${node0}:ens5`);
        expect(r.points.filter((p) => p.name.endsWith(':ens5')).length).toBe(2);
      });

      it('pcapng: every packet decodes, checksums good, interfaces named node:dev / ns/pod:dev', () => {
        const rows = tshark(ng.name);
        expect(rows.length).toBe(r.packets.length);
        checkClean(rows, false);
        expect(new Set(rows.map((x) => x['frame.interface_name']))).toEqual(new Set(r.points.map((p) => p.name)));
        // The same segment seen again on the next device is a retransmission to tshark, so HTTP is
        // decoded where the stream is first seen; each interface alone decodes it fully (below).
        expect(rows.filter((x) => x['http.request.uri'] === '/').length).toBeGreaterThanOrEqual(1);
        expect(rows.filter((x) => x['http.response.code'] === '200').length).toBeGreaterThanOrEqual(1);
        expect(rows.filter((x) => x['dns.qry.name'] === 'nginx.default.svc.cluster.local').length).toBeGreaterThanOrEqual(4);
      });

      it('each interface alone: no warnings, the TCP stream carries the request and nginx\'s page', () => {
        let tcpPoints = 0;
        for (const f of singles) {
          const rows = tshark(f.name);
          checkClean(rows, true);
          const streams = new Set(rows.map((x) => x['tcp.stream']).filter(Boolean));
          if (!streams.size) {
            // Only the DNS exchange crosses this device (the way to and from CoreDNS).
            expect(rows.every((x) => x['dns.qry.name'] === 'nginx.default.svc.cluster.local'), f.name).toBe(true);
            continue;
          }
          tcpPoints++;
          expect(streams.size, f.name).toBe(1);
          expect(rows.filter((x) => x['http.request.uri'] === '/').length, f.name).toBe(1);
          expect(rows.filter((x) => x['http.response.code'] === '200').length, f.name).toBe(1);
          const text = follow(f.name, Number([...streams][0]));
          expect(text).toContain('GET / HTTP/1.1');
          expect(text).toContain('HTTP/1.1 200 OK');
          expect(text).toContain('<title>Welcome to nginx!</title>');
        }
        expect(tcpPoints).toBeGreaterThanOrEqual(4);
      });

      it('ping: echo request and reply on every device, ICMP checksums good', () => {
        const pod = clientPod(state);
        const target = state.nodes[1].primaryIp;
        const probe = { from: { pod, namespace: 'default' }, dst: target, dport: 0, protocol: 'ICMP' as const, sport: 7 };
        const flows = [0, 1].map((seq) => ({ kind: 'icmp' as const, probe, trace: tracePacket(state, probe, { enumerate: false, seed: 1, ipsets: ipsetsOf(state) }), icmpSeq: seq, icmpDataLen: 56, startUs: seq * 1_000_000 }));
        const pr = captureRun(state, { ...run, flows }, 'path');
        const [f] = captureFiles(pr, 'pcapng', join(dir, `${cni}-ping.pcapng`));
        writeFileSync(f.name, f.bytes);
        const out = execFileSync('tshark', ['-r', f.name, ...CHECK, '-T', 'fields', '-E', 'separator=|', '-e', 'icmp.type', '-e', 'icmp.checksum.status', '-e', '_ws.malformed', '-e', 'ip.checksum.status'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
        const rows = out.trimEnd().split('\n').map((l) => l.split('|'));
        expect(rows.length).toBe(pr.packets.length);
        expect(rows.filter((r) => r[0] === '8').length).toBe(rows.filter((r) => r[0] === '0').length);
        for (const r of rows) expect([r[1], r[2], r[3].split(',').every((v) => v === '1')]).toEqual(['1', '', true]);
      });

      if (cni === 'calico-vxlan') {
        it('ens5: VXLAN VNI 4096 between the node IPs around the inner pod packet', () => {
          const f = singles.find((x) => x.point?.name === `${node0}:ens5`)!;
          const rows = tshark(f.name);
          const nodeIps = new Set(state.nodes.map((n) => n.primaryIp));
          for (const x of rows) {
            expect(x['vxlan.vni']).toBe('4096');
            const [outer, inner] = x['ip.src'].split(',');
            expect(nodeIps.has(outer)).toBe(true);
            expect(inner).toMatch(/^172\.16\./);
          }
          expect(rows.some((x) => x['http.request.uri'] === '/')).toBe(true);
        });
      }
    });
  }
});
