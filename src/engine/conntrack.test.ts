import { describe, expect, it } from 'vitest';
import type { Packet } from './packet.ts';
import { conntrackLine, ctApplyNat, ctBindNat, ctConfirm, ctLookup, ctUpdate, newCtTable, renderConntrack } from './conntrack.ts';
import type { NatRequest } from './netfilter/types.ts';

const rule = { table: 'nat' as const, chain: 'X', rule: 1, text: '-A X' };
const tcp = (p: Partial<Packet> = {}): Packet => ({ family: 4, src: '10.0.0.1', dst: '10.96.0.1', proto: 6, sport: 40000, dport: 80, tcpFlags: 0x02, ttl: 64, mark: 0, ...p });
const dnat: NatRequest = { kind: 'DNAT', minAddr: '10.244.1.5', maxAddr: '10.244.1.5', minPort: 8080, maxPort: 8080, random: false, randomFully: false, persistent: false, rule };

describe('conntrack', () => {
  it('first packet NEW, reply ESTABLISHED, DNAT bound once and reversed for the reply', () => {
    const t = newCtTable();
    const first = ctLookup(t, tcp());
    expect(first).toMatchObject({ state: 'NEW', dir: 'ORIGINAL', fresh: true });
    const e = first.entry!;
    ctBindNat(e, dnat, { table: t });
    const out = ctApplyNat(e, 'ORIGINAL', 'dst', tcp());
    expect(out).toMatchObject({ dst: '10.244.1.5', dport: 8080 });
    ctConfirm(t, e);
    // A retransmitted SYN is still NEW (no reply seen) and finds the binding.
    expect(ctLookup(t, tcp())).toMatchObject({ state: 'NEW', fresh: false });
    const reply = tcp({ src: '10.244.1.5', sport: 8080, dst: '10.0.0.1', dport: 40000, tcpFlags: 0x12 });
    const r = ctLookup(t, reply);
    expect(r).toMatchObject({ state: 'ESTABLISHED', dir: 'REPLY', fresh: false });
    ctUpdate(e, 'REPLY', reply);
    expect(ctApplyNat(e, 'REPLY', 'src', reply)).toMatchObject({ src: '10.96.0.1', sport: 80 });
    expect(conntrackLine(e)).toBe('tcp      6 60 SYN_RECV src=10.0.0.1 dst=10.96.0.1 sport=40000 dport=80 src=10.244.1.5 dst=10.0.0.1 sport=8080 dport=40000 mark=0 use=1');
    ctUpdate(e, 'ORIGINAL', tcp({ tcpFlags: 0x10 }));
    expect(conntrackLine(e)).toBe('tcp      6 432000 ESTABLISHED src=10.0.0.1 dst=10.96.0.1 sport=40000 dport=80 src=10.244.1.5 dst=10.0.0.1 sport=8080 dport=40000 [ASSURED] mark=0 use=1');
  });

  it('INVALID first packets (SYN/ACK, RST, FIN) get no entry; a bare ACK is picked up', () => {
    const t = newCtTable();
    for (const f of [0x12, 0x04, 0x01, 0]) {
      const r = ctLookup(t, tcp({ tcpFlags: f }));
      expect(r.state).toBe('INVALID');
      expect(r.entry).toBeUndefined();
    }
    expect(ctLookup(t, tcp({ tcpFlags: 0x10 })).entry?.tcpState).toBe('ESTABLISHED');
    expect(ctLookup(t, tcp(), { notrack: true }).state).toBe('UNTRACKED');
  });

  it('SNAT keeps the source port unless that reply tuple is taken', () => {
    const t = newCtTable();
    const masq: NatRequest = { kind: 'MASQUERADE', random: false, randomFully: false, persistent: false, rule };
    const a = ctLookup(t, tcp({ src: '10.244.0.2' })).entry!;
    ctBindNat(a, masq, { table: t, masqueradeAddr: '192.168.1.7' });
    ctConfirm(t, a);
    expect(a.reply).toMatchObject({ dst: '192.168.1.7', dport: 40000 });
    const b = ctLookup(t, tcp({ src: '10.244.0.3' })).entry!;
    const bound = ctBindNat(b, masq, { table: t, masqueradeAddr: '192.168.1.7' });
    ctConfirm(t, b);
    expect(b.reply.dport).not.toBe(40000);
    expect(bound).toMatchObject({ note: 'original port in use: another port chosen' });
    expect(renderConntrack(t).stderr).toBe('conntrack v1.4.7 (conntrack-tools): 2 flow entries have been shown.\n');
  });

  it('ICMP echo: reply tuple is the echo reply with the same id', () => {
    const t = newCtTable();
    const e = ctLookup(t, { family: 4, src: '10.0.0.1', dst: '10.0.0.2', proto: 1, icmpType: 8, icmpCode: 0, icmpId: 7, ttl: 64, mark: 0 }).entry!;
    ctConfirm(t, e);
    expect(conntrackLine(e)).toBe('icmp     1 30 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=7 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=7 mark=0 use=1');
    expect(ctLookup(t, { family: 4, src: '10.0.0.2', dst: '10.0.0.1', proto: 1, icmpType: 0, icmpCode: 0, icmpId: 7, ttl: 64, mark: 0 })).toMatchObject({ state: 'ESTABLISHED', dir: 'REPLY' });
  });
});
