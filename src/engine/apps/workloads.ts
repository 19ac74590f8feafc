// What runs in a pod, as far as its network behaviour goes: the program its image starts and the
// sockets it opens, and which client programs the image ships.
// - nginx* images: nginx's stock config (`listen 80`), whatever containerPorts say.
// - coredns images: the EKS Corefile's `.:53` (udp and tcp), metrics :9153, health :8080, ready :8181.
// - any other image: whatever its declared containerPorts say (kubewire cannot know more).
// Client programs: the busybox image (glibc variant by default since 1.36) and alpine carry
// busybox's wget, nslookup and ping applets; the nginx image (Debian slim) and CoreDNS
// (distroless) carry none of them.

import type { ClusterState } from '../../control-plane/types.ts';
import { podSandbox } from '../../control-plane/kubelet.ts';
import { ROOT_NS } from '../../node-state/types.ts';

export type WorkloadKind = 'nginx' | 'coredns' | 'other';

export interface Container {
  name: string;
  image?: string;
  ports?: Array<{ containerPort: number; protocol?: string; name?: string }>;
}

export interface PodView {
  namespace: string;
  name: string;
  node?: string;
  netns?: string;
  ip?: string;
  phase?: string;
  hostNetwork?: boolean;
  dnsPolicy?: string;
  dnsConfig?: { nameservers?: string[]; searches?: string[]; options?: Array<{ name: string; value?: string }> };
  hostname?: string;
  subdomain?: string;
  annotations: Record<string, string>;
  containers: Container[];
  kind: WorkloadKind;
}

/** The last path component of an image's repository and its tag. */
export function imageName(image: string): { repo: string; tag: string } {
  const noDigest = image.split('@')[0];
  const last = noDigest.slice(noDigest.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  return colon < 0 ? { repo: last, tag: 'latest' } : { repo: last.slice(0, colon), tag: last.slice(colon + 1) };
}

export function workloadKind(image: string): WorkloadKind {
  const { repo } = imageName(image);
  if (repo.startsWith('nginx')) return 'nginx';
  if (repo === 'coredns') return 'coredns';
  return 'other';
}

interface PodObj {
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec?: {
    nodeName?: string;
    hostNetwork?: boolean;
    dnsPolicy?: string;
    dnsConfig?: PodView['dnsConfig'];
    hostname?: string;
    subdomain?: string;
    containers?: Container[];
  };
  status?: { podIP?: string; phase?: string };
}

export function podView(state: ClusterState, namespace: string, name: string): PodView | undefined {
  const pod = state.objects[`Pod/${namespace}/${name}`] as unknown as PodObj | undefined;
  if (!pod) return undefined;
  const node = pod.spec?.nodeName;
  const netns = pod.spec?.hostNetwork ? (node ? ROOT_NS : undefined) : podSandbox(state, namespace, name)?.netns;
  const containers = pod.spec?.containers ?? [];
  return {
    namespace,
    name,
    node,
    netns,
    ip: pod.status?.podIP,
    phase: pod.status?.phase,
    hostNetwork: pod.spec?.hostNetwork,
    dnsPolicy: pod.spec?.dnsPolicy,
    dnsConfig: pod.spec?.dnsConfig,
    hostname: pod.spec?.hostname,
    subdomain: pod.spec?.subdomain,
    annotations: pod.metadata.annotations ?? {},
    containers,
    kind: workloadKind(containers[0]?.image ?? ''),
  };
}

/** The pod whose network namespace is `netns` on `node` (hostNetwork pods share the root one: none). */
export function findPodAt(state: ClusterState, node: string, netns: string): PodView | undefined {
  if (netns === ROOT_NS) return undefined;
  for (const k of Object.keys(state.objects)) {
    if (!k.startsWith('Pod/')) continue;
    const [, ns, name] = k.split('/');
    const sb = podSandbox(state, ns, name);
    if (sb?.node === node && sb.netns === netns) return podView(state, ns, name);
  }
  return undefined;
}

/** Does the pod's program listen on proto/port? */
export function podListens(pod: PodView, proto: 'tcp' | 'udp', port: number): boolean {
  if (pod.kind === 'nginx') return proto === 'tcp' && port === 80;
  if (pod.kind === 'coredns') return port === 53 || (proto === 'tcp' && (port === 9153 || port === 8080 || port === 8181));
  return pod.containers.some((c) => (c.ports ?? []).some((p) => p.containerPort === port && (p.protocol ?? 'TCP').toLowerCase() === proto));
}

/** Client programs an image ships: 'busybox' (its applets) or 'none'; undefined when unknown. */
export function imagePrograms(image: string): 'busybox' | 'none' | undefined {
  const { repo } = imageName(image);
  if (repo === 'busybox' || repo === 'alpine') return 'busybox';
  // CoreDNS ships as a distroless image: the binary and nothing else.
  if (repo === 'coredns') return 'none';
  if (repo.startsWith('nginx') && !imageName(image).tag.includes('alpine')) return 'none';
  if (repo.startsWith('nginx')) return 'busybox';
  return undefined;
}
