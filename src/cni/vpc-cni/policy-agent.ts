// The Amazon VPC CNI's network policy agent (aws-network-policy-agent, the aws-node pod's second
// container, on when the vpc-cni add-on sets enableNetworkPolicy "true"). Upstream, the network policy
// controller resolves each NetworkPolicy into PolicyEndpoints (pod IPs, CIDRs, ports; Service ClusterIPs
// for egress to selected pods), and the agent enforces them with eBPF programs on the pod's host-side
// veth: tc ingress there sees what the pod sends (its egress policy), tc egress what it receives (its
// ingress policy); its own conntrack lets replies of allowed flows through. kubewire models the
// resolved verdict with the API's semantics (src/netpol) at that point of the walk. Standard enforcing
// mode only (NETWORK_POLICY_ENFORCING_MODE=strict is not modelled).
import type { ClusterSpec } from '../../inputs/cluster-spec.ts';
import type { ClusterState } from '../../control-plane/types.ts';
import type { V1EndpointSlice, V1Service } from '../../k8s/types.ts';
import type { PolicyDecision, WalkWorld } from '../../engine/walk.ts';
import { compile, evaluateCompiled, type Compiled } from '../../netpol/evaluate.ts';
import { inputsOf } from '../../netpol/matrix.ts';
import type { DirectionVerdict, Protocol } from '../../netpol/types.ts';
import { kubeletState } from '../../control-plane/kubelet.ts';

export const AGENT = 'aws-network-policy-agent';

/** Does this cluster run the agent? (VPC CNI with configurationValues enableNetworkPolicy "true".) */
export function networkPolicyEnabled(spec: ClusterSpec): boolean {
  return spec.cni.type === 'vpc-cni' && spec.cni.vpcCni.enableNetworkPolicy === true;
}

const PROTOS: Record<number, Protocol> = { 6: 'TCP', 17: 'UDP', 132: 'SCTP' };

function decision(dir: 'ingress' | 'egress', pod: string, v: DirectionVerdict, via?: string): PolicyDecision | undefined {
  const selectedBy = v.selectedBy.map((r) => `${r.namespace}/${r.name}`);
  const base = { enforcer: AGENT, direction: dir, pod, selectedBy };
  switch (v.code) {
    case 'NotIsolated':
      return undefined;
    case 'Allowed':
      return { ...base, allowed: true, policy: v.by.policy, rule: v.by.rule, text: `allowed by ${v.by.policy.namespace}/${v.by.policy.name} spec.${dir}[${v.by.rule}]${via ?? ''}` };
    case 'OwnNode':
      return { ...base, allowed: true, text: `allowed: the other end is the pod's own node` };
    case 'Denied':
      return { ...base, allowed: false, text: `denied: no policy allowed it${via ?? ''} (selected by ${selectedBy.join(', ')})` };
  }
}

/** The backends kube-proxy may send a ClusterIP:port to (ready endpoints, the slice's port). */
function serviceBackends(state: ClusterState, ip: string, port: number, protocol: Protocol): Array<{ ip: string; port: number }> | undefined {
  let svc: V1Service | undefined;
  for (const [k, o] of Object.entries(state.objects)) {
    if (!k.startsWith('Service/')) continue;
    const s = o as unknown as V1Service;
    if (s.spec?.clusterIP === ip || (s.spec?.clusterIPs ?? []).includes(ip)) svc = s;
  }
  if (!svc) return undefined;
  const sp = (svc.spec?.ports ?? []).find((p) => p.port === port && (p.protocol ?? 'TCP') === protocol);
  if (!sp) return [];
  const ns = svc.metadata?.namespace ?? 'default';
  const out: Array<{ ip: string; port: number }> = [];
  for (const [k, o] of Object.entries(state.objects)) {
    if (!k.startsWith(`EndpointSlice/${ns}/`)) continue;
    const es = o as unknown as V1EndpointSlice;
    if (es.metadata?.labels?.['kubernetes.io/service-name'] !== svc.metadata?.name) continue;
    const ep = (es.ports ?? []).find((p) => (p.name ?? '') === (sp.name ?? '') && (p.protocol ?? 'TCP') === protocol);
    if (!ep || ep.port === undefined) continue;
    for (const e of es.endpoints ?? []) if (e.conditions?.ready !== false && e.addresses[0]) out.push({ ip: e.addresses[0], port: ep.port });
  }
  return out;
}

/** The agent's verdict function for the engine's walk; undefined when the cluster does not run it. */
export function vpcPolicyAgent(state: ClusterState): WalkWorld['policyAt'] | undefined {
  if (!networkPolicyEnabled(state.spec)) return undefined;
  let compiled: Compiled | undefined;
  const podByNs = new Map<string, string>();
  for (const [key, sb] of Object.entries(kubeletState(state).sandboxes)) if (sb.netns) podByNs.set(`${sb.node}/${sb.netns}`, key);
  return ({ node, podNs, direction, pkt, established }) => {
    const key = podByNs.get(`${node}/${podNs}`);
    if (!key) return undefined;
    const [namespace, name] = key.split('/') as [string, string];
    compiled ??= compile(inputsOf(state));
    if (!compiled.pods.has(key)) return undefined;
    const self = { kind: 'pod' as const, namespace, name };
    const other = direction === 'egress' ? pkt.dst : pkt.src;
    const protocol = PROTOS[pkt.proto];
    const judge = (ip: string, port: number, proto: Protocol) => {
      const v = evaluateCompiled(compiled!, direction === 'egress' ? { src: self, dst: { kind: 'ip', ip }, port, protocol: proto } : { src: { kind: 'ip', ip }, dst: self, port, protocol: proto });
      return direction === 'egress' ? v.egress : v.ingress;
    };
    // Which direction verdict applies; a non-port protocol (ICMP) is only allowed by rules without ports.
    let v: DirectionVerdict;
    let via: string | undefined;
    if (!protocol) {
      v = judge(other, 1, 'TCP');
      if (v.code === 'Allowed') {
        const any = [v.by, ...v.alsoAllowedBy].find((r) => r.port === null);
        v = any ? { ...v, by: any } : { code: 'Denied', allowed: false, isolated: true, subject: v.subject, selectedBy: v.selectedBy };
      }
    } else {
      const port = pkt.dport ?? 0;
      const backends = direction === 'egress' ? serviceBackends(state, other, port, protocol) : undefined;
      if (backends && backends.length > 0) {
        // The controller adds a Service's ClusterIP to an egress rule whose peers select its pods: the
        // agent sees the ClusterIP before kube-proxy's DNAT.
        const verdicts = backends.map((b) => judge(b.ip, b.port, protocol));
        v = verdicts.find((x) => x.allowed) ?? verdicts[0]!;
        via = ` (Service ${other}:${port} → ${backends.map((b) => `${b.ip}:${b.port}`).join(', ')})`;
      } else v = judge(other, port, protocol);
    }
    const d = decision(direction, key, v, via);
    // The agent's conntrack lets packets of a flow it already allowed through without a policy lookup.
    if (d && established) return { ...d, allowed: true, policy: undefined, rule: undefined, text: 'allowed: reply of a tracked connection (agent conntrack)' };
    return d;
  };
}
