// Felix's NetworkPolicy chains (policy.ts): the chain layout against upstream's rendering rules, rule-hash
// comments against a real node's dump, and enforcement by the engine compared with the API's verdicts.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseClusterFile } from '../../inputs/cluster-file.ts';
import { modelCluster } from '../../netpol/cluster.testing.ts';
import { np } from '../../netpol/testing.ts';
import { expectRandomPolicyAgreement } from '../../testing/policy-agreement.ts';
import { matrix } from '../../netpol/matrix.ts';
import { dataplaneMatrix } from '../../netpol/dataplane.ts';
import { iptablesSave } from '../../netfilter/save.ts';
import { felixChains, ruleHashes } from './iptables.ts';
import { knpChainName, knpPolicyId, policyGroupChainName } from './policy.ts';
import { sha3_224 } from './sha3.ts';
import { parseCalicoVersion } from './version.ts';
import { calicoState } from './plugin.ts';
import { DEFAULT_CALICO } from './plugin.ts';
import { renderTraceText, tracePacket } from '../../engine/index.ts';
import { ipsetsOf } from '../index.ts';

const spec = () => parseClusterFile(readFileSync(new URL('../../../examples/cluster-calico.yaml', import.meta.url), 'utf8'), 'examples/cluster-calico.yaml');

const podIps = (state: ReturnType<typeof modelCluster>['state']) =>
  Object.fromEntries(
    Object.entries(state.objects)
      .filter(([k]) => /^Pod\/[xyz]\//.test(k))
      .map(([k, o]) => [k.slice(4), (o as unknown as { status: { podIP: string } }).status.podIP]),
  );

function hostIfOf(state: ReturnType<typeof modelCluster>['state'], pod: string): { node: string; iface: string } {
  for (const [node, r] of Object.entries(calicoState(state).nodes)) if (r.pods[pod]) return { node, iface: r.pods[pod]!.hostIf };
  throw new Error(`no pod ${pod}`);
}

describe('Felix policy chain names (research §10.4)', () => {
  it('policy IDs per release, hashed to 28 characters when too long', () => {
    expect(knpPolicyId(parseCalicoVersion('v3.32.1'), 'x', 'deny')).toBe('knp/x/deny');
    expect(knpPolicyId(parseCalicoVersion('v3.30.0'), 'x', 'deny')).toBe('default/x/knp.default.deny');
    expect(knpPolicyId(parseCalicoVersion('v3.28.0'), 'x', 'deny')).toBe('x/knp.default.deny');
    expect(knpChainName(parseCalicoVersion('v3.32.1'), 'x', 'deny', 'ingress')).toBe('cali-pi-knp/x/deny');
    const long = knpChainName(parseCalicoVersion('v3.30.0'), 'default', 'allow-web', 'egress');
    expect(long).toMatch(/^cali-po-_[A-Za-z0-9_-]{19}$/);
    expect(long).toHaveLength(28);
  });

  it('an endpoint chain with a policy reproduces the rule hashes of a real node (calico#9290, "Start of policies")', () => {
    // The first five rules of cali-tw-cali11239f98883 in calico#9290 (research §10.7): conntrack, INVALID,
    // clear accept, "Start of policies" clearing pass, the jump to the policy chain.
    const chains = felixChains({
      features: { vxlanRouteMtu: false, podRouteMetric: false, vxlanNotrack: false, natPostroutingAppend: false, markDropBit: false },
      settings: { ...DEFAULT_CALICO, version: 'v3.27.0' },
      vxlan: true,
      endpoints: [{ iface: 'cali11239f98883', namespace: 'default', ingressPolicies: ['cali-pi-_DGlcbEzkd1cvh5X1F7M'] }],
    });
    const tw = chains.find((c) => c.name === 'cali-tw-cali11239f98883')!;
    expect(ruleHashes(tw.name, tw.rules).slice(0, 5)).toEqual(['63AiEhcKlL4J9x0W', 'U_uF6VQoKAohXmTC', '11psZo1M6h3_eNzY', '6lKycZxeeZ1PugZz', 'cV0qHtGkHxu9syl8']);
  });
});

describe('SHA3-224 (policy-group names)', () => {
  it('FIPS 202 test vectors', () => {
    const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
    expect(hex(sha3_224(new Uint8Array()))).toBe('6b4e03423667dbb73b6e15454f0eb1abd4597f9a1b078e3f5b5a6bc7');
    expect(hex(sha3_224(new TextEncoder().encode('abc')))).toBe('e642824c3f8cf24ad09234ee7d3c766fc9a3a5168d0c94ad73b46fdf');
    // Longer than one 144-byte block.
    expect(hex(sha3_224(new Uint8Array(200).fill(0xa3)))).toBe('9376816aba503f72f96ce7eb65ac095deee3be4bf9bbc2a1cb7e11e0');
  });
});

describe('Calico enforces NetworkPolicies in the engine', () => {
  it('renders the policy into the workload chains as Felix lays them out', () => {
    const c = modelCluster(spec());
    c.apply([np('allow-web', { podSelector: { matchLabels: { pod: 'b' } }, ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'a' } } }], ports: [{ port: 80 }] }] })]);
    const { node, iface } = hostIfOf(c.state, 'x/b');
    const save = iptablesSave(c.state.hosts[node]!.namespaces['root']!.netfilter);
    const strip = (l: string) => l.replace(/ -m comment --comment "cali:[^"]+"/, '');
    const lines = save.split('\n').map(strip);
    const chain = 'cali-pi-knp/x/allow-web';
    // Policy chain: the comment on the first rule, the match + accept mark; the trailing RETURN stripped.
    const pi = lines.filter((l) => l.startsWith(`-A ${chain} `));
    expect(pi).toHaveLength(1);
    expect(pi[0]).toMatch(new RegExp(`^-A ${chain} -p tcp -m comment --comment "KubernetesNetworkPolicy x/allow-web ingress" -m set --match-set cali40s:\\S+ src -m multiport --dports 80 -j MARK --set-xmark 0x10000/0x10000$`));
    // Workload chain: tier start, jump unless passed, return if accepted, end-of-tier drop, then profiles.
    const tw = lines.filter((l) => l.startsWith(`-A cali-tw-${iface} `)).map((l) => l.slice(`-A cali-tw-${iface} `.length));
    expect(tw).toEqual([
      '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-m conntrack --ctstate INVALID -j DROP',
      '-j MARK --set-xmark 0x0/0x30000',
      '-m comment --comment "Start of tier default" -j MARK --set-xmark 0x0/0x20000',
      `-m mark --mark 0x0/0x20000 -j ${chain}`,
      '-m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
      '-m comment --comment "End of tier default. Drop if no policies passed packet" -m mark --mark 0x0/0x20000 -j DROP',
      '-j cali-pri-kns.x',
      '-m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
      '-j cali-pri-ksa.x.default',
      '-m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
      '-m comment --comment "Drop if no profiles matched" -j DROP',
    ]);
    // Egress is not selected: the fw chain has profiles only.
    expect(save).not.toMatch(new RegExp(`-A cali-fw-${iface} .*cali-po-`));
  });

  it('default-deny ingress drops pod → pod; an allow rule by podSelector, namespaceSelector and port delivers', () => {
    const c = modelCluster(spec());
    c.apply([
      np('deny', { podSelector: {}, policyTypes: ['Ingress'] }),
      np('allow', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'b' } } }], ports: [{ port: 80 }] }] }),
    ]);
    const m = matrix(c.state, { port: 80, protocol: 'TCP', namespaces: ['x', 'y', 'z'] });
    const d = dataplaneMatrix(c.state, m, c.world());
    const at = (s: string, t: string) => d.cells[m.pods.findIndex((p) => `${p.namespace}/${p.name}` === s)]![m.pods.findIndex((p) => `${p.namespace}/${p.name}` === t)]!;
    expect(at('y/b', 'x/a').delivered).toBe(true);
    expect(at('y/a', 'x/a')).toMatchObject({ delivered: false, code: 'denied' });
    expect(at('x/b', 'x/c')).toMatchObject({ delivered: false, code: 'denied' });
    expect(at('x/a', 'y/a').delivered).toBe(true);
    expect(d.disagreements).toEqual([]);
    // Port 81 is not in the rule.
    const m81 = matrix(c.state, { port: 81, protocol: 'TCP', namespaces: ['x', 'y'] });
    const d81 = dataplaneMatrix(c.state, m81, c.world());
    expect(d81.cells[m81.pods.findIndex((p) => p.namespace === 'y' && p.name === 'b')]![0]!.delivered).toBe(false);
    expect(d81.disagreements).toEqual([]);
  });

  it('traces name the deciding policy and rule, or say that no policy allowed it', () => {
    const c = modelCluster(spec());
    c.apply([
      np('deny', { podSelector: {}, policyTypes: ['Ingress'] }),
      np('web', { podSelector: { matchLabels: { pod: 'b' } }, ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'c' } } }], ports: [{ port: 81 }] }, { from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }], ports: [{ port: 80 }] }] }),
    ]);
    const ip = (c.state.objects['Pod/x/b'] as unknown as { status: { podIP: string } }).status.podIP;
    const opts = { ipsets: ipsetsOf(c.state) as never };
    const denied = tracePacket(c.state, { from: { pod: 'a', namespace: 'x' }, dst: ip, dport: 80, protocol: 'TCP' }, opts);
    const d = denied.branches[0]!.forward.disposition;
    expect(d.code).toBe('denied');
    expect(d.decidedBy).toMatchObject({ kind: 'rule', table: 'filter' });
    expect((d.decidedBy as { chain: string }).chain).toMatch(/^cali-tw-cali/);
    expect(d.reason).toContain('ingress of x/b denied: no policy allowed it (selected by x/deny, x/web)');
    const allowed = tracePacket(c.state, { from: { pod: 'a', namespace: 'y' }, dst: ip, dport: 80, protocol: 'TCP' }, opts);
    expect(allowed.branches[0]!.forward.disposition.code).toBe('delivered');
    const text = renderTraceText(allowed);
    expect(text).toMatch(/policy: ingress of x\/b allowed by x\/web spec\.ingress\[1\] \(cali-pi-\S+ #\d+\)/);
    const step = allowed.branches[0]!.forward.steps.find((x) => x.policy?.length);
    expect(step?.policy?.[0]).toMatchObject({ enforcer: 'calico', direction: 'ingress', pod: 'x/b', allowed: true, policy: { namespace: 'x', name: 'web' }, rule: 1 });
  });

  it('policies sharing a selector are jumped to through one policy-group chain (cali-gi-), verdicts unchanged', () => {
    const c = modelCluster(spec());
    c.apply([
      np('a-deny', { podSelector: {}, policyTypes: ['Ingress'] }),
      np('b-from-y', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }] }),
      np('c-web', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }] }),
    ]);
    const { node, iface } = hostIfOf(c.state, 'x/a');
    const lines = iptablesSave(c.state.hosts[node]!.namespaces['root']!.netfilter)
      .split('\n')
      .map((l) => l.replace(/ -m comment --comment "cali:[^"]+"/, ''));
    const jumps = lines.filter((l) => l.startsWith(`-A cali-tw-${iface} `) && / -j cali-(gi|pi)-/.test(l)).map((l) => l.split(' -j ')[1]);
    expect(jumps).toHaveLength(2);
    expect(jumps[0]).toMatch(/^cali-gi-[A-Za-z0-9_-]{20}$/);
    expect(jumps[1]).toBe('cali-pi-knp/x/c-web');
    const group = lines.filter((l) => l.startsWith(`-A ${jumps[0]} `)).map((l) => l.slice(`-A ${jumps[0]} `.length));
    expect(group).toEqual(['-j cali-pi-knp/x/a-deny', '-m mark --mark 0x0/0x30000 -j cali-pi-knp/x/b-from-y']);
    const m = matrix(c.state, { port: 80, protocol: 'TCP', namespaces: ['x', 'y'] });
    const d = dataplaneMatrix(c.state, m, c.world());
    expect(d.disagreements).toEqual([]);
    expect(m.cells.flat().some((v) => !v.allowed)).toBe(true);
  });

  it('policy-group IDs hash the fields Felix hashes (SHA3-224, base64url, 20 characters)', () => {
    const v32 = parseCalicoVersion('v3.32.1');
    const a = policyGroupChainName(v32, 'ingress', 'all()', [{ namespace: 'x', name: 'a' }, { namespace: 'x', name: 'b' }]);
    expect(a).toMatch(/^cali-gi-[A-Za-z0-9_-]{20}$/);
    const out = policyGroupChainName(v32, 'egress', 'all()', [{ namespace: 'x', name: 'a' }, { namespace: 'x', name: 'b' }]);
    // The direction is hashed too: the egress group's ID differs, not only its prefix.
    expect(out).toMatch(/^cali-go-[A-Za-z0-9_-]{20}$/);
    expect(out.slice(8)).not.toBe(a.slice(8));
    expect(policyGroupChainName(v32, 'ingress', 'all()', [{ namespace: 'x', name: 'b' }, { namespace: 'x', name: 'a' }])).not.toBe(a);
  });

  it('removing the policies removes their chains and restores delivery', () => {
    const c = modelCluster(spec());
    c.apply([np('deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })]);
    c.clear();
    const { node } = hostIfOf(c.state, 'x/a');
    expect(iptablesSave(c.state.hosts[node]!.namespaces['root']!.netfilter)).not.toContain('cali-pi-');
    const m = matrix(c.state, { port: 80, protocol: 'TCP', namespaces: ['x'] });
    expect(dataplaneMatrix(c.state, m, c.world()).cells.flat().every((x) => x.delivered)).toBe(true);
  });

  it('the engine agrees with the API on random small policies (named ports, ipBlock except, endPort, both directions)', () => {
    const c = modelCluster(spec());
    const ips = podIps(c.state);
    expectRandomPolicyAgreement(c, ips, [1, 2, 3, 4, 5, 6]);
  });
});
