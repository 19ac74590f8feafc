// `kubectl exec POD -- PROGRAM ARGS` for the client programs kubewire models (busybox wget,
// nslookup, ping): which container runs it, whether its image has the program (else the
// container runtime's exec error, as kubectl prints it), the pod's resolv.conf, and the program
// itself, every packet of it traced through the engine. Deterministic from `seed`.

import type { ClusterState } from '../../control-plane/types.ts';
import { seededRng } from '../packet.ts';
import type { WalkWorld } from '../index.ts';
import type { AppRun } from './types.ts';
import { podResolv } from './resolv.ts';
import { imagePrograms, podView, type PodView } from './workloads.ts';
import type { AppContext } from './transport.ts';
import { runWget, type ProgramResult } from './wget.ts';
import { runNslookup } from './nslookup.ts';
import { runPing } from './ping.ts';

export type { AppRun, AppFlow, DnsExchange, HttpExchange } from './types.ts';

/** The programs runPodCommand models. */
export const APP_PROGRAMS = ['wget', 'nslookup', 'ping'] as const;

export interface RunOptions {
  seed?: number;
  ipsets?: WalkWorld['ipsets'];
  /** Container name (kubectl exec -c); default: the pod's default container. */
  container?: string;
}

/** Thrown for what kubectl itself would refuse (no such pod or container, pod not running). */
export class ExecError extends Error {}

export function isAppProgram(argv0: string | undefined): boolean {
  const prog = (argv0 ?? '').split('/').pop()!;
  return (APP_PROGRAMS as readonly string[]).includes(prog);
}

/** The container `kubectl exec` uses, and the note kubectl prints when it picked one of several. */
export function execContainer(pod: PodView, name?: string): { container: PodView['containers'][number]; note?: string } {
  if (name !== undefined) {
    const c = pod.containers.find((x) => x.name === name);
    if (!c) throw new ExecError(`container ${name} is not valid for pod ${pod.name}`);
    return { container: c };
  }
  const want = pod.annotations['kubectl.kubernetes.io/default-container'];
  const c = pod.containers.find((x) => x.name === want) ?? pod.containers[0];
  if (!c) throw new ExecError(`pod ${pod.name} has no containers`);
  const note = pod.containers.length > 1 && !want ? `Defaulted container "${c.name}" out of: ${pod.containers.map((x) => x.name).join(', ')}\n` : undefined;
  return { container: c, note };
}

/** A containerd exec id (64 hex digits) from the run's generator. */
function execId(rng: () => number): string {
  let s = '';
  for (let i = 0; i < 64; i++) s += Math.floor(rng() * 16).toString(16);
  return s;
}

/** What kubectl prints when the program is not in the image (containerd + runc). */
export function notFoundMessage(program: string, rng: () => number): string {
  return (
    `error: Internal error occurred: error executing command in container: failed to exec in container: ` +
    `failed to start exec "${execId(rng)}": OCI runtime exec failed: exec failed: unable to start container process: ` +
    `exec: "${program}": executable file not found in $PATH: unknown\n`
  );
}

export function runPodCommand(cluster: ClusterState, where: { namespace: string; pod: string }, argv: string[], opts: RunOptions = {}): AppRun {
  const pod = podView(cluster, where.namespace, where.pod);
  if (!pod) throw new ExecError(`pods "${where.pod}" not found`);
  if (pod.phase === 'Succeeded' || pod.phase === 'Failed') throw new ExecError(`cannot exec into a container in a completed pod; current phase is ${pod.phase}`);
  const { container, note } = execContainer(pod, opts.container);
  if (pod.phase !== 'Running' || !pod.node || !pod.netns) throw new ExecError(`unable to upgrade connection: container not found ("${container.name}")`);
  const rng = seededRng(opts.seed ?? 1);
  const run: AppRun = {
    argv: [...argv],
    pod: { namespace: pod.namespace, name: pod.name, node: pod.node, netns: pod.netns, ip: pod.ip ?? '' },
    stdout: '',
    stderr: note ?? '',
    exitCode: 0,
    flows: [],
  };
  const program = (argv[0] ?? '').split('/').pop()!;
  const image = container.image ?? '';
  const has = imagePrograms(image);
  if (has === undefined) throw new ExecError(`kubewire does not know which programs image "${image}" contains (modelled: busybox, alpine, nginx)`);
  if (has === 'none' || !isAppProgram(program)) {
    run.stderr += notFoundMessage(argv[0] ?? '', rng);
    run.exitCode = 1;
    return run;
  }
  const ctx: AppContext = { state: cluster, from: { pod: pod.name, namespace: pod.namespace }, rng, ipsets: opts.ipsets, nowUs: 0, flows: run.flows };
  const resolv = podResolv(cluster, pod.namespace, pod);
  let r: ProgramResult;
  if (program === 'wget') r = runWget(ctx, pod, resolv, argv);
  else if (program === 'nslookup') r = runNslookup(ctx, resolv, argv);
  else r = runPing(ctx, pod, resolv, argv);
  run.stdout += r.stdout;
  run.stderr += r.stderr;
  run.exitCode = r.exitCode;
  return run;
}
