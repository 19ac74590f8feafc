// Capture points: which device of which namespace a capture listens on, named the way a user
// names them (`NODE:DEV`, `POD:DEV`, `NS/POD:DEV`) and the way the capture file names them
// (`<node>:<dev>` for a node's root namespace, `<ns>/<pod>:<dev>` for a pod).

import type { ClusterState } from '../control-plane/types.ts';
import { podSandbox } from '../control-plane/kubelet.ts';
import { KubewireError } from '../errors.ts';
import { ROOT_NS, type Link } from '../node-state/types.ts';

export interface CapturePoint {
  node: string;
  /** Network namespace as the node-state model names it (`root` or the pod's). */
  netns: string;
  /** Canonical device name (altnames and the `eth0` alias resolved). */
  dev: string;
  /** pcapng if_name: `<node>:<dev>` or `<ns>/<pod>:<dev>`. */
  name: string;
  /** pcapng if_description: what the device is. */
  description: string;
}

/** The pod whose network namespace `netns` of `node` is. */
export function podOfNetns(state: ClusterState, node: string, netns: string): { namespace: string; name: string } | undefined {
  if (netns === ROOT_NS) return undefined;
  for (const key of Object.keys(state.objects)) {
    if (!key.startsWith('Pod/')) continue;
    const [, namespace, name] = key.split('/');
    const pod = state.objects[key] as { spec?: { nodeName?: string; hostNetwork?: boolean } };
    if (pod.spec?.nodeName !== node || pod.spec.hostNetwork) continue;
    if (podSandbox(state, namespace, name)?.netns === netns) return { namespace, name };
  }
  return undefined;
}

function describeLink(l: Link): string {
  if (l.eniId) return `${l.name}: ENI ${l.eniId}${l.altnames?.length ? ` (altname ${l.altnames.join(', ')})` : ''}`;
  if (l.veth) return `${l.name}: veth, peer ${l.veth.peerName} in ${l.veth.peerNs}`;
  if (l.kind === 'vxlan' && l.vxlan) return `${l.name}: vxlan id ${l.vxlan.vni} dstport ${l.vxlan.port}`;
  return `${l.name}: ${l.kind}`;
}

/** The point for a device of a namespace (its canonical name and description). */
export function pointFor(state: ClusterState, node: string, netns: string, dev: string): CapturePoint {
  const ns = state.hosts[node]?.namespaces[netns];
  const link = ns?.links.find((l) => l.name === dev);
  const pod = podOfNetns(state, node, netns);
  const name = pod ? `${pod.namespace}/${pod.name}:${dev}` : `${node}:${dev}`;
  const where = pod ? `pod ${pod.namespace}/${pod.name} on ${node}` : `node ${node}`;
  return { node, netns, dev, name, description: `${where}, ${link ? describeLink(link) : dev}` };
}

/**
 * A device by the name a user gives: its name, an altname (`enp0s5` for `ens5`), or, on a node
 * with no device of that name, `ethN` for its N-th ENI in attachment order (AL2 names ENIs eth0,
 * eth1, ... by device index; AL2023 names the same ENIs ens5, ens6, ..., and tools and docs
 * written for AL2 still say eth0).
 */
export function findDevice(links: readonly Link[], want: string, isNode: boolean): Link | undefined {
  const byName = links.find((l) => l.name === want) ?? links.find((l) => l.altnames?.includes(want));
  if (byName) return byName;
  const eth = /^eth(\d+)$/.exec(want);
  if (isNode && eth) {
    const enis = links.filter((l) => l.eniId).sort((a, b) => a.ifindex - b.ifindex);
    return enis[Number(eth[1])];
  }
  return undefined;
}

/**
 * Parses `WHERE`: `NODE:DEV` (node by name, short name, instance id or IP), `POD:DEV` (pod in
 * `namespace`), `NS/POD:DEV`. The device is required.
 */
export function resolvePoint(state: ClusterState, where: string, namespace = 'default'): CapturePoint {
  const i = where.lastIndexOf(':');
  if (i <= 0 || i === where.length - 1) throw new KubewireError(`capture point "${where}": expected NODE:DEV or POD:DEV (e.g. ${state.nodes[0]?.name.split('.')[0] ?? 'NODE'}:ens5, nginx-abc12:eth0)`);
  const who = where.slice(0, i);
  const want = where.slice(i + 1);
  const node = state.nodes.find((x) => x.name === who || x.name.split('.')[0] === who || x.instanceId === who || x.primaryIp === who);
  let host: string;
  let netns: string;
  let label: string;
  if (node) {
    host = node.name;
    netns = ROOT_NS;
    label = `node ${node.name}`;
  } else {
    const slash = who.indexOf('/');
    const ns = slash >= 0 ? who.slice(0, slash) : namespace;
    const name = slash >= 0 ? who.slice(slash + 1) : who;
    const pod = state.objects[`Pod/${ns}/${name}`] as { spec?: { nodeName?: string; hostNetwork?: boolean } } | undefined;
    if (!pod) {
      const pods = Object.keys(state.objects).filter((k) => k.startsWith(`Pod/${ns}/`)).map((k) => k.split('/')[2]);
      throw new KubewireError(`capture point "${where}": no node or pod "${who}" (nodes: ${state.nodes.map((x) => x.name.split('.')[0]).join(', ')}; pods in ${ns}: ${pods.join(', ') || 'none'})`);
    }
    host = pod.spec?.nodeName ?? '';
    if (!host) throw new KubewireError(`capture point "${where}": pod ${ns}/${name} is not scheduled to a node`);
    netns = pod.spec?.hostNetwork ? ROOT_NS : (podSandbox(state, ns, name)?.netns ?? '');
    if (!state.hosts[host]?.namespaces[netns]) throw new KubewireError(`capture point "${where}": pod ${ns}/${name} has no network namespace yet`);
    label = `pod ${ns}/${name}`;
  }
  const links = state.hosts[host].namespaces[netns].links;
  const link = findDevice(links, want, netns === ROOT_NS);
  if (!link) {
    const names = links.map((l) => (l.altnames?.length ? `${l.name} (${l.altnames.join(', ')})` : l.name));
    throw new KubewireError(`capture point "${where}": ${label} has no device "${want}" (devices: ${names.join(', ')})`);
  }
  return pointFor(state, host, netns, link.name);
}
