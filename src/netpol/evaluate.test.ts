// Cases from the upstream e2e suite (kubernetes test/e2e/network/netpol/network_policy.go: same model,
// same policies, the truth tables it expects) and from the NetworkPolicy concepts page and API reference.
import { describe, expect, it } from 'vitest';
import type { V1NetworkPolicy, V1Pod } from '../k8s/types.ts';
import { evaluate, matrixOf, policyTypesOf, type Peer, type Protocol } from './index.ts';
import { ALL_PODS, modelInputs, modelNamespace, modelPod, np, Reachability } from './testing.ts';

const NS = 'kubernetes.io/metadata.name';

/** The matrix's truth table in the Reachability row format. */
function observed(policies: V1NetworkPolicy[], port: number, protocol: Protocol = 'TCP'): string[] {
  const m = matrixOf(modelInputs(policies), { port, protocol });
  const names = m.pods.map((p) => `${p.namespace}/${p.name}`);
  expect(names).toEqual(ALL_PODS);
  return names.map((s, i) => `${s} ${m.cells[i]!.map((v) => (v.allowed ? '.' : 'X')).join('')}`);
}
const reach = (dflt = true) => new Reachability(ALL_PODS, dflt);

const denyIngress = np('deny-ingress', { podSelector: {}, ingress: [], policyTypes: ['Ingress'] });
const denyAll = np('deny-all', { podSelector: {}, ingress: [], egress: [], policyTypes: ['Ingress', 'Egress'] });

describe('upstream e2e truth tables (namespaces x y z, pods a b c)', () => {
  it('no policy: everything allowed', () => {
    expect(observed([], 80)).toEqual(reach().allowLoopback().rows());
  });

  it("default-deny-ingress in x", () => {
    expect(observed([denyIngress], 80)).toEqual(reach().expectPeer({}, { namespace: 'x' }, false).allowLoopback().rows());
  });

  it("default-deny-all in x (ingress and egress)", () => {
    expect(observed([denyAll], 80)).toEqual(reach().expectPeer({}, { namespace: 'x' }, false).expectPeer({ namespace: 'x' }, {}, false).allowLoopback().rows());
  });

  it('allow traffic from pods within server namespace based on PodSelector', () => {
    const p = np('x-a-allows-x-b', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }], policyTypes: ['Ingress'] });
    expect(observed([p], 80)).toEqual(reach().expectPeer({}, { namespace: 'x', pod: 'a' }, false).expect('x/b', 'x/a', true).allowLoopback().rows());
  });

  it('allow ingress traffic for a target (deny-all plus allow-all-to-a: the union)', () => {
    const allowA = np('allow-all-to-a', {
      podSelector: { matchLabels: { pod: 'a' } },
      ingress: [{ from: [{ podSelector: {}, namespaceSelector: {} }] }],
      policyTypes: ['Ingress'],
    });
    expect(observed([denyIngress, allowA], 80)).toEqual(
      reach().expectPeer({}, { namespace: 'x' }, false).expectPeer({}, { namespace: 'x', pod: 'a' }, true).allowLoopback().rows(),
    );
  });

  it('allow ingress from pods in all namespaces (empty namespaceSelector)', () => {
    const p = np('allow-from-another-ns', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: {} }] }], policyTypes: ['Ingress'] });
    expect(observed([p], 80)).toEqual(reach().allowLoopback().rows());
  });

  it('allow only from a different namespace, based on NamespaceSelector (matchLabels and matchExpressions In)', () => {
    const want = reach().expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false).expectPeer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false).allowLoopback().rows();
    const byLabels = np('allow-client-a-via-ns-selector', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { [NS]: 'y' } } }] }], policyTypes: ['Ingress'] });
    const byExpr = np('allow-ns-y-match-selector', {
      podSelector: { matchLabels: { pod: 'a' } },
      ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: NS, operator: 'In', values: ['y'] }] } }] }],
      policyTypes: ['Ingress'],
    });
    expect(observed([byLabels], 80)).toEqual(want);
    expect(observed([byExpr], 80)).toEqual(want);
  });

  it('PodSelector with MatchExpressions', () => {
    const p = np('x-a-allows-x-b', {
      podSelector: { matchLabels: { pod: 'a' } },
      ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: 'pod', operator: 'In', values: ['b'] }] } }] }],
      policyTypes: ['Ingress'],
    });
    expect(observed([p], 80)).toEqual(reach().expectPeer({}, { namespace: 'x', pod: 'a' }, false).expect('x/b', 'x/a', true).allowLoopback().rows());
  });

  it('PodSelector OR NamespaceSelector: two peers', () => {
    const p = np('allow-ns-y-match-selector', {
      podSelector: { matchLabels: { pod: 'a' } },
      ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: NS, operator: 'NotIn', values: ['x'] }] } }, { podSelector: { matchLabels: { pod: 'b' } } }] }],
      policyTypes: ['Ingress'],
    });
    expect(observed([p], 80)).toEqual(reach().expect('x/a', 'x/a', false).expect('x/c', 'x/a', false).allowLoopback().rows());
  });

  it('PodSelector AND NamespaceSelector: one peer', () => {
    const p = np('allow-ns-y-podselector-and-nsselector', {
      podSelector: { matchLabels: { pod: 'a' } },
      ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: NS, operator: 'NotIn', values: ['x'] }] }, podSelector: { matchLabels: { pod: 'b' } } }] }],
      policyTypes: ['Ingress'],
    });
    expect(observed([p], 80)).toEqual(reach().expectPeer({}, { namespace: 'x', pod: 'a' }, false).expect('y/b', 'x/a', true).expect('z/b', 'x/a', true).allowLoopback().rows());
  });

  it('Multiple PodSelectors and NamespaceSelectors (In [b, c] and NotIn [x])', () => {
    const p = np('allow-ns-y-z-pod-b-c', {
      podSelector: { matchLabels: { pod: 'a' } },
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchExpressions: [{ key: NS, operator: 'NotIn', values: ['x'] }] },
              podSelector: { matchExpressions: [{ key: 'pod', operator: 'In', values: ['b', 'c'] }] },
            },
          ],
        },
      ],
      policyTypes: ['Ingress'],
    });
    expect(observed([p], 80)).toEqual(
      reach().expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false).expect('y/a', 'x/a', false).expect('z/a', 'x/a', false).allowLoopback().rows(),
    );
  });

  it('Ports: only namespace y on TCP 81; port 80 denied to all; a second policy unblocks 80 (stacked policies)', () => {
    const p81 = np('allow-client-a-via-ns-selector', {
      podSelector: { matchLabels: { pod: 'a' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { [NS]: 'y' } } }], ports: [{ port: 81, protocol: 'TCP' }] }],
      policyTypes: ['Ingress'],
    });
    const allow = reach().expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false).expectPeer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false).allowLoopback().rows();
    expect(observed([p81], 81)).toEqual(allow);
    expect(observed([p81], 80)).toEqual(reach().expectPeer({}, { namespace: 'x', pod: 'a' }, false).allowLoopback().rows());
    const p80 = np('allow-client-a-via-ns-selector-80', {
      podSelector: { matchLabels: { pod: 'a' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { [NS]: 'y' } } }], ports: [{ port: 80, protocol: 'TCP' }] }],
      policyTypes: ['Ingress'],
    });
    expect(observed([p81, p80], 80)).toEqual(allow);
  });

  it('allow-all policy (one empty ingress rule)', () => {
    const p = np('allow-all', { podSelector: {}, ingress: [{}], policyTypes: ['Ingress'] });
    expect(observed([p], 80)).toEqual(reach().allowLoopback().rows());
    expect(observed([p], 81)).toEqual(reach().allowLoopback().rows());
  });

  it('ingress on one named port (serve-81-tcp)', () => {
    const p = np('allow-all', { podSelector: {}, ingress: [{ ports: [{ port: 'serve-81-tcp' }] }], policyTypes: ['Ingress'] });
    expect(observed([p], 81)).toEqual(reach().allowLoopback().rows());
    expect(observed([p], 80)).toEqual(reach().expectPeer({}, { namespace: 'x' }, false).allowLoopback().rows());
  });

  it('ingress from namespace on one named port', () => {
    const p = np('allow-client-a-via-ns-selector-80', {
      podSelector: { matchLabels: { pod: 'a' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { [NS]: 'y' } } }], ports: [{ port: 'serve-80-tcp', protocol: 'TCP' }] }],
      policyTypes: ['Ingress'],
    });
    expect(observed([p], 80)).toEqual(reach().expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false).expectPeer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false).allowLoopback().rows());
    expect(observed([p], 81)).toEqual(reach().expectPeer({}, { namespace: 'x', pod: 'a' }, false).allowLoopback().rows());
  });

  it('egress on one named port: resolved against the destination pod', () => {
    const p = np('allow-egress', { podSelector: {}, egress: [{ ports: [{ port: 'serve-80-tcp' }] }], policyTypes: ['Egress'] });
    expect(observed([p], 80)).toEqual(reach().allowLoopback().rows());
    expect(observed([p], 81)).toEqual(reach().expectPeer({ namespace: 'x' }, {}, false).allowLoopback().rows());
  });

  it('egress to a pod in another namespace by PodSelector AND NamespaceSelector', () => {
    const p = np('allow-to-ns-y-pod-a', {
      podSelector: { matchLabels: { pod: 'a' } },
      egress: [{ to: [{ namespaceSelector: { matchLabels: { [NS]: 'y' } }, podSelector: { matchLabels: { pod: 'a' } } }] }],
      policyTypes: ['Egress'],
    });
    expect(observed([p], 80)).toEqual(reach().expectPeer({ namespace: 'x', pod: 'a' }, {}, false).expect('x/a', 'y/a', true).allowLoopback().rows());
  });

  it('ingress allowing any port on a specific protocol (TCP allowed, UDP denied)', () => {
    const p = np('allow-ingress-by-proto', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ protocol: 'TCP' }] }], policyTypes: ['Ingress'] });
    expect(observed([p], 80, 'TCP')).toEqual(reach().allowLoopback().rows());
    expect(observed([p], 80, 'UDP')).toEqual(reach().expectPeer({}, { namespace: 'x', pod: 'a' }, false).allowLoopback().rows());
  });

  it('multiple egress policies: allow-all takes precedence (union)', () => {
    const p80 = np('allow-egress-port-80', { podSelector: {}, egress: [{ ports: [{ port: 80 }] }], policyTypes: ['Egress'] });
    expect(observed([p80], 81)).toEqual(reach().expectPeer({ namespace: 'x' }, {}, false).allowLoopback().rows());
    const all = np('allow-egress', { podSelector: {}, egress: [{}], policyTypes: ['Egress'] });
    expect(observed([p80, all], 81)).toEqual(reach().allowLoopback().rows());
  });

  it('egress to a server in a CIDR block (a pod IP matches ipBlock)', () => {
    const p = np('allow-client-a-via-cidr-egress-rule', { podSelector: { matchLabels: { pod: 'a' } }, egress: [{ to: [{ ipBlock: { cidr: '10.0.2.2/32' } }] }], policyTypes: ['Egress'] });
    expect(observed([p], 80)).toEqual(reach().expectPeer({ namespace: 'x', pod: 'a' }, {}, false).expect('x/a', 'y/b', true).allowLoopback().rows());
  });

  it('except clause in a CIDR block; a second policy allowing the excepted IP wins (union)', () => {
    const p = np('allow-client-a-via-cidr-egress-rule', {
      podSelector: { matchLabels: { pod: 'a' } },
      egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.1.2/32'] } }] }],
      policyTypes: ['Egress'],
    });
    expect(observed([p], 80)).toEqual(reach().expect('x/a', 'x/b', false).allowLoopback().rows());
    const q = np('allow-xb', { podSelector: { matchLabels: { pod: 'a' } }, egress: [{ to: [{ ipBlock: { cidr: '10.0.1.2/32' } }] }], policyTypes: ['Egress'] });
    expect(observed([p, q], 80)).toEqual(reach().allowLoopback().rows());
  });

  it('client-side egress deny wins even when the server allows it (both directions required)', () => {
    const denyEgressA = np('deny-egress-a', { podSelector: { matchLabels: { pod: 'a' } }, egress: [], policyTypes: ['Egress'] });
    const allowIngressY = np('allow-all-in-y', { podSelector: {}, ingress: [{}], policyTypes: ['Ingress'] }, 'y');
    expect(observed([denyEgressA, allowIngressY], 80)).toEqual(reach().expectPeer({ namespace: 'x', pod: 'a' }, {}, false).allowLoopback().rows());
  });

  it('ingress and egress controlled independently: egress a→b allowed, ingress b→a denied', () => {
    const egress = np('allow-egress-for-target', { podSelector: { matchLabels: { pod: 'a' } }, egress: [{}], policyTypes: ['Egress'] });
    const ingress = np('deny-ingress-via-label-selector', {
      podSelector: { matchLabels: { pod: 'a' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }],
      policyTypes: ['Ingress'],
    });
    const m = matrixOf(modelInputs([egress, ingress]), { port: 80, protocol: 'TCP' });
    const at = (s: string, d: string) => m.cells[ALL_PODS.indexOf(s)]![ALL_PODS.indexOf(d)]!;
    expect(at('x/a', 'x/b').allowed).toBe(true);
    expect(at('x/b', 'x/a').allowed).toBe(true);
    expect(at('x/c', 'x/a').allowed).toBe(false);
    expect(at('y/b', 'x/a').allowed).toBe(false);
  });
});

describe('more upstream e2e truth tables', () => {
  it('deny ingress from pods on other namespaces (podSelector {} = the policy namespace)', () => {
    const p = np('deny-empty-policy', { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }], policyTypes: ['Ingress'] });
    expect(observed([p], 80)).toEqual(reach().expectPeer({ namespace: 'y' }, { namespace: 'x' }, false).expectPeer({ namespace: 'z' }, { namespace: 'x' }, false).allowLoopback().rows());
  });

  it('deny ingress access to updated pod: isolation follows the pod labels', () => {
    const p = np('deny-ingress-via-label-selector', { podSelector: { matchLabels: { target: 'isolated' } }, ingress: [], policyTypes: ['Ingress'] });
    expect(observed([p], 80)).toEqual(reach().allowLoopback().rows());
    const inputs = modelInputs([p]);
    const pods = inputs.pods.map((q) => (q.metadata?.namespace === 'x' && q.metadata?.name === 'a' ? { ...q, metadata: { ...q.metadata, labels: { pod: 'a', target: 'isolated' } } } : q));
    const m = matrixOf({ ...inputs, pods }, { port: 80, protocol: 'TCP' });
    const rows = m.pods.map((s, i) => `${s.namespace}/${s.name} ${m.cells[i]!.map((v) => (v.allowed ? '.' : 'X')).join('')}`);
    expect(rows).toEqual(reach().expectPeer({}, { namespace: 'x', pod: 'a' }, false).allowLoopback().rows());
  });

  it('deny egress from pods based on PodSelector, and from all pods of a namespace', () => {
    const a = np('deny-egress-pod-a', { podSelector: { matchLabels: { pod: 'a' } }, egress: [], policyTypes: ['Egress'] });
    expect(observed([a], 80)).toEqual(reach().expectPeer({ namespace: 'x', pod: 'a' }, {}, false).allowLoopback().rows());
    const all = np('deny-egress-ns-x', { podSelector: {}, egress: [], policyTypes: ['Egress'] });
    expect(observed([all], 80)).toEqual(reach().expectPeer({ namespace: 'x' }, {}, false).allowLoopback().rows());
  });

  it('Ingress and Egress specified together', () => {
    const p = np('allow-client-a-via-pod-selector', {
      podSelector: { matchLabels: { pod: 'a' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }],
      egress: [{ ports: [{ port: 80 }] }],
      policyTypes: ['Egress', 'Ingress'],
    });
    expect(observed([p], 80)).toEqual(reach().expectPeer({}, { namespace: 'x', pod: 'a' }, false).expect('x/b', 'x/a', true).allowLoopback().rows());
    expect(observed([p], 81)).toEqual(
      reach().expectPeer({}, { namespace: 'x', pod: 'a' }, false).expectPeer({ namespace: 'x', pod: 'a' }, {}, false).expect('x/b', 'x/a', true).allowLoopback().rows(),
    );
  });

  it('denying egress on the client side even if the server explicitly allows it', () => {
    const egress = np('allow-to-ns-y-pod-a', {
      podSelector: { matchLabels: { pod: 'a' } },
      egress: [{ to: [{ namespaceSelector: { matchLabels: { [NS]: 'y' } }, podSelector: { matchLabels: { pod: 'a' } } }] }],
      policyTypes: ['Egress'],
    });
    const from = { from: [{ namespaceSelector: { matchLabels: { [NS]: 'x' } }, podSelector: { matchLabels: { pod: 'a' } } }] };
    const ya = np('allow-from-xa-on-ya-match-selector', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [from], policyTypes: ['Ingress'] }, 'y');
    const yb = np('allow-from-xa-on-yb-match-selector', { podSelector: { matchLabels: { pod: 'b' } }, ingress: [from], policyTypes: ['Ingress'] }, 'y');
    expect(observed([egress, ya, yb], 80)).toEqual(
      reach()
        .expectPeer({ namespace: 'x', pod: 'a' }, {}, false)
        .expectPeer({}, { namespace: 'y', pod: 'a' }, false)
        .expectPeer({ namespace: 'x', pod: 'a' }, { namespace: 'y', pod: 'a' }, true)
        .expectPeer({}, { namespace: 'y', pod: 'b' }, false)
        .allowLoopback()
        .rows(),
    );
  });

  it("'protocol: SCTP' is not 'protocol: TCP'; an SCTP-only or UDP-only rule still isolates for TCP", () => {
    const sctp81 = np('allow-only-sctp-ingress-on-port-81', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 81, protocol: 'SCTP' }] }], policyTypes: ['Ingress'] });
    expect(observed([denyIngress, sctp81], 81)).toEqual(reach().expectPeer({}, { namespace: 'x' }, false).allowLoopback().rows());
    const sctp80 = np('allow-only-sctp-ingress-on-port-80', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 80, protocol: 'SCTP' }] }], policyTypes: ['Ingress'] });
    expect(observed([sctp80], 81)).toEqual(reach().expectPeer({}, { namespace: 'x', pod: 'a' }, false).allowLoopback().rows());
    const udp81 = np('allow-only-udp-ingress-on-port-81', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 81, protocol: 'UDP' }] }], policyTypes: ['Ingress'] });
    expect(observed([udp81], 81)).toEqual(reach().expectPeer({}, { namespace: 'x', pod: 'a' }, false).allowLoopback().rows());
    expect(observed([udp81], 81, 'UDP')).toEqual(reach().allowLoopback().rows());
  });

  it('UDP and SCTP: Ports from namespace y only', () => {
    for (const protocol of ['UDP', 'SCTP'] as const) {
      const p = np('allow-ingress-on-port-81-ns-x', {
        podSelector: { matchLabels: { pod: 'a' } },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { [NS]: 'y' } } }], ports: [{ port: 81, protocol }] }],
        policyTypes: ['Ingress'],
      });
      expect(observed([p], 81, protocol)).toEqual(
        reach().expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false).expectPeer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false).allowLoopback().rows(),
      );
      expect(observed([p], 81, 'TCP')).toEqual(reach().expectPeer({}, { namespace: 'x', pod: 'a' }, false).allowLoopback().rows());
    }
  });

  it('egress NamespaceSelector with MatchExpressions NotIn on the default namespace label', () => {
    const p = np('allow-ns-y-match-selector-for-immutable-ns-label', {
      podSelector: { matchLabels: { pod: 'a' } },
      egress: [{ to: [{ namespaceSelector: { matchExpressions: [{ key: NS, operator: 'NotIn', values: ['y'] }] } }] }],
      policyTypes: ['Egress'],
    });
    expect(observed([p], 80)).toEqual(reach().expectPeer({ namespace: 'x', pod: 'a' }, { namespace: 'y' }, false).allowLoopback().rows());
  });
});

describe('policyTypes', () => {
  it('inferred when absent: Ingress always, Egress only with egress rules', () => {
    expect(policyTypesOf(np('a', { podSelector: {} }))).toEqual(['Ingress']);
    expect(policyTypesOf(np('b', { podSelector: {}, egress: [{}] }))).toEqual(['Ingress', 'Egress']);
    expect(policyTypesOf(np('c', { podSelector: {}, egress: [] }))).toEqual(['Ingress']);
    expect(policyTypesOf(np('d', { podSelector: {}, policyTypes: ['Egress'] }))).toEqual(['Egress']);
  });

  it('a policy with only egress rules and no policyTypes isolates ingress too (deny all ingress)', () => {
    const p = np('egress-only-rules', { podSelector: { matchLabels: { pod: 'a' } }, egress: [{}] });
    expect(observed([p], 80)).toEqual(reach().expectPeer({}, { namespace: 'x', pod: 'a' }, false).allowLoopback().rows());
  });

  it('an empty policy (no rules, no policyTypes) denies ingress and leaves egress open', () => {
    const p = np('empty', { podSelector: {} });
    expect(observed([p], 80)).toEqual(reach().expectPeer({}, { namespace: 'x' }, false).allowLoopback().rows());
  });

  it('policyTypes [Egress] with ingress rules: the ingress rules are ignored', () => {
    const p = np('egress-typed', { podSelector: {}, ingress: [], egress: [], policyTypes: ['Egress'] });
    expect(observed([p], 80)).toEqual(reach().expectPeer({ namespace: 'x' }, {}, false).allowLoopback().rows());
  });
});

// The concepts page's example "test-network-policy" (namespace default, role=db), on hand-made pods and IPs.
describe('concepts page example: ipBlock except, namespaceSelector and podSelector peers, ports', () => {
  const policy = np(
    'test-network-policy',
    {
      podSelector: { matchLabels: { role: 'db' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [{ ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } }, { namespaceSelector: { matchLabels: { project: 'myproject' } } }, { podSelector: { matchLabels: { role: 'frontend' } } }],
          ports: [{ protocol: 'TCP', port: 6379 }],
        },
      ],
      egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ protocol: 'TCP', port: 5978 }] }],
    },
    'default',
  );
  const pod = (ns: string, name: string, labels: Record<string, string>, ip: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: { containers: [{ name: 'c', image: 'i' }] },
    status: { phase: 'Running', podIP: ip },
  });
  const pods = [
    pod('default', 'db', { role: 'db' }, '192.168.0.10'),
    pod('default', 'frontend', { role: 'frontend' }, '192.168.0.11'),
    pod('default', 'other', {}, '192.168.0.12'),
    pod('mine', 'any', {}, '192.168.0.13'),
    pod('theirs', 'frontend', { role: 'frontend' }, '192.168.0.14'),
  ];
  const namespaces = [
    { metadata: { name: 'default' } },
    { metadata: { name: 'mine', labels: { project: 'myproject' } } },
    { metadata: { name: 'theirs' } },
  ];
  const to = (src: { kind: 'pod'; namespace: string; name: string } | { kind: 'ip'; ip: string }, port = 6379) =>
    evaluate([policy], namespaces, pods, { src, dst: { kind: 'pod', namespace: 'default', name: 'db' }, port, protocol: 'TCP' });

  it('ingress: from role=frontend in the policy namespace only, any pod of project=myproject, and 172.17.0.0/16 minus 172.17.1.0/24', () => {
    expect(to({ kind: 'pod', namespace: 'default', name: 'frontend' }).allowed).toBe(true);
    expect(to({ kind: 'pod', namespace: 'theirs', name: 'frontend' }).allowed).toBe(false);
    expect(to({ kind: 'pod', namespace: 'default', name: 'other' }).allowed).toBe(false);
    expect(to({ kind: 'pod', namespace: 'mine', name: 'any' }).allowed).toBe(true);
    expect(to({ kind: 'ip', ip: '172.17.0.5' }).allowed).toBe(true);
    expect(to({ kind: 'ip', ip: '172.17.1.5' }).allowed).toBe(false);
    expect(to({ kind: 'ip', ip: '172.18.0.5' }).allowed).toBe(false);
    expect(to({ kind: 'pod', namespace: 'default', name: 'frontend' }, 6380).allowed).toBe(false);
  });

  it('the verdict names the allowing policy, rule, peer and port', () => {
    const v = to({ kind: 'pod', namespace: 'mine', name: 'any' });
    expect(v.egress).toEqual({ code: 'NotIsolated', allowed: true, isolated: false, subject: 'pod', selectedBy: [] });
    expect(v.ingress).toMatchObject({ code: 'Allowed', by: { policy: { namespace: 'default', name: 'test-network-policy' }, direction: 'ingress', rule: 0, peer: 1, port: 0 } });
    const ip = to({ kind: 'ip', ip: '172.17.0.5' });
    expect(ip.egress).toMatchObject({ code: 'NotIsolated', subject: 'ip' });
    expect(ip.ingress).toMatchObject({ code: 'Allowed', by: { peer: 0, port: 0 } });
    const denied = to({ kind: 'ip', ip: '172.17.1.5' });
    expect(denied.ingress).toEqual({ code: 'Denied', allowed: false, isolated: true, subject: 'pod', selectedBy: [{ namespace: 'default', name: 'test-network-policy' }] });
  });

  it('egress: only to 10.0.0.0/24 on TCP 5978', () => {
    const from = (ip: string, port: number, protocol: Protocol = 'TCP') =>
      evaluate([policy], namespaces, pods, { src: { kind: 'pod', namespace: 'default', name: 'db' }, dst: { kind: 'ip', ip }, port, protocol });
    expect(from('10.0.0.7', 5978).allowed).toBe(true);
    expect(from('10.0.0.7', 5978).ingress).toMatchObject({ code: 'NotIsolated', subject: 'ip' });
    expect(from('10.0.0.7', 5979).allowed).toBe(false);
    expect(from('10.0.0.7', 5978, 'UDP').allowed).toBe(false);
    expect(from('10.0.1.7', 5978).allowed).toBe(false);
    expect(from('10.0.1.7', 5978).egress).toMatchObject({ code: 'Denied' });
  });
});

describe('ports', () => {
  const inputs = (p: V1NetworkPolicy) => modelInputs([p]);
  const conn = (port: number, protocol: Protocol = 'TCP') => ({ src: { kind: 'pod' as const, namespace: 'y', name: 'a' }, dst: { kind: 'pod' as const, namespace: 'x', name: 'a' }, port, protocol });
  const run = (p: V1NetworkPolicy, port: number, protocol: Protocol = 'TCP') => {
    const i = inputs(p);
    return evaluate(i.policies, i.namespaces, i.pods, conn(port, protocol)).allowed;
  };

  it('endPort: a range [port, endPort] inclusive (API reference: NetworkPolicyPort.endPort)', () => {
    const p = np('range', { podSelector: {}, ingress: [{ ports: [{ protocol: 'TCP', port: 32000, endPort: 32768 }] }], policyTypes: ['Ingress'] });
    expect(run(p, 31999)).toBe(false);
    expect(run(p, 32000)).toBe(true);
    expect(run(p, 32500)).toBe(true);
    expect(run(p, 32768)).toBe(true);
    expect(run(p, 32769)).toBe(false);
    expect(run(p, 32500, 'UDP')).toBe(false);
  });

  it('a named port matches only the container port of that name and protocol', () => {
    const p = np('named-udp', { podSelector: {}, ingress: [{ ports: [{ port: 'serve-80-udp', protocol: 'UDP' }] }], policyTypes: ['Ingress'] });
    expect(run(p, 80, 'UDP')).toBe(true);
    expect(run(p, 80, 'TCP')).toBe(false);
    expect(run(p, 81, 'UDP')).toBe(false);
    // Name of a UDP port with the (defaulted) TCP protocol: no container port has that name for TCP.
    const q = np('named-mismatch', { podSelector: {}, ingress: [{ ports: [{ port: 'serve-80-udp' }] }], policyTypes: ['Ingress'] });
    expect(run(q, 80, 'TCP')).toBe(false);
    expect(run(q, 80, 'UDP')).toBe(false);
  });

  it("an ingress named port resolves on the destination pod, not on the source (the source's same-named port is irrelevant)", () => {
    const server = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'srv', labels: {} }, spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80, name: 'test-port-name', protocol: 'TCP' }] }] }, status: { phase: 'Running', podIP: '10.1.0.1' } };
    const client = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client', namespace: 'cli', labels: {} }, spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 666, name: 'test-port-name', protocol: 'TCP' }] }] }, status: { phase: 'Running', podIP: '10.1.0.2' } };
    const p = np('allow-named', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 'test-port-name' }] }], policyTypes: ['Ingress'] }, 'srv');
    const ev = (port: number) => evaluate([p], [], [server, client], { src: { kind: 'pod', namespace: 'cli', name: 'client' }, dst: { kind: 'pod', namespace: 'srv', name: 'web' }, port, protocol: 'TCP' }).allowed;
    expect(ev(80)).toBe(true);
    expect(ev(666)).toBe(false);
  });

  it('SCTP is a protocol like the others', () => {
    const p = np('sctp', { podSelector: {}, ingress: [{ ports: [{ port: 80, protocol: 'SCTP' }] }], policyTypes: ['Ingress'] });
    expect(run(p, 80, 'SCTP')).toBe(true);
    expect(run(p, 80, 'TCP')).toBe(false);
  });

  it('an egress named port to an IP outside the cluster never matches', () => {
    const p = np('egress-named', { podSelector: {}, egress: [{ ports: [{ port: 'serve-80-tcp' }] }], policyTypes: ['Egress'] });
    const i = inputs(p);
    const v = evaluate(i.policies, i.namespaces, i.pods, { src: { kind: 'pod', namespace: 'x', name: 'a' }, dst: { kind: 'ip', ip: '8.8.8.8' }, port: 80, protocol: 'TCP' });
    expect(v.allowed).toBe(false);
  });
});

describe('hostNetwork pods, namespaces, loopback, validation', () => {
  it('policies do not select hostNetwork pods; as peers only an ipBlock with their node IP matches them', () => {
    const base = modelInputs([
      np('deny-all', { podSelector: {}, ingress: [], egress: [], policyTypes: ['Ingress', 'Egress'] }, 'y'),
      np('from-nodes', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ ipBlock: { cidr: '192.168.0.0/16' } }] }], policyTypes: ['Ingress'] }),
      np('from-all-pods', { podSelector: { matchLabels: { pod: 'b' } }, ingress: [{ from: [{ namespaceSelector: {} }] }], policyTypes: ['Ingress'] }),
    ]);
    const pods = [...base.pods.filter((p) => p.metadata?.name !== 'c' || p.metadata?.namespace !== 'y'), modelPod('y/c', { hostNetwork: true, ip: '192.168.5.5' })];
    const ev = (s: string, d: string) => {
      const [sn, sp] = s.split('/') as [string, string];
      const [dn, dp] = d.split('/') as [string, string];
      return evaluate(base.policies, base.namespaces, pods, { src: { kind: 'pod', namespace: sn, name: sp }, dst: { kind: 'pod', namespace: dn, name: dp }, port: 80, protocol: 'TCP' });
    };
    // y/c is hostNetwork: y's deny-all does not select it.
    expect(ev('y/c', 'z/a').egress).toMatchObject({ code: 'NotIsolated', subject: 'hostNetwork' });
    expect(ev('z/a', 'y/c').ingress).toMatchObject({ code: 'NotIsolated', subject: 'hostNetwork' });
    expect(ev('z/a', 'y/c').allowed).toBe(true);
    // As a source it is its node IP: the ipBlock matches, the all-namespaces selector does not.
    expect(ev('y/c', 'x/a').allowed).toBe(true);
    expect(ev('y/c', 'x/b').allowed).toBe(false);
    expect(ev('z/a', 'x/b').allowed).toBe(true);
  });

  it('a namespace without a Namespace object still has its kubernetes.io/metadata.name label', () => {
    const p = np('from-y', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { [NS]: 'y' } } }] }], policyTypes: ['Ingress'] });
    const i = modelInputs([p]);
    const v = evaluate(i.policies, [], i.pods, { src: { kind: 'pod', namespace: 'y', name: 'a' }, dst: { kind: 'pod', namespace: 'x', name: 'a' }, port: 80, protocol: 'TCP' });
    expect(v.allowed).toBe(true);
  });

  it('namespace labels: DoesNotExist and Exists on a namespaceSelector', () => {
    const namespaces = [modelNamespace('x'), { ...modelNamespace('y'), metadata: { name: 'y', labels: { ns: 'y', team: 'blue' } } }, modelNamespace('z')];
    const i = modelInputs([np('no-team', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] } }] }], policyTypes: ['Ingress'] })]);
    const ev = (src: string) =>
      evaluate(i.policies, namespaces, i.pods, { src: { kind: 'pod', namespace: src, name: 'b' }, dst: { kind: 'pod', namespace: 'x', name: 'a' }, port: 80, protocol: 'TCP' }).allowed;
    expect([ev('x'), ev('y'), ev('z')]).toEqual([true, false, true]);
    const j = modelInputs([np('team', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'Exists' }] } }] }], policyTypes: ['Ingress'] })]);
    const ev2 = (src: string) =>
      evaluate(j.policies, namespaces, j.pods, { src: { kind: 'pod', namespace: src, name: 'b' }, dst: { kind: 'pod', namespace: 'x', name: 'a' }, port: 80, protocol: 'TCP' }).allowed;
    expect([ev2('x'), ev2('y'), ev2('z')]).toEqual([false, true, false]);
  });

  it('a pod cannot block access to itself: loopback is allowed, the directions still say what the policies would do', () => {
    const i = modelInputs([denyAll]);
    const v = evaluate(i.policies, i.namespaces, i.pods, { src: { kind: 'pod', namespace: 'x', name: 'a' }, dst: { kind: 'pod', namespace: 'x', name: 'a' }, port: 80, protocol: 'TCP' });
    expect(v).toMatchObject({ allowed: true, loopback: true, egress: { code: 'Denied' }, ingress: { code: 'Denied' } });
    const other = evaluate(i.policies, i.namespaces, i.pods, { src: { kind: 'pod', namespace: 'x', name: 'b' }, dst: { kind: 'pod', namespace: 'x', name: 'a' }, port: 80, protocol: 'TCP' });
    expect(other).toMatchObject({ allowed: false, loopback: false });
  });

  it("traffic between a pod and its own node is always allowed (the node's IPs from status.hostIPs)", () => {
    const i = modelInputs([denyAll]);
    const pods: V1Pod[] = i.pods.map((p) => ({ ...p, status: { ...p.status, hostIP: '192.168.1.10', hostIPs: [{ ip: '192.168.1.10' }] } }));
    pods.push(modelPod('y/n', { hostNetwork: true, ip: '192.168.1.10' }));
    pods.push(modelPod('y/m', { hostNetwork: true, ip: '192.168.1.11' }));
    const ev = (src: Peer, dst: Peer) => evaluate(i.policies, i.namespaces, pods, { src, dst, port: 80, protocol: 'TCP' });
    const xa: Peer = { kind: 'pod', namespace: 'x', name: 'a' };
    expect(ev({ kind: 'ip', ip: '192.168.1.10' }, xa)).toMatchObject({ allowed: true, ingress: { code: 'OwnNode', selectedBy: [{ namespace: 'x', name: 'deny-all' }] } });
    expect(ev(xa, { kind: 'ip', ip: '192.168.1.10' })).toMatchObject({ allowed: true, egress: { code: 'OwnNode' } });
    expect(ev({ kind: 'pod', namespace: 'y', name: 'n' }, xa).allowed).toBe(true);
    expect(ev({ kind: 'pod', namespace: 'y', name: 'm' }, xa)).toMatchObject({ allowed: false, ingress: { code: 'Denied' } });
    expect(ev({ kind: 'ip', ip: '192.168.1.11' }, xa).allowed).toBe(false);
  });

  it('an invalid policy is rejected with the API server message', () => {
    const bad = np('bad', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }] });
    const i = modelInputs([bad]);
    expect(() => evaluate(i.policies, i.namespaces, i.pods, { src: { kind: 'ip', ip: '10.1.1.1' }, dst: { kind: 'pod', namespace: 'x', name: 'a' }, port: 80, protocol: 'TCP' })).toThrow(
      /NetworkPolicy "bad" is invalid: spec.ingress\[0\].from\[0\]: Forbidden: may not specify both ipBlock and another peer/,
    );
  });

  it('a port outside 1-65535 or another protocol is an error', () => {
    const i = modelInputs([]);
    const conn = { src: { kind: 'pod' as const, namespace: 'x', name: 'a' }, dst: { kind: 'pod' as const, namespace: 'x', name: 'b' } };
    expect(() => evaluate(i.policies, i.namespaces, i.pods, { ...conn, port: 0, protocol: 'TCP' })).toThrow('invalid port 0 (must be 1-65535)');
    expect(() => evaluate(i.policies, i.namespaces, i.pods, { ...conn, port: 80, protocol: 'ICMP' as 'TCP' })).toThrow('unsupported protocol "ICMP"');
  });

  it('an unknown pod is an error', () => {
    const i = modelInputs([]);
    expect(() => evaluate(i.policies, i.namespaces, i.pods, { src: { kind: 'pod', namespace: 'x', name: 'nope' }, dst: { kind: 'pod', namespace: 'x', name: 'a' }, port: 80, protocol: 'TCP' })).toThrow(
      'pods "nope" not found in namespace "x"',
    );
  });
});

describe('IP peers', () => {
  it("a pod's IP stands for the pod (selectors apply); a node or outside IP matches only ipBlock", () => {
    const p = np('from-y-b', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { [NS]: 'y' } }, podSelector: { matchLabels: { pod: 'b' } } }] }], policyTypes: ['Ingress'] });
    const i = modelInputs([p]);
    const ev = (ip: string) => evaluate(i.policies, i.namespaces, i.pods, { src: { kind: 'ip', ip }, dst: { kind: 'pod', namespace: 'x', name: 'a' }, port: 80, protocol: 'TCP' });
    expect(ev('10.0.2.2')).toMatchObject({ allowed: true, egress: { subject: 'pod' }, ingress: { code: 'Allowed' } });
    expect(ev('10.0.2.1')).toMatchObject({ allowed: false });
    expect(ev('10.9.9.9')).toMatchObject({ allowed: false, egress: { code: 'NotIsolated', subject: 'ip' } });
    expect(() => ev('10.0.2')).toThrow('invalid IP address "10.0.2"');
  });
});
