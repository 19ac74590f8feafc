// kubewire cluster create|delete|show, and init (print the default cluster file).
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { KubewireError } from '../../errors.ts';
import { DEFAULT_CLUSTER_YAML } from '../../inputs/cluster-file.ts';
import { newCluster, DEFAULT_SEED } from '../session.ts';
import { deleteState, saveState, stateDir, stateExists, loadState } from '../state-store.ts';
import { parseIntOpt, stateOpt } from './_common.ts';

export function register(program: Command): void {
  program
    .command('init')
    .description('print the embedded default cluster file (an eksctl ClusterConfig) to start from')
    .action(() => {
      process.stdout.write(DEFAULT_CLUSTER_YAML);
    });

  const cluster = program.command('cluster').description('create, inspect or delete the simulated cluster');

  cluster
    .command('create')
    .description('create the cluster from an eksctl ClusterConfig file (default: the embedded 3-node cluster)')
    .option('-f, --file <file>', 'eksctl-style cluster file (YAML)')
    .option('--seed <n>', 'seed for every random choice (names, IPs, scheduling ties)', parseIntOpt('--seed', 0, 2 ** 31 - 1), DEFAULT_SEED)
    .option('--force', 'replace an existing cluster in the state directory')
    .action((opts: { file?: string; seed: number; force?: boolean }, cmd: Command) => {
      const dir = stateDir(stateOpt(cmd));
      if (stateExists(dir) && !opts.force) {
        throw new KubewireError(`a cluster already exists in ${dir} (use --force to replace it, or \`kubewire cluster delete\`)`);
      }
      let text: string | undefined;
      if (opts.file) {
        try {
          text = readFileSync(opts.file, 'utf8');
        } catch {
          throw new KubewireError(`cannot read cluster file "${opts.file}"`);
        }
      }
      const stored = newCluster(text, opts.file ?? '<embedded default>', opts.seed);
      saveState(dir, stored);
      const s = stored.state;
      process.stdout.write(
        `cluster "${s.spec.name}" created in ${s.spec.region} (${s.nodes.length} nodes, CNI ${s.spec.cni.type}); state in ${dir}\n`,
      );
    });

  cluster
    .command('delete')
    .description('delete the cluster state')
    .action((_o: unknown, cmd: Command) => {
      const dir = stateDir(stateOpt(cmd));
      if (!deleteState(dir)) throw new KubewireError(`no cluster in ${dir}`);
      process.stdout.write(`cluster deleted from ${dir}\n`);
    });

  cluster
    .command('show')
    .description('print the cluster file the cluster was created from')
    .action((_o: unknown, cmd: Command) => {
      const stored = loadState(stateDir(stateOpt(cmd)));
      process.stdout.write(stored.cluster.text.endsWith('\n') ? stored.cluster.text : stored.cluster.text + '\n');
    });
}
