// The RST a closed port answers a SYN with. The trace stops at the refusing socket (its
// disposition names the RST as a signal), so the reset's way back is walked here: the forward walk
// is replayed with the trace's seed (the same choices, the same conntrack state), then the reset
// leaves the refusing namespace as the kernel sends it (tcp_v4_send_reset: RST|ACK, ack = ISN + 1,
// window 0, no options, DF set, IP ID 0, TTL 64) and conntrack un-NATs it on the way back.

import type { ClusterState } from '../control-plane/types.ts';
import { ipsetsOf } from '../cni/index.ts';
import { clusterWorld, type Trace } from '../engine/index.ts';
import { seededRng, type Packet } from '../engine/packet.ts';
import { walkFrom, type Step, type WalkWorld } from '../engine/walk.ts';
import { TCP_ACK, TCP_RST } from '../wire/tcp.ts';
import type { Segment } from '../wire/conversation.ts';

/** The steps of the reset's walk back to the client, or undefined when the trace is not a TCP
 *  SYN refused by a closed port (or the replay does not end where the trace did). */
export function resetLeg(state: ClusterState, trace: Trace): Step[] | undefined {
  const b = trace.branches[0];
  const d = b?.forward.disposition;
  if (!d || d.code !== 'port-closed' || trace.probe.protocol !== 'TCP' || trace.mode !== 'concrete') return undefined;
  const world: WalkWorld = { ...clusterWorld(state), ipsets: ipsetsOf(state) as WalkWorld['ipsets'] };
  const rng = seededRng(trace.seed ?? 1);
  const syn: Packet = { family: 4, src: '', dst: trace.probe.dst, proto: 6, ttl: 64, mark: 0, sport: trace.probe.sport ?? 43512, dport: trace.probe.dport, tcpFlags: 0x02 };
  const [fwd] = walkFrom(world, { node: trace.source.node, netns: trace.source.netns }, syn, { enumerate: false, rng });
  if (!fwd || fwd.disposition.code !== 'port-closed' || fwd.disposition.node !== d.node || fwd.disposition.netns !== d.netns) return undefined;
  const f = fwd.final;
  const rst: Packet = { family: 4, src: f.dst, dst: f.src, proto: 6, sport: f.dport, dport: f.sport, tcpFlags: TCP_RST | TCP_ACK, ttl: 64, mark: 0 };
  const [back] = walkFrom(world, { node: d.node, netns: d.netns }, rst, { enumerate: false, rng }, fwd.state);
  return back?.steps;
}

/** The RST|ACK segment answering a SYN whose sequence number is `synSeq`. */
export function resetSegment(synSeq: number): Segment {
  return { from: 'server', gapUs: 15, proto: 'tcp', ipId: 0, df: true, payload: new Uint8Array(0), tcp: { seq: 0, ack: (synSeq + 1) >>> 0, flags: TCP_RST | TCP_ACK, window: 0, urgent: 0, options: [] } };
}
