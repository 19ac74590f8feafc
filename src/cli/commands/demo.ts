// kubewire demo: the seed's story on the embedded default cluster, in memory (no state is written).
// It grows as issues land: initial state → nginx x3 → Service on 8080 → each node's kernel state.
import type { Command } from 'commander';
import type { ClusterState } from '../../control-plane/types.ts';
import { generateDeployment, generatePod, generateService } from '../../k8s/generators.ts';
import { tracePacket, renderTraceText } from '../../engine/index.ts';
import { admitObject } from '../../inputs/k8s-objects.ts';
import { renderGet } from '../../render/kubectl/index.ts';
import { runShellCommand } from '../../render/shell.ts';
import { simulatedDate } from '../../k8s/lookup.ts';
import { newCluster, runOperation, DEFAULT_SEED } from '../session.ts';
import { ipsetsOf } from '../../cni/index.ts';
import { parseIntOpt } from './_common.ts';

function section(title: string): void {
  process.stdout.write(`\n=== ${title} ===\n`);
}

function show(cmdline: string, out: { stdout: string; stderr: string }): void {
  process.stdout.write(`$ ${cmdline}\n${out.stdout}${out.stderr}`);
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('build the default EKS cluster, deploy nginx x3, expose it on 8080, show pods, Service and node state, and trace busybox → the Service hop by hop')
    .option('--seed <n>', 'seed for names, IPs and scheduling ties', parseIntOpt('--seed', 0, 2 ** 31 - 1), DEFAULT_SEED)
    .action((opts: { seed: number }) => {
      const stored = newCluster(undefined, '<embedded default>', opts.seed);
      let st: ClusterState = stored.state;
      const get = (resource: string, o: { output?: 'wide'; allNamespaces?: boolean } = {}) =>
        renderGet(st, { resource, namespace: 'default', ...o });

      section(`Initial state: EKS cluster "${st.spec.name}" in ${st.spec.region}, CNI ${st.spec.cni.type}`);
      show('kubectl get nodes -o wide', get('nodes', { output: 'wide' }));
      show('kubectl get pods -A -o wide', get('pods', { allNamespaces: true, output: 'wide' }));
      show('kubectl get svc -A', get('svc', { allNamespaces: true }));

      section('Deploy nginx x3 and expose it on port 8080');
      const deploy = generateDeployment({ name: 'nginx', image: ['nginx'], replicas: 3, port: 80, namespace: 'default' });
      st = runOperation(st, { op: 'apply', source: 'demo', objects: [admitObject(deploy)] }).state;
      process.stdout.write('$ kubectl create deployment nginx --image=nginx --replicas=3 --port=80\ndeployment.apps/nginx created\n');
      const svc = generateService({ target: st.objects['Deployment/default/nginx'], port: 8080, targetPort: '80' });
      st = runOperation(st, { op: 'apply', source: 'demo', objects: [admitObject(svc)] }).state;
      process.stdout.write('$ kubectl expose deployment nginx --port=8080 --target-port=80\nservice/nginx exposed\n');
      show('kubectl get pods -o wide', get('pods', { output: 'wide' }));
      show('kubectl get svc nginx', renderGet(st, { resource: 'svc', names: ['nginx'], namespace: 'default' }));
      show('kubectl get endpointslices', get('endpointslices'));

      const pod = Object.values(st.objects).find((o) => o.kind === 'Pod' && o.metadata.namespace === 'default' && (o as any).spec?.nodeName);
      const nodeName: string = (pod as any)?.spec?.nodeName ?? st.nodes[0].name;
      section(`Node ${nodeName}: what its kernel holds`);
      const date = simulatedDate(st);
      for (const c of [['ip', 'addr'], ['ip', 'route'], ['ip', 'rule']]) {
        show(`ssh ${nodeName} -- ${c.join(' ')}`, runShellCommand(st.hosts[nodeName], 'root', c, date));
      }
      section('busybox → nginx Service: the packet, hop by hop (one seeded run; `kubewire trace` lists every endpoint branch)');
      const busybox = generatePod({ name: 'busybox', image: 'busybox', namespace: 'default', args: ['sleep', '3600'] });
      st = runOperation(st, { op: 'apply', source: 'demo', objects: [admitObject(busybox)] }).state;
      process.stdout.write('$ kubectl run busybox --image=busybox -- sleep 3600\npod/busybox created\n');
      const ip = (st.objects['Service/default/nginx'] as { spec?: { clusterIP?: string } }).spec?.clusterIP ?? '';
      process.stdout.write('$ kubewire trace pod/busybox svc/nginx:8080 --seed 1\n');
      process.stdout.write(
        renderTraceText(tracePacket(st, { from: { pod: 'busybox', namespace: 'default' }, dst: ip, dport: 8080, protocol: 'TCP' }, { seed: opts.seed, enumerate: false, ipsets: ipsetsOf(st) })),
      );

      process.stdout.write('\nNext: `bin/kubewire --help`; this demo kept nothing — `bin/kubewire apply -f examples/` builds a persistent cluster in .kubewire/.\n');
    });
}
