// A whole pod-to-nginx conversation built with the codecs (wire/conversation.ts), plain and
// wrapped in VXLAN between two node IPs, written as pcapng and classic pcap and decoded by real
// tshark with checksum validation on: no malformed packets, no warnings, every checksum good,
// the HTTP request/response and the VXLAN inner packets decode. The plain capture must also
// print exactly as real tcpdump prints it.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONVERSATION_EXAMPLE, wgetConversation, type Frame, type WgetConversation } from '../wire/conversation.ts';
import { parseEthernet } from '../wire/ethernet.ts';
import { parseIpv4 } from '../wire/ipv4.ts';
import { tsharkUnavailable } from '../wire/lab.node.ts';
import { vxlanEncapsulate, vxlanSourcePort } from '../wire/vxlan.ts';
import { writePcap } from './pcap.ts';
import { writePcapng } from './pcapng.ts';
import { readCapture } from './read.ts';
import { tcpdumpText } from './summary.ts';
import { realTcpdump } from '../wire/testing.node.ts';

const conv: WgetConversation = CONVERSATION_EXAMPLE;

/** The same conversation between pods on two Calico VXLAN nodes, as seen on node A's eth0. */
function vxlanConversation(): Frame[] {
  const inner = wgetConversation({ ...conv, arp: false, clientMac: '66:1f:60:59:7f:97', nextHopMac: '66:66:d7:cc:e9:0f', clientIp: '172.16.201.129', dnsServerIp: '172.16.12.2', serviceIp: '172.16.12.1', replyTtl: 63, clientTtl: 63 });
  let id = 0x1c46;
  return inner.map((f) => {
    const fromA = parseEthernet(f.data).header.src === '66:1f:60:59:7f:97';
    const [srcIp, dstIp, srcMac, dstMac] = fromA
      ? ['10.0.1.10', '10.0.2.20', '02:00:00:00:01:0a', '02:00:00:00:00:fe']
      : ['10.0.2.20', '10.0.1.10', '02:00:00:00:00:fe', '02:00:00:00:01:0a'];
    return {
      timeUs: f.timeUs,
      data: vxlanEncapsulate(f.data, { outerSrcMac: srcMac, outerDstMac: dstMac, outerSrcIp: srcIp, outerDstIp: dstIp, vni: 4096, ipId: id++, srcPort: vxlanSourcePort(f.data, fromA ? 0x1234 : 0x9876) }),
    };
  });
}

const dir = mkdtempSync(join(tmpdir(), 'kwt-tshark-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tshark(file: string, fields: string[]): string[][] {
  const out = execFileSync('tshark', [
    '-r', file, '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
    '-T', 'fields', '-E', 'separator=|', ...fields.flatMap((f) => ['-e', f]),
  ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.trimEnd().split('\n').map((l) => l.split('|'));
}

const FIELDS = ['frame.number', 'ip.src', 'ip.dst', 'vxlan.vni', 'http.request.uri', 'http.response.code', 'dns.qry.name', 'dns.a',
  'ip.checksum.status', 'udp.checksum.status', 'tcp.checksum.status', '_ws.expert.severity', '_ws.malformed', 'http.host', 'http.server', 'frame.interface_name'];

function check(rows: string[][], vxlan: boolean): void {
  const col = (r: string[], f: string) => r[FIELDS.indexOf(f)] ?? '';
  expect(rows.length).toBe(vxlan ? 15 : 17);
  for (const r of rows) {
    expect(col(r, '_ws.malformed'), `frame ${r[0]} malformed`).toBe('');
    // Expert severities: chat 0x200000, note 0x400000; warnings (0x600000) and errors must not occur.
    for (const s of col(r, '_ws.expert.severity').split(',').filter(Boolean)) expect(Number(s), `frame ${r[0]} expert`).toBeLessThan(0x600000);
    for (const f of ['ip.checksum.status', 'udp.checksum.status', 'tcp.checksum.status']) {
      for (const v of col(r, f).split(',').filter(Boolean)) expect(v, `frame ${r[0]} ${f}`).toBe('1');
    }
    if (vxlan) {
      expect(col(r, 'vxlan.vni')).toBe('4096');
      const ips = col(r, 'ip.src').split(',');
      expect(ips.length).toBe(2);
      expect(['10.0.1.10', '10.0.2.20']).toContain(ips[0]);
      expect(['172.16.201.129', '172.16.12.1', '172.16.12.2']).toContain(ips[1]);
    }
  }
  const all = rows.map((r) => r.join('|')).join('\n');
  expect(rows.filter((r) => col(r, 'http.request.uri') === '/').length).toBe(1);
  expect(rows.filter((r) => col(r, 'http.response.code') === '200').length).toBe(1);
  expect(all).toContain('nginx:8080');
  expect(all).toContain('nginx/1.27.5');
  expect(rows.filter((r) => col(r, 'dns.qry.name') === 'nginx.default.svc.cluster.local').length).toBe(4);
  expect(all).toContain(vxlan ? '172.16.12.1' : '10.100.200.7');
}

const why = tsharkUnavailable();
describe.skipIf(why !== undefined)(`tshark decodes our captures${why ? ` — skipped: ${why}` : ''}`, () => {
  const plain = wgetConversation(conv);
  const ifName = 'ip-192-168-1-2.us-west-2.compute.internal:eth0';

  it('pcapng: one IDB with if_name, all checksums good, HTTP decoded', () => {
    const f = join(dir, 'plain.pcapng');
    writeFileSync(f, writePcapng([{ linkType: 1, name: ifName }], plain));
    const rows = tshark(f, FIELDS);
    check(rows, false);
    expect(rows.every((r) => r[FIELDS.indexOf('frame.interface_name')] === ifName)).toBe(true);
  });

  it('classic pcap: same decode', () => {
    const f = join(dir, 'plain.pcap');
    writeFileSync(f, writePcap(plain));
    check(tshark(f, FIELDS), false);
  });

  it('VXLAN between node IPs: inner packets decode, outer and inner checksums good', () => {
    const frames = vxlanConversation();
    const f = join(dir, 'vxlan.pcapng');
    writeFileSync(f, writePcapng([{ linkType: 1, name: 'ip-10-0-1-10.us-west-2.compute.internal:eth0' }], frames));
    check(tshark(f, FIELDS), true);
    const g = join(dir, 'vxlan.pcap');
    writeFileSync(g, writePcap(frames));
    check(tshark(g, FIELDS), true);
  });

  it('several interfaces in one pcapng keep their ids and names', () => {
    const f = join(dir, 'multi.pcapng');
    const frames = plain.slice(0, 4).map((p, i) => ({ ...p, interfaceId: i % 2 }));
    writeFileSync(f, writePcapng([{ linkType: 1, name: 'node-a:eth0' }, { linkType: 1, name: 'node-a:vxlan.calico' }], frames));
    const rows = tshark(f, ['frame.interface_id', 'frame.interface_name']);
    expect(rows).toEqual([['0', 'node-a:eth0'], ['1', 'node-a:vxlan.calico'], ['0', 'node-a:eth0'], ['1', 'node-a:vxlan.calico']]);
    expect(readCapture(new Uint8Array(execFileSync('cat', [f]))).packets.map((p) => p.interfaceId)).toEqual([0, 1, 0, 1]);
  });

  it('long if_name values (e.g. 300 bytes) are read back by tshark', () => {
    const name = `${'ip-10-0-1-10.us-west-2.compute.internal:'.repeat(7)}eth0`;
    const f = join(dir, 'long.pcapng');
    writeFileSync(f, writePcapng([{ linkType: 1, name }], plain.slice(0, 1)));
    expect(tshark(f, ['frame.interface_name'])).toEqual([[name]]);
  });
});

describe.skipIf(realTcpdumpMissing())('tcpdump prints our conversation as we do', () => {
  it('plain and VXLAN', () => {
    const a = writePcap(wgetConversation(conv));
    expect(tcpdumpText(a)).toBe(realTcpdump(a));
    const b = writePcap(vxlanConversation());
    expect(tcpdumpText(b)).toBe(realTcpdump(b));
    expect(tcpdumpText(b, { link: true })).toBe(realTcpdump(b, ['-e']));
    expect(tcpdumpText(a, { verbose: true })).toBe(realTcpdump(a, ['-v']));
    expect(tcpdumpText(b, { verbose: true })).toBe(realTcpdump(b, ['-v']));
  });
  it('inner TTL of pod traffic between nodes is 63 in the VXLAN capture', () => {
    expect(parseIpv4(vxlanConversation()[4].data.subarray(64)).header.ttl).toBe(63);
    const f = vxlanConversation()[5].data; // SYN-ACK from the remote pod, after its node's decrement
    const outer = parseIpv4(parseEthernet(f).payload);
    const inner = parseIpv4(f.subarray(14 + 20 + 8 + 8 + 14));
    expect(outer.header.ttl).toBe(64);
    expect(inner.header.ttl).toBe(63);
  });
});

function realTcpdumpMissing(): boolean {
  try {
    execFileSync('tcpdump', ['--version'], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
}
