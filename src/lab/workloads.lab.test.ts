// Real clients against the lab's workloads: on the default cluster with nginx x3 behind Service
// nginx:8080 and a busybox pod, Debian's busybox in the busybox pod's namespace fetches nginx's page
// by name (resolv.conf → the lab's CoreDNS through kube-proxy's DNAT), nslookup answers, ping
// works, tcpdump captures the exchange, and down leaves no process or namespace.
// Needs root, busybox, python3, tcpdump and tshark; skips with the reason otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { labDown, labUp, nsExec, rootCheck, type Lab } from './lab.node.ts';
import { findPodNetns } from '../k8s/lookup.ts';
import { DNS_A, dnsQuery, emitDns, parseDns } from '../wire/dns.ts';
import { labExec } from './exec.node.ts';
import { labCapture } from './capture.node.ts';
import { labWorkloadCluster } from './testing.ts';
import { labNsRe } from './plan.ts';
import { WORKLOAD_MARKER_PREFIX } from './workload-py.ts';
import { NGINX_INDEX_HTML, NGINX_VERSION } from '../wire/http.ts';
import type { ClusterState } from '../control-plane/types.ts';
import { applyObjects } from '../control-plane/cluster.ts';
import { pluginsFor } from '../cni/index.ts';
import { admitObject } from '../inputs/k8s-objects.ts';
import { generatePod } from '../k8s/generators.ts';
import { tracePacket } from '../engine/index.ts';

const PREFIX = 'kww';
const has = (c: string) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0;
const root = rootCheck();
const missing = ['busybox', 'python3', 'tcpdump', 'tshark'].filter((c) => !has(c));
const skip = !root.ok ? root.reason : missing.length ? `needs ${missing.join(', ')}` : '';

function markedPids(prefix: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').some((a) => a.startsWith(prefix))) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

const netns = () =>
  spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => labNsRe(PREFIX).test(n));

describe.skipIf(!!skip)(`lab workloads with real clients (${skip || 'root'})`, () => {
  const runDir = mkdtempSync(join(tmpdir(), 'kw-labwork-'));
  const outDir = mkdtempSync(join(tmpdir(), 'kw-labwork-out-'));
  let state: ClusterState;
  let lab: Lab;
  const podIpOf = (ns: string, prefix: string) =>
    (Object.entries(state.objects).find(([k]) => k.startsWith(`Pod/${ns}/${prefix}`))![1] as unknown as { status: { podIP: string } }).status.podIP;
  const svc = (ns: string, n: string) => (state.objects[`Service/${ns}/${n}`] as unknown as { spec: { clusterIP: string } }).spec.clusterIP;
  const exec = (argv: string[]) => labExec(state, lab.record, { pod: 'busybox' }, argv, { runDir, timeoutMs: 20_000 });

  beforeAll(async () => {
    state = labWorkloadCluster();
    // An nginx pod declaring containerPort 8080: the image listens on 80 only (podListeners).
    applyObjects(state, [admitObject(generatePod({ name: 'web8080', image: 'nginx', port: 8080 }))], pluginsFor(state.spec));
    lab = await labUp(state, { runDir, prefix: PREFIX, handleSignals: false });
  }, 120_000);
  afterAll(() => {
    labDown({ runDir, all: true, prefix: PREFIX });
    rmSync(runDir, { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
  });

  it('busybox wget -qO- http://nginx:8080 prints nginx\'s default page (by name, via CoreDNS and kube-proxy)', async () => {
    const r = await exec(['wget', '-qO-', 'http://nginx:8080']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(NGINX_INDEX_HTML);
  });

  it('the response headers are nginx\'s; another path is nginx\'s 404', async () => {
    const r = await exec(['wget', '-S', '-O', '/dev/null', 'http://nginx:8080/']);
    const headers = r.stderr.split('\n').filter((l) => l.startsWith('  ') && l.trim()).map((l) => l.trim());
    expect(headers[0]).toBe('HTTP/1.1 200 OK');
    expect(headers.map((h) => h.split(':')[0])).toEqual(['HTTP/1.1 200 OK', 'Server', 'Date', 'Content-Type', 'Content-Length', 'Last-Modified', 'Connection', 'ETag', 'Accept-Ranges']);
    expect(headers).toContain(`Server: nginx/${NGINX_VERSION}`);
    expect(headers).toContain('Content-Length: 615');
    const nf = await exec(['wget', '-qO-', 'http://nginx:8080/nope']);
    expect(nf.exitCode).toBe(1);
    expect(nf.stderr).toContain('404 Not Found');
  });

  it('nslookup nginx answers with the Service IP from the cluster DNS; kubelet\'s resolv.conf is in place', async () => {
    const r = await exec(['nslookup', 'nginx']);
    const dnsIp = svc('kube-system', 'kube-dns');
    expect(r.stdout).toContain(`Server:\t\t${dnsIp}\nAddress:\t${dnsIp}:53\n`);
    expect(r.stdout).toContain(`Name:\tnginx.default.svc.cluster.local\nAddress: ${svc('default', 'nginx')}\n`);
    expect(r.stdout).toContain("** server can't find nginx.svc.cluster.local: NXDOMAIN");
    const fq = await exec(['nslookup', 'kube-dns.kube-system.svc.cluster.local']);
    expect(fq.exitCode).toBe(0);
    expect(fq.stdout).toContain(`Address: ${dnsIp}\n`);
  });

  it('CoreDNS answers over TCP too, and a declared port of another image (CoreDNS metrics 9153) accepts and closes', () => {
    const bb = lab.record.nodes.flatMap((n) => Object.entries(n.ns).map(([m, real]) => ({ node: n.node, m, real })));
    const where = findPodNetns(state, 'default', 'busybox');
    const real = bb.find((x) => x.node === where.node && x.m === where.netns)!.real;
    const q = Buffer.from(emitDns(dnsQuery(0x4242, 'nginx.default.svc.cluster.local.', DNS_A))).toString('hex');
    const py = [
      'import socket, struct, sys',
      `s = socket.create_connection(('${svc('kube-system', 'kube-dns')}', 53), timeout=5)`,
      `q = bytes.fromhex('${q}')`,
      "s.sendall(struct.pack('>H', len(q)) + q)",
      "n = struct.unpack('>H', s.recv(2))[0]",
      "b = b''",
      'while len(b) < n: b += s.recv(n - len(b))',
      'print(b.hex())',
      '# a coredns pod IP, port 9153: connect works, then EOF',
      `m = socket.create_connection(('${podIpOf('kube-system', 'coredns-')}', 9153), timeout=5)`,
      "print('eof' if m.recv(10) == b'' else 'data')",
    ].join('\n');
    const r = nsExec(real, ['python3', '-c', py], { timeoutMs: 15_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const [hex, eof] = r.stdout.trim().split('\n');
    const m = parseDns(new Uint8Array(Buffer.from(hex, 'hex')));
    expect(m).toMatchObject({ id: 0x4242, qr: true, aa: true, rcode: 0 });
    expect(m.answers.map((a) => a.data)).toEqual([{ address: svc('default', 'nginx') }]);
    expect(eof).toBe('eof');
  });

  it('names outside the cluster: the lab\'s CoreDNS relays the simulator\'s VPC resolver model (EC2 names, SERVFAIL for the internet)', async () => {
    const node = state.nodes[0];
    const ec2 = await exec(['nslookup', `${node.name}.`]);
    expect(ec2.stdout).toContain(`Name:\t${node.name}\nAddress: ${node.primaryIp}\n`);
    const net = await exec(['nslookup', 'example.com.']);
    expect(net.stdout + net.stderr).toContain("can't find example.com");
    expect(net.stdout + net.stderr).toContain('SERVFAIL');
  });

  it('a declared port the image does not open: the kernel refuses it as the engine predicts (nginx declaring 8080 listens on 80)', () => {
    const bb = lab.record.nodes.flatMap((n) => Object.entries(n.ns).map(([m, real]) => ({ node: n.node, m, real })));
    const where = findPodNetns(state, 'default', 'busybox');
    const real = bb.find((x) => x.node === where.node && x.m === where.netns)!.real;
    const ip = podIpOf('default', 'web8080');
    const py = [
      'import socket',
      'for port in (8080, 80):',
      '    s = socket.socket()',
      '    s.settimeout(5)',
      '    try:',
      `        s.connect(('${ip}', port))`,
      "        print(port, 'connected')",
      '    except ConnectionRefusedError:',
      "        print(port, 'refused')",
      '    except OSError as e:',
      "        print(port, 'error', e.errno)",
      '    s.close()',
    ].join('\n');
    const r = nsExec(real, ['python3', '-c', py], { timeoutMs: 20_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const kernel = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(' ')));
    const engine = (dport: number) => tracePacket(state, { from: { pod: 'busybox', namespace: 'default' }, dst: ip, dport, protocol: 'TCP' }).branches[0].forward.disposition.code;
    expect([engine(8080), kernel['8080']]).toEqual(['port-closed', 'refused']);
    expect([engine(80), kernel['80']]).toEqual(['delivered', 'connected']);
  });

  it('ping -c 2 reaches a pod on another node', async () => {
    const ip = (Object.entries(state.objects).find(([k, o]) => k.startsWith('Pod/default/nginx-') && (o as unknown as { spec: { nodeName: string } }).spec.nodeName !== (state.objects['Pod/default/busybox'] as unknown as { spec: { nodeName: string } }).spec.nodeName)![1] as unknown as {
      status: { podIP: string };
    }).status.podIP;
    const r = await exec(['ping', '-c', '2', ip]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('2 packets transmitted, 2 packets received, 0% packet loss');
  });

  it('lab capture: tcpdump on the pod and its node writes a pcapng tshark reads, with the DNS question and the HTTP request', async () => {
    const node = (state.objects['Pod/default/busybox'] as unknown as { spec: { nodeName: string } }).spec.nodeName;
    const c = await labCapture(state, lab.record, [{ target: 'busybox', dev: 'eth0' }, { target: node, dev: 'ens5' }], () => exec(['wget', '-qO-', 'http://nginx:8080/']), { runDir });
    expect(c.result.stdout).toBe(NGINX_INDEX_HTML);
    expect(c.format).toBe('pcapng');
    const f = join(outDir, 'cap.pcapng');
    writeFileSync(f, c.file);
    const t = spawnSync('tshark', ['-r', f, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.interface_name', '-e', 'dns.qry.name', '-e', 'http.request.method', '-e', 'http.host', '-e', 'http.response.code'], { encoding: 'utf8' });
    expect(t.status, t.stderr).toBe(0);
    const rows = t.stdout.trim().split('\n').map((l) => l.split('|'));
    expect(rows.some((r) => r[0] === 'default/busybox:eth0' && r[2] === 'GET' && r[3] === 'nginx:8080')).toBe(true);
    expect(rows.some((r) => r[0] === 'default/busybox:eth0' && r[4] === '200')).toBe(true);
    expect(rows.some((r) => r[0] === 'default/busybox:eth0' && r[1] === 'nginx.default.svc.cluster.local')).toBe(true);
    // The DNS query leaves the node towards a CoreDNS pod (DNATed), unless both CoreDNS pods were local.
    expect(new Set(rows.map((r) => r[0]))).toContain('default/busybox:eth0');
    // Every SYN has its FIN captured: tcpdump was stopped after the last packets.
    const fins = spawnSync('tshark', ['-r', f, '-Y', 'tcp.flags.fin==1 && frame.interface_name=="default/busybox:eth0"'], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    expect(fins.length).toBe(2);
  }, 60_000);

  it('down --all leaves no namespace and no workload or relay process', () => {
    expect(markedPids(`${WORKLOAD_MARKER_PREFIX}${PREFIX}-${lab.id}:`).length).toBeGreaterThan(0);
    labDown({ runDir, all: true, prefix: PREFIX });
    expect(netns()).toEqual([]);
    expect(markedPids(`${WORKLOAD_MARKER_PREFIX}${PREFIX}-`)).toEqual([]);
    expect(markedPids(`kubewire-relay:${PREFIX}-`)).toEqual([]);
    expect(readdirSync(runDir)).toEqual([]);
  });
});
