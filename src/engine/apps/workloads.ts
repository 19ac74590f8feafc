// What runs in a pod, as far as its network behaviour goes: the program its image starts and the
// sockets it opens, and which client programs the image ships.
// - nginx* images: nginx's stock config (`listen 80`), whatever containerPorts say.
// - coredns images: the EKS Corefile's `.:53` (udp and tcp), metrics :9153, health :8080, ready :8181.
// - any other image: whatever its declared containerPorts say (kubewire cannot know more).
// podListeners decides this once for the engine's walk, the simulator's apps and the lab.
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

export type ListenProto = 'tcp' | 'udp' | 'sctp';

/** One socket a pod's program listens on, and which program answers there. */
export interface Listener {
  proto: ListenProto;
  port: number;
  /** nginx (HTTP), coredns (DNS on 53, HTTP metrics/health/ready elsewhere), or a declared port of
   *  an image kubewire knows nothing more of. */
  app: WorkloadKind;
}

/** The sockets of one image's program: nginx's stock config (the image's
 *  /etc/nginx/conf.d/default.conf: `listen 80;`, no IPv6 `listen [::]:80` by default needed here),
 *  CoreDNS with the EKS Corefile (`.:53` udp+tcp, `prometheus :9153`, `health` :8080, `ready`
 *  :8181), or, for any other image, its declared containerPorts (kubewire cannot know more). */
export function imageListeners(container: Container): Listener[] | undefined {
  const kind = workloadKind(container.image ?? '');
  if (kind === 'nginx') return [{ proto: 'tcp', port: 80, app: 'nginx' }];
  if (kind === 'coredns') {
    return [
      { proto: 'udp', port: 53, app: 'coredns' },
      { proto: 'tcp', port: 53, app: 'coredns' },
      { proto: 'tcp', port: 9153, app: 'coredns' },
      { proto: 'tcp', port: 8080, app: 'coredns' },
      { proto: 'tcp', port: 8181, app: 'coredns' },
    ];
  }
  const declared = (container.ports ?? []).map((p) => ({ proto: (p.protocol ?? 'TCP').toLowerCase() as ListenProto, port: p.containerPort, app: 'other' as const }));
  return declared.length ? declared : undefined;
}

/** What a pod listens on, decided from its containers' images and declared ports — the one
 *  answer the engine's walk (clusterWorld().listening), the simulator's apps and the lab's
 *  workloads share. A declared containerPort is informational in Kubernetes: nginx declaring 8080
 *  still listens on 80 only, so 8080 is refused. `known` is false when no container says anything
 *  (an unknown image without declared ports): then nobody can tell. The first container to open a
 *  port gets it (a second bind would fail with EADDRINUSE). */
export function podListeners(pod: { containers: Container[] }): { listeners: Listener[]; known: boolean } {
  const listeners: Listener[] = [];
  let known = false;
  for (const c of pod.containers) {
    const ls = imageListeners(c);
    if (!ls) continue;
    known = true;
    for (const l of ls) if (!listeners.some((x) => x.proto === l.proto && x.port === l.port)) listeners.push(l);
  }
  return { listeners, known };
}

/** Does the pod's program listen on proto/port? */
export function podListens(pod: PodView, proto: 'tcp' | 'udp', port: number): boolean {
  return podListeners(pod).listeners.some((l) => l.proto === proto && l.port === port);
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
