// NetworkPolicy (networking.k8s.io/v1) verdicts as data: who selected the pod, which rule allowed it.
import type { V1Namespace, V1NetworkPolicy, V1Pod } from '../k8s/types.ts';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/**
 * One end of a connection: a pod of the cluster (by namespace/name) or an IP. An IP that a (non-hostNetwork,
 * unfinished) pod holds stands for that pod; any other IP (outside the cluster, a node) only matches ipBlock peers.
 */
export type Peer = { kind: 'pod'; namespace: string; name: string } | { kind: 'ip'; ip: string };

export interface Connection {
  src: Peer;
  /** For a Service, the backend pod chosen by kube-proxy: policies see traffic after DNAT. */
  dst: Peer;
  /** Destination port (after DNAT: the container's target port). */
  port: number;
  protocol: Protocol;
}

/** A policy by namespace and name. */
export interface PolicyRef {
  namespace: string;
  name: string;
}

/** The rule element that allowed a connection; indexes are 0-based into spec.ingress/egress, from/to and ports. */
export interface AllowingRule {
  policy: PolicyRef;
  direction: 'ingress' | 'egress';
  rule: number;
  /** Index into the rule's from/to; null when the rule lists no peers (all peers). */
  peer: number | null;
  /** Index into the rule's ports; null when the rule lists no ports (all ports). */
  port: number | null;
}

/**
 * The verdict of one direction (`isolated`: some policy selects the pod for it; `selectedBy`: which):
 * - `NotIsolated`: no policy selects the pod for this direction (or the end is not a pod that policies can select); allowed.
 * - `Allowed`: some policy selects it and `by` is the first rule (policies sorted by namespace/name) that allows the connection.
 * - `Denied`: policies select it and none allows the connection (default deny of an isolated pod).
 * - `OwnNode`: the other end is an IP of the node the pod runs on (always allowed, whatever selects the pod).
 */
export type DirectionVerdict =
  | { code: 'NotIsolated'; allowed: true; isolated: false; subject: Subject; selectedBy: [] }
  | { code: 'Allowed'; allowed: true; isolated: true; subject: Subject; selectedBy: PolicyRef[]; by: AllowingRule; alsoAllowedBy: AllowingRule[] }
  | { code: 'Denied'; allowed: false; isolated: true; subject: Subject; selectedBy: PolicyRef[] }
  /** The other end is the pod's own node: "traffic to and from the node where a Pod is running is always allowed". */
  | { code: 'OwnNode'; allowed: true; isolated: true; subject: Subject; selectedBy: PolicyRef[] };

/**
 * What the direction was judged for: a pod policies can select, a hostNetwork pod (never selected;
 * as a peer it is its node's IP), an IP with no pod, or a pod name the inputs do not hold.
 */
export type Subject = 'pod' | 'hostNetwork' | 'ip';

export interface Verdict {
  /** egress.allowed && ingress.allowed, or loopback. */
  allowed: boolean;
  /**
   * Source and destination are the same pod: allowed whatever the directions say ("a pod cannot block access to
   * itself", the concepts page; the e2e suite's AllowLoopback). `egress` and `ingress` still hold the policies' verdicts.
   */
  loopback: boolean;
  /** The source's egress. */
  egress: DirectionVerdict;
  /** The destination's ingress. */
  ingress: DirectionVerdict;
}

export interface PolicyInputs {
  policies: readonly V1NetworkPolicy[];
  namespaces: readonly V1Namespace[];
  pods: readonly V1Pod[];
}
