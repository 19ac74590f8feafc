// Running a real program in a lab pod or node (Node only, root): `ip netns exec` into the lab's
// namespace, with the EKS view of /run/netns and the pod's kubelet-written /etc/resolv.conf and
// /etc/hosts (src/lab/view.ts), the program bounded (src/lab/exec.ts) and killed after a timeout.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterState } from '../control-plane/types.ts';
import { KubewireError } from '../errors.ts';
import { findNode, findPodNetns } from '../k8s/lookup.ts';
import { ROOT_NS } from '../node-state/types.ts';
import { allowedProgram, boundedArgv } from './exec.ts';
import type { LabRecord } from './lab.node.ts';
import { viewArgv } from './view.ts';
import { podEtcDir } from './workloads.node.ts';

export type LabExecTarget = { pod: string; namespace?: string } | { node: string };

export interface LabExecResult {
  stdout: string;
  stderr: string;
  /** Exit status; 124 when killed by the timeout. */
  exitCode: number;
  timedOut: boolean;
}

export interface LabCommand {
  /** Real namespace the command runs in. */
  netns: string;
  /** Full argv to spawn (`ip netns exec ... python3 view ... busybox wget ...`). */
  argv: string[];
  /** What the target was resolved to (for messages). */
  where: string;
}

/**
 * Resolves `target` in the lab and builds the argv that runs `command` there (allowed tools only,
 * probes bounded). A pod sees no /run/netns names and its own /etc/resolv.conf and /etc/hosts; a node
 * (or a hostNetwork pod) sees its pods' namespaces under their cni-... names.
 */
export function labCommand(state: ClusterState, record: LabRecord, runDir: string, target: LabExecTarget, command: string[]): LabCommand {
  const isNode = 'node' in target;
  const allowed = allowedProgram(command, isNode);
  if (allowed.error) throw new KubewireError(allowed.error);
  const argv = boundedArgv([allowed.prog, ...command.slice(1)]);
  let nodeName: string;
  let netns: string;
  let where: string;
  const binds: Record<string, string> = {};
  if (isNode) {
    nodeName = findNode(state, target.node).name;
    netns = ROOT_NS;
    where = `node ${nodeName}`;
  } else {
    const ns = target.namespace ?? 'default';
    const w = findPodNetns(state, ns, target.pod);
    nodeName = w.node;
    netns = w.netns;
    where = `pod ${ns}/${target.pod}`;
    const etc = podEtcDir(runDir, record.id, ns, target.pod);
    for (const f of ['resolv.conf', 'hosts']) if (existsSync(join(etc, f))) binds[`/etc/${f}`] = join(etc, f);
  }
  const nn = record.nodes.find((x) => x.node === nodeName);
  const real = nn?.ns[netns];
  if (!nn || !real) throw new KubewireError(`${where} was not in the cluster when lab ${record.id} came up`);
  const view = netns === ROOT_NS ? Object.fromEntries(Object.entries(nn.ns).filter(([m]) => m !== ROOT_NS)) : {};
  return { netns: real, argv: ['ip', 'netns', 'exec', real, ...viewArgv(view, argv, binds)], where };
}

/** Runs `command` in a lab pod or node and collects its output (killed after `timeoutMs`, default 30 s). */
export function labExec(
  state: ClusterState,
  record: LabRecord,
  target: LabExecTarget,
  command: string[],
  opts: { runDir: string; timeoutMs?: number },
): Promise<LabExecResult> {
  const c = labCommand(state, record, opts.runDir, target, command);
  return runBounded(c.argv, opts.timeoutMs ?? 30_000);
}

/** Spawns argv, collects stdout/stderr, SIGKILLs its process group after `timeoutMs`. */
export function runBounded(argv: string[], timeoutMs: number): Promise<LabExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(t);
      reject(new KubewireError(`${argv[0]}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(t);
      resolve({ stdout, stderr, exitCode: timedOut ? 124 : code ?? (signal ? 128 : 1), timedOut });
    });
  });
}
