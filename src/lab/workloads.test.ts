// The lab's workloads without root: the DNS records and answers CoreDNS's kubernetes plugin would
// give, the files kubelet writes, and the python server's bytes compared with the TypeScript
// builders (DNS replies as emitDns(coreDnsMessage(...)) from src/engine/apps/coredns.ts, the simulator's model, nginx responses as src/wire/http.ts).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyObjects } from '../control-plane/cluster.ts';
import { pluginsFor } from '../cni/index.ts';
import { admitObject } from '../inputs/k8s-objects.ts';
import type { KObject } from '../k8s/types.ts';
import { ROOT_NS } from '../node-state/types.ts';
import {
  DNS_A,
  DNS_AAAA,
  DNS_NS,
  DNS_PTR,
  DNS_SOA,
  DNS_SRV,
  RCODE_NOERROR,
  RCODE_NXDOMAIN,
  DNS_TXT,
  DNS_CNAME,
  dnsQuery,
  emitDns,
  parseDns,
} from '../wire/dns.ts';
import { NGINX_INDEX_HTML, emitHttpResponse, nginxStaticResponse, parseHttpResponse } from '../wire/http.ts';
import { clusterDns, coreDnsMessage, coreDnsRecords, reverseName } from '../engine/apps/coredns.ts';

const coreDnsAnswer = (dns: ReturnType<typeof clusterDns>, name: string, t: number) => coreDnsRecords(dns, name, t);
import { labWorkloadCluster } from './testing.ts';
import { WORKLOAD_PY } from './workload-py.ts';
import { dnsTable, imageName, nginxErrorPage, nginxResponses, nginxVersionOf, podWorkloads, vpcResolver, workloadKind } from './workloads.ts';

const state = labWorkloadCluster();
const svcIp = (ns: string, name: string) => (state.objects[`Service/${ns}/${name}`] as unknown as { spec: { clusterIP: string } }).spec.clusterIP;

// A headless Service over the nginx pods, with a named port.
const headless = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default' },
  spec: { clusterIP: 'None', selector: { app: 'nginx' }, ports: [{ name: 'http', port: 80, targetPort: 80, protocol: 'TCP' }] },
} as unknown as KObject;
applyObjects(state, [admitObject(headless)], pluginsFor(state.spec));
const nginxPodIps = Object.entries(state.objects)
  .filter(([k]) => k.startsWith('Pod/default/nginx-'))
  .map(([, o]) => (o as unknown as { status: { podIP: string } }).status.podIP)
  .sort();

describe('clusterDns / coreDnsAnswer (CoreDNS kubernetes plugin, EKS Corefile)', () => {
  const dns = clusterDns(state);
  const ok = (name: string, t: number) => {
    const a = coreDnsAnswer(dns, name, t);
    if (a.forward) throw new Error(`${name} forwarded`);
    return a;
  };

  it('answers a ClusterIP Service with its ClusterIP, the owner as asked, TTL 5', () => {
    const a = ok('NGINX.default.svc.cluster.local', DNS_A);
    expect(a.rcode).toBe(RCODE_NOERROR);
    expect(a.answers).toEqual([{ name: 'NGINX.default.svc.cluster.local.', type: DNS_A, class: 1, ttl: 5, data: { address: svcIp('default', 'nginx') } }]);
    expect(a.authorities).toEqual([]);
    expect(ok('kube-dns.kube-system.svc.cluster.local.', DNS_A).answers.map((r) => (r.data as { address: string }).address)).toEqual([svcIp('kube-system', 'kube-dns')]);
  });

  it('NODATA for another type of a known name, NXDOMAIN for an unknown one, both with the SOA', () => {
    const nodata = ok('nginx.default.svc.cluster.local.', DNS_AAAA);
    expect(nodata.rcode).toBe(RCODE_NOERROR);
    expect(nodata.answers).toEqual([]);
    expect(nodata.authorities[0]).toMatchObject({ name: 'cluster.local.', type: DNS_SOA, data: { mname: 'ns.dns.cluster.local.', rname: 'hostmaster.cluster.local.', minimum: 5 } });
    const nx = ok('nginx.svc.cluster.local.', DNS_A);
    expect(nx.rcode).toBe(RCODE_NXDOMAIN);
    expect(nx.authorities).toEqual(nodata.authorities);
    expect(ok('nosuch.default.svc.cluster.local.', DNS_A).rcode).toBe(RCODE_NXDOMAIN);
    // A namespace is not a record but exists; a namespace that does not exist does not.
    expect(ok('default.svc.cluster.local.', DNS_A)).toMatchObject({ rcode: RCODE_NOERROR, answers: [] });
    expect(ok('nope.svc.cluster.local.', DNS_A).rcode).toBe(RCODE_NXDOMAIN);
  });

  it('headless Service: one A per ready endpoint, per-endpoint names, SRV with targets and their A as additionals', () => {
    expect(ok('web.default.svc.cluster.local.', DNS_A).answers.map((r) => (r.data as { address: string }).address).sort()).toEqual(nginxPodIps);
    const ip = nginxPodIps[0];
    expect(ok(`${ip.replace(/\./g, '-')}.web.default.svc.cluster.local.`, DNS_A).answers.map((r) => r.data)).toEqual([{ address: ip }]);
    const srv = ok('_http._tcp.web.default.svc.cluster.local.', DNS_SRV);
    expect(srv.answers).toHaveLength(3);
    // CoreDNS: weight = floor(100 / (3 * 100) * 100) = 33 for three records of priority 0.
    expect(srv.answers.map((r) => r.data).every((d) => (d as { weight: number; port: number }).weight === 33 && (d as { port: number }).port === 80)).toBe(true);
    expect(srv.additionals.map((r) => (r.data as { address: string }).address).sort()).toEqual(nginxPodIps);
    // reverse.go: an endpoint address of any Service (not only headless ones), one PTR per Service.
    expect(ok(reverseName(ip), DNS_PTR).answers.map((r) => r.data)).toEqual(['nginx', 'web'].map((svc) => ({ target: `${ip.replace(/\./g, '-')}.${svc}.default.svc.cluster.local.` })));
  });

  it('reverse names of ClusterIPs, pods insecure, apex SOA/NS; other names go to forward', () => {
    expect(ok(reverseName(svcIp('default', 'nginx')), DNS_PTR).answers[0].data).toEqual({ target: 'nginx.default.svc.cluster.local.' });
    expect(ok('10-1-2-3.default.pod.cluster.local.', DNS_A).answers[0].data).toEqual({ address: '10.1.2.3' });
    expect(ok('10-1-2-3.nons.pod.cluster.local.', DNS_A).rcode).toBe(RCODE_NXDOMAIN);
    expect(ok('cluster.local.', DNS_SOA).answers[0].type).toBe(DNS_SOA);
    const ns = ok('cluster.local.', DNS_NS);
    expect(ns.answers[0].data).toEqual({ target: 'ns.dns.cluster.local.' });
    expect(ns.additionals[0].data).toEqual({ address: svcIp('kube-system', 'kube-dns') });
    expect(coreDnsAnswer(dns, 'example.com.', DNS_A).forward).toBe(true);
    expect(coreDnsAnswer(dns, 'nginx.us-west-2.compute.internal.', DNS_A).forward).toBe(true);
    expect(coreDnsAnswer(dns, reverseName('192.168.200.1'), DNS_PTR).forward).toBe(true);
  });
});

describe('pods as kubelet sets them up', () => {
  const w = podWorkloads(state);
  it('ClusterFirst pods get the cluster resolv.conf, dnsPolicy Default (CoreDNS) the node one', () => {
    const bb = w.find((p) => p.name === 'busybox')!;
    expect(bb.resolvConf).toBe(`search default.svc.cluster.local svc.cluster.local cluster.local us-west-2.compute.internal\nnameserver ${svcIp('kube-system', 'kube-dns')}\noptions ndots:5\n`);
    expect(bb.kind).toBe('listen');
    expect(bb.listen).toEqual([]);
    expect(bb.hosts).toBe(`# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n${bb.ip}\tbusybox\n`);
    const cd = w.filter((p) => p.kind === 'coredns');
    expect(cd).toHaveLength(2);
    expect(cd[0].resolvConf).toBe('search us-west-2.compute.internal\nnameserver 192.168.0.2\n');
    // CoreDNS with the EKS Corefile: .:53 (udp, tcp), prometheus :9153, health :8080, ready :8181.
    expect(cd[0].listen).toEqual([
      { port: 53, proto: 'udp', app: 'coredns' },
      { port: 53, proto: 'tcp', app: 'coredns' },
      { port: 9153, proto: 'tcp', app: 'coredns' },
      { port: 8080, proto: 'tcp', app: 'coredns' },
      { port: 8181, proto: 'tcp', app: 'coredns' },
    ]);
    // hostNetwork pods (aws-node, kube-proxy) live in the node's namespace with the node's resolv.conf.
    const hn = w.filter((p) => p.netns === ROOT_NS);
    expect(hn.length).toBe(6);
    expect(hn.every((p) => p.hosts === undefined && p.resolvConf === cd[0].resolvConf)).toBe(true);
    expect(vpcResolver('10.0.0.0/16')).toBe('10.0.0.2');
  });
  it('nginx images listen on 80 (the image config), whatever containerPort says', () => {
    const n = w.filter((p) => p.kind === 'nginx');
    expect(n).toHaveLength(3);
    expect(n.every((p) => p.listen.length === 1 && p.listen[0].port === 80 && p.nginxVersion === '1.27.5')).toBe(true);
  });
  it('image names', () => {
    expect(imageName('602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/coredns:v1.11.4-eksbuild.2')).toEqual({ repo: 'coredns', tag: 'v1.11.4-eksbuild.2' });
    expect(imageName('localhost:5000/nginx')).toEqual({ repo: 'nginx', tag: 'latest' });
    expect(workloadKind('public.ecr.aws/nginx/nginx-unprivileged:1.25')).toBe('nginx');
    expect(nginxVersionOf('nginx:1.25.3-alpine')).toBe('1.25.3');
    expect(nginxVersionOf('nginx:stable')).toBe('1.27.5');
  });
});

describe('nginx error pages', () => {
  it('is nginx 1.27.5\'s 404 page (CRLF lines, 153 bytes)', () => {
    const p = nginxErrorPage(404, '1.27.5');
    expect(p.length).toBe(153);
    expect(p).toBe('<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.27.5</center>\r\n</body>\r\n</html>\r\n');
  });
});

const py = spawnSync('python3', ['-c', 'print(1)'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!py)(`the python workload server's bytes (${py ? 'python3' : 'needs python3'})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-work-'));
  const cfg = join(dir, 'cfg.json');
  writeFileSync(cfg, JSON.stringify({ dns: dnsTable(state), nginx: { '1.27.5': nginxResponses('1.27.5') } }));
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const pyDns = (q: Uint8Array, proto = 'udp') => {
    const r = spawnSync('python3', ['-c', WORKLOAD_PY, '--dns', cfg, hex(q), proto], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return r.stdout.trim();
  };
  const pyHttp = (req: string) => {
    const r = spawnSync('python3', ['-c', WORKLOAD_PY, '--http', cfg, '1.27.5', Buffer.from(req, 'latin1').toString('hex')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    const [h, keep] = r.stdout.trim().split(' ');
    return { bytes: new Uint8Array(Buffer.from(h, 'hex')), keep };
  };
  const dns = clusterDns(state);

  it('answers byte for byte as emitDns(coreDnsMessage(...)), the simulator\'s model, in the zone and outside it', () => {
    const ip = nginxPodIps[0];
    const cases: Array<[string, number]> = [
      ['nginx.default.svc.cluster.local.', DNS_A],
      ['Nginx.Default.svc.cluster.local.', DNS_A],
      ['nginx.default.svc.cluster.local.', DNS_AAAA],
      ['nginx.default.svc.cluster.local.', DNS_TXT],
      ['nginx.default.svc.cluster.local.', DNS_SRV],
      ['_http._tcp.web.default.svc.cluster.local.', DNS_SRV],
      ['_http._tcp.nginx.default.svc.cluster.local.', DNS_A],
      ['web.default.svc.cluster.local.', DNS_CNAME],
      [`${ip.replace(/\./g, '-')}.nginx.default.svc.cluster.local.`, DNS_A],
      ['nosuch.default.svc.cluster.local.', DNS_A],
      ['nosuch.default.svc.cluster.local.', DNS_SOA],
      ['default.svc.cluster.local.', DNS_A],
      ['default.svc.cluster.local.', DNS_TXT],
      ['svc.cluster.local.', DNS_A],
      ['pod.cluster.local.', DNS_AAAA],
      ['dns-version.cluster.local.', DNS_TXT],
      ['ns.dns.cluster.local.', DNS_A],
      ['10-1-2-3.default.pod.cluster.local.', DNS_A],
      ['x.10-1-2-3.default.pod.cluster.local.', DNS_A],
      ['10-1-2-3.default.pod.cluster.local.', DNS_SRV],
      ['10-1-2-3.default.pod.cluster.local.', DNS_AAAA],
      ['10-01-2-3.default.pod.cluster.local.', DNS_A],
      ['10-1-2-3.nope.pod.cluster.local.', DNS_A],
      [reverseName(svcIp('default', 'nginx')), DNS_PTR],
      [reverseName(ip), DNS_PTR],
      [reverseName(ip), DNS_A],
      ['cluster.local.', DNS_SOA],
      ['cluster.local.', DNS_NS],
      ['example.com.', DNS_A],
      ['kubernetes.default.', DNS_A],
      [`${state.nodes[0].name}.`, DNS_A],
      ['ip-10-99-0-1.us-west-2.compute.internal.', DNS_A],
    ];
    for (const [name, t] of cases) {
      const q = dnsQuery(0x1234, name, t);
      const want = hex(emitDns(coreDnsMessage(dns, q)));
      expect(pyDns(emitDns(q), 'tcp'), `${name} ${t} tcp`).toBe(want);
      // Over UDP the same, when it fits in 512 bytes (the server does not compress: a bigger reply
      // goes out truncated, see docs/lab.md).
      if (want.length <= 1024) expect(pyDns(emitDns(q)), `${name} ${t} udp`).toBe(want);
    }
  });

  it('SERVFAIL (no upstream in the lab) for forwarded names; EDNS0 OPT echoed; queries dropped', () => {
    const r = parseDns(new Uint8Array(Buffer.from(pyDns(emitDns(dnsQuery(7, 'example.com.', DNS_A))), 'hex')));
    expect(r).toMatchObject({ id: 7, qr: true, aa: false, rd: true, rcode: 2, answers: [] });
    // A query with an OPT record (udp size 1232, DO set): the reply carries an OPT of the same size.
    const q = emitDns({ ...dnsQuery(8, 'nginx.default.svc.cluster.local.', DNS_A), additionals: [{ name: '.', type: 41, class: 1232, ttl: 0x8000, data: { raw: new Uint8Array(0) } }] });
    const rr = parseDns(new Uint8Array(Buffer.from(pyDns(q), 'hex')));
    expect(rr.answers).toHaveLength(1);
    expect(rr.additionals).toMatchObject([{ name: '.', type: 41, class: 1232, ttl: 0x8000 }]);
    expect(pyDns(new Uint8Array([1, 2, 3]))).toBe('drop');
    const resp = emitDns({ ...dnsQuery(9, 'a.', DNS_A), qr: true });
    expect(pyDns(resp)).toBe('drop');
  });

  it('serves nginx\'s bytes: the page for GET /, 404 elsewhere, HEAD without body, keep-alive as nginx decides', () => {
    const close = pyHttp('GET / HTTP/1.1\r\nHost: nginx:8080\r\nUser-Agent: Wget\r\nConnection: close\r\n\r\n');
    expect(close.keep).toBe('close');
    expect(hex(close.bytes)).toBe(hex(emitHttpResponse(nginxStaticResponse({ now: 0, keepAlive: false }))));
    const page = parseHttpResponse(close.bytes);
    expect(new TextDecoder().decode(page.body)).toBe(NGINX_INDEX_HTML);
    expect(page.headers.map(([k]) => k)).toEqual(['Server', 'Date', 'Content-Type', 'Content-Length', 'Last-Modified', 'Connection', 'ETag', 'Accept-Ranges']);
    const keep = pyHttp('GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(keep.keep).toBe('keep');
    expect(parseHttpResponse(keep.bytes).headers).toContainEqual(['Connection', 'keep-alive']);
    expect(pyHttp('GET / HTTP/1.0\r\n\r\n').keep).toBe('close');
    const nf = parseHttpResponse(pyHttp('GET /x HTTP/1.1\r\nConnection: close\r\n\r\n').bytes);
    expect([nf.status, nf.reason, new TextDecoder().decode(nf.body)]).toEqual([404, 'Not Found', nginxErrorPage(404)]);
    expect(nf.headers).toContainEqual(['Content-Length', '153']);
    const head = parseHttpResponse(pyHttp('HEAD / HTTP/1.1\r\n\r\n').bytes);
    expect([head.status, head.body.length]).toEqual([200, 0]);
    expect(head.headers).toContainEqual(['Content-Length', '615']);
    expect(parseHttpResponse(pyHttp('POST / HTTP/1.1\r\n\r\n').bytes).status).toBe(405);
    expect(parseHttpResponse(pyHttp('garbage\r\n\r\n').bytes).status).toBe(400);
  });

  it('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});
