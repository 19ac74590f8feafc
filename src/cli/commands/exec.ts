// kubewire exec [-n NS] [-c CONTAINER] POD -- COMMAND...: a command in a pod, as `kubectl exec`
// runs it. iproute2 / bridge / iptables-save print the pod's network namespace (src/render/shell.ts);
// the client programs busybox ships (wget, nslookup, ping) run through the packet engine
// (src/engine/apps), printing what busybox prints and exiting with its status. --trace appends
// the hop-by-hop trace of every packet exchange the program made, in order.
import type { Command } from 'commander';
import { KubewireError } from '../../errors.ts';
import { runShellCommand } from '../../render/shell.ts';
import { findPodNetns, simulatedDate } from '../../k8s/lookup.ts';
import { renderTraceText } from '../../engine/index.ts';
import { ExecError, runPodCommand, toTerminal, type AppFlow, type AppRun } from '../../engine/apps/index.ts';
import { ipsetsOf } from '../../cni/index.ts';
import { openSession } from '../session.ts';
import { emit, parseIntOpt } from './_common.ts';

/** Programs answered from the namespace's state rather than run. */
const STATE_PROGRAMS = new Set(['ip', 'bridge', 'iptables-save', 'iptables-nft-save', 'ip6tables-save', 'ip6tables-nft-save']);

function seconds(us: number): string {
  return `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}s`;
}

/** One line naming what a flow is: "DNS A nginx.default.svc.cluster.local → 10.100.0.10:53". */
export function flowHeading(f: AppFlow): string {
  const p = f.probe;
  const to = p.protocol === 'ICMP' ? p.dst : `${p.dst}:${p.dport}`;
  if (f.kind === 'dns' && f.dns) return `DNS ${f.dns.qtype} ${f.dns.name} → ${to} (id ${f.dns.id}, from udp/${p.sport})`;
  if (f.kind === 'http' && f.http) return `HTTP ${f.http.method} http://${f.http.host}${f.http.path} → ${to} (from tcp/${p.sport})`;
  if (f.kind === 'icmp') return `ICMP echo request → ${to} (id ${p.sport}, seq ${f.icmpSeq ?? 0})`;
  return `${p.protocol} → ${to}`;
}

/** What came back, in one line ("" when nothing did). */
function flowResult(f: AppFlow): string {
  if (f.dns) {
    if (!f.dns.answered) return 'no answer';
    return `answer ${f.dns.rcode}${f.dns.answers.length ? ` ${f.dns.answers.join(' ')} (ttl ${f.dns.ttl})` : ''}${f.dns.aa === false ? ', not authoritative' : ''}`;
  }
  if (f.http) return f.http.status === undefined ? 'no response' : `response ${f.http.status} from ${f.http.server ?? 'the server'}, ${f.http.body?.length ?? 0} bytes of body`;
  return '';
}

export function renderAppTrace(run: AppRun): string {
  let s = '';
  run.flows.forEach((f, i) => {
    s += `\n=== flow ${i + 1}/${run.flows.length} at +${seconds(f.startUs)}: ${flowHeading(f)}\n`;
    const r = flowResult(f);
    if (r) s += `${r}\n`;
    s += renderTraceText(f.trace);
  });
  return s;
}

export function register(program: Command): void {
  program
    .command('exec')
    .description("run a command in a pod: ip|bridge|iptables-save show its network namespace; busybox wget, nslookup and ping run through the simulated network")
    .argument('<pod>')
    .argument('<command...>', 'the command, after --')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-c, --container <name>', 'container (default: the pod\'s default container)')
    .option('-i, --stdin', 'pass stdin to the container (accepted; the modelled programs read none)')
    .option('-t, --tty', 'stdin is a TTY: the program writes to a terminal (both streams on stdout, \\r\\n line ends)')
    .option('--trace', 'append the hop-by-hop trace of every packet exchange the program made')
    .option('--seed <n>', 'seed for the random choices (ports, DNS ids, Service endpoints); default: the cluster\'s', parseIntOpt('--seed', 0, 2 ** 31 - 1))
    .option('-o, --output <format>', 'text (default) or json (the whole run: output, exit status, flows with their traces)')
    .action((pod: string, command: string[], opts: { namespace: string; container?: string; stdin?: boolean; tty?: boolean; trace?: boolean; seed?: number; output?: string }, cmd: Command) => {
      if (opts.output !== undefined && opts.output !== 'text' && opts.output !== 'json') {
        throw new KubewireError(`invalid -o "${opts.output}" (must be text or json)`);
      }
      const s = openSession(cmd);
      const state = s.stored.state;
      const prog = (command[0] ?? '').split('/').pop()!;
      if (STATE_PROGRAMS.has(prog)) {
        const where = findPodNetns(state, opts.namespace, pod);
        const r = runShellCommand(state.hosts[where.node], where.netns, command, simulatedDate(state));
        emit(opts.tty ? { stdout: toTerminal(r.stdout + r.stderr), stderr: '', exitCode: r.exitCode } : r);
        return;
      }
      let run: AppRun;
      try {
        run = runPodCommand(state, { namespace: opts.namespace, pod }, command, { seed: opts.seed ?? s.stored.seed, ipsets: ipsetsOf(state), container: opts.container, tty: opts.tty });
      } catch (e) {
        if (!(e instanceof ExecError)) throw e;
        // Errors the API server returns carry its prefix; kubectl's own checks print as "error: ...".
        if (e.message.startsWith('pods "')) throw new KubewireError(`Error from server (NotFound): ${e.message}`);
        if (/^container \S+ is not valid/.test(e.message)) throw new KubewireError(`Error from server (BadRequest): ${e.message}`);
        throw new KubewireError(e.message);
      }
      if (opts.output === 'json') {
        process.stdout.write(JSON.stringify(run, null, 2) + '\n');
        if (run.exitCode !== 0) process.exitCode = run.exitCode;
        return;
      }
      emit({ stdout: run.stdout + (opts.trace ? renderAppTrace(run) : ''), stderr: run.stderr, exitCode: run.exitCode });
    });
}
