// connect() of a client TCP socket: the SYN traced through the engine, then what connect()
// returns. A SYN-ACK needs a listener in the namespace the SYN reached: a pod's program
// (src/engine/apps/workloads.ts) or, in a node's root namespace, a hostNetwork pod's declared port.
// Where the engine found no socket (declared ports) the kernel answers RST; where it assumed one
// (no declared ports), the program decides. No answer: the kernel resends the SYN (1, 2, 4 … 64 s,
// net.ipv4.tcp_syn_retries = 6) and connect() fails with ETIMEDOUT after 127 s.

import type { ClusterState } from '../../control-plane/types.ts';
import { ROOT_NS } from '../../node-state/types.ts';
import { outcomeOf, traceFlow, ephemeralPort, drawSeed, type AppContext, type Errno } from './transport.ts';
import { findPodAt, podListens, podView, type PodView } from './workloads.ts';
import type { AppFlow } from './types.ts';

export const SYN_TIMEOUT_US = 127_000_000;

export type Connect =
  | { kind: 'connected'; rttUs: number; server?: PodView; node: string; netns: string; addr: string; port: number }
  | { kind: 'error'; errno: Errno; afterUs: number }
  | { kind: 'silent' };

function hostNetworkListener(state: ClusterState, node: string, port: number): PodView | undefined {
  for (const k of Object.keys(state.objects)) {
    if (!k.startsWith('Pod/')) continue;
    const [, ns, name] = k.split('/');
    const p = podView(state, ns, name);
    if (p?.hostNetwork && p.node === node && podListens(p, 'tcp', port)) return p;
  }
  return undefined;
}

/** Connect to dst:port now; the flow (kind `kind`) is appended to the context and returned. */
export function connectTcp(ctx: AppContext, dst: string, port: number, flow: Omit<AppFlow, 'trace' | 'probe' | 'startUs'>): { result: Connect; flow: AppFlow } {
  const sport = ephemeralPort(ctx, 'odd');
  const { branch } = traceFlow(ctx, flow, { dst, dport: port, protocol: 'TCP', sport }, drawSeed(ctx));
  const recorded = ctx.flows[ctx.flows.length - 1];
  const out = outcomeOf(ctx, branch, 'TCP');
  if (out.kind === 'error') return { result: { kind: 'error', errno: out.errno, afterUs: out.afterUs }, flow: recorded };
  if (out.kind === 'silent') return { result: { kind: 'silent' }, flow: recorded };
  const { node, netns, addr, port: sPort } = out.server;
  const server = netns === ROOT_NS ? hostNetworkListener(ctx.state, node, sPort) : findPodAt(ctx.state, node, netns);
  if (!server || !podListens(server, 'tcp', sPort)) return { result: { kind: 'error', errno: 'ECONNREFUSED', afterUs: out.rttUs }, flow: recorded };
  return { result: { kind: 'connected', rttUs: out.rttUs, server, node, netns, addr, port: sPort }, flow: recorded };
}
