// The upstream e2e netpol model (kubernetes test/e2e/network/netpol): namespaces x, y, z, each with pods a, b, c
// labelled pod=<name>, namespaces labelled ns=<name>; every pod serves ports 80 and 81 on TCP, UDP and SCTP
// under the container port names serve-<port>-<protocol>. Plus a truth-table builder with the e2e suite's helpers.
import type { V1Namespace, V1NetworkPolicy, V1Pod } from '../k8s/types.ts';
import type { PolicyInputs } from './types.ts';

export const NAMESPACES = ['x', 'y', 'z'] as const;
export const POD_NAMES = ['a', 'b', 'c'] as const;
export const ALL_PODS: string[] = NAMESPACES.flatMap((n) => POD_NAMES.map((p) => `${n}/${p}`));

/** x/a 10.0.1.1, x/b 10.0.1.2, ..., z/c 10.0.3.3. */
export function modelIp(pod: string): string {
  const [ns, p] = pod.split('/') as [string, string];
  return `10.0.${NAMESPACES.indexOf(ns as 'x') + 1}.${POD_NAMES.indexOf(p as 'a') + 1}`;
}

export function modelPod(pod: string, extra: { hostNetwork?: boolean; ip?: string } = {}): V1Pod {
  const [ns, name] = pod.split('/') as [string, string];
  const containers = [80, 81].flatMap((port) =>
    (['TCP', 'UDP', 'SCTP'] as const).map((protocol) => ({
      name: `cont-${port}-${protocol.toLowerCase()}`,
      image: 'agnhost',
      ports: [{ containerPort: port, name: `serve-${port}-${protocol.toLowerCase()}`, protocol }],
    })),
  );
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { pod: name } },
    spec: { containers, hostNetwork: extra.hostNetwork },
    status: { phase: 'Running', podIP: extra.ip ?? modelIp(pod) },
  };
}

export function modelNamespace(name: string): V1Namespace {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { ns: name, 'kubernetes.io/metadata.name': name } } };
}

export function modelInputs(policies: V1NetworkPolicy[]): PolicyInputs {
  return { policies, namespaces: NAMESPACES.map(modelNamespace), pods: ALL_PODS.map((p) => modelPod(p)) };
}

/** A peer of the e2e suite's ExpectPeer: empty fields match everything. */
export interface ModelPeer {
  namespace?: string;
  pod?: string;
}

/** Expected truth table, as the e2e suite's Reachability builds it. */
export class Reachability {
  readonly expected = new Map<string, boolean>();
  constructor(
    readonly pods: string[],
    dflt: boolean,
  ) {
    for (const s of pods) for (const d of pods) this.expected.set(`${s}>${d}`, dflt);
  }
  private matches(p: ModelPeer, pod: string): boolean {
    const [ns, name] = pod.split('/');
    return (p.namespace === undefined || p.namespace === ns) && (p.pod === undefined || p.pod === name);
  }
  expect(src: string, dst: string, ok: boolean): this {
    this.expected.set(`${src}>${dst}`, ok);
    return this;
  }
  expectPeer(from: ModelPeer, to: ModelPeer, ok: boolean): this {
    for (const s of this.pods) for (const d of this.pods) if (this.matches(from, s) && this.matches(to, d)) this.expected.set(`${s}>${d}`, ok);
    return this;
  }
  allowLoopback(): this {
    for (const p of this.pods) this.expected.set(`${p}>${p}`, true);
    return this;
  }
  /** Rows of "." / "X" (rows = source), for readable diffs. */
  rows(): string[] {
    return this.pods.map((s) => `${s} ${this.pods.map((d) => (this.expected.get(`${s}>${d}`) ? '.' : 'X')).join('')}`);
  }
}

/** A NetworkPolicy object (namespace x unless said). */
export function np(name: string, spec: Record<string, unknown>, namespace = 'x'): V1NetworkPolicy {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec: spec as V1NetworkPolicy['spec'] };
}
