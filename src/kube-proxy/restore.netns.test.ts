// The generated restore input loads into the real kernel: a fresh network namespace per test
// (named kwt-<random>-kp), `iptables-restore --noflush --counters` exactly as kube-proxy runs it,
// then `iptables-save` must list every chain and rule we wrote. Needs root and iptables; skipped
// otherwise. Never touches the root namespace's rules.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { syncRules } from './rules.ts';
import { p80, slice, svc } from './testdata/fixtures.ts';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasTool = (t: string) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0;
const canRun = isRoot && hasTool('ip') && hasTool('iptables-restore') && hasTool('ip6tables-restore');
const skipReason = !isRoot ? 'needs root (creates network namespaces)' : 'needs ip, iptables-restore and ip6tables-restore';

const created: string[] = [];
function newNs(): string {
  const name = `kwt-${randomBytes(4).toString('hex')}-kp`;
  execFileSync('ip', ['netns', 'add', name]);
  created.push(name);
  return name;
}
function inNs(ns: string, cmd: string[], input?: string): string {
  return execFileSync('ip', ['netns', 'exec', ns, ...cmd], { input, encoding: 'utf8' });
}
afterAll(() => {
  for (const ns of created) spawnSync('ip', ['netns', 'del', ns]);
});

const services = [
  svc('ns1', 'svc1', { type: 'ClusterIP', clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP' }] }),
  svc(
    'ns2',
    'svc2',
    {
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      clusterIP: '172.30.0.42',
      externalIPs: ['192.168.99.22'],
      healthCheckNodePort: 30000,
      ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }],
    },
    { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } },
  ),
  svc(
    'ns5',
    'svc5',
    {
      type: 'LoadBalancer',
      clusterIP: '172.30.0.45',
      loadBalancerSourceRanges: ['203.0.113.0/25'],
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
      ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3002 }],
    },
    { loadBalancer: { ingress: [{ ip: '5.6.7.8' }] } },
  ),
  svc('ns6', 'svc6', { clusterIP: '172.30.0.46', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }),
];
const slices = [
  slice('ns1', 'svc1', 1, [{ addresses: ['10.180.0.1'] }, { addresses: ['10.180.0.2'] }, { addresses: ['10.180.0.3'] }], p80),
  slice('ns2', 'svc2', 1, [{ addresses: ['10.180.0.2'], nodeName: 'test-node' }], p80),
  slice('ns5', 'svc5', 1, [{ addresses: ['10.180.0.3'] }], p80),
];

/** chain → rule count, from restore input or iptables-save output. */
function shape(text: string, table: string): Map<string, number> {
  const out = new Map<string, number>();
  const start = text.indexOf(`*${table}\n`);
  const end = text.indexOf('COMMIT', start);
  for (const l of text.slice(start, end).split('\n')) {
    if (l.startsWith(':')) out.set(l.slice(1).split(' ')[0], out.get(l.slice(1).split(' ')[0]) ?? 0);
    const m = /^-A (\S+)/.exec(l);
    if (m) out.set(m[1], (out.get(m[1]) ?? 0) + 1);
  }
  return out;
}

describe.skipIf(!canRun)(`kube-proxy rules load into the kernel (${canRun ? 'root' : skipReason})`, () => {
  it('IPv4: iptables-restore --noflush --counters accepts the full sync; iptables-save shows every chain and rule', () => {
    const text = syncRules({
      services,
      slices,
      config: { nodeName: 'test-node', nodeIPs: ['192.168.0.2'], clusterCIDR: '10.0.0.0/8', nfacctCounters: [] },
    });
    const ns = newNs();
    inNs(ns, ['iptables-restore', '--noflush', '--counters'], text);
    const saved = inNs(ns, ['iptables-save']);
    for (const table of ['filter', 'nat']) {
      const want = shape(text, table);
      const got = shape(saved, table);
      for (const [chain, n] of want) expect([chain, got.get(chain)]).toEqual([chain, n]);
    }
    // iptables-save's canonical forms of what kube-proxy wrote.
    expect(saved).toContain('-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000\n');
    expect(saved).toContain('-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0\n');
    expect(saved).toContain('--mode random --probability 0.33333333349 -j KUBE-SEP-');
    expect(saved).toContain('--mode random --probability 0.50000000000 -j KUBE-SEP-');
    expect(saved).toMatch(/-m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-\w+ --mask 255\.255\.255\.255 --rsource -j KUBE-SEP-/);
    expect(saved).toContain('-j REJECT --reject-with icmp-port-unreachable');
    expect(saved).toContain('-j MASQUERADE --random-fully');

    // A second identical sync (kube-proxy's periodic resync) is accepted and changes nothing.
    inNs(ns, ['iptables-restore', '--noflush', '--counters'], text);
    const again = inNs(ns, ['iptables-save']).replace(/^#.*\n/gm, '');
    expect(again).toBe(saved.replace(/^#.*\n/gm, ''));
  });

  it('IPv6: ip6tables-restore accepts the ip6tables variant', () => {
    const text = syncRules({
      services: [
        svc('ns1', 'svc1', {
          type: 'NodePort',
          clusterIP: 'fd00:172:30::41',
          clusterIPs: ['fd00:172:30::41'],
          ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }],
        }),
        svc('ns2', 'svc2', { clusterIP: 'fd00:172:30::42', ports: [{ name: 'p80', port: 80, protocol: 'TCP' }] }),
      ],
      slices: [slice('ns1', 'svc1', 1, [{ addresses: ['fd00:10:180::1'] }, { addresses: ['fd00:10:180::2:1'] }], p80, 'IPv6')],
      config: { nodeName: 'test-node', nodeIPs: ['2001:db8::1'], ipFamily: 'IPv6', clusterCIDR: 'fd00:10::/64', nfacctCounters: [] },
    });
    const ns = newNs();
    inNs(ns, ['ip6tables-restore', '--noflush', '--counters'], text);
    const saved = inNs(ns, ['ip6tables-save']);
    for (const table of ['filter', 'nat']) {
      const want = shape(text, table);
      const got = shape(saved, table);
      for (const [chain, n] of want) expect([chain, got.get(chain)]).toEqual([chain, n]);
    }
    expect(saved).toContain('--to-destination [fd00:10:180::1]:80');
    expect(saved).toContain('-j REJECT --reject-with icmp6-port-unreachable');
  });

  it('stale chains are flushed and deleted by the next sync', () => {
    const ns = newNs();
    const cfg = { nodeName: 'test-node', nodeIPs: ['192.168.0.2'], clusterCIDR: '10.0.0.0/8', nfacctCounters: [] };
    const first = syncRules({ services, slices, config: cfg });
    inNs(ns, ['iptables-restore', '--noflush', '--counters'], first);
    const existing = [...shape(inNs(ns, ['iptables-save', '-t', 'nat']), 'nat').keys()];
    const second = syncRules({ services: services.slice(0, 1), slices: slices.slice(0, 1), config: cfg, existingNatChains: existing });
    inNs(ns, ['iptables-restore', '--noflush', '--counters'], second);
    const after = shape(inNs(ns, ['iptables-save', '-t', 'nat']), 'nat');
    expect([...after.keys()].filter((c) => /^KUBE-(SVC|SVL|EXT|FW|SEP)-/.test(c)).sort()).toEqual(
      [...shape(second, 'nat').keys()].filter((c) => /^KUBE-(SVC|SVL|EXT|FW|SEP)-/.test(c) && !second.includes(`-X ${c}`)).sort(),
    );
  });
});
