// One transport exchange of a client program, run through the packet engine: the first packet
// (UDP datagram, TCP SYN, ICMP echo) traced concretely with a seed, then read the way the client's
// kernel reports it to the program: an answer, an error the socket returns (RST or ICMP error →
// errno), or silence (a drop: the program times out). Also the simulated clock and the latency
// model that stamps each flow (AppFlow.startUs) and each answer.

import type { ClusterState } from '../../control-plane/types.ts';
import { tracePacket, type Probe, type Trace, type TraceBranch, type WalkWorld } from '../index.ts';
import type { AppFlow } from './types.ts';

/** What the client's socket sees. */
export type Outcome =
  | { kind: 'answered'; rttUs: number; replyTtl: number; server: { node: string; netns: string; addr: string; port: number } }
  /** The kernel returned an error to the socket (RST, ICMP error, local routing failure). */
  | { kind: 'error'; errno: Errno; afterUs: number }
  /** Nothing came back (a drop somewhere, or a reply that was lost). */
  | { kind: 'silent' };

export type Errno = 'ECONNREFUSED' | 'EHOSTUNREACH' | 'ENETUNREACH' | 'EACCES' | 'EINVAL';

/** strerror() text of the errnos a connect()/recv() can see here (glibc wording). */
export const ERRNO_TEXT: Record<Errno | 'ETIMEDOUT', string> = {
  ECONNREFUSED: 'Connection refused',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  EACCES: 'Permission denied',
  EINVAL: 'Invalid argument',
  ETIMEDOUT: 'Connection timed out',
};

/** The run's shared state: the cluster, where the program runs, its seeded randomness and clock. */
export interface AppContext {
  state: ClusterState;
  from: { pod: string; namespace: string };
  rng: () => number;
  ipsets?: WalkWorld['ipsets'];
  /** Simulated time since the run started (µs). */
  nowUs: number;
  flows: AppFlow[];
  /** stdout/stderr are a terminal (kubectl exec -t). */
  tty?: boolean;
}

/** A 31-bit seed for one socket's trace, drawn from the run's generator. */
export function drawSeed(ctx: AppContext): number {
  return Math.floor(ctx.rng() * 0x7fffffff) + 1;
}

/** An ephemeral port from net.ipv4.ip_local_port_range (32768–60999). connect() on TCP takes odd
 *  ports (bind(0) keeps the even ones, Linux ≥ 4.6); UDP autobind takes any. */
export function ephemeralPort(ctx: AppContext, parity?: 'odd'): number {
  const p = 32768 + Math.floor(ctx.rng() * (60999 - 32768 + 1));
  if (parity === 'odd' && p % 2 === 0) return p === 60998 ? 60999 : p + 1;
  return p;
}

// Latency model (µs, one way): a namespace crossing costs a few µs of softirq work; the VPC
// fabric between two instances ~100 µs in one Availability Zone, ~300 µs across zones (AWS
// quotes sub-millisecond inter-AZ round trips); ±10% jitter from the run's generator.
const PER_HOP_US = 12;
const FABRIC_SAME_AZ_US = 100;
const FABRIC_CROSS_AZ_US = 300;
const BASE_US = 25;

function legUs(ctx: AppContext, steps: TraceBranch['forward']['steps']): number {
  const az = (node: string) => ctx.state.nodes.find((n) => n.name === node)?.az;
  let us = 0;
  let where = '';
  steps.forEach((s, i) => {
    const w = `${s.node}/${s.netns}`;
    if (w !== where) {
      us += PER_HOP_US;
      where = w;
    }
    if (s.kind === 'fabric') {
      const next = steps.slice(i + 1).find((x) => x.node !== s.node);
      us += next && az(next.node) !== az(s.node) ? FABRIC_CROSS_AZ_US : FABRIC_SAME_AZ_US;
    }
    if (s.kind === 'encap' || s.kind === 'decap') us += 8;
  });
  return us;
}

export function jitter(ctx: AppContext, us: number): number {
  return Math.max(1, Math.round(us * (0.9 + 0.2 * ctx.rng())));
}

function errnoOfSignal(signal: string | undefined, proto: Probe['protocol']): Errno | undefined {
  if (!signal) return undefined;
  const s = signal.toLowerCase();
  if (s.startsWith('connect(): ')) {
    const t = signal.slice('connect(): '.length);
    return (Object.entries(ERRNO_TEXT).find(([, v]) => v === t)?.[0] as Errno | undefined) ?? 'ENETUNREACH';
  }
  if (s.includes('tcp rst') || s === 'tcp-reset') return 'ECONNREFUSED';
  // ICMP errors: a TCP socket in SYN_SENT aborts on any destination-unreachable (tcp_v4_err); a
  // connected UDP socket reports them on its next recv (icmp_err_convert).
  if (s.includes('port-unreachable') || s.includes('port unreachable')) return 'ECONNREFUSED';
  if (s.includes('net-unreachable') || s.includes('net unreachable') || s.includes('net-prohibited')) return 'ENETUNREACH';
  if (s.includes('host') || s.includes('admin-prohibited') || s.includes('time exceeded')) return proto === 'ICMP' ? undefined : 'EHOSTUNREACH';
  return undefined;
}

/** How a concrete trace's single branch reads at the client. */
export function outcomeOf(ctx: AppContext, b: TraceBranch, proto: Probe['protocol']): Outcome {
  const f = b.forward.disposition;
  const fwdUs = legUs(ctx, b.forward.steps);
  if ((f.code === 'delivered' || f.code === 'accepted') && b.reply) {
    if (b.reply.disposition.code !== 'delivered' && b.reply.disposition.code !== 'accepted') return { kind: 'silent' };
    const last = b.reply.steps.at(-1)!;
    const delivered = b.forward.steps.at(-1)!;
    return {
      kind: 'answered',
      rttUs: jitter(ctx, BASE_US + fwdUs + legUs(ctx, b.reply.steps)),
      replyTtl: last.packet.ttl,
      server: { node: f.node, netns: f.netns, addr: delivered.packet.dst, port: delivered.packet.dport ?? 0 },
    };
  }
  if (f.code === 'delivered' || f.code === 'accepted') return { kind: 'silent' };
  const errno = errnoOfSignal(f.signal, proto);
  if (!errno) return { kind: 'silent' };
  // ARP gives up after 3 probes a second apart before the host-unreachable comes back.
  const afterUs = f.code === 'neighbour-unreachable' ? 3_000_000 : jitter(ctx, BASE_US + 2 * fwdUs);
  return { kind: 'error', errno, afterUs };
}

/** Trace one packet concretely (the seed makes the endpoint choice) and record it as a flow. */
export function traceFlow(ctx: AppContext, flow: Omit<AppFlow, 'trace' | 'probe' | 'startUs'>, probe: Omit<Probe, 'from'>, seed: number): { trace: Trace; branch: TraceBranch } {
  const full: Probe = { from: { pod: ctx.from.pod, namespace: ctx.from.namespace }, ...probe };
  const trace = tracePacket(ctx.state, full, { enumerate: false, seed, ipsets: ctx.ipsets });
  ctx.flows.push({ ...flow, probe: full, trace, startUs: ctx.nowUs });
  return { trace, branch: trace.branches[0] };
}
