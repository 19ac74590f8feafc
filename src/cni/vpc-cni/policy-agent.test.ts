// The VPC CNI's network policy agent in the engine: on with the add-on's enableNetworkPolicy, its verdict at
// the pod's host veth equals the API's; off, policies exist but every packet is delivered.
import { describe, expect, it } from 'vitest';
import { testSpec } from '../../control-plane/testing.ts';
import { parseClusterFile } from '../../inputs/cluster-file.ts';
import { modelCluster } from '../../netpol/cluster.testing.ts';
import { np } from '../../netpol/testing.ts';
import { expectRandomPolicyAgreement } from '../../testing/policy-agreement.ts';
import { matrix } from '../../netpol/matrix.ts';
import { dataplaneMatrix } from '../../netpol/dataplane.ts';
import { renderTraceText, tracePacket } from '../../engine/index.ts';
import { networkPolicyEnabled } from './policy-agent.ts';
import { agentNetfilterText } from './policy-agent-netfilter.ts';
import { kubeletState } from '../../control-plane/kubelet.ts';

const withAgent = () => testSpec({ cni: { type: 'vpc-cni', vpcCni: { env: {}, version: 'v1.19.2-eksbuild.1', enableNetworkPolicy: true } } });
const ipOf = (c: ReturnType<typeof modelCluster>, pod: string) => (c.state.objects[`Pod/${pod}`] as unknown as { status: { podIP: string } }).status.podIP;

const clusterFile = (config: string) => `apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: np, region: us-west-2}
addons:
  - name: vpc-cni
    configurationValues: '${config}'
`;

describe('vpc-cni enableNetworkPolicy (add-on configurationValues)', () => {
  it('"true" turns the agent on; absent or "false" leaves it off', () => {
    expect(networkPolicyEnabled(parseClusterFile(clusterFile('{"enableNetworkPolicy": "true"}'), 'c.yaml'))).toBe(true);
    expect(networkPolicyEnabled(parseClusterFile(clusterFile('{"enableNetworkPolicy": "false"}'), 'c.yaml'))).toBe(false);
    expect(networkPolicyEnabled(parseClusterFile(clusterFile('{}'), 'c.yaml'))).toBe(false);
  });

  it('a non-string value is rejected as the add-on schema does', () => {
    expect(() => parseClusterFile(clusterFile('{"enableNetworkPolicy": true}'), 'c.yaml')).toThrow(/enableNetworkPolicy: boolean found, string expected/);
    expect(() => parseClusterFile(clusterFile('{"enableNetworkPolicy": "yes"}'), 'c.yaml')).toThrow(/enableNetworkPolicy/);
  });
});

describe('network policy agent in the engine', () => {
  it('default-deny ingress: the trace ends at the host veth with the selecting policy and "no policy allowed it"', () => {
    const c = modelCluster(withAgent());
    c.apply([np('deny', { podSelector: {}, policyTypes: ['Ingress'] })]);
    const t = tracePacket(c.state, { from: { pod: 'a', namespace: 'y' }, dst: ipOf(c, 'x/b'), dport: 80, protocol: 'TCP' });
    expect(t.branches).toHaveLength(1);
    const d = t.branches[0]!.forward.disposition;
    expect(d.code).toBe('denied');
    expect(d.decidedBy).toMatchObject({ kind: 'netpol', enforcer: 'aws-network-policy-agent', direction: 'ingress', pod: 'x/b', allowed: false, selectedBy: ['x/deny'] });
    const text = renderTraceText(t);
    expect(text).toContain('=> DENIED');
    expect(text).toContain('ingress of x/b denied: no policy allowed it (selected by x/deny)');
  });

  it('an allow rule by podSelector, namespaceSelector and port delivers, and the trace names the rule; replies pass', () => {
    const c = modelCluster(withAgent());
    c.apply([
      np('deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }, 'y'),
      np('out', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: 'x' } } }] }] }, 'y'),
      np('web', { podSelector: { matchLabels: { pod: 'b' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'a' } } }], ports: [{ port: 80 }] }] }),
    ]);
    const t = tracePacket(c.state, { from: { pod: 'a', namespace: 'y' }, dst: ipOf(c, 'x/b'), dport: 80, protocol: 'TCP' });
    const b = t.branches[0]!;
    expect(b.forward.disposition.code).toBe('delivered');
    // The reply leaves x/b (not selected for egress) and enters y/a, whose ingress is default-deny: conntrack lets it in.
    expect(b.reply?.disposition.code).toBe('delivered');
    const text = renderTraceText(t);
    expect(text).toContain('egress of y/a allowed by y/out spec.egress[0]');
    expect(text).toContain('ingress of x/b allowed by x/web spec.ingress[0]');
    expect(text).toContain('reply of a tracked connection');
    // Port 81 is not allowed by x/web.
    const t81 = tracePacket(c.state, { from: { pod: 'a', namespace: 'y' }, dst: ipOf(c, 'x/b'), dport: 81, protocol: 'TCP' });
    expect(t81.branches[0]!.forward.disposition.code).toBe('denied');
    // y/b may not send at all.
    const tb = tracePacket(c.state, { from: { pod: 'b', namespace: 'y' }, dst: ipOf(c, 'x/b'), dport: 80, protocol: 'TCP' });
    expect(tb.branches[0]!.forward.disposition).toMatchObject({ code: 'denied', decidedBy: { direction: 'egress', pod: 'y/b' } });
  });

  it('agent off (the default): policies exist, nothing enforces them, every pair is delivered', () => {
    const c = modelCluster(testSpec());
    c.apply([np('deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })]);
    const m = matrix(c.state, { port: 80, protocol: 'TCP', namespaces: ['x', 'y'] });
    expect(m.cells.flat().some((v) => !v.allowed)).toBe(true);
    expect(dataplaneMatrix(c.state, m, c.world()).cells.flat().every((x) => x.delivered)).toBe(true);
    // The trace is delivered and says that nothing enforces the policies.
    const t = tracePacket(c.state, { from: { pod: 'a', namespace: 'y' }, dst: ipOf(c, 'x/b'), dport: 80, protocol: 'TCP' });
    expect(t.branches[0]!.forward.disposition.code).toBe('delivered');
    expect(renderTraceText(t)).toContain('note: NetworkPolicies exist, but nothing enforces them: the Amazon VPC CNI runs without its network policy agent');
    // With the agent on there is no such note.
    const on = modelCluster(withAgent());
    on.apply([np('deny', { podSelector: {}, policyTypes: ['Ingress'] })]);
    expect(tracePacket(on.state, { from: { pod: 'a', namespace: 'y' }, dst: ipOf(on, 'x/b'), dport: 80, protocol: 'TCP' }).notes).toBeUndefined();
  });

  it('the engine agrees with the API on random small policies', () => {
    const c = modelCluster(withAgent());
    const ips = Object.fromEntries(['x', 'y', 'z'].flatMap((n) => ['a', 'b', 'c'].map((p) => [`${n}/${p}`, ipOf(c, `${n}/${p}`)])));
    expectRandomPolicyAgreement(c, ips, [11, 12, 13, 14, 15, 16]);
  });

  it('the netfilter equivalent for the lab: one chain per isolated pod and direction at its host veth; none with the agent off', () => {
    const c = modelCluster(withAgent());
    c.apply([np('web', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'b' } } }, { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ port: 'serve-80-tcp' }] }] })]);
    const sb = kubeletState(c.state).sandboxes['x/a']!;
    const text = agentNetfilterText(c.state, sb.node);
    const chain = `KWNP-I-${sb.hostInterface}`;
    expect(text.startsWith('*mangle\n')).toBe(true);
    expect(text).toContain(`-A POSTROUTING -o ${sb.hostInterface} -j ${chain}\n`);
    expect(text).toContain(`-A ${chain} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN\n`);
    expect(text).toContain(`-A ${chain} -s ${ipOf(c, 'y/b')}/32 -p tcp -m tcp --dport 80 -j RETURN\n`);
    expect(text).toMatch(new RegExp(`-A ${chain}-0 -s 10\\.1\\.0\\.0/16 -j RETURN\n-A ${chain}-0 -p tcp -m tcp --dport 80 -j ACCEPT\n`));
    expect(text.trim().split('\n').filter((l) => l.startsWith(`-A ${chain} `)).pop()).toBe(`-A ${chain} -j DROP`);
    expect(text).not.toContain('KWNP-E-');
    const off = modelCluster(testSpec());
    off.apply([np('web', { podSelector: {}, policyTypes: ['Ingress'] })]);
    expect(agentNetfilterText(off.state, kubeletState(off.state).sandboxes['x/a']!.node)).toBe('');
  });
});
