import { describe, expect, it } from 'vitest';
import {
  addressRecord, busyboxNslookupQueries, coreDnsReply, coreDnsSoa, dnsQuery, DNS_A, DNS_AAAA, DNS_CNAME, DNS_SRV,
  emitDns, parseDns, parseResolvConf, podResolvConf, formatResolvConf, RCODE_NXDOMAIN, resolverCandidates, resolverQueries, srvRecord,
} from './dns.ts';
import { labUnavailable } from './lab.node.ts';
import { LAB_RESOLV_CONF, recordResolverCapture } from './lab-scenario.node.ts';
import { flatten, loadTestCapture } from './testing.node.ts';
import { busyboxWgetRequest, emitHttpRequest } from './http.ts';

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((x) => parseInt(x, 16)));

describe('DNS codec on literal bytes', () => {
  // RFC 1035 4.1.4 example layout: F.ISI.ARPA, FOO.F.ISI.ARPA (pointer to 20), ARPA (pointer 26).
  it('decompresses pointers as RFC 1035 4.1.4 lays them out', () => {
    const msg = hex(
      '1234 8180 0001 0001 0000 0000' +
        '01 46 03 49 53 49 04 41 52 50 41 00 0001 0001' + // F.ISI.ARPA A IN at offset 12
        '03 46 4f 4f c0 0c 0005 0001 00000e10 0002 c0 0e', // FOO.<ptr 12> CNAME -> <ptr 14 = ISI.ARPA>
    );
    const m = parseDns(msg);
    expect(m.questions[0]).toEqual({ name: 'F.ISI.ARPA.', type: DNS_A, class: 1 });
    expect(m.answers[0].name).toBe('FOO.F.ISI.ARPA.');
    expect(m.answers[0].type).toBe(DNS_CNAME);
    expect(m.answers[0].data).toEqual({ target: 'ISI.ARPA.' });
    expect(m.rd && m.ra && m.qr).toBe(true);
  });

  it('compresses like RFC 1035 when asked', () => {
    const q = dnsQuery(0x1234, 'F.ISI.ARPA', DNS_A);
    const r = { ...coreDnsReply(q, []), authorities: [], answers: [{ name: 'FOO.F.ISI.ARPA.', type: DNS_CNAME, class: 1, ttl: 3600, data: { target: 'ISI.ARPA.' } }] };
    const b = emitDns(r, { compress: true });
    expect(b.subarray(28)).toEqual(hex('03 46 4f 4f c0 0c 0005 0001 00000e10 0002 c0 0e'));
  });

  it('rejects truncated input and loops with a KubewireError', () => {
    expect(() => parseDns(hex('1234 0100 0001'))).toThrow(/DNS header: truncated/);
    expect(() => parseDns(hex('1234 0100 0001 0000 0000 0000 c0 0c 0001 0001'))).toThrow(/compression pointer/);
    expect(() => emitDns(dnsQuery(1, `${'a'.repeat(64)}.x`, DNS_A))).toThrow(/longer than 63/);
  });

  it('round-trips SRV and AAAA records', () => {
    const q = dnsQuery(7, '_http._tcp.nginx.default.svc.cluster.local', DNS_SRV);
    const r = coreDnsReply(q, [srvRecord('_http._tcp.nginx.default.svc.cluster.local', 8080, 'nginx.default.svc.cluster.local')]);
    expect(parseDns(emitDns(r))).toEqual({ ...r, z: false });
    const r6 = coreDnsReply(dnsQuery(8, 'x.default.svc.cluster.local', DNS_AAAA), [addressRecord('x.default.svc.cluster.local', 'fd00::1')]);
    expect(parseDns(emitDns(r6)).answers[0].data).toEqual({ address: 'fd00::1' });
  });
});

describe('CoreDNS replies (sizes of real kube-dns replies as tcpdump prints them)', () => {
  // Published tcpdump lines from a cluster: "64045*- 1/0/0 A 10.0.99.92 (96)" and
  // "10546*- 0/1/0 (142)" for nginx.default.svc.cluster.local, "NXDomain*- 0/1/0" replies.
  it('A answer: uncompressed, 96 bytes, AA set, RA clear, TTL 5', () => {
    const q = dnsQuery(64045, 'nginx.default.svc.cluster.local', DNS_A);
    const b = emitDns(coreDnsReply(q, [addressRecord('nginx.default.svc.cluster.local', '10.0.99.92')]));
    expect(b.length).toBe(96);
    const m = parseDns(b);
    expect([m.qr, m.aa, m.rd, m.ra]).toEqual([true, true, true, false]);
    expect(m.answers[0].ttl).toBe(5);
  });
  it('AAAA NODATA: SOA in authority, 142 bytes', () => {
    const q = dnsQuery(10546, 'nginx.default.svc.cluster.local', DNS_AAAA);
    const b = emitDns(coreDnsReply(q, []));
    expect(b.length).toBe(142);
    expect(parseDns(b).authorities[0]).toEqual(coreDnsSoa('cluster.local.', 0));
  });
  it('NXDOMAIN', () => {
    const q = dnsQuery(1, 'nginx.svc.cluster.local', DNS_A);
    const m = parseDns(emitDns(coreDnsReply(q, [], { rcode: RCODE_NXDOMAIN })));
    expect(m.rcode).toBe(3);
    expect(m.authorities[0].data).toMatchObject({ mname: 'ns.dns.cluster.local.', rname: 'hostmaster.cluster.local.', refresh: 7200, retry: 1800, expire: 86400, minimum: 5 });
  });
});

describe('resolver behaviour against real clients (captures in testdata/)', () => {
  const conf = parseResolvConf(LAB_RESOLV_CONF);
  const queriesIn = (file: string) =>
    flatten(loadTestCapture(file))
      .filter((f) => f.udp?.dstPort === 53)
      .map((f) => ({ port: f.udp!.srcPort, bytes: f.payload!, msg: parseDns(f.payload!) }));

  it('pod resolv.conf as kubelet writes it', () => {
    const c = podResolvConf('default', '10.77.0.2', 'cluster.local', ['us-west-2.compute.internal']);
    expect(formatResolvConf(c)).toBe(LAB_RESOLV_CONF);
    expect(conf).toEqual(c);
  });

  it('glibc getaddrinfo walks the search list, A then AAAA per name, one socket per name', () => {
    const qs = queriesIn('glibc-nxdomain.pcap');
    expect(qs.map((q) => q.msg.questions[0])).toEqual(resolverQueries('nosuch', conf));
    for (let i = 0; i < qs.length; i += 2) expect(qs[i].port).toBe(qs[i + 1].port);
    for (const q of qs) {
      expect(emitDns(dnsQuery(q.msg.id, q.msg.questions[0].name, q.msg.questions[0].type))).toEqual(q.bytes);
    }
  });

  it('busybox wget (glibc) stops at the first name that answers', () => {
    const qs = queriesIn('busybox-wget.pcap');
    expect(qs.map((q) => q.msg.questions[0])).toEqual(resolverQueries('nginx', conf).slice(0, 2));
    for (const q of qs) expect(emitDns(dnsQuery(q.msg.id, q.msg.questions[0].name, q.msg.questions[0].type))).toEqual(q.bytes);
  });

  it('busybox nslookup asks every search domain, A first then AAAA, never the bare name', () => {
    const qs = queriesIn('busybox-nslookup.pcap');
    expect(qs.map((q) => q.msg.questions[0])).toEqual(busyboxNslookupQueries('nginx', conf));
    expect(new Set(qs.map((q) => q.port)).size).toBe(1);
  });

  it('candidates: trailing dot, ndots, dotted names', () => {
    expect(resolverCandidates('nginx.', conf)).toEqual(['nginx.']);
    expect(resolverCandidates('a.b.c.d.e', conf)[0]).toBe('a.b.c.d.e.default.svc.cluster.local.');
    expect(resolverCandidates('a.b.c.d.e.f', conf)[0]).toBe('a.b.c.d.e.f.');
    expect(resolverCandidates('nginx.default', conf)[0]).toBe('nginx.default.default.svc.cluster.local.');
    expect(busyboxNslookupQueries('nginx.default', conf, [DNS_A])).toEqual([{ name: 'nginx.default.', type: DNS_A, class: 1 }]);
  });
});

const why = labUnavailable(['python3', 'busybox']);
describe.skipIf(why !== undefined)(`resolver behaviour recorded now${why ? ` — skipped: ${why}` : ''}`, () => {
  it('glibc, busybox wget and busybox nslookup ask what we model', async () => {
    const conf = parseResolvConf(LAB_RESOLV_CONF);
    const r = await recordResolverCapture();
    const qs = (pcap: Uint8Array) => flatten(pcap).filter((f) => f.udp?.dstPort === 53).map((f) => ({ bytes: f.payload!, msg: parseDns(f.payload!) }));
    const check = (pcap: Uint8Array, want: ReturnType<typeof resolverQueries>) => {
      const got = qs(pcap);
      expect(got.map((q) => q.msg.questions[0])).toEqual(want);
      for (const q of got) expect(emitDns(dnsQuery(q.msg.id, q.msg.questions[0].name, q.msg.questions[0].type))).toEqual(q.bytes);
    };
    check(r.nxdomain, resolverQueries('nosuch', conf));
    check(r.wget, resolverQueries('nginx', conf).slice(0, 2));
    check(r.nslookup, busyboxNslookupQueries('nginx', conf));
    const req = flatten(r.wget).find((f) => f.tcp?.dstPort === 8080 && f.payload!.length > 0)!;
    expect(req.payload).toEqual(emitHttpRequest(busyboxWgetRequest('http://nginx:8080/')));
  }, 60_000);
});
