// address text and bytes: literal bytes from RFCs, real captures (testdata/) and the VXLAN research note.

import { describe, expect, it } from 'vitest';
import { KubewireError } from '../errors.ts';
import { ARP_REQUEST, emitArp, parseArp } from './arp.ts';
import { bytesToIpv6, ipv6ToBytes, macToBytes } from './bytes.ts';
import { internetChecksum, onesSum, pseudoHeaderSumV6, transportChecksum } from './checksum.ts';
import { emitEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4, parseEthernet } from './ethernet.ts';
import { busyboxPingRequest, emitIcmp, ICMP_DEST_UNREACH, ICMP_ECHO_REQUEST, ICMP_FRAG_NEEDED, linuxEchoReply, linuxIcmpErrorTos, linuxIcmpQuote, parseIcmp } from './icmp.ts';
import { emitIpv4, ipv4Defaults, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, parseIpv4 } from './ipv4.ts';
import { jhash, jhash2 } from './jhash.ts';
import {
  emitTcp, linuxAdvertisedMss, linuxAdvertisedWindow, linuxDataOptions, linuxRcvWscale, linuxSynOptions, linuxSynWindow, parseTcp,
  TCP_ACK, TCP_SYN, tcpFlagString,
} from './tcp.ts';
import { emitUdp, parseUdp } from './udp.ts';
import {
  emitVxlan, encapsulatedEcn, flowHash, parseVxlan, udpFlowSrcPort, VXLAN_FLAG_I, vxlanEncapsulate, vxlanSourcePort,
} from './vxlan.ts';

import { ACK, ARP_REQ, ECHO, hex, NOTE_VXLAN, SYN } from './testdata/frames.ts';

void [ACK, ARP_REQ, ECHO, hex, NOTE_VXLAN, SYN];

describe('addresses', () => {
  it('IPv6 text as inet_ntop prints it', () => {
    expect(bytesToIpv6(ipv6ToBytes('2001:db8:0:0:1:0:0:1'))).toBe('2001:db8::1:0:0:1');
    expect(bytesToIpv6(ipv6ToBytes('::ffff:10.0.0.1'))).toBe('::ffff:10.0.0.1');
    expect(bytesToIpv6(ipv6ToBytes('fd00::'))).toBe('fd00::');
  });
  it('bad input is a KubewireError with the value', () => {
    expect(() => macToBytes('02:00:00:00:00')).toThrow(/invalid MAC address "02:00:00:00:00"/);
    expect(() => emitIpv4(ipv4Defaults('10.0.0.256', '10.0.0.1', 6, 1))).toThrow(/invalid IPv4 address "10.0.0.256"/);
  });
});
