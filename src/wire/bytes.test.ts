// address text and bytes: literal bytes from RFCs, real captures (testdata/) and the VXLAN research note.

import { describe, expect, it } from 'vitest';
import { bytesToIpv6, ipv6ToBytes, macToBytes } from './bytes.ts';
import { emitIpv4, ipv4Defaults } from './ipv4.ts';



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
