// Random small NetworkPolicies over the e2e model (namespaces x, y, z; pods a, b, c), for property tests that
// check an enforcing dataplane against the API's verdicts. Deterministic from the seed.
import type { V1NetworkPolicy } from '../k8s/types.ts';
import { seededRng } from '../engine/packet.ts';
import { NAMESPACES, POD_NAMES, np } from './testing.ts';

export function randomPolicies(seed: number, podIps: Record<string, string>, count = 2): V1NetworkPolicy[] {
  const rnd = seededRng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const selector = () => (rnd() < 0.3 ? {} : { matchLabels: { pod: pick(POD_NAMES) } });
  const peer = (): Record<string, unknown> => {
    const r = rnd();
    if (r < 0.3) return { podSelector: selector() };
    if (r < 0.55) return { namespaceSelector: rnd() < 0.2 ? {} : { matchLabels: { ns: pick(NAMESPACES) } } };
    if (r < 0.8) return { namespaceSelector: { matchLabels: { ns: pick(NAMESPACES) } }, podSelector: selector() };
    const ip = podIps[`${pick(NAMESPACES)}/${pick(POD_NAMES)}`]!;
    const o = ip.split('.');
    return rnd() < 0.5 ? { ipBlock: { cidr: `${ip}/32` } } : { ipBlock: { cidr: `${o[0]}.${o[1]}.0.0/16`, except: [`${ip}/32`] } };
  };
  const ports = (): Array<Record<string, unknown>> | undefined => {
    const r = rnd();
    if (r < 0.35) return undefined;
    if (r < 0.6) return [{ port: pick([80, 81]), protocol: 'TCP' }];
    if (r < 0.75) return [{ port: 'serve-80-tcp' }];
    if (r < 0.85) return [{ port: 79, endPort: 80 }];
    return [{ protocol: 'UDP' }];
  };
  const rules = (key: 'from' | 'to') =>
    Array.from({ length: Math.floor(rnd() * 3) }, () => {
      const r: Record<string, unknown> = {};
      if (rnd() < 0.8) r[key] = Array.from({ length: 1 + Math.floor(rnd() * 2) }, peer);
      const p = ports();
      if (p) r.ports = p;
      return r;
    });
  return Array.from({ length: count }, (_, i) => {
    const types = pick([['Ingress'], ['Egress'], ['Ingress', 'Egress']]);
    const spec: Record<string, unknown> = { podSelector: selector(), policyTypes: types };
    if (types.includes('Ingress')) spec.ingress = rules('from');
    if (types.includes('Egress')) spec.egress = rules('to');
    return np(`p${i}`, spec, pick(NAMESPACES));
  });
}
