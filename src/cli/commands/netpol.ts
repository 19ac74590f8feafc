// `kubewire netpol ...`: what the cluster's NetworkPolicies allow, by the API's semantics (src/netpol).
//   netpol matrix   — all pairs of pods as a truth table ("." allowed, "X" denied), or JSON with every verdict.
//   netpol explain  — one connection: each direction with the deciding policy and rule.
// Nothing here enforces anything: with the VPC CNI and no network policy agent every packet is delivered.
import type { Command } from 'commander';
import type { ClusterState } from '../../control-plane/types.ts';
import { KubewireError } from '../../errors.ts';
import { compile, evaluateCompiled, inputsOf, matrixOf, enforcementNote, renderExplain, renderMatrix, type Peer, type Protocol } from '../../netpol/index.ts';
import type { ExplainEnd } from '../../netpol/render.ts';
import type { V1Pod } from '../../k8s/types.ts';
import { parseIPv4 } from '../../k8s/validation.ts';
import { openSession } from '../session.ts';
import { emit, parseIntOpt, type CommandResult } from './_common.ts';

export interface NetpolMatrixOptions {
  port: number;
  protocol: string;
  /** One namespace or a comma-separated list. */
  namespace: string;
  allNamespaces?: boolean;
  output?: string;
}

export interface NetpolExplainOptions {
  port: number;
  protocol: string;
  namespace: string;
  output?: string;
}

function protocolOf(p: string): Protocol {
  const u = p.toUpperCase();
  if (u === 'TCP' || u === 'UDP' || u === 'SCTP') return u;
  throw new KubewireError(`invalid value for --protocol: "${p}" (must be TCP, UDP or SCTP)`);
}

function outputOf(o: string | undefined): 'text' | 'json' {
  if (o === undefined || o === 'text') return 'text';
  if (o === 'json') return 'json';
  throw new KubewireError(`invalid value for --output: "${o}" (must be json)`);
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

export function netpolMatrixCommand(state: ClusterState, o: NetpolMatrixOptions): CommandResult {
  const protocol = protocolOf(o.protocol);
  const output = outputOf(o.output);
  const namespaces = o.allNamespaces ? undefined : o.namespace.split(',').map((s) => s.trim()).filter(Boolean);
  const m = matrixOf(inputsOf(state), { port: o.port, protocol, namespaces });
  const note = enforcementNote(state.spec.cni.type);
  if (output === 'json') {
    const rows = m.pods.map((_, i) => m.cells[i]!.map((v) => (v.allowed ? '.' : 'X')).join(''));
    return { stdout: json({ ...m, rows, enforced: false, enforcement: note }), stderr: '', exitCode: 0 };
  }
  return { stdout: renderMatrix(m, { note }), stderr: '', exitCode: 0 };
}

/** A pod as "ns/name" or "name" (in the -n namespace), or an IP: a pod's IP stands for the pod, any other IP for itself. */
function resolvePeer(arg: string, namespace: string, pods: readonly V1Pod[]): { peer: Peer; end: ExplainEnd } {
  const isIp = parseIPv4(arg) !== null || (arg.includes(':') && !arg.includes('/'));
  if (isIp) {
    const pod = pods.find((p) => p.status?.podIP === arg && p.spec?.hostNetwork !== true);
    if (!pod) return { peer: { kind: 'ip', ip: arg }, end: { ip: arg } };
    return podPeer(pod);
  }
  const slash = arg.indexOf('/');
  const ns = slash >= 0 ? arg.slice(0, slash) : namespace;
  const name = slash >= 0 ? arg.slice(slash + 1) : arg;
  const pod = pods.find((p) => (p.metadata?.namespace ?? 'default') === ns && p.metadata?.name === name);
  if (!pod) throw new KubewireError(`pods "${name}" not found in namespace "${ns}"`);
  return podPeer(pod);
}

function podPeer(pod: V1Pod): { peer: Peer; end: ExplainEnd } {
  const namespace = pod.metadata?.namespace ?? 'default';
  const name = pod.metadata?.name ?? '';
  return { peer: { kind: 'pod', namespace, name }, end: { namespace, name, ip: pod.status?.podIP ?? '', hostNetwork: pod.spec?.hostNetwork === true } };
}

export function netpolExplainCommand(state: ClusterState, src: string, dst: string, o: NetpolExplainOptions): CommandResult {
  const protocol = protocolOf(o.protocol);
  const output = outputOf(o.output);
  const inputs = inputsOf(state);
  const s = resolvePeer(src, o.namespace, inputs.pods);
  const d = resolvePeer(dst, o.namespace, inputs.pods);
  const v = evaluateCompiled(compile(inputs), { src: s.peer, dst: d.peer, port: o.port, protocol });
  const note = enforcementNote(state.spec.cni.type);
  if (output === 'json') return { stdout: json({ src: s.peer, dst: d.peer, port: o.port, protocol, ...v, enforced: false, enforcement: note }), stderr: '', exitCode: 0 };
  return { stdout: renderExplain(s.end, d.end, { port: o.port, protocol }, v, { note }), stderr: '', exitCode: 0 };
}

export function register(program: Command): void {
  const netpol = program
    .command('netpol')
    .description("what the cluster's NetworkPolicies allow (API semantics; nothing enforces them with the VPC CNI alone)");

  netpol
    .command('matrix')
    .description('all pairs of pods as a truth table: rows = source, columns = destination, "." allowed, "X" denied')
    .option('--port <n>', 'destination port (the container port, after Service DNAT)', parseIntOpt('--port', 1, 65535), 80)
    .option('--protocol <proto>', 'TCP, UDP or SCTP', 'TCP')
    .option('-n, --namespace <ns>', 'namespace, or a comma-separated list', 'default')
    .option('-A, --all-namespaces', 'pods of every namespace')
    .option('-o, --output <format>', 'json: every verdict with its deciding policy and rule')
    .action((opts: NetpolMatrixOptions, cmd: Command) => {
      const s = openSession(cmd);
      emit(netpolMatrixCommand(s.stored.state, opts));
    });

  netpol
    .command('explain')
    .description('why one connection is allowed or denied: each direction with the deciding policy and rule')
    .argument('<src>', 'source pod (name, ns/name or its IP) or an IP')
    .argument('<dst>', 'destination pod (for a Service: the backend pod) or an IP')
    .requiredOption('--port <n>', 'destination port (the container port, after Service DNAT)', parseIntOpt('--port', 1, 65535))
    .option('--protocol <proto>', 'TCP, UDP or SCTP', 'TCP')
    .option('-n, --namespace <ns>', 'namespace of pods given by name', 'default')
    .option('-o, --output <format>', 'json')
    .action((src: string, dst: string, opts: NetpolExplainOptions, cmd: Command) => {
      const s = openSession(cmd);
      emit(netpolExplainCommand(s.stored.state, src, dst, opts));
    });
}
