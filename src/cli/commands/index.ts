// The one list of CLI commands; each module adds its subcommands to the program.
import type { Command } from 'commander';
import { register as cluster } from './cluster.ts';
import { register as objects } from './objects.ts';
import { register as inspect } from './inspect.ts';
import { register as demo } from './demo.ts';
import { register as vpcCni } from './vpc-cni.ts';
import { register as kubeProxy } from './kube-proxy.ts';
import { register as trace } from './trace.ts';
import { register as lab } from './lab.ts';
import { register as netpol } from './netpol.ts';
import { register as exec } from './exec.ts';
import { register as capture } from './capture.ts';
import { register as cni } from './cni.ts';
import { register as rollout } from './rollout.ts';

export function registerCommands(program: Command): void {
  program.option('--state <dir>', 'state directory (default: $KUBEWIRE_STATE or ./.kubewire)');
  for (const r of [demo, cluster, objects, rollout, inspect, exec, trace, capture, cni, vpcCni, kubeProxy, netpol, lab]) r(program);
}
