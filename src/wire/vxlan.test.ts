// VXLAN header, encapsulation, source port; jhash: literal bytes from RFCs, real captures (testdata/) and the VXLAN research note.

import { describe, expect, it } from 'vitest';
import { KubewireError } from '../errors.ts';
import { IPPROTO_TCP, parseIpv4 } from './ipv4.ts';
import { jhash, jhash2 } from './jhash.ts';
import { emitVxlan, encapsulatedEcn, flowHash, parseVxlan, udpFlowSrcPort, VXLAN_FLAG_I, vxlanEncapsulate, vxlanSourcePort } from './vxlan.ts';
import { NOTE_VXLAN } from './testdata/frames.ts';

describe('VXLAN', () => {
  it('the research note frame: header, outer DF clear, TTL 64, computed UDP checksum, 50 bytes overhead', () => {
    const inner = NOTE_VXLAN.subarray(50);
    const again = vxlanEncapsulate(inner, {
      outerDstMac: '02:00:00:00:00:fe', outerSrcMac: '02:00:00:00:01:0a', outerSrcIp: '10.0.1.10', outerDstIp: '10.0.2.20', vni: 4096, ipId: 0x1c46, srcPort: 48879,
    });
    expect(again).toEqual(NOTE_VXLAN);
    const vx = parseVxlan(NOTE_VXLAN, 42);
    expect(vx.header).toEqual({ flags: VXLAN_FLAG_I, vni: 4096 });
    expect(Array.from(emitVxlan({ flags: 8, vni: 4096 }))).toEqual([8, 0, 0, 0, 0, 0x10, 0, 0]);
    expect(parseIpv4(NOTE_VXLAN, 14).header.totalLength! - parseIpv4(inner, 14).header.totalLength!).toBe(50);
    expect(() => emitVxlan({ flags: 8, vni: 1 << 24 })).toThrow(/VNI/);
  });
  it('ECN: inner copied, CE becomes ECT(0)', () => {
    expect([0, 1, 2, 3].map(encapsulatedEcn)).toEqual([0, 1, 2, 2]);
  });
  it('udp_flow_src_port mapping into ip_local_port_range', () => {
    expect(udpFlowSrcPort(0)).toBe(32768);
    expect(udpFlowSrcPort(0xffffffff)).toBe(32768 + Number((BigInt((0xffffffff ^ 0xffff0000) >>> 0) * 28231n) >> 32n));
    for (let h = 1; h < 0xffffffff; h = (h * 7 + 12345) >>> 0 || 1) {
      const p = udpFlowSrcPort(h);
      expect(p).toBeGreaterThanOrEqual(32768);
      expect(p).toBeLessThanOrEqual(60998);
      if (h > 0xf0000000) break;
    }
    expect(() => udpFlowSrcPort(1, [5000, 4000])).toThrow(KubewireError);
  });
  it('flow hash is symmetric per flow and differs with the seed', () => {
    const a = { src: '172.16.1.1', dst: '172.16.2.2', protocol: IPPROTO_TCP, srcPort: 40000, dstPort: 80 };
    const b = { src: '172.16.2.2', dst: '172.16.1.1', protocol: IPPROTO_TCP, srcPort: 80, dstPort: 40000 };
    expect(flowHash(a, 1)).toBe(flowHash(b, 1));
    expect(flowHash(a, 1)).not.toBe(flowHash(a, 2));
    const frame = NOTE_VXLAN.subarray(50);
    expect(vxlanSourcePort(frame, 7)).toBe(vxlanSourcePort(frame, 7));
  });
  it('jhash matches the kernel lookup3 reference values', () => {
    // lookup3.c driver: hashlittle("", 0, 0) = 0xdeadbeef; hashlittle("Four score and seven years ago", 30, 0) = 0x17770551.
    expect(jhash(new Uint8Array(0), 0)).toBe(0xdeadbeef);
    expect(jhash(new TextEncoder().encode('Four score and seven years ago'), 0)).toBe(0x17770551);
    expect(jhash(new TextEncoder().encode('Four score and seven years ago'), 1)).toBe(0xcd628161);
    expect(jhash2([], 0)).toBe(0xdeadbeef);
  });
});
