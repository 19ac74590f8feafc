// kubewire capture -i WHERE [-i WHERE ...] [-w FILE] [--format pcapng|pcap] [-r] -- exec [-n NS] [-c C] POD -- CMD...
// Runs a client program in a pod as `kubewire exec` does and records the frames of its whole
// exchange on the named devices (or every device along its path) as tcpdump there would: one
// pcapng with an interface block per device, one classic pcap per device, or tcpdump-like text.
import type { Command } from 'commander';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { KubewireError } from '../../errors.ts';
import { ExecError, runPodCommand } from '../../engine/apps/index.ts';
import { ipsetsOf } from '../../cni/index.ts';
import { captureFiles, captureRun, captureSummary, resolvePoint, type CapturePoint } from '../../capture/index.ts';
import { openSession } from '../session.ts';
import { parseIntOpt } from './_common.ts';

interface CaptureOpts {
  interface?: string[];
  path?: boolean;
  write?: string;
  format: string;
  read?: boolean;
  link?: boolean;
  verbose?: boolean;
  seed?: number;
}

interface ExecSpec {
  namespace: string;
  container?: string;
  pod: string;
  argv: string[];
}

/** `exec [-n NS] [-c C] POD [--] CMD...` after capture's `--`. */
export function parseExecSpec(args: readonly string[]): ExecSpec {
  if (args[0] !== 'exec') throw new KubewireError(`capture: expected "-- exec [-n NS] POD -- COMMAND...", got "${args.join(' ')}"`);
  let namespace = 'default';
  let container: string | undefined;
  let i = 1;
  const value = (flag: string) => {
    const v = args[i + 1];
    if (v === undefined || v === '--') throw new KubewireError(`capture: exec ${flag} needs a value`);
    i += 2;
    return v;
  };
  for (;;) {
    const a = args[i];
    if (a === '-n' || a === '--namespace') namespace = value(a);
    else if (a?.startsWith('--namespace=')) (namespace = a.slice(12)), i++;
    else if (a === '-c' || a === '--container') container = value(a);
    else if (a?.startsWith('--container=')) (container = a.slice(12)), i++;
    else break;
  }
  const pod = args[i++];
  if (!pod || pod === '--') throw new KubewireError('capture: exec needs a pod');
  if (args[i] === '--') i++;
  const argv = args.slice(i);
  if (!argv.length) throw new KubewireError(`capture: exec ${pod} needs a command (e.g. -- wget -qO- http://nginx:8080)`);
  return { namespace, container, pod, argv };
}

/** Writes every file or none: each goes to a temporary name first, then all are renamed. */
function writeAllAtomically(files: ReadonlyArray<{ name: string; bytes: Uint8Array }>): void {
  const tmps: string[] = [];
  try {
    for (const f of files) {
      const tmp = `${f.name}.tmp-${process.pid}`;
      tmps.push(tmp);
      const fd = openSync(tmp, 'w');
      try {
        writeSync(fd, f.bytes);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  } catch (e) {
    for (const t of tmps) rmSync(t, { force: true });
    const err = e as NodeJS.ErrnoException;
    throw new KubewireError(`capture: cannot write ${files[tmps.length - 1]?.name ?? ''}: ${err.code ?? err.message}`);
  }
  files.forEach((f, i) => renameSync(tmps[i], f.name));
}

export function register(program: Command): void {
  program
    .command('capture')
    .description('record what a command run in a pod puts on the wire, on any device of any node or pod (tcpdump/tshark-readable pcapng or pcap)')
    .argument('<exec...>', 'exec [-n NS] [-c CONTAINER] POD -- COMMAND..., after --')
    .option('-i, --interface <where>', 'NODE:DEV, POD:DEV or NS/POD:DEV (repeatable); NODE:ethN means the N-th ENI (eth0 = ens5 on AL2023); "path": every device along the way', (v: string, prev: string[] = []) => [...prev, v])
    .option('--path', 'capture on every device the exchange crosses (same as -i path)')
    .option('-w, --write <file>', 'write the capture to FILE (pcapng; with --format pcap one FILE.<node-or-pod>_<dev>.pcap per device); - for standard output')
    .option('--format <format>', 'pcapng (one file, one interface block per device) or pcap (one file per device)', 'pcapng')
    .option('-r, --read', 'print a tcpdump-like line per packet instead of (or as well as, with -w) writing a file')
    .option('-e', 'with -r: print link-level headers (MACs), as tcpdump -e')
    .option('-v, --verbose', 'with -r: IP header details and payloads, as tcpdump -v')
    .option('--seed <n>', 'seed for the random choices (ports, DNS ids, Service endpoints, ISNs); default: the cluster\'s', parseIntOpt('--seed', 0, 2 ** 31 - 1))
    .addHelpText('after', '\nExample:\n  kubewire capture -i ip-192-168-23-84:ens5 -i busybox:eth0 -w out.pcapng -- exec busybox -- wget -qO- http://nginx:8080\n  kubewire capture --path -r -- exec busybox -- wget -qO- http://nginx:8080')
    .action((execArgs: string[], opts: CaptureOpts & { e?: boolean }, cmd: Command) => {
      if (opts.format !== 'pcapng' && opts.format !== 'pcap') throw new KubewireError(`invalid --format "${opts.format}" (must be pcapng or pcap)`);
      if (!opts.write && !opts.read) throw new KubewireError('capture: say where the packets go: -w FILE to write a capture, -r to print them');
      const wheres = opts.interface ?? [];
      const path = opts.path || wheres.includes('path');
      const named = wheres.filter((w) => w !== 'path');
      if (!path && !named.length) throw new KubewireError('capture: name at least one device with -i NODE:DEV or POD:DEV, or capture along the whole path with --path');
      const spec = parseExecSpec(execArgs);
      const s = openSession(cmd);
      const state = s.stored.state;
      const points: CapturePoint[] = named.map((w) => resolvePoint(state, w, spec.namespace));
      let run;
      try {
        run = runPodCommand(state, { namespace: spec.namespace, pod: spec.pod }, spec.argv, { seed: opts.seed ?? s.stored.seed, ipsets: ipsetsOf(state), container: spec.container });
      } catch (e) {
        if (!(e instanceof ExecError)) throw e;
        throw new KubewireError(e.message.startsWith('pods "') ? `Error from server (NotFound): ${e.message}` : e.message);
      }
      let result = captureRun(state, run, path ? 'path' : points, { seed: opts.seed ?? s.stored.seed });
      if (path && points.length) {
        // Named points first (in the order given), then the rest of the path.
        const seen = new Set(points.map((p) => p.name));
        result = captureRun(state, run, [...points, ...result.points.filter((p) => !seen.has(p.name))], { seed: opts.seed ?? s.stored.seed });
      }
      if (run.stderr) process.stderr.write(run.stderr);
      if (!result.points.length) {
        // --path of a command that sent nothing: no device to name, so no capture file either.
        throw new KubewireError(`capture: "${spec.argv.join(' ')}" sent no packets, so there is no path to capture on`);
      }
      if (opts.read) {
        const lines = captureSummary(result, { link: opts.e, verbose: opts.verbose });
        if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
      }
      if (opts.write === '-') {
        // As tcpdump -w -: the capture on standard output, for a pipe into tshark -r - or tcpdump -r -.
        if (opts.read) throw new KubewireError('capture: -w - and -r both write to standard output; use one');
        if (opts.format === 'pcap' && result.points.length !== 1) throw new KubewireError(`capture: --format pcap -w - needs exactly one device (got ${result.points.length}); pcapng holds several`);
        const [f] = captureFiles(result, opts.format as 'pcapng' | 'pcap', 'stdout');
        process.stdout.write(f.bytes);
      } else if (opts.write) {
        const files = captureFiles(result, opts.format as 'pcapng' | 'pcap', opts.write);
        writeAllAtomically(files);
        for (const f of files) {
          const n = f.point ? result.packets.filter((p) => p.interfaceId === result.points.indexOf(f.point!)).length : result.packets.length;
          process.stderr.write(`kubewire: wrote ${n} packet${n === 1 ? '' : 's'} to ${f.name}${f.point ? ` (${f.point.name})` : ` (${result.points.length} interface${result.points.length === 1 ? '' : 's'}: ${result.points.map((p) => p.name).join(', ')})`}\n`);
        }
      }
      if (!result.packets.length) process.stderr.write(`kubewire: no packet of "${spec.argv.join(' ')}" crossed ${result.points.map((p) => p.name).join(', ') || 'any device'}\n`);
      // As `kubectl exec` does, the command's status is the exit status (the capture is written anyway).
      if (run.exitCode !== 0) {
        process.stderr.write(`kubewire: ${spec.argv[0]} exited with status ${run.exitCode}\n`);
        process.exitCode = run.exitCode;
      }
    });
}
