import { describe, it, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { buildSync } from './kube-proxy.ts';
import { traceCommand } from './kube-proxy-trace.ts';

const FILE = fileURLToPath(new URL('./testdata/kube-proxy-trace.yaml', import.meta.url));

function trace(extra: Record<string, unknown>, probe: { src: string; dst: string; dport: number; protocol?: string }) {
  const { config, text } = buildSync({ filename: [FILE], nodeName: 'n1', nodeIp: ['192.168.24.129'], ...extra } as never, undefined as never);
  const r = traceCommand(config, text, { protocol: 'TCP', iif: 'eth0', ...probe }, 'json');
  return JSON.parse(r.stdout).outcomes as Array<{ probability: number; dnat: string | null; masquerade: boolean; verdict: string; decidedBy: string; rules: Array<{ table: string; chain: string; index: number; rule: string }> }>;
}

describe('kube-proxy trace', () => {
  it('enumerates each endpoint of a ClusterIP with its probability and the DNAT rule', () => {
    const outs = trace({}, { src: '192.168.7.194', dst: '10.100.22.46', dport: 8080 });
    expect(outs.map((o) => o.dnat).sort()).toEqual(['192.168.52.202:80', '192.168.8.224:80']);
    for (const o of outs) {
      expect(o.probability).toBeCloseTo(0.5, 9);
      expect(o.verdict).toBe('ACCEPT');
      expect(o.masquerade).toBe(false);
      const dnatRule = o.rules.find((r) => r.rule.includes('-j DNAT'))!;
      expect(dnatRule).toMatchObject({ table: 'nat', chain: expect.stringMatching(/^KUBE-SEP-/) });
      expect(dnatRule.rule).toContain(`--to-destination ${o.dnat}`);
      expect(o.rules[1]).toMatchObject({ table: 'nat', chain: 'KUBE-SERVICES', index: 1 });
    }
  });

  it('marks traffic from outside the cluster CIDR for masquerade', () => {
    const outs = trace({ clusterCidr: '192.168.0.0/16' }, { src: '10.9.9.9', dst: '10.100.22.46', dport: 8080 });
    expect(outs).toHaveLength(2);
    for (const o of outs) {
      expect(o.masquerade).toBe(true);
      expect(o.rules.some((r) => r.chain === 'KUBE-MARK-MASQ')).toBe(true);
    }
    const inside = trace({ clusterCidr: '192.168.0.0/16' }, { src: '192.168.7.194', dst: '10.100.22.46', dport: 8080 });
    expect(inside.every((o) => !o.masquerade)).toBe(true);
  });

  it('rejects a Service without endpoints by the filter rule kube-proxy writes for it', () => {
    const [o, ...rest] = trace({}, { src: '192.168.7.194', dst: '10.100.9.9', dport: 80 });
    expect(rest).toHaveLength(0);
    expect(o).toMatchObject({ probability: 1, dnat: null, verdict: 'REJECT', decidedBy: 'rule' });
    expect(o.rules.at(-1)!.rule).toContain('"default/empty has no endpoints"');
  });

  it('explains bad probes', () => {
    expect(() => trace({}, { src: 'x', dst: '10.100.9.9', dport: 80 })).toThrow(/invalid --src "x"/);
    expect(() => trace({}, { src: '1.2.3.4', dst: '10.100.9.9', dport: 80, protocol: 'ICMPX' })).toThrow(/--protocol/);
  });
});
