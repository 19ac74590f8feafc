// IPv6 against a real capture (testdata/ipv6.pcap, kernel 6.18, two namespaces, fd00:77::/64:
// ICMPv6 echo, UDP to a closed port and its ICMPv6 port unreachable, a TCP exchange; the MLD
// reports of the capture were dropped). Every frame is re-emitted byte for byte with the IPv6
// pseudo-header checksums recomputed by us.

import { describe, expect, it } from 'vitest';
import { readCapture } from '../pcap/read.ts';
import { transportChecksum } from './checksum.ts';
import { emitEthernet, ETHERTYPE_IPV6, parseEthernet } from './ethernet.ts';
import { IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from './ipv4.ts';
import { emitIpv6, parseIpv6 } from './ipv6.ts';
import { emitTcp, linuxAdvertisedMss, linuxSynOptions, linuxSynWindow, parseTcp, TCP_SYN } from './tcp.ts';
import { emitUdp, parseUdp } from './udp.ts';
import { loadTestCapture } from './testing.node.ts';

describe('IPv6 (real capture)', () => {
  const frames = readCapture(loadTestCapture('ipv6.pcap')).packets.map((p) => p.data);

  it('every frame round-trips; TCP, UDP and ICMPv6 checksums verify over the IPv6 pseudo-header', () => {
    expect(frames.length).toBe(14);
    for (const f of frames) {
      const e = parseEthernet(f);
      expect(e.header.etherType).toBe(ETHERTYPE_IPV6);
      const ip = parseIpv6(e.payload);
      const ph = { src: ip.header.src, dst: ip.header.dst };
      let l4 = ip.payload;
      if (ip.header.nextHeader === IPPROTO_TCP) {
        const t = parseTcp(ip.payload, 0, ph);
        expect(t.checksumOk).toBe(true);
        l4 = emitTcp({ ...t.header, checksum: undefined }, t.payload, ph);
      } else if (ip.header.nextHeader === IPPROTO_UDP) {
        const u = parseUdp(ip.payload, 0, ph);
        expect(u.checksumOk).toBe(true);
        l4 = emitUdp({ srcPort: u.header.srcPort, dstPort: u.header.dstPort }, u.payload, ph);
      } else {
        expect(ip.header.nextHeader).toBe(IPPROTO_ICMPV6);
        expect(transportChecksum(ph, IPPROTO_ICMPV6, ip.payload)).toBe(0);
      }
      expect(emitEthernet(e.header, emitIpv6({ ...ip.header, payloadLength: undefined }, l4))).toEqual(f);
    }
  });

  it('the SYN over IPv6: MSS = MTU - 60, Linux options and window', () => {
    const syn = frames.map((f) => parseIpv6(parseEthernet(f).payload)).find((ip) => ip.header.nextHeader === IPPROTO_TCP && parseTcp(ip.payload).header.flags === TCP_SYN)!;
    const t = parseTcp(syn.payload).header;
    const ts = t.options.find((o) => o.kind === 'timestamps') as { tsval: number };
    const mss = linuxAdvertisedMss(1500, 6);
    expect(mss).toBe(1440);
    expect(t.options).toEqual(linuxSynOptions({ mss, timestamps: { tsval: ts.tsval, tsecr: 0 }, wscale: 10 }));
    expect(t.window).toBe(linuxSynWindow(mss));
    expect(syn.header.hopLimit).toBe(64);
    expect(syn.header.flowLabel).not.toBe(0); // Linux sets automatic flow labels
  });

  it('rejects a non-6 version', () => {
    expect(() => parseIpv6(new Uint8Array(40))).toThrow(/version 0/);
  });
});
