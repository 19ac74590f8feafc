// `kubewire vpc-cni ...`: the Amazon VPC CNI's own views (max pods per instance type).
import type { Command } from 'commander';
import { knownInstanceTypes, instanceLimits } from '../../aws/instance-limits.ts';
import { computeMaxPods, type MaxPodsOptions } from '../../cni/vpc-cni/max-pods.ts';
import { ipamdStatus, renderIpamdStatus } from '../../cni/vpc-cni/status.ts';
import { findNode } from '../../k8s/lookup.ts';
import { openSession } from '../session.ts';
import { KubewireError } from '../../errors.ts';
import { emit, parseIntOpt, type CommandResult } from './_common.ts';

export interface MaxPodsCliOptions {
  instanceType?: string[];
  customNetworking?: boolean;
  prefixDelegation?: boolean;
  cniVersion?: string;
  cniMaxEni?: number;
  showMaxAllowed?: boolean;
  maxPodsPerNode?: number;
}

/** `TYPE<TAB>MAXPODS` lines for the given types (all known types, byte-sorted, when none). */
export function maxPodsCommand(o: MaxPodsCliOptions): CommandResult {
  const types = o.instanceType && o.instanceType.length > 0 ? o.instanceType : knownInstanceTypes();
  const opts: MaxPodsOptions = {
    customNetworking: o.customNetworking,
    prefixDelegation: o.prefixDelegation,
    cniVersion: o.cniVersion,
    maxEni: o.cniMaxEni,
    showMaxAllowed: o.showMaxAllowed,
    maxPodsPerNode: o.maxPodsPerNode,
  };
  // Validate every requested name before printing anything.
  const limits = types.map((t) => instanceLimits(t));
  let stdout = '';
  for (const l of limits) stdout += `${l.instanceType}\t${computeMaxPods(l, opts).maxPods}\n`;
  return { stdout, stderr: '', exitCode: 0 };
}

export function register(program: Command): void {
  const vpc = program.command('vpc-cni').description('Amazon VPC CNI (aws-node): max pods, ipamd state');
  vpc
    .command('max-pods')
    .description(
      'Max pods per instance type: ENIs × (IPv4 per ENI − 1) + 2 (misc/eni-max-pods.txt); with --cni-version or ' +
        '--prefix-delegation, the value max-pods-calculator.sh recommends (capped at 110, or 250 above 30 vCPUs)',
    )
    .option('--instance-type <type...>', 'instance type(s); all known types when omitted')
    .option('--custom-networking', 'AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=true: the primary ENI hosts no pods')
    .option('--prefix-delegation', 'ENABLE_PREFIX_DELEGATION=true (Nitro instances, CNI >= 1.9)')
    .option('--cni-version <version>', 'VPC CNI version, e.g. 1.19.0 (selects the calculator and its cap)')
    .option('--cni-max-eni <n>', 'use at most this many ENIs', parseIntOpt('--cni-max-eni', 1, 1000))
    .option('--show-max-allowed', 'do not apply the 110/250 cap')
    .option('--max-pods-per-node <n>', 'eksctl maxPodsPerNode: kubelet --max-pods override', parseIntOpt('--max-pods-per-node', 1, 100000))
    .action((o: MaxPodsCliOptions) => emit(maxPodsCommand(o)));

  vpc
    .command('status')
    .description("ipamd's view of a node (or every node): ENIs, secondary IPs/prefixes, pod assignments, warm-pool settings")
    .argument('[node]', 'node name, its short form (ip-192-168-1-2), instance id or IP')
    .option('-o, --output <format>', 'text (default) or json')
    .action((node: string | undefined, o: { output?: string }, cmd: Command) => {
      if (o.output && o.output !== 'json' && o.output !== 'text') {
        throw new KubewireError(`unknown output format "${o.output}" (use text or json)`);
      }
      const s = openSession(cmd);
      const name = node ? findNode(s.stored.state, node).name : undefined;
      const st = ipamdStatus(s.stored.state, name);
      emit({ stdout: o.output === 'json' ? JSON.stringify(st, null, 2) + '\n' : renderIpamdStatus(st), stderr: '', exitCode: 0 });
    });
}
