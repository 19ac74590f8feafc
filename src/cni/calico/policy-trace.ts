// Reading a trace through Felix's chains back as NetworkPolicy verdicts: the rule of a cali-pi-/cali-po-
// chain that set the accept mark is "allowed by <policy> spec.<direction>[<rule>]"; the end-of-tier drop
// of a cali-tw-/cali-fw- chain is "no policy allowed it" (with the policies that select the pod).
import type { ClusterState } from '../../control-plane/types.ts';
import type { Disposition, PolicyDecision, Step } from '../../engine/walk.ts';
import type { NfRuleRef } from '../../engine/netfilter/types.ts';
import { calicoState } from './plugin.ts';
import { felixPolicyState, type FelixPolicyState } from './policy.ts';

const ENFORCER = 'calico';

/** Annotates the steps (and a denial's disposition) of walks over a Calico cluster with policy verdicts. */
export function calicoPolicyExplainer(cluster: ClusterState): (steps: Step[], disposition: Disposition) => void {
  const s = calicoState(cluster);
  const perNode = new Map<string, { st: FelixPolicyState; podOfIf: Record<string, string> }>();
  const podByIp = new Map<string, string>();
  for (const r of Object.values(s.nodes)) for (const [key, p] of Object.entries(r.pods)) podByIp.set(p.ip, key);
  const nodeState = (node: string) => {
    let n = perNode.get(node);
    if (!n) {
      const pods = s.nodes[node]?.pods ?? {};
      const local: Record<string, string> = {};
      for (const [key, p] of Object.entries(pods)) local[p.hostIf] = key;
      n = { st: felixPolicyState(cluster, s.settings.version, local), podOfIf: local };
      perNode.set(node, n);
    }
    return n;
  };
  const policyOf = (st: FelixPolicyState, chain: string) => {
    const o = st.origins[chain];
    return o ? `${o.policy.namespace}/${o.policy.name}` : chain;
  };
  const explain = (node: string, ref: NfRuleRef, step: Step): PolicyDecision | undefined => {
    const { st, podOfIf } = nodeState(node);
    const o = st.origins[ref.chain];
    if (o) {
      const r = o.rules[ref.rule - 1];
      if (!r?.accepts) return undefined;
      const pod = podByIp.get(o.direction === 'ingress' ? step.packet.dst : step.packet.src) ?? '';
      const selectedBy = pod ? (st.endpoints[Object.keys(podOfIf).find((i) => podOfIf[i] === pod) ?? '']?.[o.direction] ?? []).map((c) => policyOf(st, c)) : [];
      return {
        enforcer: ENFORCER,
        direction: o.direction,
        pod,
        allowed: true,
        policy: o.policy,
        rule: r.rule,
        selectedBy,
        text: `allowed by ${o.policy.namespace}/${o.policy.name} spec.${o.direction}[${r.rule}] (${ref.chain} #${ref.rule})`,
      };
    }
    const m = /^cali-(tw|fw)-(.+)$/.exec(ref.chain);
    if (m && / Drop if no policies passed packet/.test(` ${ref.text}`)) {
      const direction = m[1] === 'tw' ? 'ingress' : 'egress';
      const pod = podOfIf[m[2]!] ?? '';
      const selectedBy = (st.endpoints[m[2]!]?.[direction] ?? []).map((c) => policyOf(st, c));
      return { enforcer: ENFORCER, direction, pod, allowed: false, selectedBy, text: `denied: no policy allowed it (selected by ${selectedBy.join(', ')})` };
    }
    return undefined;
  };
  return (steps, disposition) => {
    for (const step of steps) {
      if (step.kind !== 'hook' || step.table !== 'filter') continue;
      const refs: NfRuleRef[] = [...(step.matched ?? [])];
      if (step.decidedBy?.kind === 'rule') refs.push(step.decidedBy);
      const out: PolicyDecision[] = [];
      for (const ref of refs) {
        const d = explain(step.node, ref, step);
        if (d && !out.some((x) => x.text === d.text)) out.push(d);
      }
      if (out.length) step.policy = out;
    }
    const dec = disposition.decidedBy;
    if (disposition.code === 'denied' && dec?.kind === 'rule') {
      const last = [...steps].reverse().find((x) => x.kind === 'hook');
      const d = last ? explain(disposition.node, dec, last) : undefined;
      if (d && !d.allowed) disposition.reason = `${disposition.reason}: ${d.direction} of ${d.pod} ${d.text}`;
    }
  };
}
