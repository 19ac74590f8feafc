// `kubewire policy ...` (alias `netpol`): what NetworkPolicies allow, by the API's semantics (src/netpol),
// and what enforces them on this cluster (Calico's Felix, the VPC CNI's network policy agent, or nothing).
//   policy matrix   — all ordered pairs of pods as a truth table ("." allowed, "X" denied), JSON, CSV or
//                     Markdown; from the current cluster or from files alone (-f: Namespaces, Pods, policies).
//   policy explain  — one connection: each direction with the deciding policy and rule.
//   policy diff     — the pairs whose outcome changes between two sets of files.
import type { Command } from 'commander';
import type { ClusterState } from '../../control-plane/types.ts';
import { KubewireError } from '../../errors.ts';
import {
  compile,
  describeRule,
  enforced,
  enforcementNote,
  evaluateCompiled,
  inputsOf,
  matrixOf,
  renderExplain,
  renderMatrix,
  type DirectionVerdict,
  type Matrix,
  type Peer,
  type PolicyInputs,
  type Protocol,
  type Verdict,
} from '../../netpol/index.ts';
import type { ExplainEnd } from '../../netpol/render.ts';
import type { KObject, V1EndpointSlice, V1Namespace, V1NetworkPolicy, V1Pod, V1Service } from '../../k8s/types.ts';
import { parseIPv4 } from '../../k8s/validation.ts';
import { parseObjects } from '../../inputs/k8s-objects.ts';
import { networkPolicyEnabled } from '../../cni/vpc-cni/policy-agent.ts';
import { readInputs } from '../io.ts';
import { openSession } from '../session.ts';
import { emit, parseIntOpt, type CommandResult } from './_common.ts';

export interface NetpolMatrixOptions {
  port: number;
  protocol: string;
  /** One namespace or a comma-separated list (default: "default" on a cluster, every namespace from files). */
  namespace?: string;
  allNamespaces?: boolean;
  /** table (default), json, csv or md. */
  output?: string;
  explain?: boolean;
}

export interface NetpolExplainOptions {
  port: number;
  protocol: string;
  namespace: string;
  output?: string;
}

export interface NetpolDiffOptions {
  port: number;
  protocol: string;
  output?: string;
}

function protocolOf(p: string): Protocol {
  const u = p.toUpperCase();
  if (u === 'TCP' || u === 'UDP' || u === 'SCTP') return u;
  throw new KubewireError(`invalid value for --protocol: "${p}" (must be TCP, UDP or SCTP)`);
}

type MatrixFormat = 'table' | 'json' | 'csv' | 'md';

function matrixFormatOf(o: string | undefined): MatrixFormat {
  if (o === undefined || o === 'table' || o === 'text') return 'table';
  if (o === 'json' || o === 'csv' || o === 'md') return o;
  throw new KubewireError(`invalid value for --output: "${o}" (must be table, json, csv or md)`);
}

function outputOf(o: string | undefined): 'text' | 'json' {
  if (o === undefined || o === 'text' || o === 'table') return 'text';
  if (o === 'json') return 'json';
  throw new KubewireError(`invalid value for --output: "${o}" (must be json)`);
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
const podName = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;

/** The enforcement note of a cluster: its CNI, and for the VPC CNI whether the policy agent runs. */
function clusterNote(state: ClusterState): { note: string; enforced: boolean } {
  const agent = networkPolicyEnabled(state.spec);
  return { note: enforcementNote(state.spec.cni.type, { agent }), enforced: enforced(state.spec.cni.type, { agent }) };
}

/** NetworkPolicies, Namespaces and Pods from files (other kinds are ignored), validated as the API server would. */
export function policyInputsFromFiles(paths: string[]): PolicyInputs {
  const policies: V1NetworkPolicy[] = [];
  const namespaces: V1Namespace[] = [];
  const pods: V1Pod[] = [];
  const seen = new Set<string>();
  for (const f of readInputs(paths)) {
    const parsed = parseObjects(f.text, f.file);
    if (parsed.errors.length > 0) throw parsed.errors[0]!;
    for (const o of parsed.objects as KObject[]) {
      const key = `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
      if (seen.has(key)) throw new KubewireError(`${f.file}: ${o.kind} "${o.metadata?.name}" is given more than once`);
      seen.add(key);
      if (o.kind === 'NetworkPolicy') policies.push(o as unknown as V1NetworkPolicy);
      else if (o.kind === 'Namespace') namespaces.push(o as unknown as V1Namespace);
      else if (o.kind === 'Pod') pods.push(o as unknown as V1Pod);
    }
  }
  return { policies, namespaces, pods };
}

function directionText(v: DirectionVerdict): string {
  switch (v.code) {
    case 'NotIsolated':
      return v.subject === 'hostNetwork' ? 'not isolated (hostNetwork pod)' : 'not isolated (no policy selects it)';
    case 'Allowed':
      return `allowed by ${describeRule(v.by)}`;
    case 'OwnNode':
      return "allowed (the pod's own node)";
    case 'Denied':
      return `denied: no policy allowed it (selected by ${v.selectedBy.map((r) => `${r.namespace}/${r.name}`).join(', ')})`;
  }
}

/** One cell, both directions, in one line. */
function cellText(v: Verdict): string {
  if (v.loopback) return 'allowed (a pod cannot block access to itself)';
  return `egress: ${directionText(v.egress)}; ingress: ${directionText(v.ingress)}`;
}

/** The issue's JSON: {"port","protocol","matrix":{"ns/src":{"ns/dst":true}}}, plus the verdicts with --explain. */
function matrixJson(m: Matrix, extra: Record<string, unknown>, explain: boolean): string {
  const matrix: Record<string, Record<string, boolean>> = {};
  const why: Record<string, Record<string, Verdict>> = {};
  m.pods.forEach((s, i) => {
    matrix[podName(s)] = {};
    if (explain) why[podName(s)] = {};
    m.pods.forEach((d, j) => {
      matrix[podName(s)]![podName(d)] = m.cells[i]![j]!.allowed;
      if (explain) why[podName(s)]![podName(d)] = m.cells[i]![j]!;
    });
  });
  return json({ port: m.port, protocol: m.protocol, matrix, ...(explain ? { explain: why } : {}), policies: m.policies, ...extra });
}

const csvField = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

function matrixCsv(m: Matrix, explain: boolean): string {
  const head = ['source', 'destination', 'port', 'protocol', 'allowed', ...(explain ? ['egress', 'ingress'] : [])];
  const lines = [head.join(',')];
  m.pods.forEach((s, i) =>
    m.pods.forEach((d, j) => {
      const v = m.cells[i]![j]!;
      const row = [podName(s), podName(d), String(m.port), m.protocol, String(v.allowed)];
      if (explain) row.push(v.loopback ? 'loopback' : directionText(v.egress), v.loopback ? 'loopback' : directionText(v.ingress));
      lines.push(row.map(csvField).join(','));
    }),
  );
  return lines.join('\n') + '\n';
}

function matrixMd(m: Matrix, note: string): string {
  if (m.pods.length === 0) return 'No pods in the selected namespaces.\n';
  const names = m.pods.map(podName);
  let out = `| ${m.protocol}/${m.port} | ${names.map((n) => `\`${n}\``).join(' | ')} |\n`;
  out += `|${' --- |'.repeat(names.length + 1)}\n`;
  m.pods.forEach((_, i) => (out += `| \`${names[i]}\` | ${m.cells[i]!.map((v) => (v.allowed ? '.' : 'X')).join(' | ')} |\n`));
  const allowed = m.cells.flat().filter((v) => v.allowed).length;
  out += `\nRows: source, columns: destination; "." allowed, "X" denied. ${allowed}/${names.length * names.length} allowed.\n`;
  if (note) out += `\nNote: ${note}\n`;
  return out;
}

function explainLines(m: Matrix): string {
  let out = '\n';
  m.pods.forEach((s, i) =>
    m.pods.forEach((d, j) => {
      const v = m.cells[i]![j]!;
      out += `${podName(s)} -> ${podName(d)}: ${v.allowed ? 'ALLOWED' : 'DENIED'}: ${cellText(v)}\n`;
    }),
  );
  return out;
}

function renderMatrixAs(m: Matrix, format: MatrixFormat, explain: boolean, note: { note: string; enforced?: boolean }): string {
  switch (format) {
    case 'json':
      return matrixJson(m, { ...(note.enforced !== undefined ? { enforced: note.enforced } : {}), enforcement: note.note }, explain);
    case 'csv':
      return matrixCsv(m, explain);
    case 'md':
      return matrixMd(m, note.note) + (explain ? explainLines(m) : '');
    case 'table':
      return renderMatrix(m, { note: note.note }) + (explain ? explainLines(m) : '');
  }
}

const FILES_NOTE = 'from files alone: these are the verdicts the NetworkPolicy API specifies; whether anything enforces them depends on the cluster\'s CNI.';

function namespacesOf(o: { namespace?: string; allNamespaces?: boolean }, dflt: string | undefined): string[] | undefined {
  if (o.allNamespaces) return undefined;
  const ns = o.namespace ?? dflt;
  return ns === undefined ? undefined : ns.split(',').map((x) => x.trim()).filter(Boolean);
}

/** `policy matrix` on a cluster. */
export function netpolMatrixCommand(state: ClusterState, o: NetpolMatrixOptions): CommandResult {
  const protocol = protocolOf(o.protocol);
  const format = matrixFormatOf(o.output);
  const m = matrixOf(inputsOf(state), { port: o.port, protocol, namespaces: namespacesOf(o, 'default') });
  return { stdout: renderMatrixAs(m, format, o.explain === true, clusterNote(state)), stderr: '', exitCode: 0 };
}

/** `policy matrix -f ...`: from Namespaces, Pods and NetworkPolicies in files; no cluster. */
export function netpolMatrixFromFiles(paths: string[], o: NetpolMatrixOptions): CommandResult {
  const protocol = protocolOf(o.protocol);
  const format = matrixFormatOf(o.output);
  const m = matrixOf(policyInputsFromFiles(paths), { port: o.port, protocol, namespaces: namespacesOf(o, undefined), withoutIp: true });
  return { stdout: renderMatrixAs(m, format, o.explain === true, { note: FILES_NOTE }), stderr: '', exitCode: 0 };
}

/** `policy diff -f BEFORE -f2 AFTER`: the ordered pairs of pods (present in both) whose outcome changed. */
export function netpolDiffCommand(before: string[], after: string[], o: NetpolDiffOptions): CommandResult {
  const protocol = protocolOf(o.protocol);
  const output = outputOf(o.output);
  const opts = { port: o.port, protocol, withoutIp: true };
  const a = matrixOf(policyInputsFromFiles(before), opts);
  const b = matrixOf(policyInputsFromFiles(after), opts);
  const idx = (m: Matrix) => new Map(m.pods.map((p, i) => [podName(p), i]));
  const ia = idx(a);
  const ib = idx(b);
  const common = a.pods.map(podName).filter((n) => ib.has(n));
  const changed: Array<{ src: string; dst: string; before: boolean; after: boolean; why: { before: string; after: string } }> = [];
  for (const s of common)
    for (const d of common) {
      const va = a.cells[ia.get(s)!]![ia.get(d)!]!;
      const vb = b.cells[ib.get(s)!]![ib.get(d)!]!;
      if (va.allowed !== vb.allowed) changed.push({ src: s, dst: d, before: va.allowed, after: vb.allowed, why: { before: cellText(va), after: cellText(vb) } });
    }
  const onlyBefore = a.pods.map(podName).filter((n) => !ib.has(n));
  const onlyAfter = b.pods.map(podName).filter((n) => !ia.has(n));
  if (output === 'json') return { stdout: json({ port: o.port, protocol, changed, onlyBefore, onlyAfter }), stderr: '', exitCode: 0 };
  const word = (x: boolean) => (x ? 'allowed' : 'denied');
  let out = `${protocol}/${o.port}: ${changed.length} of ${common.length * common.length} pairs changed\n`;
  for (const c of changed) out += `${c.src} -> ${c.dst}: ${word(c.before)} -> ${word(c.after)}\n  before: ${c.why.before}\n  after:  ${c.why.after}\n`;
  if (onlyBefore.length) out += `only in before: ${onlyBefore.join(', ')}\n`;
  if (onlyAfter.length) out += `only in after: ${onlyAfter.join(', ')}\n`;
  return { stdout: out, stderr: '', exitCode: 0 };
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
  const { note, enforced: isEnforced } = clusterNote(state);
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
        stdout: json({ src: s.peer, service: name, servicePort: o.port, protocol, backends: judged.map((j) => ({ dst: j.backend.peer, port: j.port, ...j.verdict })), enforced: isEnforced, enforcement: note }),
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
  if (output === 'json') return { stdout: json({ src: s.peer, dst: d.peer, port: o.port, protocol, ...v, enforced: isEnforced, enforcement: note }), stderr: '', exitCode: 0 };
  return { stdout: renderExplain(s.end, d.end, { port: o.port, protocol }, v, { note }), stderr: '', exitCode: 0 };
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

export function register(program: Command): void {
  const policy = program
    .command('policy')
    .alias('netpol')
    .description('what NetworkPolicies allow (API semantics) and what enforces them: Calico, the VPC CNI network policy agent, or nothing');

  policy
    .command('matrix')
    .description('all ordered pairs of pods as a truth table: rows = source, columns = destination, "." allowed, "X" denied')
    .option('-f, --filename <file>', 'Namespaces, Pods and NetworkPolicies from this file, directory or - (repeatable); no cluster needed', collect, [])
    .option('--port <n>', 'destination port (the container port, after Service DNAT)', parseIntOpt('--port', 1, 65535), 80)
    .option('--protocol <proto>', 'TCP, UDP or SCTP', 'TCP')
    .option('--explain', 'per cell, the policies and rules that decided each direction')
    .option('-n, --namespace <ns>', 'namespace, or a comma-separated list (default: default; with -f every namespace)')
    .option('-A, --all-namespaces', 'pods of every namespace')
    .option('-o, --output <format>', 'table (default), json, csv or md')
    .action((opts: NetpolMatrixOptions & { filename: string[] }, cmd: Command) => {
      if (opts.filename.length > 0) return emit(netpolMatrixFromFiles(opts.filename, opts));
      const s = openSession(cmd);
      emit(netpolMatrixCommand(s.stored.state, opts));
    });

  policy
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

  policy
    .command('diff')
    .description('the ordered pairs of pods whose outcome changes from the files of -f (before) to those of -f2 (after)')
    .usage('-f BEFORE... -f2 AFTER... [--port N] [--protocol P] [-o json]')
    .argument('[args...]', '-f FILE|DIR (before, repeatable) and -f2 FILE|DIR (after, repeatable; also --filename2)')
    .option('--port <n>', 'destination port', parseIntOpt('--port', 1, 65535), 80)
    .option('--protocol <proto>', 'TCP, UDP or SCTP', 'TCP')
    .option('-o, --output <format>', 'json')
    // -f2 is not a commander short option (one letter): -f and -f2 are read from the raw arguments.
    .allowUnknownOption()
    .action((args: string[], opts: NetpolDiffOptions) => {
      const { before, after } = diffFiles(args);
      emit(netpolDiffCommand(before, after, opts));
    });
}

/** Splits `-f A -f B -f2 C` (also --filename, --filename2, -f=A, -f2=C) into before and after files. */
export function diffFiles(args: string[]): { before: string[]; after: string[] } {
  const before: string[] = [];
  const after: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const m = /^(-f2|--f2|--filename2|-f|--filename)(?:=(.*))?$/.exec(a);
    if (!m) throw new KubewireError(`policy diff: unexpected argument "${a}" (give -f BEFORE and -f2 AFTER)`);
    const value = m[2] ?? args[++i];
    if (value === undefined || value === '') throw new KubewireError(`policy diff: ${m[1]} needs a file or directory`);
    (m[1] === '-f' || m[1] === '--filename' ? before : after).push(value);
  }
  if (before.length === 0) throw new KubewireError('policy diff: give the files before the change with -f FILE|DIR');
  if (after.length === 0) throw new KubewireError('policy diff: give the files after the change with -f2 FILE|DIR');
  return { before, after };
}
