// Starts the pods' workloads in a lab (Node only): per node, one python3 server process (src/lab/
// workload-py.ts) with a config file of what each pod serves, and per pod the resolv.conf and hosts
// files `lab exec` binds over /etc. Files live in the run directory as lab-<id>-*, so `lab down`
// removes them with the lab's other files; the processes live in the node's namespace, so removing
// the namespace's processes ends them even without the record.

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

/** The python server's config for one node's pods. */
export function workloadConfig(state: ClusterState, pods: PodWorkload[], nn: NodeNames, ttl: number): object {
  const versions = [...new Set(pods.filter((p) => p.kind === 'nginx').map((p) => p.nginxVersion!))];
  return {
    ttl,
    dns: pods.some((p) => p.kind === 'coredns') ? dnsTable(state) : null,
    nginx: Object.fromEntries(versions.map((v) => [v, nginxResponses(v)])),
    pods: pods
      .filter((p) => p.listen.length)
      .map((p) => ({ pod: `${p.namespace}/${p.name}`, netns: p.netns === ROOT_NS ? null : `/run/netns/${nn.ns[p.netns]}`, kind: p.kind, listen: p.listen, version: p.nginxVersion })),
  };
}

export interface StartedWorkload {
  pid: number;
  marker: string;
}

/**
 * Writes every pod's /etc files and starts one server per node that has something to serve;
 * resolves when all of them say ready. `onSpawn` is called with each process before waiting (so
 * the caller can record it first).
 */
export async function startWorkloads(
  state: ClusterState,
  o: { runDir: string; id: string; prefix: string; nodes: NodeNames[]; ttlSeconds: number; onSpawn: (w: StartedWorkload) => void },
): Promise<PodWorkload[]> {
  const all = podWorkloads(state);
  for (const p of all) {
    const dir = podEtcDir(o.runDir, o.id, p.namespace, p.name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'resolv.conf'), p.resolvConf);
    if (p.hosts !== undefined) writeFileSync(join(dir, 'hosts'), p.hosts);
  }
  const waits: Array<{ node: string; log: string; exited: () => number | null | undefined }> = [];
  for (const nn of o.nodes) {
    const pods = all.filter((p) => p.node === nn.node && p.listen.length && nn.ns[p.netns]);
    if (!pods.length) continue;
    const cfgPath = join(o.runDir, `lab-${o.id}-work-n${nn.index}.json`);
    writeFileSync(cfgPath, JSON.stringify(workloadConfig(state, pods, nn, o.ttlSeconds)));
    const marker = `${WORKLOAD_MARKER_PREFIX}${o.prefix}-${o.id}:n${nn.index}`;
    const logPath = join(o.runDir, `lab-${o.id}-work-n${nn.index}.log`);
    const logFd = openSync(logPath, 'w');
    const rootNs = nn.ns[ROOT_NS];
    const child = spawn('ip', ['netns', 'exec', rootNs, 'python3', '-c', WORKLOAD_PY, marker, cfgPath], { stdio: ['ignore', logFd, logFd], detached: true });
    closeSync(logFd);
    let exited: number | null | undefined;
    child.on('exit', (code) => (exited = code));
    if (child.pid !== undefined) o.onSpawn({ pid: child.pid, marker });
    child.unref();
    waits.push({ node: nn.node, log: logPath, exited: () => exited });
  }
  const deadline = Date.now() + 15_000;
  for (const w of waits) {
    for (;;) {
      const text = readFileSync(w.log, 'utf8');
      if (/^ready$/m.test(text)) break;
      const ex = w.exited();
      if (ex !== undefined || Date.now() > deadline) throw new KubewireError(`workloads of node ${w.node} ${ex !== undefined ? `exited (${ex})` : 'did not start'}: ${text.trim()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  return all;
}
