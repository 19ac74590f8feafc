// Read-only views: get, describe, and the node shell (ssh NODE -- ...); `exec POD` is in exec.ts.
import type { Command } from 'commander';
import { KubewireError } from '../../errors.ts';
import { renderGet, renderDescribe } from '../../render/kubectl/index.ts';
import { runShellCommand } from '../../render/shell.ts';
import { findNode, simulatedDate } from '../../k8s/lookup.ts';
import { openSession } from '../session.ts';
import { emit } from './_common.ts';

export function register(program: Command): void {
  program
    .command('get')
    .description('list objects like kubectl get (pods, nodes, svc, endpointslices, networkpolicies, deploy, rs, ds, ns, events)')
    .argument('<resource>', 'resource type; several may be comma-separated (svc,endpointslices)')
    .argument('[names...]', 'object names')
    .option('-o, --output <format>', 'wide, yaml, json or name')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-A, --all-namespaces', 'list across all namespaces')
    .option('-l, --selector <selector>', 'label selector, e.g. app=nginx')
    .option('--show-labels', 'add a LABELS column')
    .action((resource: string, names: string[], opts: { output?: string; namespace: string; allNamespaces?: boolean; selector?: string; showLabels?: boolean }, cmd: Command) => {
      if (opts.output && !['wide', 'yaml', 'json', 'name'].includes(opts.output)) {
        throw new KubewireError(`unable to match a printer suitable for the output format "${opts.output}", allowed formats are: json,name,wide,yaml`);
      }
      const s = openSession(cmd);
      emit(
        renderGet(s.stored.state, {
          resource,
          names: names.length ? names : undefined,
          namespace: opts.namespace,
          allNamespaces: opts.allNamespaces,
          output: opts.output as 'wide' | undefined,
          selector: opts.selector,
          showLabels: opts.showLabels,
        }),
      );
    });

  program
    .command('describe')
    .description('show details and events of an object (pod, node, service, deployment, ...)')
    .argument('<resource>')
    .argument('<name>')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .action((resource: string, name: string, opts: { namespace: string }, cmd: Command) => {
      const s = openSession(cmd);
      emit(renderDescribe(s.stored.state, { resource, name, namespace: opts.namespace }));
    });

  program
    .command('ssh')
    .description("run a networking command in a node's root namespace: ip addr|link|route|rule|neigh, bridge fdb show, iptables-save")
    .argument('<node>', 'node name, its short form (ip-192-168-1-2) or its IP')
    .argument('<command...>', 'the command, after --')
    .action((node: string, command: string[], _o: unknown, cmd: Command) => {
      const s = openSession(cmd);
      const n = findNode(s.stored.state, node);
      emit(runShellCommand(s.stored.state.hosts[n.name], 'root', command, simulatedDate(s.stored.state)));
    });
}
