// kubewire lab up|down|status|diff|ssh|exec: the cluster in real Linux network namespaces (root only).
import type { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { KubewireError } from '../../errors.ts';
import { ROOT_NS } from '../../node-state/types.ts';
import { currentLab, DEFAULT_RUN_DIR, labDown, labNamespaces, labUp, rootCheck, stateHash, type LabRecord } from '../../lab/lab.node.ts';
import { formatLabDiff, labDiff } from '../../lab/diff.node.ts';
import { labCommand, runBounded } from '../../lab/exec.node.ts';
import { labCapture, parseCapturePoint, writeCapture } from '../../lab/capture.node.ts';
import { BUSYBOX_APPLETS, NODE_TOOLS } from '../../lab/exec.ts';
import { openSession } from '../session.ts';
import { parseIntOpt } from './_common.ts';
import { registerVerify } from './lab-verify.ts';

export { BUSYBOX_APPLETS, NODE_TOOLS, boundedArgv } from '../../lab/exec.ts';

function runDirOf(cmd: Command): string {
  let c: Command | null = cmd;
  while (c) {
    const v = c.opts().runDir as string | undefined;
    if (v) return v;
    c = c.parent;
  }
  return process.env.KUBEWIRE_LAB_DIR || DEFAULT_RUN_DIR;
}

function needRoot(): void {
  const r = rootCheck();
  if (!r.ok) throw new KubewireError(r.reason);
}

function needLab(runDir: string): LabRecord {
  const rec = currentLab(runDir);
  if (!rec) throw new KubewireError(`no lab is up (lock ${runDir}/lab.lock); run \`kubewire lab up\``);
  if (!rec.complete) throw new KubewireError(`lab ${rec.id} did not finish coming up; run \`kubewire lab down\` and \`kubewire lab up\` again`);
  return rec;
}

/** Runs a lab command with the terminal's stdio, killed after `timeoutSec`; sets the exit code. */
function runIn(argv: string[], timeoutSec: number): void {
  const r = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit', timeout: timeoutSec * 1000, killSignal: 'SIGKILL' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
    process.stderr.write(`kubewire: ${argv[argv.indexOf('--') + 1] ?? argv[0]} stopped after ${timeoutSec}s\n`);
    process.exitCode = 124;
    return;
  }
  if (r.status !== 0) process.exitCode = r.status ?? 1;
}

function staleWarning(rec: LabRecord, state: Parameters<typeof stateHash>[0]): void {
  if (rec.stateHash !== stateHash(state)) process.stderr.write(`kubewire: the cluster changed since lab ${rec.id} came up; the lab shows the state of then (lab down && lab up to refresh)\n`);
}

export function register(program: Command): void {
  const lab = program
    .command('lab')
    .description('the live lab: the cluster in real Linux network namespaces (kw-<id>-*), to compare the kernel with the simulator (needs root)')
    .option('--run-dir <dir>', `lock and record directory (default: $KUBEWIRE_LAB_DIR or ${DEFAULT_RUN_DIR})`);
  registerVerify(lab);

  lab
    .command('up')
    .description('build the current cluster in network namespaces: one per node and per pod, plus the VPC fabric')
    .option('--ttl <seconds>', 'stop forwarding between ENIs and the fabric after this long', parseIntOpt('--ttl', 10, 7 * 24 * 3600), 4 * 3600)
    .action(async (opts: { ttl: number }, cmd: Command) => {
      needRoot();
      const s = openSession(cmd);
      const t0 = Date.now();
      const l = await labUp(s.stored.state, { runDir: runDirOf(cmd), ttlSeconds: opts.ttl, log: (line) => process.stdout.write(`${line}\n`) });
      process.stdout.write(`lab ${l.id} up in ${((Date.now() - t0) / 1000).toFixed(1)}s; \`kubewire lab down\` removes it\n`);
    });

  lab
    .command('down')
    .description('remove the lab (idempotent); --all also removes leftovers of a killed lab (every kw-XXXX-* namespace)')
    .option('--all', 'remove every lab namespace and record, not only the current lab')
    .action((opts: { all?: boolean }, cmd: Command) => {
      needRoot();
      const runDir = runDirOf(cmd);
      const r = labDown({ all: opts.all, runDir });
      if (r.namespaces.length || r.labs.length) {
        process.stdout.write(`removed ${r.labs.length ? `lab ${r.labs.join(', ')}: ` : ''}${r.namespaces.length} namespaces\n`);
        return;
      }
      const left = opts.all ? [] : labNamespaces(true, runDir);
      process.stdout.write(left.length ? `no lab is up in ${runDir}; ${left.length} lab namespaces exist elsewhere (kubewire lab down --all removes them)\n` : 'no lab to remove\n');
    });

  lab
    .command('status')
    .description('show the current lab and its namespaces')
    .action((_o: unknown, cmd: Command) => {
      needRoot();
      const runDir = runDirOf(cmd);
      const rec = currentLab(runDir);
      if (!rec) {
        const left = labNamespaces(true, runDir);
        process.stdout.write(left.length ? `no lab is up; ${left.length} leftover namespaces (kubewire lab down --all)\n` : 'no lab is up\n');
        return;
      }
      process.stdout.write(`lab ${rec.id}${rec.complete ? '' : ' (incomplete)'} since ${rec.startedAt}\n  fabric ${rec.fabricNs}\n`);
      for (const n of rec.nodes) {
        process.stdout.write(`  ${n.node} ${n.ns[ROOT_NS]}\n`);
        for (const [m, real] of Object.entries(n.ns)) if (m !== ROOT_NS) process.stdout.write(`    ${m} ${real}\n`);
      }
    });

  lab
    .command('diff')
    .description("compare the kernel's ip addr/route/rule/neigh/link, bridge fdb and iptables-save with kubewire's output, namespace by namespace")
    .option('--raw', 'do not blank lifetimes and chain counters')
    .option('--eks-names', 'run the tools with namespace names as on EKS (cni-* named, node root unnamed) and compare with kubewire ssh/exec output')
    .action((opts: { raw?: boolean; eksNames?: boolean }, cmd: Command) => {
      needRoot();
      const rec = needLab(runDirOf(cmd));
      const s = openSession(cmd);
      staleWarning(rec, s.stored.state);
      const r = labDiff(s.stored.state, rec, { normalize: !opts.raw, eksNames: opts.eksNames });
      process.stdout.write(formatLabDiff(r));
      if (r.diffs.length) process.exitCode = 1;
    });

  lab
    .command('ssh')
    .description(`run a real tool in a node's namespace (${NODE_TOOLS.join(', ')})`)
    .argument('<node>', 'node name, its short form (ip-192-168-1-2) or its IP')
    .argument('<command...>', 'the command, after --')
    .option('--timeout <seconds>', 'kill the command after this long', parseIntOpt('--timeout', 1, 600), 30)
    .action((node: string, command: string[], opts: { timeout: number }, cmd: Command) => {
      needRoot();
      const rec = needLab(runDirOf(cmd));
      const s = openSession(cmd);
      staleWarning(rec, s.stored.state);
      runIn(labCommand(s.stored.state, rec, runDirOf(cmd), { node }, command).argv, opts.timeout);
    });

  lab
    .command('exec')
    .description(`run a command in a pod's namespace: ${BUSYBOX_APPLETS.join(', ')} (busybox) or ${NODE_TOOLS.join(', ')}`)
    .argument('<pod>')
    .argument('<command...>', 'the command, after --')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('--timeout <seconds>', 'kill the command after this long', parseIntOpt('--timeout', 1, 600), 30)
    .action((pod: string, command: string[], opts: { namespace: string; timeout: number }, cmd: Command) => {
      needRoot();
      const rec = needLab(runDirOf(cmd));
      const s = openSession(cmd);
      staleWarning(rec, s.stored.state);
      runIn(labCommand(s.stored.state, rec, runDirOf(cmd), { pod, namespace: opts.namespace }, command).argv, opts.timeout);
    });

  lab
    .command('capture')
    .description('run real tcpdump on lab interfaces around a command: capture -i NODE:DEV [-i POD:DEV ...] -w FILE [-r] -- exec POD -- wget ...')
    .argument('<command...>', 'after --: exec POD -- CMD..., or ssh NODE -- CMD... (a leading `lab` or `kubewire lab` is allowed)')
    .requiredOption('-i, --interface <target:dev>', 'NODE:DEV or POD:DEV (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .requiredOption('-w, --write <file>', 'capture file: pcap for one interface, pcapng (one interface block per -i) for several')
    .option('-r, --read', 'print the captured packets afterwards, as `tcpdump -n -r FILE` does (real tcpdump)')
    .option('-n, --namespace <ns>', 'namespace of POD names', 'default')
    .option('--timeout <seconds>', 'kill the command after this long', parseIntOpt('--timeout', 1, 600), 30)
    .action(async (command: string[], opts: { interface: string[]; write: string; read?: boolean; namespace: string; timeout: number }, cmd: Command) => {
      needRoot();
      const runDir = runDirOf(cmd);
      const rec = needLab(runDir);
      const s = openSession(cmd);
      staleWarning(rec, s.stored.state);
      // `-- exec POD -- CMD`, also written as `-- [kubewire] lab exec POD -- CMD`.
      const words = command[0] === 'kubewire' ? command.slice(1) : command;
      const [verb, target, ...rest] = words[0] === 'lab' ? words.slice(1) : words;
      const argv = rest[0] === '--' ? rest.slice(1) : rest;
      if ((verb !== 'exec' && verb !== 'ssh') || !target || !argv.length) throw new KubewireError(`lab capture: after -- give "exec POD -- CMD..." or "ssh NODE -- CMD...", not "${command.join(' ')}"`);
      const c = labCommand(s.stored.state, rec, runDir, verb === 'ssh' ? { node: target } : { pod: target, namespace: opts.namespace }, argv);
      const points = opts.interface.map(parseCapturePoint);
      const r = await labCapture(s.stored.state, rec, points, () => runBounded(c.argv, opts.timeout * 1000), { runDir, namespace: opts.namespace });
      process.stdout.write(r.result.stdout);
      process.stderr.write(r.result.stderr);
      if (r.result.timedOut) process.stderr.write(`kubewire: ${argv[0]} stopped after ${opts.timeout}s\n`);
      writeCapture(opts.write, r.file);
      for (const t of r.tcpdump) process.stderr.write(`${t.name}: ${t.stderr.split('\n').filter((l) => /packets? captured/.test(l)).join('') || t.stderr.split('\n').pop()}\n`);
      if (opts.read) {
        const p = spawnSync('tcpdump', ['-n', '-r', opts.write], { encoding: 'utf8', timeout: 30_000 });
        process.stdout.write(p.stdout ?? '');
      }
      if (r.result.exitCode !== 0) process.exitCode = r.result.exitCode;
    });
}
