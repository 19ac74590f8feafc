// Per-feature checks of the restore input. Expected lines follow the rule templates of upstream
// pkg/proxy/iptables/proxier.go (syncProxyRules) as described in the research note
// (/work/shared/research/kube-proxy-iptables.md §5–§14).
import { describe, expect, it } from 'vitest';
import { endpointChain } from './chain-names.ts';
import { syncRules, syncRulesDetailed } from './rules.ts';
import { p80, slice, svc, upstreamTestConfig } from './testdata/fixtures.ts';

const cfg = upstreamTestConfig;
const lines = (t: string) => t.split('\n');
const rulesOf = (t: string, chain: string, table = 'nat') => {
  const start = t.indexOf(`*${table}\n`);
  const end = t.indexOf('COMMIT\n', start);
  return lines(t.slice(start, end)).filter((l) => l.startsWith(`-A ${chain} `));
};
const chainsOf = (t: string, table = 'nat') => {
  const start = t.indexOf(`*${table}\n`);
  const end = t.indexOf('COMMIT\n', start);
  return lines(t.slice(start, end)).filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0]);
};

const SVC = 'KUBE-SVC-XPGD46QRK7WJZT7O';
const SVL = 'KUBE-SVL-XPGD46QRK7WJZT7O';
const EXT = 'KUBE-EXT-XPGD46QRK7WJZT7O';

describe('internalTrafficPolicy Local', () => {
  const service = svc('ns1', 'svc1', { clusterIP: '172.30.0.41', internalTrafficPolicy: 'Local', ports: [{ name: 'p80', port: 80, protocol: 'TCP' }] });

  it('dispatches the cluster IP through KUBE-SVL to local endpoints only, with no SVC chain', () => {
    const t = syncRules({
      services: [service],
      slices: [slice('ns1', 'svc1', 1, [{ addresses: ['10.180.0.1'], nodeName: 'test-node' }, { addresses: ['10.180.1.1'], nodeName: 'other' }], p80)],
      config: cfg,
    });
    expect(rulesOf(t, 'KUBE-SERVICES')[0]).toBe(
      `-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j ${SVL}`,
    );
    expect(rulesOf(t, SVL)).toEqual([
      `-A ${SVL} -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ`,
      `-A ${SVL} -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ`,
    ]);
    expect(chainsOf(t)).not.toContain(SVC);
    // Only the local endpoint gets a SEP chain.
    expect(chainsOf(t).filter((c) => c.startsWith('KUBE-SEP-'))).toEqual(['KUBE-SEP-SXIVWICOYRO3J4NJ']);
  });

  it('drops cluster-IP traffic in filter when endpoints exist only on other nodes', () => {
    const t = syncRules({
      services: [service],
      slices: [slice('ns1', 'svc1', 1, [{ addresses: ['10.180.1.1'], nodeName: 'other' }], p80)],
      config: cfg,
    });
    expect(rulesOf(t, 'KUBE-SERVICES', 'filter')).toEqual([
      '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 has no local endpoints" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j DROP',
    ]);
    expect(chainsOf(t).filter((c) => c.includes('XPGD46QRK7WJZT7O') || c.startsWith('KUBE-SEP'))).toEqual([]);
  });
});

describe('externalTrafficPolicy Local', () => {
  const lb = svc(
    'ns1',
    'svc1',
    {
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      clusterIP: '172.30.0.41',
      healthCheckNodePort: 30000,
      ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }],
    },
    { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } },
  );

  it('short-circuits pod and node traffic to SVC and sends the rest to SVL', () => {
    const t = syncRules({
      services: [lb],
      slices: [slice('ns1', 'svc1', 1, [{ addresses: ['10.180.0.1'], nodeName: 'test-node' }, { addresses: ['10.180.1.1'], nodeName: 'other' }], p80)],
      config: cfg,
    });
    expect(rulesOf(t, EXT)).toEqual([
      `-A ${EXT} -m comment --comment "pod traffic for ns1/svc1:p80 external destinations" -s 10.0.0.0/8 -j ${SVC}`,
      `-A ${EXT} -m comment --comment "masquerade LOCAL traffic for ns1/svc1:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
      `-A ${EXT} -m comment --comment "route LOCAL traffic for ns1/svc1:p80 external destinations" -m addrtype --src-type LOCAL -j ${SVC}`,
      `-A ${EXT} -j ${SVL}`,
    ]);
    expect(rulesOf(t, SVL)).toEqual([`-A ${SVL} -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ`]);
    expect(rulesOf(t, SVC)).toHaveLength(3); // masquerade rule + two endpoints
    expect(rulesOf(t, 'KUBE-NODEPORTS', 'filter')).toEqual([
      '-A KUBE-NODEPORTS -m comment --comment "ns1/svc1:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT',
    ]);
    // Cluster and local sets overlap without topology, so the SEP chains are the cluster set.
    expect(chainsOf(t).filter((c) => c.startsWith('KUBE-SEP-'))).toHaveLength(2);
  });

  it('without local endpoints: no final EXT jump and filter DROPs for LB IP and node port', () => {
    const t = syncRules({
      services: [lb],
      slices: [slice('ns1', 'svc1', 1, [{ addresses: ['10.180.1.1'], nodeName: 'other' }], p80)],
      config: cfg,
    });
    expect(rulesOf(t, EXT).at(-1)).toContain('route LOCAL traffic');
    expect(chainsOf(t)).not.toContain(SVL);
    expect(rulesOf(t, 'KUBE-EXTERNAL-SERVICES', 'filter')).toEqual([
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns1/svc1:p80 has no local endpoints" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP',
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns1/svc1:p80 has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j DROP',
    ]);
  });

  it('the health-check rule stays without any endpoints; everything else REJECTs', () => {
    const t = syncRules({ services: [lb], slices: [], config: cfg });
    expect(rulesOf(t, 'KUBE-NODEPORTS', 'filter')).toHaveLength(1);
    expect(rulesOf(t, 'KUBE-SERVICES', 'filter')[0]).toContain('"ns1/svc1:p80 has no endpoints"');
    expect(rulesOf(t, 'KUBE-SERVICES', 'filter')[0]).toMatch(/ -j REJECT$/);
    expect(rulesOf(t, 'KUBE-EXTERNAL-SERVICES', 'filter').every((r) => r.endsWith('-j REJECT'))).toBe(true);
    expect(chainsOf(t).filter((c) => c.includes('XPGD46QRK7WJZT7O'))).toEqual([]);
    expect(rulesOf(t, 'KUBE-NODEPORTS')).toEqual([]);
  });
});

describe('loadBalancerSourceRanges', () => {
  it('allows the LB VIP as source when a range contains the node IP', () => {
    const t = syncRules({
      services: [
        svc(
          'ns1',
          'svc1',
          {
            type: 'LoadBalancer',
            clusterIP: '172.30.0.41',
            loadBalancerSourceRanges: ['192.168.0.0/24', '203.0.113.0/25', 'fd00::/64'],
            ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }],
          },
          { loadBalancer: { ingress: [{ ip: '1.2.3.4' }, { hostname: 'lb.example.com' }, { ip: '9.10.11.12', ipMode: 'Proxy' }] } },
        ),
      ],
      slices: [slice('ns1', 'svc1', 1, [{ addresses: ['10.180.0.1'] }], p80)],
      config: cfg,
    });
    const FW = 'KUBE-FW-XPGD46QRK7WJZT7O';
    expect(rulesOf(t, FW)).toEqual([
      `-A ${FW} -m comment --comment "ns1/svc1:p80 loadbalancer IP" -s 192.168.0.0/24 -j ${EXT}`,
      `-A ${FW} -m comment --comment "ns1/svc1:p80 loadbalancer IP" -s 203.0.113.0/25 -j ${EXT}`,
      `-A ${FW} -m comment --comment "ns1/svc1:p80 loadbalancer IP" -s 1.2.3.4 -j ${EXT}`,
      `-A ${FW} -m comment --comment "other traffic to ns1/svc1:p80 will be dropped by KUBE-PROXY-FIREWALL"`,
    ]);
    // ipMode Proxy and hostname-only ingress entries are not captured.
    expect(t).not.toContain('9.10.11.12');
    expect(rulesOf(t, 'KUBE-PROXY-FIREWALL', 'filter')).toEqual([
      `-A KUBE-PROXY-FIREWALL -m comment --comment "ns1/svc1:p80 traffic not accepted by ${FW}" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP`,
    ]);
    // Node ports bypass the firewall chain.
    expect(rulesOf(t, 'KUBE-NODEPORTS').at(-1)).toBe(`-A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp --dport 3001 -j ${EXT}`);
  });
});

describe('endpoint selection', () => {
  const service = svc('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP' }] });
  it('falls back to serving terminating endpoints when none is ready, never to non-serving ones', () => {
    const t = syncRules({
      services: [service],
      slices: [
        slice(
          'ns1',
          'svc1',
          1,
          [
            { addresses: ['10.180.0.1'], conditions: { ready: false, serving: true, terminating: true } },
            { addresses: ['10.180.0.2'], conditions: { ready: false, serving: false, terminating: true } },
            { addresses: ['10.180.0.3'], conditions: { ready: false, serving: false, terminating: false } },
          ],
          p80,
        ),
      ],
      config: cfg,
    });
    expect(rulesOf(t, SVC).filter((r) => r.includes('->'))).toEqual([
      `-A ${SVC} -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ`,
    ]);
  });

  it('prefers ready endpoints and ignores terminating ones while any is ready', () => {
    const t = syncRules({
      services: [service],
      slices: [
        slice(
          'ns1',
          'svc1',
          1,
          [
            { addresses: ['10.180.0.1'], conditions: { ready: false, serving: true, terminating: true } },
            { addresses: ['10.180.0.2'], conditions: { ready: true } },
          ],
          p80,
        ),
      ],
      config: cfg,
    });
    expect(rulesOf(t, SVC).filter((r) => r.includes('->'))).toEqual([
      `-A ${SVC} -m comment --comment "ns1/svc1:p80 -> 10.180.0.2:80" -j ${endpointChain('ns1/svc1:p80', 'tcp', '10.180.0.2:80')}`,
    ]);
    expect(chainsOf(t).filter((c) => c.startsWith('KUBE-SEP'))).toHaveLength(1);
  });

  it('uses same-zone endpoints when every ready endpoint has zone hints and one hints this zone', () => {
    const eps = [
      { addresses: ['10.180.0.1'], hints: { forZones: [{ name: 'zone-a' }] } },
      { addresses: ['10.180.0.2'], hints: { forZones: [{ name: 'zone-b' }] } },
    ];
    const inZone = syncRules({
      services: [service],
      slices: [slice('ns1', 'svc1', 1, eps, p80)],
      config: { ...cfg, nodeLabels: { 'topology.kubernetes.io/zone': 'zone-a' } },
    });
    expect(rulesOf(inZone, SVC).filter((r) => r.includes('->')).map((r) => /-> (\S+)"/.exec(r)![1])).toEqual(['10.180.0.1:80']);
    const otherZone = syncRules({
      services: [service],
      slices: [slice('ns1', 'svc1', 1, eps, p80)],
      config: { ...cfg, nodeLabels: { 'topology.kubernetes.io/zone': 'zone-c' } },
    });
    expect(rulesOf(otherZone, SVC).filter((r) => r.includes('->'))).toHaveLength(2);
  });

  it('collapses duplicates across slices and sorts endpoints as strings', () => {
    const t = syncRules({
      services: [service],
      slices: [
        slice('ns1', 'svc1', 1, [{ addresses: ['10.1.1.9'] }, { addresses: ['10.1.1.10'] }], p80),
        slice('ns1', 'svc1', 2, [{ addresses: ['10.1.1.10'] }, { addresses: ['10.001.001.011'] }], p80),
      ],
      config: cfg,
    });
    expect(rulesOf(t, SVC).filter((r) => r.includes('->')).map((r) => /-> (\S+)"/.exec(r)![1])).toEqual([
      '10.1.1.10:80',
      '10.1.1.11:80',
      '10.1.1.9:80',
    ]);
  });

  it('matches slice ports to service ports by name and protocol; ignores headless slices', () => {
    const t = syncRulesDetailed({
      services: [service],
      slices: [
        slice('ns1', 'svc1', 1, [{ addresses: ['10.180.0.1'] }], [{ name: 'p80', port: 8080, protocol: 'UDP' }]),
        slice('ns1', 'svc1', 2, [{ addresses: ['10.180.0.2'] }], [{ name: 'other', port: 8080, protocol: 'TCP' }]),
      ],
      config: cfg,
    });
    expect(t.text).toContain('"ns1/svc1:p80 has no endpoints"');
  });
});

describe('services kube-proxy skips', () => {
  it('ignores headless, ExternalName, other-proxy and wrong-family services', () => {
    const r = syncRulesDetailed({
      services: [
        svc('ns', 'headless', { clusterIP: 'None', ports: [{ port: 80, protocol: 'TCP' }] }),
        svc('ns', 'noip', { ports: [{ port: 80, protocol: 'TCP' }] }),
        svc('ns', 'ext', { type: 'ExternalName', externalName: 'example.com', clusterIP: '', ports: [{ port: 80, protocol: 'TCP' }] }),
        { ...svc('ns', 'other', { clusterIP: '172.30.0.9', ports: [{ port: 80, protocol: 'TCP' }] }), metadata: { namespace: 'ns', name: 'other', labels: { 'service.kubernetes.io/service-proxy-name': 'x' } } },
        svc('ns', 'v6', { clusterIP: 'fd00::9', clusterIPs: ['fd00::9'], ports: [{ port: 80, protocol: 'TCP' }] }),
      ],
      slices: [],
      config: cfg,
    });
    expect(r.servicePorts).toBe(0);
  });
});

describe('protocols, affinity, masquerade options', () => {
  it('uses the protocol in matches and in the chain hash (UDP, SCTP)', () => {
    const t = syncRules({
      services: [
        svc('kube-system', 'kube-dns', {
          clusterIP: '10.100.0.10',
          ports: [
            { name: 'dns', port: 53, protocol: 'UDP' },
            { name: 'dns-tcp', port: 53, protocol: 'TCP' },
          ],
        }),
      ],
      slices: [
        slice('kube-system', 'kube-dns', 1, [{ addresses: ['192.168.5.7'] }], [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        ]),
      ],
      config: cfg,
    });
    expect(t).toContain(
      '-A KUBE-SERVICES -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp -p udp -d 10.100.0.10 --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU\n',
    );
    expect(t).toMatch(/-m udp -p udp -j DNAT --to-destination 192\.168\.5\.7:53\n/);
  });

  it('masqueradeAll marks all cluster-IP traffic; without a cluster CIDR nothing is marked', () => {
    const service = svc('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP' }] });
    const sl = [slice('ns1', 'svc1', 1, [{ addresses: ['10.180.0.1'] }], p80)];
    const all = syncRules({ services: [service], slices: sl, config: { ...cfg, masqueradeAll: true } });
    expect(rulesOf(all, SVC)[0]).toBe(
      `-A ${SVC} -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-MARK-MASQ`,
    );
    const none = syncRules({ services: [service], slices: sl, config: { ...cfg, clusterCIDR: '' } });
    expect(rulesOf(none, SVC)).toEqual([`-A ${SVC} -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ`]);
    const iface = syncRules({
      services: [service],
      slices: sl,
      config: { ...cfg, detectLocalMode: 'InterfaceNamePrefix', interfaceNamePrefix: 'eni' },
    });
    expect(rulesOf(iface, SVC)[0]).toContain('--dport 80 ! -i eni+ -j KUBE-MARK-MASQ');
  });
});

describe('node ports: addresses and localhost', () => {
  const np = svc('ns1', 'svc1', { type: 'NodePort', clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }] });
  const sl = [slice('ns1', 'svc1', 1, [{ addresses: ['10.180.0.1'] }], p80)];
  const last = (t: string) => rulesOf(t, 'KUBE-SERVICES').at(-1);
  const C = '"kubernetes service nodeports; NOTE: this must be the last rule in this chain"';

  it('excludes 127.0.0.0/8 and drops KUBE-FIREWALL when localhost node ports are off', () => {
    const t = syncRules({ services: [np], slices: sl, config: { ...cfg, localhostNodePorts: false } });
    expect(last(t)).toBe(`-A KUBE-SERVICES -m comment --comment ${C} -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS`);
    expect(chainsOf(t, 'filter')).not.toContain('KUBE-FIREWALL');
    expect(t).not.toContain('localhost_nps_accepted_pkts');
  });

  it('writes one jump per matching local address for nodePortAddresses', () => {
    const addrs = ['127.0.0.1', '192.168.0.2', '192.168.1.2', '192.168.99.11', '2001:db8::1'];
    const t = syncRules({
      services: [np],
      slices: sl,
      config: { ...cfg, nodeAddresses: addrs, nodePortAddresses: ['192.168.0.0/24', '2001:db8::/64'] },
    });
    expect(rulesOf(t, 'KUBE-SERVICES').filter((r) => r.includes('NOTE'))).toEqual([
      `-A KUBE-SERVICES -m comment --comment ${C} -d 192.168.0.2 -j KUBE-NODEPORTS`,
    ]);
    // 127.0.0.0/8 not included: localhost node ports are forced off.
    expect(chainsOf(t, 'filter')).not.toContain('KUBE-FIREWALL');
    const withLo = syncRules({
      services: [np],
      slices: sl,
      config: { ...cfg, nodeAddresses: addrs, nodePortAddresses: ['127.0.0.0/8', '192.168.0.0/16'] },
    });
    expect(rulesOf(withLo, 'KUBE-SERVICES').filter((r) => r.includes('NOTE'))).toEqual([
      `-A KUBE-SERVICES -m comment --comment ${C} -d 127.0.0.1 -j KUBE-NODEPORTS`,
      `-A KUBE-SERVICES -m comment --comment ${C} -d 192.168.0.2 -j KUBE-NODEPORTS`,
      `-A KUBE-SERVICES -m comment --comment ${C} -d 192.168.1.2 -j KUBE-NODEPORTS`,
      `-A KUBE-SERVICES -m comment --comment ${C} -d 192.168.99.11 -j KUBE-NODEPORTS`,
    ]);
    expect(chainsOf(withLo, 'filter')).toContain('KUBE-FIREWALL');
  });

  it('"primary" means the node IP', () => {
    const t = syncRules({ services: [np], slices: sl, config: { ...cfg, nodePortAddresses: ['primary'] } });
    expect(last(t)).toBe(`-A KUBE-SERVICES -m comment --comment ${C} -d 192.168.0.2 -j KUBE-NODEPORTS`);
  });
});

describe('IPv6 (ip6tables)', () => {
  it('uses [ip]:port, ::1 exclusion, no KUBE-FIREWALL and no localhost nfacct rule', () => {
    const t = syncRules({
      services: [
        svc('ns1', 'svc1', {
          type: 'NodePort',
          clusterIP: 'fd00:172:30::41',
          clusterIPs: ['fd00:172:30::41'],
          ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }],
        }),
      ],
      slices: [slice('ns1', 'svc1', 1, [{ addresses: ['fd00:10:180::1'] }, { addresses: ['10.180.0.9'] }], p80, 'IPv6')],
      config: { ...cfg, ipFamily: 'IPv6', nodeIPs: ['2001:db8::1'], clusterCIDR: 'fd00:10::/64' },
    });
    expect(chainsOf(t, 'filter')).not.toContain('KUBE-FIREWALL');
    expect(t).toContain('-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d fd00:172:30::41 --dport 80 -j ' + SVC);
    expect(t).toContain(`! -s fd00:10::/64 -j KUBE-MARK-MASQ`);
    expect(t).toMatch(/-A KUBE-SEP-\w+ -m comment --comment ns1\/svc1:p80 -s fd00:10:180::1 -j KUBE-MARK-MASQ\n/);
    expect(t).toMatch(/-m tcp -p tcp -j DNAT --to-destination \[fd00:10:180::1\]:80\n/);
    expect(t).not.toContain('10.180.0.9');
    expect(t).not.toContain('127.0.0.0/8');
    expect(rulesOf(t, 'KUBE-SERVICES').at(-1)).toContain('-m addrtype --dst-type LOCAL ! -d ::1/128 -j KUBE-NODEPORTS');
  });
});

describe('stale chains in large-cluster mode', () => {
  it('skips the cleanup when the last one ran less than syncPeriod ago, only above 1000 endpoints', () => {
    const eps = Array.from({ length: 1001 }, (_, i) => ({ addresses: [`10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`] }));
    const service = svc('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ name: 'p80', port: 80, protocol: 'TCP' }] });
    const stale = ['KUBE-SVC-AAAAAAAAAAAAAAAA'];
    const big = syncRulesDetailed({ services: [service], slices: [slice('ns1', 'svc1', 1, eps, p80)], config: cfg, existingNatChains: stale, cleanupThrottled: true });
    expect(big.cleanupRan).toBe(false);
    expect(big.text).not.toContain('-X KUBE-SVC-AAAAAAAAAAAAAAAA');
    const small = syncRulesDetailed({ services: [service], slices: [], config: cfg, existingNatChains: stale, cleanupThrottled: true });
    expect(small.cleanupRan).toBe(true);
    expect(small.text).toContain('-X KUBE-SVC-AAAAAAAAAAAAAAAA\n');
  });
});

