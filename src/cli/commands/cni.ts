// kubewire cni migrate calico-vxlan | cni diff: switch a running VPC CNI cluster to Calico VXLAN
// the way the Calico EKS guide does, and show per node what it changed.
import type { Command } from 'commander';
import { KubewireError } from '../../errors.ts';
import { findNode } from '../../k8s/lookup.ts';
import { cniDiff, renderCniDiff } from '../../control-plane/node-diff.ts';
import type { MigrationReport } from '../../control-plane/migration.ts';
import type { CleanupResult } from '../../control-plane/aws-node-cleanup.ts';
import { commitOperation, openSession } from '../session.ts';
import type { MigrateOptions } from '../../inputs/calico-migrate.ts';

export interface MigrateCliOptions extends MigrateOptions {
  keepAwsConflist?: boolean;
}

/** The report as the command prints it: what was done on stdout, warnings on stderr. */
export function renderMigration(r: MigrationReport): { stdout: string; stderr: string } {
  let stdout = r.steps.join('\n') + '\n';
  stdout += '\nEKS caveats now in effect:\n';
  for (const c of r.caveats) stdout += `  - ${c}\n`;
  const stderr = r.warnings.map((w) => `Warning: ${w}\n`).join('');
  return { stdout, stderr };
}

export function renderCleanup(r: CleanupResult[]): string {
  return r.map((n) => `# ${n.node}\n${n.commands.map((c) => `$ ${c}\n`).join('') || '(nothing left by aws-node)\n'}`).join('');
}

export function register(program: Command): void {
  const cni = program.command('cni').description('change the cluster\'s CNI on a running cluster and see what changed on the nodes');

  cni
    .command('migrate')
    .description('migrate a running VPC CNI cluster to Calico VXLAN as the Calico EKS guide does: delete aws-node, install Calico, remove 10-aws.conflist; running pods keep their VPC IPs until recreated')
    .argument('<cni>', 'the CNI to migrate to: calico-vxlan')
    .option('--install <path>', 'operator (Tigera operator, the default on EKS) or manifest (calico-vxlan.yaml)')
    .option('--pool-cidr <cidr>', 'IP pool CIDR (operator default 172.16.0.0/16, manifest 192.168.0.0/16)')
    .option('--block-size <n>', 'IPAM block size, 20-32 (default 26)')
    .option('--vxlan-mode <mode>', 'Always, CrossSubnet or Never (operator default Always, manifest CrossSubnet)')
    .option('--ipip-mode <mode>', 'Never (IPIP needs BGP, disabled on EKS)')
    .option('--nat-outgoing <bool>', 'true or false (default true)')
    .option('--mtu <n>', 'VXLAN/pod MTU (default: host MTU - 50)')
    .option('--calico-version <v>', 'Calico release, v3.26 or newer (default the newest modelled, v3.32.1)')
    .option('--keep-aws-conflist', 'leave /etc/cni/net.d/10-aws.conflist on the nodes (containerd keeps using aws-cni, so new pods fail)')
    .action((target: string, opts: MigrateCliOptions, cmd: Command) => {
      if (target !== 'calico-vxlan') throw new KubewireError(`unsupported CNI "${target}" for cni migrate (supported: calico-vxlan)`);
      const s = openSession(cmd);
      const { keepAwsConflist, ...rest } = opts;
      const r = commitOperation(s, { op: 'cni-migrate', source: 'cni migrate', target: 'calico-vxlan', options: { ...rest, keepAwsConflist: !!keepAwsConflist } });
      const out = renderMigration(r.migration!);
      process.stderr.write(out.stderr);
      process.stdout.write(out.stdout);
    });

  cni
    .command('cleanup-aws-node')
    .description("remove what aws-node left on the nodes after a migration (its ip rules, AWS-SNAT-CHAIN-0/AWS-CONNMARK-CHAIN-0 and their hooks), as replacing the nodes would; refuses while a node still runs pods wired by the VPC CNI")
    .argument('[nodes...]', 'node names, short forms or IPs (default: every node)')
    .action((nodes: string[], _o: unknown, cmd: Command) => {
      const s = openSession(cmd);
      const names = nodes.map((n) => findNode(s.stored.state, n).name);
      const r = commitOperation(s, { op: 'cni-cleanup', source: 'cni cleanup-aws-node', nodes: names });
      process.stdout.write(renderCleanup(r.cleanup!));
    });

  cni
    .command('diff')
    .description('per node, what changed since the migration: ip addr, ip route, ip rule, ip neigh, bridge fdb, iptables-save and MTUs, as unified diffs')
    .argument('[nodes...]', 'node names, short forms or IPs (default: every node)')
    .option('-o, --output <format>', 'json: [{node, sections: [{title, diff}]}]')
    .action((nodes: string[], opts: { output?: string }, cmd: Command) => {
      if (opts.output !== undefined && opts.output !== 'json') throw new KubewireError(`invalid value for --output: "${opts.output}" (supported: json)`);
      const s = openSession(cmd);
      const state = s.stored.state;
      const names = nodes.map((n) => findNode(state, n).name);
      const d = cniDiff(state, names);
      process.stdout.write(opts.output === 'json' ? JSON.stringify(d, null, 2) + '\n' : renderCniDiff(d));
    });
}
