// `kubewire netpol ...`: what the cluster's NetworkPolicies allow, by the API's semantics (src/netpol).
//   netpol matrix   — all pairs of pods as a truth table ("." allowed, "X" denied), or JSON with every verdict.
//   netpol explain  — one connection: each direction with the deciding policy and rule.
// Nothing here enforces anything: with the VPC CNI and no network policy agent every packet is delivered.
import type { Command } from 'commander';
import type { ClusterState } from '../../control-plane/types.ts';
import { KubewireError } from '../../errors.ts';
import { compile, evaluateCompiled, inputsOf, matrixOf, enforcementNote, renderExplain, renderMatrix, type Peer, type Protocol } from '../../netpol/index.ts';
import type { ExplainEnd } from '../../netpol/render.ts';
import type { V1EndpointSlice, V1Pod, V1Service } from '../../k8s/types.ts';
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

interface Backend {
  address: string;
  /** The container port kube-proxy DNATs to (the EndpointSlice port). */
  port: number;
}

/** A Service named "svc/NAME" / "service/NAME" (in -n), or one whose ClusterIP is `arg`; undefined otherwise. */
function findService(state: ClusterState, arg: string, namespace: string): V1Service | undefined {
  const m = /^(?:svc|service|services)\/(.+)$/.exec(arg);
  if (m) {
    const svc = state.objects[`Service/${namespace}/${m[1]}`] as unknown as V1Service | undefined;
    if (!svc) throw new KubewireError(`services "${m[1]}" not found in namespace "${namespace}"`);
    return svc;
  }
  return Object.entries(state.objects)
    .filter(([k]) => k.startsWith('Service/'))
    .map(([, o]) => o as unknown as V1Service)
    .find((s) => s.spec?.clusterIP === arg || (s.spec?.clusterIPs ?? []).includes(arg));
}

/** The endpoints kube-proxy would DNAT `svc`'s port `port`/`protocol` to: ready endpoints of its EndpointSlices, with the slice's port. */
function backendsOf(state: ClusterState, svc: V1Service, port: number, protocol: Protocol): { name: string; backends: Backend[] } {
  const ns = svc.metadata?.namespace ?? 'default';
  const name = svc.metadata?.name ?? '';
  const sp = (svc.spec?.ports ?? []).find((p) => p.port === port && (p.protocol ?? 'TCP') === protocol);
  if (!sp) {
    const have = (svc.spec?.ports ?? []).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`).join(', ');
    throw new KubewireError(`service ${ns}/${name} has no port ${port}/${protocol} (ports: ${have || 'none'})`);
  }
  const backends: Backend[] = [];
  for (const [k, o] of Object.entries(state.objects)) {
    if (!k.startsWith(`EndpointSlice/${ns}/`)) continue;
    const es = o as unknown as V1EndpointSlice;
    if (es.metadata?.labels?.['kubernetes.io/service-name'] !== name) continue;
    const ep = (es.ports ?? []).find((p) => (p.name ?? '') === (sp.name ?? '') && (p.protocol ?? 'TCP') === protocol);
    if (!ep || ep.port === undefined) continue;
    for (const e of es.endpoints ?? []) if (e.conditions?.ready !== false) for (const a of e.addresses.slice(0, 1)) backends.push({ address: a, port: ep.port });
  }
  return { name: `${ns}/${name}`, backends };
}

export function netpolExplainCommand(state: ClusterState, src: string, dst: string, o: NetpolExplainOptions): CommandResult {
  const protocol = protocolOf(o.protocol);
  const output = outputOf(o.output);
  const inputs = inputsOf(state);
  const note = enforcementNote(state.spec.cni.type);
  const s = resolvePeer(src, o.namespace, inputs.pods);
  const svc = findService(state, dst, o.namespace);
  if (svc) {
    // Policies judge the connection after kube-proxy's DNAT: one verdict per backend, on the backend's port.
    const { name, backends } = backendsOf(state, svc, o.port, protocol);
    const compiled = compile(inputs);
    const judged = backends.map((b) => {
      const d = resolvePeer(b.address, o.namespace, inputs.pods);
      return { backend: d, port: b.port, verdict: evaluateCompiled(compiled, { src: s.peer, dst: d.peer, port: b.port, protocol }) };
    });
    if (output === 'json')
      return {
        stdout: json({ src: s.peer, service: name, servicePort: o.port, protocol, backends: judged.map((j) => ({ dst: j.backend.peer, port: j.port, ...j.verdict })), enforced: false, enforcement: note }),
        stderr: '',
        exitCode: 0,
      };
    let out = `service ${name} ${o.port}/${protocol}: ${backends.length} ready backend${backends.length === 1 ? '' : 's'}; policies judge each after DNAT\n`;
    for (const j of judged) out += renderExplain(s.end, j.backend.end, { port: j.port, protocol }, j.verdict);
    out += `note: ${note}\n`;
    return { stdout: out, stderr: '', exitCode: 0 };
  }
  const d = resolvePeer(dst, o.namespace, inputs.pods);
  const v = evaluateCompiled(compile(inputs), { src: s.peer, dst: d.peer, port: o.port, protocol });
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
    .argument('<dst>', 'destination pod (name, ns/name or its IP), an IP, or a Service (svc/NAME or its ClusterIP: each backend is judged after DNAT)')
    .requiredOption('--port <n>', 'destination port: the container port, or for a Service its service port', parseIntOpt('--port', 1, 65535))
    .option('--protocol <proto>', 'TCP, UDP or SCTP', 'TCP')
    .option('-n, --namespace <ns>', 'namespace of pods given by name', 'default')
    .option('-o, --output <format>', 'json')
    .action((src: string, dst: string, opts: NetpolExplainOptions, cmd: Command) => {
      const s = openSession(cmd);
      emit(netpolExplainCommand(s.stored.state, src, dst, opts));
    });
}
