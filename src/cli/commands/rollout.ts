// kubewire rollout restart deployment/NAME: kubectl's restart (template annotation
// kubectl.kubernetes.io/restartedAt), persisted as the patched object so a rebuild replays it.
import type { Command } from 'commander';
import { KubewireError } from '../../errors.ts';
import { resolveKind } from '../../k8s/resources.ts';
import { restartPatch, restartedLine } from '../../control-plane/rollout.ts';
import { commitOperation, openSession } from '../session.ts';

/** "deployment/nginx", "deploy nginx" → kind and name, as kubectl reads them. */
export function parseWorkloadArgs(args: string[]): { kind: string; name: string } {
  if (args.length === 1 && args[0]!.includes('/')) {
    const [type, name] = args[0]!.split('/', 2);
    if (!name) throw new KubewireError(`arguments in resource/name form must have a single resource and name`);
    return { kind: resolveKind(type!), name };
  }
  if (args.length === 2 && !args[0]!.includes('/')) return { kind: resolveKind(args[0]!), name: args[1]! };
  throw new KubewireError('required resource not specified (e.g. kubewire rollout restart deployment/nginx)');
}

export function register(program: Command): void {
  const rollout = program.command('rollout').description('manage the rollout of a Deployment or DaemonSet');
  rollout
    .command('restart')
    .description('restart a Deployment or DaemonSet: new pod template annotation, pods recreated (with the CNI the nodes run now)')
    .argument('<resource...>', 'deployment/NAME, or TYPE NAME')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .action((args: string[], opts: { namespace: string }, cmd: Command) => {
      const { kind, name } = parseWorkloadArgs(args);
      const s = openSession(cmd);
      const ref = { kind, namespace: opts.namespace, name };
      const patched = restartPatch(s.stored.state, ref);
      commitOperation(s, { op: 'apply', source: 'rollout restart', objects: [patched] });
      process.stdout.write(restartedLine(ref) + '\n');
    });
}
