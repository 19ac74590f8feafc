import { describe, expect, it } from 'vitest';
import { cidrContains, joinHostPort, parseCidrSloppy, parseIpSloppy } from './ip.ts';

describe('sloppy IP parsing (k8s.io/utils/net semantics)', () => {
  it('accepts leading zeros in IPv4 octets and reads them as decimal', () => {
    // Upstream kube-proxy test: externalIPs "192.168.099.022" is used as 192.168.99.22.
    expect(parseIpSloppy('192.168.099.022')?.text).toBe('192.168.99.22');
    expect(parseIpSloppy('010.001.000.009')?.text).toBe('10.1.0.9');
    expect(parseIpSloppy('256.1.1.1')).toBeUndefined();
    expect(parseIpSloppy('1.2.3')).toBeUndefined();
    expect(parseIpSloppy('foo')).toBeUndefined();
  });

  it('prints IPv6 like Go (RFC 5952) and IPv4-mapped addresses as IPv4', () => {
    expect(parseIpSloppy('FD00:0:0:0:0:0:0:1')?.text).toBe('fd00::1');
    expect(parseIpSloppy('2001:db8:0:0:1:0:0:1')?.text).toBe('2001:db8::1:0:0:1');
    expect(parseIpSloppy('2001:db8:0:1:1:1:1:1')?.text).toBe('2001:db8:0:1:1:1:1:1');
    expect(parseIpSloppy('::')?.text).toBe('::');
    expect(parseIpSloppy('::1')?.text).toBe('::1');
    const mapped = parseIpSloppy('::ffff:10.1.2.3');
    expect(mapped?.family).toBe('IPv4');
    expect(mapped?.text).toBe('10.1.2.3');
  });

  it('parses CIDRs to their network, as IPNet.String prints them', () => {
    expect(parseCidrSloppy('203.0.113.000/025')?.text).toBe('203.0.113.0/25');
    expect(parseCidrSloppy('10.0.0.5/8')?.text).toBe('10.0.0.0/8');
    expect(parseCidrSloppy('fd00:10::1/64')?.text).toBe('fd00:10::/64');
    expect(parseCidrSloppy('10.0.0.0/33')).toBeUndefined();
    expect(parseCidrSloppy('10.0.0.0')).toBeUndefined();
  });

  it('tests containment and joins host and port', () => {
    const c = parseCidrSloppy('192.168.0.0/16')!;
    expect(cidrContains(c, parseIpSloppy('192.168.4.5')!)).toBe(true);
    expect(cidrContains(c, parseIpSloppy('10.0.0.1')!)).toBe(false);
    expect(joinHostPort(parseIpSloppy('fd00::0001')!, 80)).toBe('[fd00::1]:80');
    expect(joinHostPort(parseIpSloppy('10.180.00.001')!, 80)).toBe('10.180.0.1:80');
  });
});

describe('canonicalIPv4 fast path', () => {
  it('agrees with parseIpSloppy', async () => {
    const { canonicalIPv4 } = await import('./ip.ts');
    for (const s of ['10.1.2.3', '010.001.000.009', '0.0.0.0', '255.255.255.255', '1.2.3', '1.2.3.4.5', '1..2.3', '256.0.0.1', 'a.b.c.d', '::1', '10.1.2.03']) {
      const p = parseIpSloppy(s);
      expect([s, canonicalIPv4(s)]).toEqual([s, p && p.family === 'IPv4' && !s.includes(':') ? p.text : undefined]);
    }
  });
});
