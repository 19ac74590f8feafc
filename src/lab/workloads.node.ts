// Starts the pods' workloads in a lab (Node only): one python3 server process for the whole lab
// (src/lab/workload-py.ts; one start-up instead of one per node) with a config file of what each
// pod serves, and per pod the resolv.conf and hosts files `lab exec` binds over /etc. Files live in
// the run directory as lab-<id>-*, so `lab down` removes them with the lab's other files; the
// process lives in the fabric namespace, so removing the lab's namespaces and their processes ends
// it even without the record.

import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterState } from '../control-plane/types.ts';
import { KubewireError } from '../errors.ts';
import { ROOT_NS } from '../node-state/types.ts';
import type { NodeNames } from './plan.ts';
import { WORKLOAD_MARKER_PREFIX, WORKLOAD_PY } from './workload-py.ts';
import { dnsTable, nginxResponses, podWorkloads, type PodWorkload } from './workloads.ts';

/** Directory of a pod's /etc files (resolv.conf, hosts) in a lab's run directory. */
export function podEtcDir(runDir: string, id: string, namespace: string, name: string): string {
  return join(runDir, `lab-${id}-etc`, namespace, name);
}

/** The python server's config: every pod with something to serve, by real namespace path. */
export function workloadConfig(state: ClusterState, pods: PodWorkload[], nodes: NodeNames[], ttl: number): object {
  const versions = [...new Set(pods.filter((p) => p.kind === 'nginx').map((p) => p.nginxVersion!))];
  const real = (p: PodWorkload) => nodes.find((n) => n.node === p.node)?.ns[p.netns];
  return {
    ttl,
    dns: pods.some((p) => p.kind === 'coredns') ? dnsTable(state) : null,
    nginx: Object.fromEntries(versions.map((v) => [v, nginxResponses(v)])),
    pods: pods
      .filter((p) => p.listen.length && real(p))
      .map((p) => ({ pod: `${p.namespace}/${p.name}`, netns: `/run/netns/${real(p)}`, kind: p.kind, listen: p.listen, version: p.nginxVersion })),
  };
}

export interface StartedWorkload {
  pid: number;
  marker: string;
}

/**
 * Writes every pod's /etc files and starts the lab's server process; resolves when it says ready.
 * `onSpawn` is called with the process before waiting (so the caller can record it first).
 */
export async function startWorkloads(
  state: ClusterState,
  o: { runDir: string; id: string; prefix: string; fabricNs: string; nodes: NodeNames[]; ttlSeconds: number; onSpawn: (w: StartedWorkload) => void },
): Promise<PodWorkload[]> {
  const all = podWorkloads(state);
  for (const p of all) {
    const dir = podEtcDir(o.runDir, o.id, p.namespace, p.name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'resolv.conf'), p.resolvConf);
    if (p.hosts !== undefined) writeFileSync(join(dir, 'hosts'), p.hosts);
  }
  const cfg = workloadConfig(state, all, o.nodes, o.ttlSeconds) as { pods: unknown[] };
  if (!cfg.pods.length) return all;
  const cfgPath = join(o.runDir, `lab-${o.id}-work.json`);
  writeFileSync(cfgPath, JSON.stringify(cfg));
  const marker = `${WORKLOAD_MARKER_PREFIX}${o.prefix}-${o.id}:lab`;
  const logPath = join(o.runDir, `lab-${o.id}-work.log`);
  const logFd = openSync(logPath, 'w');
  const child = spawn('ip', ['netns', 'exec', o.fabricNs, 'python3', '-c', WORKLOAD_PY, marker, cfgPath], { stdio: ['ignore', logFd, logFd], detached: true });
  closeSync(logFd);
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  if (child.pid !== undefined) o.onSpawn({ pid: child.pid, marker });
  child.unref();
  const deadline = Date.now() + 30_000;
  for (;;) {
    const text = readFileSync(logPath, 'utf8');
    if (/^ready$/m.test(text)) break;
    if (exited !== undefined || Date.now() > deadline) throw new KubewireError(`the pods' servers ${exited !== undefined ? `exited (${exited})` : 'did not start'}: ${text.trim()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return all;
}
