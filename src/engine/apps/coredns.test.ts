// CoreDNS's kubernetes plugin (parse.go / kubernetes.go rules) and the VPC resolver behind it.
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultClusterSpec } from '../../inputs/cluster-file.ts';
import { applyObjects, createCluster } from '../../control-plane/cluster.ts';
import { pluginsFor } from '../../cni/index.ts';
import { admitObject } from '../../inputs/k8s-objects.ts';
import { generateDeployment, generateService } from '../../k8s/generators.ts';
import type { ClusterState } from '../../control-plane/types.ts';
import type { KObject } from '../../k8s/types.ts';
import { seededRng } from '../packet.ts';
import { DNS_A, DNS_SOA, DNS_SRV, DNS_TXT, RCODE_NOERROR, RCODE_NXDOMAIN } from '../../wire/dns.ts';
import { clusterDns, coreDnsAnswer, coreDnsRecords, upstreamOf } from './coredns.ts';

let state: ClusterState;
let podIps: string[];
const ask = (name: string, qtype: 'A' | 'AAAA' = 'A') => coreDnsAnswer(state, name, qtype, seededRng(5));

beforeAll(() => {
  const spec = defaultClusterSpec();
  const plugins = pluginsFor(spec);
  state = createCluster(spec, { seed: 1, ...plugins });
  const dep = generateDeployment({ name: 'nginx', image: ['nginx'], replicas: 2, port: 80 });
  applyObjects(state, [admitObject(dep)], plugins);
  applyObjects(state, [admitObject(generateService({ target: dep, port: 8080, targetPort: '80' }))], plugins);
  const svc = (o: object) => admitObject({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default' }, ...o } as unknown as KObject);
  applyObjects(state, [
    svc({ metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: 'None', selector: { app: 'nginx' }, ports: [{ port: 80 }] } }),
    svc({ metadata: { name: 'empty', namespace: 'default' }, spec: { clusterIP: 'None', selector: { app: 'none' }, ports: [{ port: 80 }] } }),
    svc({ metadata: { name: 'ext', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'example.com' } }),
  ], plugins);
  podIps = Object.entries(state.objects).filter(([k]) => k.startsWith('Pod/default/nginx-')).map(([, o]) => (o as unknown as { status: { podIP: string } }).status.podIP).sort();
});

describe('CoreDNS answers', () => {
  it('a ClusterIP Service: its ClusterIP, authoritative, TTL 5; AAAA: NODATA', () => {
    const ip = (state.objects['Service/default/nginx'] as unknown as { spec: { clusterIP: string } }).spec.clusterIP;
    expect(ask('nginx.default.svc.cluster.local')).toMatchObject({ rcode: 'NOERROR', answers: [ip], ttl: 5, aa: true, by: 'coredns' });
    expect(ask('NGINX.Default.svc.cluster.local.')).toMatchObject({ rcode: 'NOERROR', answers: [ip] });
    expect(ask('nginx.default.svc.cluster.local', 'AAAA')).toMatchObject({ rcode: 'NOERROR', answers: [] });
  });

  it('headless: the ready endpoints; none ready: NXDOMAIN; an endpoint by its dashed address, for any Service', () => {
    expect([...ask('web.default.svc.cluster.local').answers].sort()).toEqual(podIps);
    expect(ask('empty.default.svc.cluster.local').rcode).toBe('NXDOMAIN');
    const dashed = podIps[0].replace(/\./g, '-');
    expect(ask(`${dashed}.web.default.svc.cluster.local`).answers).toEqual([podIps[0]]);
    expect(ask(`${dashed}.nginx.default.svc.cluster.local`).answers).toEqual([podIps[0]]);
    expect(ask(`1-2-3-4.nginx.default.svc.cluster.local`).rcode).toBe('NXDOMAIN');
  });

  it('apex, svc., pod. and an existing namespace: NODATA; unknown namespace or Service, too many labels: NXDOMAIN', () => {
    for (const n of ['cluster.local', 'svc.cluster.local', 'pod.cluster.local', 'default.svc.cluster.local']) expect(ask(n)).toMatchObject({ rcode: 'NOERROR', answers: [] });
    for (const n of ['nope.svc.cluster.local', 'nginx.nope.svc.cluster.local', 'nosuch.default.svc.cluster.local', 'a.b.c.nginx.default.svc.cluster.local', 'nginx.default.cluster.local']) {
      expect(ask(n).rcode).toBe('NXDOMAIN');
    }
  });

  it('pods insecure: any well-formed dashed address in an existing namespace', () => {
    expect(ask('10-1-2-3.default.pod.cluster.local')).toMatchObject({ rcode: 'NOERROR', answers: ['10.1.2.3'] });
    expect(ask('10-1-2-3.nope.pod.cluster.local').rcode).toBe('NXDOMAIN');
    expect(ask('10-1-2-300.default.pod.cluster.local').rcode).toBe('NXDOMAIN');
  });

  it('ExternalName: a CNAME to the external name', () => {
    expect(ask('ext.default.svc.cluster.local')).toMatchObject({ rcode: 'NOERROR', answers: [], cname: 'example.com' });
  });

  it('outside the zone, the VPC resolver: EC2 names, NXDOMAIN where the root has no such TLD, SERVFAIL for the internet', () => {
    const node = state.nodes[0];
    expect(ask(node.name)).toMatchObject({ rcode: 'NOERROR', answers: [node.primaryIp], aa: false, by: 'vpc-resolver', ttl: 60 });
    expect(ask('ip-10-9-9-9.us-west-2.compute.internal').rcode).toBe('NXDOMAIN');
    expect(ask('nginx.us-west-2.compute.internal').rcode).toBe('NXDOMAIN');
    expect(ask('kubernetes.default').rcode).toBe('NXDOMAIN');
    expect(ask('nginx').rcode).toBe('NXDOMAIN');
    expect(ask('example.com').rcode).toBe('SERVFAIL');
  });
});

describe('CoreDNS as its source decides (records, as the lab serves them)', () => {
  const recs = (name: string, t: number) => {
    const dns = clusterDns(state);
    const a = coreDnsRecords(dns, name, t, upstreamOf(dns));
    if (a.forward) throw new Error(`${name} forwarded`);
    return a;
  };
  it('svc. and pod. are NODATA (parseRequest), with the SOA; TXT of a namespace is NXDOMAIN, dns-version is 1.1.0', () => {
    for (const n of ['svc.cluster.local', 'pod.cluster.local']) expect(recs(n, DNS_A)).toMatchObject({ rcode: RCODE_NOERROR, answers: [], authorities: [{ type: DNS_SOA }] });
    expect(recs('default.svc.cluster.local', DNS_TXT).rcode).toBe(RCODE_NXDOMAIN);
    expect(recs('nginx.default.svc.cluster.local', DNS_TXT).rcode).toBe(RCODE_NOERROR);
    expect(recs('dns-version.cluster.local', DNS_TXT).answers).toMatchObject([{ ttl: 28800, data: { texts: ['1.1.0'] } }]);
    // handler.go looks SOA up at the apex only: any other name is NODATA, even one that does not exist.
    expect(recs('nosuch.default.svc.cluster.local', DNS_SOA)).toMatchObject({ rcode: RCODE_NOERROR, answers: [] });
  });
  it('a ClusterIP Service: SRV per port (named or not) to the Service name; _port._proto answers A too; endpoint names', () => {
    const ip = (state.objects['Service/default/nginx'] as unknown as { spec: { clusterIP: string } }).spec.clusterIP;
    const srv = recs('nginx.default.svc.cluster.local', DNS_SRV);
    expect(srv.answers.map((r) => r.data)).toEqual([{ priority: 0, weight: 100, port: 8080, target: 'nginx.default.svc.cluster.local.' }]);
    expect(srv.additionals.map((r) => r.data)).toEqual([{ address: ip }]);
    expect(recs('ext.default.svc.cluster.local', DNS_SRV).answers).toEqual([]);
    expect(recs(`${podIps[1].replace(/\./g, '-')}.nginx.default.svc.cluster.local`, DNS_A).answers.map((r) => r.data)).toEqual([{ address: podIps[1] }]);
  });
  it('pods insecure: Go ParseIP (no leading zeros), endpoint labels ignored, SRV to the pod name', () => {
    expect(recs('10-01-2-3.default.pod.cluster.local', DNS_A).rcode).toBe(RCODE_NXDOMAIN);
    expect(recs('x.10-1-2-3.default.pod.cluster.local', DNS_A).answers.map((r) => r.data)).toEqual([{ address: '10.1.2.3' }]);
    expect(recs('10-1-2-3.default.pod.cluster.local', DNS_SRV).answers.map((r) => r.data)).toEqual([{ priority: 0, weight: 100, port: 0, target: '10-1-2-3.default.pod.cluster.local.' }]);
  });
  it('the simulator and the lab read the same model: coreDnsAnswer is coreDnsRecords as addresses', () => {
    const dns = clusterDns(state);
    for (const n of ['web.default.svc.cluster.local', 'svc.cluster.local', 'nope.svc.cluster.local', 'ext.default.svc.cluster.local']) {
      const r = coreDnsRecords(dns, n, DNS_A, upstreamOf(dns));
      if (r.forward) throw new Error('forwarded');
      const a = ask(n);
      expect([...a.answers].sort()).toEqual(r.answers.filter((x) => x.type === DNS_A).map((x) => (x.data as { address: string }).address).sort());
      expect(a.rcode).toBe(r.rcode === RCODE_NOERROR ? 'NOERROR' : 'NXDOMAIN');
    }
    expect(coreDnsRecords(dns, 'example.com', DNS_A).forward).toBe(true);
  });
  it('an ExternalName inside the zone is chased (CNAME + the target\'s A); outside it, the CNAME and what the upstream gives', () => {
    const plugins = pluginsFor(state.spec);
    applyObjects(state, [admitObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'alias', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'nginx.default.svc.cluster.local' } } as unknown as KObject)], plugins);
    const ip = (state.objects['Service/default/nginx'] as unknown as { spec: { clusterIP: string } }).spec.clusterIP;
    expect(recs('alias.default.svc.cluster.local', DNS_A).answers.map((r) => r.data)).toEqual([{ target: 'nginx.default.svc.cluster.local.' }, { address: ip }]);
    expect(ask('alias.default.svc.cluster.local')).toMatchObject({ rcode: 'NOERROR', answers: [ip], cname: 'nginx.default.svc.cluster.local' });
    const node = state.nodes[0];
    applyObjects(state, [admitObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'node0', namespace: 'default' }, spec: { type: 'ExternalName', externalName: node.name } } as unknown as KObject)], plugins);
    expect(ask('node0.default.svc.cluster.local')).toMatchObject({ rcode: 'NOERROR', answers: [node.primaryIp], cname: node.name });
  });
});
