// The VPC CNI network policy agent realised with netfilter, for the live lab: the agent itself uses eBPF
// programs on each pod's host veth (tc ingress: the pod's egress; tc egress: its ingress), which a lab
// namespace cannot load from here, so the same verdicts are written as iptables rules at the nearest
// netfilter points of the node's root namespace:
//   egress  → mangle PREROUTING  -i <host veth>  (after conntrack, before kube-proxy's DNAT: a Service
//             ClusterIP is still the destination, as the agent sees it);
//   ingress → mangle POSTROUTING -o <host veth>  (after DNAT and routing, for forwarded and node-sent packets).
// Per pod and isolated direction one chain: flows conntrack already knows return (the agent's conntrack),
// packets from/to the node itself return (a pod's own node is always allowed), each allow entry of the
// resolved policies returns, everything else is dropped. These rules are not part of the node state: a
// real node's iptables-save shows none (docs/network-policy.md).
import type { ClusterState } from '../../control-plane/types.ts';
import type { V1EndpointSlice, V1NetworkPolicy, V1Pod, V1Service } from '../../k8s/types.ts';
import { kubeletState } from '../../control-plane/kubelet.ts';
import { selectorMatches } from '../../k8s/validation.ts';
import { compile, evaluateCompiled, policyTypesOf } from '../../netpol/evaluate.ts';
import { inputsOf } from '../../netpol/matrix.ts';
import type { Protocol } from '../../netpol/types.ts';
import { networkPolicyEnabled } from './policy-agent.ts';

type Dir = 'ingress' | 'egress';
const NS_NAME_LABEL = 'kubernetes.io/metadata.name';

interface PortSpec {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}
interface PeerSpec {
  podSelector?: unknown;
  namespaceSelector?: unknown;
  ipBlock?: { cidr: string; except?: string[] };
}

const podsOf = (state: ClusterState) => Object.entries(state.objects).filter(([k]) => k.startsWith('Pod/')).map(([, o]) => o as unknown as V1Pod);
const live = (p: V1Pod) => !p.spec?.hostNetwork && !!p.status?.podIP && p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed';
const keyOf = (p: V1Pod) => `${p.metadata?.namespace ?? 'default'}/${p.metadata?.name ?? ''}`;

/** A chain name within iptables' 28 characters. */
function chainName(dir: Dir, hostIf: string): string {
  return `KWNP-${dir === 'egress' ? 'E' : 'I'}-${hostIf}`.slice(0, 28);
}

/** `-p tcp -m tcp --dport 80` etc. for one resolved port (undefined port: the whole protocol). */
function portMatch(protocol: string, port?: number, endPort?: number): string {
  const p = protocol.toLowerCase();
  if (port === undefined) return `-p ${p}`;
  return `-p ${p} -m ${p} --dport ${endPort !== undefined && endPort !== port ? `${port}:${endPort}` : port}`;
}

/**
 * The iptables-restore input (mangle table, --noflush) that enforces the node's pods' policies as the agent
 * would; empty when the cluster does not run the agent or no local pod is selected.
 */
export function agentNetfilterText(state: ClusterState, nodeName: string): string {
  if (!networkPolicyEnabled(state.spec)) return '';
  const pods = podsOf(state);
  const nsLabels = new Map<string, Record<string, string>>();
  for (const [k, o] of Object.entries(state.objects)) {
    if (!k.startsWith('Namespace/')) continue;
    const n = o as { metadata?: { name?: string; labels?: Record<string, string> } };
    nsLabels.set(n.metadata?.name ?? '', { [NS_NAME_LABEL]: n.metadata?.name ?? '', ...(n.metadata?.labels ?? {}) });
  }
  const labelsOfNs = (ns: string) => nsLabels.get(ns) ?? { [NS_NAME_LABEL]: ns };
  const policies = Object.entries(state.objects)
    .filter(([k]) => k.startsWith('NetworkPolicy/'))
    .map(([, o]) => o as unknown as V1NetworkPolicy)
    .sort((a, b) => (keyOf(a as never) < keyOf(b as never) ? -1 : 1));
  const sandboxes = kubeletState(state).sandboxes;
  const compiled = compile(inputsOf(state));
  const services = Object.entries(state.objects).filter(([k]) => k.startsWith('Service/')).map(([, o]) => o as unknown as V1Service);
  const slices = Object.entries(state.objects).filter(([k]) => k.startsWith('EndpointSlice/')).map(([, o]) => o as unknown as V1EndpointSlice);

  const chains: string[] = [];
  const rules: string[] = [];
  const hooks: string[] = [];
  for (const pod of pods.filter(live).sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1))) {
    const key = keyOf(pod);
    const sb = sandboxes[key];
    if (!sb || sb.node !== nodeName || !sb.hostInterface) continue;
    const ns = pod.metadata?.namespace ?? 'default';
    const labels = (pod.metadata?.labels ?? {}) as Record<string, string>;
    const mine = policies.filter((np) => (np.metadata?.namespace ?? 'default') === ns && selectorMatches(np.spec?.podSelector ?? {}, labels));
    for (const dir of ['egress', 'ingress'] as const) {
      const selecting = mine.filter((np) => policyTypesOf(np).includes(dir === 'ingress' ? 'Ingress' : 'Egress'));
      if (selecting.length === 0) continue;
      const chain = chainName(dir, sb.hostInterface);
      chains.push(`:${chain} - [0:0]`);
      hooks.push(dir === 'egress' ? `-A PREROUTING -i ${sb.hostInterface} -j ${chain}` : `-A POSTROUTING -o ${sb.hostInterface} -j ${chain}`);
      const peerFlag = dir === 'egress' ? '-d' : '-s';
      const body: string[] = ['-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN', `-m addrtype --${dir === 'egress' ? 'dst' : 'src'}-type LOCAL -j RETURN`];
      let sub = 0;
      for (const np of selecting) {
        const pns = np.metadata?.namespace ?? 'default';
        const list = ((dir === 'ingress' ? np.spec?.ingress : np.spec?.egress) ?? []) as Array<{ from?: PeerSpec[]; to?: PeerSpec[]; ports?: PortSpec[] }>;
        for (const r of list) {
          const peers = (dir === 'ingress' ? r.from : r.to) ?? [];
          const ports = r.ports ?? [];
          // Ports as matches; a named port resolves against the destination pod (ingress: this pod).
          const portsFor = (dst: V1Pod | undefined): string[] | undefined => {
            if (ports.length === 0) return [''];
            const out: string[] = [];
            for (const p of ports) {
              const proto = p.protocol ?? 'TCP';
              if (p.port === undefined || p.port === null) out.push(portMatch(proto));
              else if (typeof p.port === 'number') out.push(portMatch(proto, p.port, p.endPort));
              else if (dst)
                for (const c of dst.spec?.containers ?? []) for (const cp of c.ports ?? []) if (cp.name === p.port && (cp.protocol ?? 'TCP') === proto) out.push(portMatch(proto, cp.containerPort));
            }
            return out;
          };
          const emit = (addr: string, dst: V1Pod | undefined) => {
            for (const pm of portsFor(dir === 'ingress' ? pod : dst) ?? []) body.push([addr, pm, '-j RETURN'].filter(Boolean).join(' '));
          };
          if (peers.length === 0) emit('', undefined);
          for (const peer of peers) {
            if (peer.ipBlock) {
              const except = peer.ipBlock.except ?? [];
              if (except.length === 0) {
                emit(`${peerFlag} ${peer.ipBlock.cidr}`, undefined);
                continue;
              }
              // cidr minus except: a sub-chain that returns early for the excepted ranges.
              const sc = `${chain.slice(0, 24)}-${sub++}`.slice(0, 28);
              chains.push(`:${sc} - [0:0]`);
              for (const e of except) rules.push(`-A ${sc} ${peerFlag} ${e} -j RETURN`);
              for (const pm of portsFor(dir === 'ingress' ? pod : undefined) ?? []) rules.push(`-A ${sc} ${[pm, '-j ACCEPT'].filter(Boolean).join(' ')}`);
              body.push(`${peerFlag} ${peer.ipBlock.cidr} -j ${sc}`);
              continue;
            }
            for (const other of pods.filter(live)) {
              const ons = other.metadata?.namespace ?? 'default';
              if (peer.namespaceSelector ? !selectorMatches(peer.namespaceSelector, labelsOfNs(ons)) : ons !== pns) continue;
              if (peer.podSelector && !selectorMatches(peer.podSelector, (other.metadata?.labels ?? {}) as Record<string, string>)) continue;
              emit(`${peerFlag} ${other.status!.podIP}/32`, other);
            }
          }
        }
      }
      if (dir === 'egress') {
        // Service ClusterIPs (seen before DNAT): allowed when a ready backend is, on the Service port.
        for (const svc of services) {
          const ip = svc.spec?.clusterIP;
          if (!ip || ip === 'None') continue;
          for (const sp of svc.spec?.ports ?? []) {
            const proto = (sp.protocol ?? 'TCP') as Protocol;
            const sns = svc.metadata?.namespace ?? 'default';
            const backends = slices
              .filter((es) => (es.metadata?.namespace ?? 'default') === sns && es.metadata?.labels?.['kubernetes.io/service-name'] === svc.metadata?.name)
              .flatMap((es) => {
                const ep = (es.ports ?? []).find((p) => (p.name ?? '') === (sp.name ?? '') && (p.protocol ?? 'TCP') === proto);
                return ep?.port === undefined ? [] : (es.endpoints ?? []).filter((e) => e.conditions?.ready !== false && e.addresses[0]).map((e) => ({ ip: e.addresses[0]!, port: ep.port! }));
              });
            const ok = backends.some((b) => evaluateCompiled(compiled, { src: { kind: 'pod', namespace: ns, name: pod.metadata?.name ?? '' }, dst: { kind: 'ip', ip: b.ip }, port: b.port, protocol: proto }).egress.allowed);
            if (ok) body.push(`-d ${ip}/32 ${portMatch(proto, sp.port)} -j RETURN`);
          }
        }
      }
      body.push('-j DROP');
      for (const b of body) rules.push(`-A ${chain} ${b}`);
    }
  }
  if (chains.length === 0) return '';
  return ['*mangle', ...chains, ...hooks, ...rules, 'COMMIT', ''].join('\n');
}
