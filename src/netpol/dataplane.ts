// What the dataplane does with the pod pairs of a matrix: every ordered pair of pods is walked through
// the engine (the first packet of a connection to the destination pod's IP and port) and the outcome is
// set beside the NetworkPolicy API's verdict. With an enforcing CNI (Calico's Felix chains, the VPC
// CNI's network policy agent) the two must agree; with the VPC CNI alone every pair is delivered.
import type { ClusterState } from '../control-plane/types.ts';
import { clusterWorld } from '../engine/index.ts';
import { newWalkState, walkFrom, type Branch, type WalkWorld } from '../engine/walk.ts';
import { podSandbox } from '../control-plane/kubelet.ts';
import type { Matrix } from './matrix.ts';

export interface DataplaneCell {
  /**
   * The first packet reached the destination pod: delivered to its socket, or refused there because
   * nothing listens on the port (the policies let it through either way).
   */
  delivered: boolean;
  /** The engine's disposition code of the first branch that did not deliver (or "delivered"). */
  code: string;
  /** Where a drop happened and what decided it, in the trace's words. */
  reason: string;
}

export interface DataplaneMatrix {
  cells: DataplaneCell[][];
  /** Pairs where the API's verdict and the dataplane disagree, "src -> dst". */
  disagreements: string[];
}

const PROTO: Record<string, number> = { TCP: 6, UDP: 17, SCTP: 132 };

const REACHED = new Set(['delivered', 'accepted', 'port-closed']);

function outcome(bs: Branch[]): DataplaneCell {
  const bad = bs.find((b) => !REACHED.has(b.disposition.code));
  if (!bad) return { delivered: true, code: bs[0]?.disposition.code ?? 'delivered', reason: bs[0]?.disposition.reason ?? '' };
  return { delivered: false, code: bad.disposition.code, reason: bad.disposition.reason };
}

/**
 * Walk every pair of `m` through the engine over `state` (ipsets from `world.ipsets` if given).
 * A pod reaching itself is not walked (it never leaves its namespace) and counts as delivered.
 * Pairs with a hostNetwork end are walked but not compared: the API judges such a pod as its node's
 * IP, while on the wire a node's packets to a remote pod may carry another source (Calico's tunnel
 * address), which the API leaves to the implementation.
 */
export function dataplaneMatrix(state: ClusterState, m: Matrix, world: WalkWorld = clusterWorld(state)): DataplaneMatrix {
  const where = m.pods.map((p) => {
    const obj = state.objects[`Pod/${p.namespace}/${p.name}`] as { spec?: { nodeName?: string } } | undefined;
    const node = obj?.spec?.nodeName ?? '';
    const netns = p.hostNetwork ? 'root' : podSandbox(state, p.namespace, p.name)?.netns ?? '';
    return { node, netns };
  });
  const disagreements: string[] = [];
  const cells = m.pods.map((s, i) =>
    m.pods.map((d, j) => {
      if (i === j) return { delivered: true, code: 'delivered', reason: 'loopback' };
      const from = where[i]!;
      const bs = walkFrom(
        world,
        from,
        { family: 4, src: '', dst: d.ip, proto: PROTO[m.protocol] ?? 6, sport: 40000 + ((i * 131 + j) % 20000), dport: m.port, tcpFlags: m.protocol === 'TCP' ? 0x02 : undefined, ttl: 64, mark: 0 },
        {},
        newWalkState(),
      );
      const c = outcome(bs);
      if (!s.hostNetwork && !d.hostNetwork && c.delivered !== m.cells[i]![j]!.allowed) disagreements.push(`${s.namespace}/${s.name} -> ${d.namespace}/${d.name}`);
      return c;
    }),
  );
  return { cells, disagreements };
}
