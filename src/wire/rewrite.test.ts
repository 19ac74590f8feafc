// Forwarding and NAT rewrites against the kernel: a router namespace DNATs a "service" address to
// a backend and masquerades (lab-scenario.node.ts recordNatCapture). Every IPv4 packet captured
// on one side of the router, rewritten with our functions using the addresses/ports the kernel
// chose, must equal byte for byte the packet captured on the other side: TTL decrement, IP and
// TCP/UDP checksum updates, and the ICMP port-unreachable translated back with its quoted packet.
// Committed captures: testdata/nat-client-side.pcap and nat-server-side.pcap (kernel 6.18).

import { describe, expect, it } from 'vitest';
import { readCapture } from '../pcap/read.ts';
import { ETHERTYPE_IPV4, parseEthernet } from './ethernet.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, parseIpv4 } from './ipv4.ts';
import { labUnavailable } from './lab.node.ts';
import { recordNatCapture } from './lab-scenario.node.ts';
import { csumReplace, natIcmpErrorFrame, rewriteIpv4Frame } from './rewrite.ts';
import { loadTestCapture } from './testing.node.ts';
import { internetChecksum } from './checksum.ts';

interface Pkt {
  frame: Uint8Array;
  eth: ReturnType<typeof parseEthernet>['header'];
  ip: ReturnType<typeof parseIpv4>['header'];
  l4: Uint8Array;
}

function ipv4Packets(pcap: Uint8Array): Pkt[] {
  return readCapture(pcap).packets.flatMap((p) => {
    const e = parseEthernet(p.data);
    if (e.header.etherType !== ETHERTYPE_IPV4) return [];
    const ip = parseIpv4(e.payload);
    return [{ frame: p.data, eth: e.header, ip: ip.header, l4: ip.payload }];
  });
}

const ports = (p: Pkt) => (p.ip.protocol === IPPROTO_TCP || p.ip.protocol === IPPROTO_UDP ? { srcPort: (p.l4[0] << 8) | p.l4[1], dstPort: (p.l4[2] << 8) | p.l4[3] } : {});

interface NatCheck {
  checked: number;
  /** Packets seen on one side that never appeared, rewritten, on the other. */
  unmatched: string[];
  /** What kinds of packet were checked: tcp, udp, icmp-error, echo. */
  kinds: Set<string>;
}

function checkNat(clientSide: Uint8Array, serverSide: Uint8Array): NatCheck {
  const a = ipv4Packets(clientSide);
  const c = ipv4Packets(serverSide);
  let checked = 0;
  const unmatched: string[] = [];
  const kinds = new Set<string>();
  for (const [from, to, towardsServer] of [[a, c, true], [c, a, false]] as const) {
    for (const p of from.filter((x) => (towardsServer ? x.ip.src === '10.77.0.1' : x.ip.dst === '10.78.0.1' || x.ip.src === '10.78.0.2'))) {
      // The same packet on the other side: NAT keeps the IP ID and protocol.
      const q = to.find((x) => x.ip.identification === p.ip.identification && x.ip.protocol === p.ip.protocol && x.ip.ttl === p.ip.ttl - 1);
      if (!q) {
        unmatched.push(`${p.ip.src} > ${p.ip.dst} id ${p.ip.identification}`);
        continue;
      }
      kinds.add(p.ip.protocol === IPPROTO_TCP ? 'tcp' : p.ip.protocol === IPPROTO_UDP ? 'udp' : p.l4[0] === 3 ? 'icmp-error' : 'echo');
      let out: Uint8Array;
      if (p.ip.protocol === IPPROTO_ICMP && p.l4[0] === 3) {
        const qi = parseIpv4(q.l4.subarray(8)).header;
        const qp = ports({ ...q, ip: qi, l4: q.l4.subarray(8 + 20) } as Pkt);
        out = natIcmpErrorFrame(p.frame, { srcMac: q.eth.src, dstMac: q.eth.dst, src: q.ip.src, dst: q.ip.dst, decrementTtl: 1 }, { src: qi.src, dst: qi.dst, ...qp });
      } else {
        out = rewriteIpv4Frame(p.frame, { srcMac: q.eth.src, dstMac: q.eth.dst, src: q.ip.src, dst: q.ip.dst, ...ports(q), decrementTtl: 1 });
      }
      expect(out, `${p.ip.src} > ${p.ip.dst} id ${p.ip.identification}`).toEqual(q.frame);
      checked++;
    }
  }
  return { checked, unmatched, kinds };
}

describe('kernel NAT and forwarding, committed capture', () => {
  it('every forwarded packet rewrites to the other side byte for byte', () => {
    const n = checkNat(loadTestCapture('nat-client-side.pcap'), loadTestCapture('nat-server-side.pcap'));
    expect(n.checked).toBe(14); // 10 TCP, the UDP probe and its ICMP error, echo request and reply
    expect(n.unmatched).toEqual([]);
  });
});

describe('checksum updates', () => {
  it('csum_replace equals a recomputation on a correct header', () => {
    const h = Uint8Array.from([0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7]);
    const to = Uint8Array.of(10, 0, 0, 9);
    const updated = csumReplace(0xb861, h.slice(12, 16), to);
    const copy = h.slice();
    copy.set(to, 12);
    copy[10] = 0;
    copy[11] = 0;
    expect(updated).toBe(internetChecksum(copy));
  });
});

const why = labUnavailable(['python3', 'iptables']);
describe.skipIf(why !== undefined)(`kernel NAT and forwarding, recorded now${why ? ` — skipped: ${why}` : ''}`, () => {
  it('every forwarded packet rewrites to the other side byte for byte', async () => {
    const r = await recordNatCapture();
    const n = checkNat(r.clientSide, r.serverSide);
    // How many TCP segments a live exchange takes varies (delayed ACKs, FIN piggybacking), so
    // the live run asserts that nothing went unmatched and every kind of packet was checked.
    expect(n.unmatched).toEqual([]);
    expect([...n.kinds].sort()).toEqual(['echo', 'icmp-error', 'tcp', 'udp']);
    expect(n.checked).toBeGreaterThanOrEqual(10);
  }, 60_000);
});
