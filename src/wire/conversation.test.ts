// The built conversation against what real tools and real captures show. The golden texts in
// testdata/conversation.tcpdump*.txt were printed by real tcpdump 4.99.3 (TZ=UTC tcpdump -n [-v])
// from this conversation; the Linux/nginx/CoreDNS facts are checked field by field below.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { writePcap } from '../pcap/pcap.ts';
import { tcpdumpText } from '../pcap/summary.ts';
import { CONVERSATION_EXAMPLE, wgetConversation } from './conversation.ts';
import { parseDns } from './dns.ts';
import { parseHttpResponse } from './http.ts';
import { flatten } from './testing.node.ts';

const golden = (n: string) => readFileSync(new URL(`./testdata/${n}`, import.meta.url), 'utf8');

describe('wget conversation', () => {
  const frames = wgetConversation(CONVERSATION_EXAMPLE);
  const pcap = writePcap(frames);
  const flat = flatten(pcap);

  it('prints as tcpdump printed it', () => {
    expect(tcpdumpText(pcap)).toBe(golden('conversation.tcpdump.txt'));
    expect(tcpdumpText(pcap, { verbose: true })).toBe(golden('conversation.tcpdump-v.txt'));
  });

  it('DNS sizes and flags as kube-dns replies show them; one client socket for A and AAAA', () => {
    const dns = flat.filter((f) => f.udp);
    expect(dns.map((f) => f.payload!.length)).toEqual([49, 96, 49, 142]);
    expect(new Set(dns.map((f) => (f.udp!.srcPort === 53 ? f.udp!.dstPort : f.udp!.srcPort))).size).toBe(1);
    const r = parseDns(dns[1].payload!);
    expect([r.aa, r.ra, r.answers[0].ttl]).toEqual([true, false, 5]);
  });

  it('TCP: Linux handshake values, continuous sequence numbers, nginx in two segments', () => {
    const tcp = flat.filter((f) => f.tcp);
    expect(tcp.map((f) => f.tcp!.window)).toEqual([64240, 65160, 502, 502, 509, 509, 509, 496, 496, 509, 496]);
    expect(tcp[1].ip!.identification).toBe(0);
    const data = tcp.filter((f) => f.payload!.length > 0).map((f) => f.payload!.length);
    expect(data).toEqual([73, 233, 615]);
    const resp = parseHttpResponse(new Uint8Array([...tcp[5].payload!, ...tcp[6].payload!]));
    expect(resp.status).toBe(200);
    expect(resp.body.length).toBe(615);
    // Every segment's seq continues where the previous one from that side ended.
    const next = new Map<number, number>();
    for (const f of tcp) {
      const t = f.tcp!;
      const exp = next.get(t.srcPort);
      if (exp !== undefined) expect(t.seq).toBe(exp);
      next.set(t.srcPort, (t.seq + f.payload!.length + (t.flags & 0x03 ? 1 : 0)) >>> 0);
    }
  });
});
