// `kubectl exec POD -- PROGRAM ARGS` for the client programs kubewire models (busybox wget,
// nslookup, ping): which container runs it, whether its image has the program (else the
// container runtime's exec error, as kubectl prints it), the pod's resolv.conf, and the program
// itself, every packet of it traced through the engine. Deterministic from `seed`.

import type { ClusterState } from '../../control-plane/types.ts';
import { seededRng } from '../packet.ts';
import type { WalkWorld } from '../index.ts';
import type { AppRun } from './types.ts';
import { podResolv, type PodResolv } from './resolv.ts';
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
  /** kubectl exec -t: the program writes to a terminal; both streams arrive on stdout, in order,
   *  with the terminal's \r\n line ends. */
  tty?: boolean;
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

// Common busybox applets (present in the image, but not modelled here).
const BUSYBOX_APPLETS = new Set<string>(
  ('sh ash ls echo env sleep ps top df du cp mv rm mkdir touch head tail grep sed awk sort uniq wc date hostname id ' +
    'nc telnet traceroute ifconfig route arp netstat nslookup wget ping ping6 ip ipaddr iproute tftp ftpget httpd udhcpc ' +
    'vi less more find xargs tar gzip gunzip kill killall mount umount uname whoami tee true false test printf ' +
    'chmod chown ln readlink realpath dirname basename expr seq yes watch free uptime dmesg'
  ).split(' '),
);

/** kubelet's /etc/resolv.conf text (containerd writes search, nameserver, options in that order). */
export function resolvConfText(r: PodResolv): string {
  let s = '';
  if (r.search.length) s += `search ${r.search.join(' ')}\n`;
  for (const n of r.nameservers) s += `nameserver ${n}\n`;
  const opts = [...(r.policy === 'ClusterFirst' || r.ndots !== 1 ? [`ndots:${r.ndots}`] : []), ...Object.entries(r.options).map(([k, v]) => (v === undefined ? k : `${k}:${v}`))];
  if (opts.length) s += `options ${opts.join(' ')}\n`;
  return s;
}

/** kubelet's managed /etc/hosts (the node's own file for hostNetwork pods is not modelled). */
export function hostsFileText(pod: PodView): string {
  let s = '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n';
  const h = pod.hostname ?? pod.name;
  if (pod.ip) s += pod.subdomain ? `${pod.ip}\t${h}.${pod.subdomain}.${pod.namespace}.svc.cluster.local\t${h}\n` : `${pod.ip}\t${h}\n`;
  return s;
}

function catFiles(pod: PodView, resolv: PodResolv, argv: string[]): ProgramResult {
  let stdout = '';
  let stderr = '';
  let exitCode = 0;
  for (const f of argv.slice(1)) {
    if (f === '/etc/resolv.conf') stdout += resolvConfText(resolv);
    else if (f === '/etc/hosts' && !pod.hostNetwork) stdout += hostsFileText(pod);
    else throw new ExecError(`kubewire models only /etc/resolv.conf and /etc/hosts of a pod's files, not ${f}`);
  }
  return { stdout, stderr, exitCode };
}

/** One simple command of `sh -c` split into words (quotes and backslashes as sh does); shell
 *  syntax beyond that (pipes, redirections, expansions, lists) is refused, not guessed. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'") {
      const j = line.indexOf("'", i + 1);
      if (j < 0) throw new ExecError(`sh -c: unterminated quote in "${line}"`);
      cur += line.slice(i + 1, j);
      has = true;
      i = j;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length && '"\\$`'.includes(line[j + 1])) j++;
        else if ('$`'.includes(line[j])) throw new ExecError(`sh -c: expansions are not modelled ("${line}")`);
        cur += line[j];
      }
      if (j >= line.length) throw new ExecError(`sh -c: unterminated quote in "${line}"`);
      has = true;
      i = j;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      has = true;
    } else if (' \t'.includes(c)) {
      if (has) words.push(cur);
      cur = '';
      has = false;
    } else if ('|&;<>()$`*?[]{}~#\n'.includes(c)) {
      throw new ExecError(`sh -c: only one simple command is modelled, not "${line}"`);
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) words.push(cur);
  return words;
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
  const image = container.image ?? '';
  const has = imagePrograms(image);
  if (has === undefined) throw new ExecError(`kubewire does not know which programs image "${image}" contains (modelled: busybox, alpine, nginx, coredns)`);
  let cmd = argv;
  let viaShell = false;
  const first = (argv[0] ?? '').split('/').pop()!;
  if (has === 'busybox' && first === 'busybox' && argv.length > 1) cmd = argv.slice(1);
  else if (has === 'busybox' && (first === 'sh' || first === 'ash') && argv[1] === '-c' && argv[2] !== undefined) {
    cmd = shellWords(argv[2]);
    viaShell = true;
  }
  const program = (cmd[0] ?? '').split('/').pop()!;
  const resolv = podResolv(cluster, pod.namespace, pod);
  if (has === 'busybox' && program === 'cat' && cmd.length > 1) {
    const r = catFiles(pod, resolv, cmd);
    run.stdout += opts.tty ? toTerminal(r.stdout + r.stderr) : r.stdout;
    if (!opts.tty) run.stderr += r.stderr;
    run.exitCode = r.exitCode;
    return run;
  }
  if (has === 'busybox' && !isAppProgram(program) && BUSYBOX_APPLETS.has(program)) {
    throw new ExecError(`kubewire runs wget, nslookup, ping, cat (of /etc/resolv.conf, /etc/hosts) and ip in pods; busybox's ${program} is not modelled`);
  }
  if (viaShell && !isAppProgram(program)) {
    // The shell looks the command up in $PATH itself.
    const msg = `sh: ${cmd[0]}: not found\n`;
    if (opts.tty) run.stdout += toTerminal(msg);
    else run.stderr += msg;
    run.exitCode = 127;
    return run;
  }
  if (has === 'none' || !isAppProgram(program)) {
    run.stderr += notFoundMessage(argv[0] ?? '', rng);
    run.exitCode = 1;
    return run;
  }
  const ctx: AppContext = { state: cluster, from: { pod: pod.name, namespace: pod.namespace }, rng, ipsets: opts.ipsets, nowUs: 0, flows: run.flows, tty: opts.tty };
  let r: ProgramResult;
  if (program === 'wget') r = runWget(ctx, pod, resolv, cmd);
  else if (program === 'nslookup') r = runNslookup(ctx, resolv, cmd);
  else r = runPing(ctx, pod, resolv, cmd);
  if (opts.tty) {
    run.stdout += toTerminal(r.merged ?? r.stdout + r.stderr);
  } else {
    run.stdout += r.stdout;
    run.stderr += r.stderr;
  }
  run.exitCode = r.exitCode;
  return run;
}

/** What a terminal receives: the tty's output processing (onlcr) turns "\n" into "\r\n". */
export function toTerminal(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}
