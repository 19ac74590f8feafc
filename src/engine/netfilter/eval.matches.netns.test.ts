// Differential test: more match modules (tcp flags/--syn, icmp types, multiport --ports, limit's
// burst, state, pkttype, mark negation, conntrack --ctproto/--ctdir, `! -p`, iprange, addrtype
// --src-type) vs the kernel's per-rule counters after UDP, TCP SYN and ICMP echo packets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetnsLab, netnsUsable } from '../../testing/netns.node.ts';
import { buildNfScene, kernelCounters, nfScene } from '../../testing/nf-netns.node.ts';
import { countMatched } from '../../testing/iptables-counters.ts';
import type { Host } from '../../node-state/types.ts';
import type { Packet } from '../packet.ts';
import { ctConfirm, ctLookup, ctUpdate, ctView, newCtTable } from '../conntrack.ts';
import { evalTable } from './eval.ts';

const RULES = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m tcp --tcp-flags SYN,ACK SYN
-A INPUT -p tcp -m tcp --syn -m multiport --dports 22,80
-A INPUT -p icmp -m icmp --icmp-type echo-request
-A INPUT -p icmp -m icmp --icmp-type echo-reply
-A INPUT -p udp -m limit --limit 1/min --limit-burst 2
-A INPUT -p udp -m multiport --ports 5000,7001
-A INPUT -m state --state NEW
-A INPUT -m pkttype --pkt-type unicast
-A INPUT -m mark ! --mark 0x1
-A INPUT -m conntrack --ctstate NEW --ctproto udp
-A INPUT -m conntrack --ctdir ORIGINAL
-A INPUT ! -p udp
-A INPUT -m iprange --dst-range 10.7.0.1-10.7.0.3
-A INPUT -m addrtype --src-type UNICAST
-A INPUT -p tcp -m tcp --dport 23
COMMIT
`;

function model(): Host {
  return nfScene({ rules: RULES, macByte: 9 });
}

const PACKETS: Packet[] = [
  { family: 4, src: '10.7.0.1', dst: '10.7.0.2', proto: 17, sport: 5001, dport: 7000, ttl: 64, mark: 0 },
  { family: 4, src: '10.7.0.1', dst: '10.7.0.2', proto: 17, sport: 5002, dport: 7000, ttl: 64, mark: 0 },
  { family: 4, src: '10.7.0.1', dst: '10.7.0.2', proto: 17, sport: 5000, dport: 7000, ttl: 64, mark: 0 },
  { family: 4, src: '10.7.0.1', dst: '10.7.0.2', proto: 17, sport: 5003, dport: 7001, ttl: 64, mark: 0 },
  { family: 4, src: '10.7.0.1', dst: '10.7.0.2', proto: 6, sport: 5010, dport: 22, tcpFlags: 0x02, ttl: 64, mark: 0 },
  { family: 4, src: '10.7.0.1', dst: '10.7.0.2', proto: 1, icmpType: 8, icmpCode: 0, icmpId: 0x4b57, ttl: 64, mark: 0 },
];

const SENDER = `
import socket, struct, time
for p in ${JSON.stringify(PACKETS.map((p) => [p.proto, p.sport ?? 0, p.dport ?? 0]))}:
    proto, sport, dport = p
    if proto == 17:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('10.7.0.1', sport)); s.sendto(b'x', ('10.7.0.2', dport)); s.close()
    elif proto == 6:
        s = socket.socket(); s.bind(('10.7.0.1', sport)); s.settimeout(1)
        try: s.connect(('10.7.0.2', dport))
        except OSError: pass
        s.close()
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        body = struct.pack('!BBHHH', 8, 0, 0, 0x4b57, 1) + b'kubewire'
        t = sum(struct.unpack('!%dH' % (len(body) // 2), body)); t = (t >> 16) + (t & 0xffff); t += t >> 16
        s.sendto(struct.pack('!BBHHH', 8, 0, ~t & 0xffff, 0x4b57, 1) + b'kubewire', ('10.7.0.2', 0)); s.close()
    time.sleep(0.05)
`;

describe.skipIf(!netnsUsable().ok)('match modules vs the real kernel', () => {
  const lab = new NetnsLab();
  let host: Host;
  beforeAll(async () => {
    host = model();
    await buildNfScene(lab, host, RULES, SENDER);
  }, 30000);
  afterAll(() => lab.cleanup());

  it('per-rule counts equal', () => {
    const real = kernelCounters(lab, 'filter');
    const ns = host.namespaces.root;
    const ours: Record<string, number> = {};
    const ct = newCtTable();
    const nth = {};
    for (const pkt of PACKETS) {
      const r = ctLookup(ct, pkt);
      if (r.entry && !r.fresh) ctUpdate(r.entry, r.dir, pkt);
      const [o] = evalTable(ns.netfilter, 'filter', 'INPUT', pkt, { ns, hook: 'INPUT', iif: 'vb0', ct: ctView(r), nth, now: 0 });
      countMatched(ours, o.matched);
      if (r.entry) ctConfirm(ct, r.entry);
    }
    expect(ours).toEqual(real);
    // The limit bucket let only the first two UDP datagrams through.
    expect(real['filter/INPUT#5']).toBe(2);
  });
});
