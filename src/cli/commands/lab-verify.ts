// kubewire lab verify: run flows for real in the live lab and compare them, and every namespace's
// node state, with the simulator (src/lab/verify/, docs/lab-verify.md). Needs root and a lab.
import type { Command } from 'commander';
import { KubewireError } from '../../errors.ts';
import { currentLab, DEFAULT_RUN_DIR, rootCheck } from '../../lab/lab.node.ts';
import { formatVerify, labVerify } from '../../lab/verify/verify.node.ts';
import { openSession } from '../session.ts';
import { parseIntOpt } from './_common.ts';

function runDirOf(cmd: Command): string {
  for (let c: Command | null = cmd; c; c = c.parent) {
    const v = c.opts().runDir as string | undefined;
    if (v) return v;
  }
  return process.env.KUBEWIRE_LAB_DIR || DEFAULT_RUN_DIR;
}

export function registerVerify(lab: Command): void {
  lab
    .command('verify')
    .description('run flows in the lab (pod→pod, ClusterIP, NodePort, node→pod, DNS, no endpoints, outside the VPC, ICMP), capture every interface of their paths and compare with the simulator; diff the node state; with NetworkPolicies, connect pod pairs and compare the kernel with the policy matrix and the engine; exit 1 on any disagreement')
    .option('--flows <n>', 'how many flows (default: one per category the cluster allows)', parseIntOpt('--flows', 1, 200))
    .option('--seed <s>', 'seed for picking sources, targets and client ports', parseIntOpt('--seed', 0, 2 ** 31 - 1), 1)
    .option('--timeout <seconds>', 'how long a probe waits for an answer', parseIntOpt('--timeout', 1, 30), 2)
    .option('--no-node-state', 'skip the node-state diff')
    .option('--policy-pairs <n>', 'NetworkPolicy section: at most this many ordered pod pairs, chosen with the seed (0 skips the section)', parseIntOpt('--policy-pairs', 0, 10000), 64)
    .option('--policy-port <port>', "NetworkPolicy section: connect to this TCP port (default: each destination pod's first listening TCP port)", parseIntOpt('--policy-port', 1, 65535))
    .option('--policy-only', 'only the NetworkPolicy section (no flows, no node-state diff)')
    .option('-o, --output <format>', 'text (default) or json')
    .action(async (opts: { flows?: number; seed: number; timeout: number; nodeState: boolean; policyPairs: number; policyPort?: number; policyOnly?: boolean; output?: string }, cmd: Command) => {
      if (opts.output !== undefined && opts.output !== 'text' && opts.output !== 'json') throw new KubewireError(`invalid -o "${opts.output}" (must be text or json)`);
      const root = rootCheck();
      if (!root.ok) throw new KubewireError(root.reason);
      const runDir = runDirOf(cmd);
      const rec = currentLab(runDir);
      if (!rec) throw new KubewireError(`no lab is up (lock ${runDir}/lab.lock); run \`kubewire lab up\``);
      const s = openSession(cmd);
      const r = await labVerify(s.stored.state, rec, {
        seed: opts.seed,
        flows: opts.flows,
        timeoutSec: opts.timeout,
        skipState: !opts.nodeState,
        policyPairs: opts.policyPairs,
        policyPort: opts.policyPort,
        policyOnly: opts.policyOnly === true,
        log: (line) => process.stderr.write(`kubewire: ${line}\n`),
      });
      process.stdout.write(opts.output === 'json' ? JSON.stringify(r, null, 2) + '\n' : formatVerify(r));
      if (r.disagreements > 0) process.exitCode = 1;
    });
}
