import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addAddress, addLink, addRoute, newHost, setLinkUp, setSysctl } from '../../node-state/ops.ts';
import { iptablesRestore } from '../../netfilter/restore.ts';
import { emptyNetfilter } from '../../netfilter/types.ts';
import type { NetNs } from '../../node-state/types.ts';
import type { Packet } from '../packet.ts';
import { renderNodeIngressText, traceNodeIngress } from './node-ingress.ts';

function node(): NetNs {
  const h = newHost('n1');
  const ns = h.namespaces.root;
  addLink(ns, { name: 'eth0', kind: 'device' });
  setLinkUp(h, 'root', 'eth0');
  addAddress(ns, 'eth0', '192.168.1.7/24');
  addRoute(ns, { dst: 'default', via: '192.168.1.1', dev: 'eth0' });
  setSysctl(ns, 'net.ipv4.ip_forward', '1');
  const text = readFileSync(new URL('../../netfilter/testdata/kube-proxy-full.v4.rules', import.meta.url), 'utf8');
  ns.netfilter = iptablesRestore(emptyNetfilter(), text);
  return ns;
}

const syn = (dst: string, dport: number, src = '203.0.113.99'): Packet => ({ family: 4, src, dst, proto: 6, sport: 51000, dport, tcpFlags: 2, ttl: 64, mark: 0 });

describe('traceNodeIngress (kube-proxy trace)', () => {
  it('ClusterIP from outside the pod range: three endpoints, masquerade mark set, forwarded', () => {
    const outs = traceNodeIngress(node(), syn('10.100.10.20', 80, '10.0.0.9'));
    expect(outs).toHaveLength(3);
    expect(outs.map((o) => o.dnat?.to).sort()).toEqual(['192.168.1.10:8080', '192.168.2.20:8080', '192.168.3.30:8080']);
    for (const o of outs) {
      expect(o.probability).toBeCloseTo(1 / 3, 6);
      expect(o.masqueradeMarked).toBe(true);
      expect(o.path).toBe('FORWARD');
      expect(o.verdict).toBe('ACCEPT');
      // KUBE-FORWARD accepts marked traffic.
      expect(o.decidedBy).toMatchObject({ kind: 'rule', chain: 'KUBE-FORWARD', rule: 2 });
      expect(o.snat).toMatchObject({ kind: 'MASQUERADE', to: expect.stringMatching(/^192\.168\.1\.7:/) });
      expect(o.dnat!.rule.chain).toMatch(/^KUBE-SEP-/);
    }
  });

  it('NodePort with externalTrafficPolicy Local: KUBE-SVL, no masquerade', () => {
    const outs = traceNodeIngress(node(), syn('192.168.1.7', 31080));
    expect(outs).toHaveLength(1);
    const [o] = outs;
    expect(o.dnat?.to).toBe('192.168.1.40:8080');
    expect(o.masqueradeMarked).toBe(false);
    expect(o.matched.map((m) => m.chain)).toEqual(expect.arrayContaining(['KUBE-NODEPORTS', 'KUBE-EXT-BL4VTDSJDQ5TV32O', 'KUBE-SVL-BL4VTDSJDQ5TV32O', 'KUBE-SEP-SXIVWICOYRO3J4NJ']));
    expect(o.decidedBy).toMatchObject({ kind: 'policy', chain: 'FORWARD', policy: 'ACCEPT' });
    const text = renderNodeIngressText(outs);
    expect(text).toContain('outcome 1/1: probability 1.0000: ACCEPT (FORWARD → eth0)');
    expect(text).toContain('DNAT to 192.168.1.40:8080 by KUBE-SEP-SXIVWICOYRO3J4NJ #2');
    expect(text).toContain('masquerade mark: not set');
  });

  it('Service without endpoints: REJECT by the KUBE-SERVICES rule; no-local-endpoint LB: DROP', () => {
    const [r] = traceNodeIngress(node(), syn('10.100.77.7', 80));
    expect(r.verdict).toBe('REJECT');
    expect(r.rejectWith).toBe('icmp-port-unreachable');
    expect(r.decidedBy).toMatchObject({ kind: 'rule', table: 'filter', chain: 'KUBE-SERVICES', rule: 1 });
    const [d] = traceNodeIngress(node(), syn('203.0.113.10', 80));
    expect(d.verdict).toBe('DROP');
    expect(d.decidedBy).toMatchObject({ kind: 'rule', chain: 'KUBE-EXTERNAL-SERVICES', rule: 2 });
  });

  it('health check node port is accepted on INPUT', () => {
    const [o] = traceNodeIngress(node(), syn('192.168.1.7', 32001));
    expect(o.path).toBe('INPUT');
    expect(o.verdict).toBe('ACCEPT');
    expect(o.matched.some((m) => m.chain === 'KUBE-NODEPORTS' && m.rule === 1)).toBe(true);
  });
});
