// kubewire demo: the seed's story on the embedded default cluster, in memory (no state is written;
// the captures go to --out). First half: VPC CNI, nginx x3 behind a Service on 8080, busybox wget
// through it, traced hop by hop. Second half: the running cluster migrated to Calico VXLAN as the
// Calico EKS guide does it, nginx restarted onto pool addresses, the same wget again, now over
// vxlan.calico, and a capture of a node's ens5 that shows only VXLAN between node IPs.
import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ClusterState } from '../../control-plane/types.ts';
import { generateDeployment, generatePod, generateService } from '../../k8s/generators.ts';
import { tracePacket, renderTraceText } from '../../engine/index.ts';
import { admitObject } from '../../inputs/k8s-objects.ts';
import { renderGet } from '../../render/kubectl/index.ts';
import { runShellCommand } from '../../render/shell.ts';
import { simulatedDate } from '../../k8s/lookup.ts';
import { newCluster, runOperation, DEFAULT_SEED } from '../session.ts';
import { ipsetsOf } from '../../cni/index.ts';
import { runPodCommand, type AppRun } from '../../engine/apps/index.ts';
import { captureFiles, captureRun, captureSummary } from '../../capture/index.ts';
import { pointFor } from '../../capture/points.ts';
import { restartPatch, restartedLine } from '../../control-plane/rollout.ts';
import { cniDiff } from '../../control-plane/node-diff.ts';
import { kubeletState } from '../../control-plane/kubelet.ts';
import { renderCleanup, renderMigration } from './cni.ts';
import { parseIntOpt } from './_common.ts';

function section(title: string): void {
  process.stdout.write(`\n=== ${title} ===\n`);
}

function show(cmdline: string, out: { stdout: string; stderr: string }): void {
  process.stdout.write(`$ ${cmdline}\n${out.stdout}${out.stderr}`);
}

const WGET = ['wget', '-qO-', 'http://nginx:8080'];

export function register(program: Command): void {
  program
    .command('demo')
    .description('the seed story: default EKS cluster (VPC CNI), nginx x3 behind a Service on 8080, busybox wget through it traced hop by hop; then a live migration to Calico VXLAN, nginx restarted, the same wget over vxlan.calico; pcap captures of both halves in --out')
    .option('--seed <n>', 'seed for names, IPs and scheduling ties', parseIntOpt('--seed', 0, 2 ** 31 - 1), DEFAULT_SEED)
    .option('--out <dir>', 'directory for the captures of both halves', 'kubewire-demo')
    .action((opts: { seed: number; out: string }) => {
      const stored = newCluster(undefined, '<embedded default>', opts.seed);
      let st: ClusterState = stored.state;
      const get = (resource: string, o: { output?: 'wide'; allNamespaces?: boolean } = {}) =>
        renderGet(st, { resource, namespace: 'default', ...o });
      const apply = (o: unknown) => {
        st = runOperation(st, { op: 'apply', source: 'demo', objects: [o] }).state;
      };
      const outDir = resolve(opts.out);
      const written: string[] = [];

      /** kubectl exec busybox -- wget: the app run, its output, and its captures written to outDir. */
      const wget = (tag: string): AppRun => {
        const run = runPodCommand(st, { namespace: 'default', pod: 'busybox' }, WGET, { seed: opts.seed, ipsets: ipsetsOf(st) });
        show(`kubectl exec busybox -- ${WGET.join(' ')}`, { stdout: run.stdout, stderr: run.stderr });
        mkdirSync(outDir, { recursive: true });
        for (const f of captureFiles(captureRun(st, run, 'path', { seed: opts.seed }), 'pcapng', `${tag}-path.pcapng`)) {
          writeFileSync(join(outDir, f.name), f.bytes);
          written.push(join(outDir, f.name));
        }
        return run;
      };

      section(`Initial state: EKS cluster "${st.spec.name}" in ${st.spec.region}, CNI ${st.spec.cni.type}`);
      show('kubectl get nodes -o wide', get('nodes', { output: 'wide' }));
      show('kubectl get pods -A -o wide', get('pods', { allNamespaces: true, output: 'wide' }));
      show('kubectl get svc -A', get('svc', { allNamespaces: true }));

      section('Deploy nginx x3 and expose it on port 8080');
      const deploy = generateDeployment({ name: 'nginx', image: ['nginx'], replicas: 3, port: 80, namespace: 'default' });
      apply(admitObject(deploy));
      process.stdout.write('$ kubectl create deployment nginx --image=nginx --replicas=3 --port=80\ndeployment.apps/nginx created\n');
      const svc = generateService({ target: st.objects['Deployment/default/nginx'], port: 8080, targetPort: '80' });
      apply(admitObject(svc));
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
      section('busybox → nginx Service: wget, and the packet hop by hop (one seeded run; `kubewire trace` lists every endpoint branch)');
      const busybox = generatePod({ name: 'busybox', image: 'busybox', namespace: 'default', args: ['sleep', '3600'] });
      apply(admitObject(busybox));
      process.stdout.write('$ kubectl run busybox --image=busybox -- sleep 3600\npod/busybox created\n');
      wget('1-vpc-cni');
      const ip = (st.objects['Service/default/nginx'] as { spec?: { clusterIP?: string } }).spec?.clusterIP ?? '';
      const traceSvc = () => {
        process.stdout.write(`$ kubewire trace pod/busybox svc/nginx:8080 --seed ${opts.seed}\n`);
        process.stdout.write(
          renderTraceText(tracePacket(st, { from: { pod: 'busybox', namespace: 'default' }, dst: ip, dport: 8080, protocol: 'TCP' }, { seed: opts.seed, enumerate: false, ipsets: ipsetsOf(st) })),
        );
      };
      traceSvc();

      section('Second half: migrate the running cluster to Calico VXLAN (the Calico EKS guide: delete aws-node, install Calico)');
      const m = runOperation(st, { op: 'cni-migrate', source: 'demo', target: 'calico-vxlan', options: {} });
      st = m.state;
      const report = renderMigration(m.migration!);
      process.stdout.write(`$ kubewire cni migrate calico-vxlan\n${report.stderr}${report.stdout}`);
      show('kubectl get pods -o wide   # running pods keep their VPC IPs and wiring', get('pods', { output: 'wide' }));
      const diff = cniDiff(st, [nodeName])[0]!;
      process.stdout.write(`$ kubewire cni diff ${nodeName.split('.')[0]}   # ip route and MTU here; ip addr/rule/neigh, bridge fdb, iptables-save too\n`);
      for (const s of diff.sections.filter((x) => x.title === 'ip route' || x.title === 'ip rule' || x.title === 'MTU')) {
        process.stdout.write(s.diff || `${s.title}: unchanged (aws-node's rules stay)\n`);
      }

      section('Restart the workloads so Calico wires them (the guide: restart every pod; bare pods are recreated)');
      for (const ref of [
        { kind: 'Deployment', namespace: 'default', name: 'nginx' },
        { kind: 'Deployment', namespace: 'kube-system', name: 'coredns' },
      ]) {
        apply(restartPatch(st, ref));
        process.stdout.write(`$ kubectl rollout restart deployment/${ref.name}${ref.namespace === 'default' ? '' : ` -n ${ref.namespace}`}\n${restartedLine(ref)}\n`);
      }
      st = runOperation(st, { op: 'delete', source: 'demo', refs: [{ kind: 'Pod', namespace: 'default', name: 'busybox' }] }).state;
      process.stdout.write('$ kubectl delete pod busybox\npod "busybox" deleted\n');
      apply(admitObject(busybox));
      process.stdout.write('$ kubectl run busybox --image=busybox -- sleep 3600\npod/busybox created\n');
      show('kubectl get pods -A -o wide', get('pods', { allNamespaces: true, output: 'wide' }));

      section('busybox → nginx Service again: aws-node\'s leftovers still act on the nodes');
      wget('2-calico-before-cleanup');
      const bbNode = kubeletState(st).sandboxes['default/busybox']?.node ?? nodeName;
      const remote = Object.entries(kubeletState(st).sandboxes).find(([k, sb]) => k.startsWith('default/nginx-') && sb.node !== bbNode);
      if (remote) {
        const [key, sb] = remote;
        const t = tracePacket(st, { from: { pod: 'busybox', namespace: 'default' }, dst: sb.ips[0]!, dport: 80, protocol: 'TCP' }, { seed: opts.seed, enumerate: false, ipsets: ipsetsOf(st) });
        process.stdout.write(`$ kubewire trace pod/busybox pod/${key.split('/')[1]}:80 | grep -E 'outcome|SNAT |=>'   # why\n`);
        for (const l of renderTraceText(t).split('\n')) if (/outcome|^\s+nat\s.*SNAT |=>/.test(l)) process.stdout.write(`${l}\n`);
        process.stdout.write(
          "# AWS-SNAT-CHAIN-0 (left by aws-node on every node) SNATs everything outside the VPC CIDR to the node IP, the pool\n" +
            '# included, on the way out and again on the receiving node; nginx\'s reply to that node IP leaves unencapsulated\n' +
            '# from its pool address, and the ENI source/destination check drops it.\n',
        );
      }

      section('Remove what aws-node left behind (what replacing the nodes does), then try again');
      const c = runOperation(st, { op: 'cni-cleanup', source: 'demo', nodes: [] });
      st = c.state;
      process.stdout.write(`$ kubewire cni cleanup-aws-node\n${renderCleanup(c.cleanup!)}`);
      const run2 = wget('3-calico-vxlan');
      traceSvc();
      const branch = tracePacket(st, { from: { pod: 'busybox', namespace: 'default' }, dst: ip, dport: 8080, protocol: 'TCP' }, { seed: opts.seed, enumerate: false, ipsets: ipsetsOf(st) }).branches[0];
      if (remote && !JSON.stringify(branch?.forward.steps ?? []).includes('vxlan.calico')) {
        process.stdout.write(`# (this run picked the nginx on busybox's own node; across nodes it goes through vxlan.calico:)\n$ kubewire trace pod/busybox pod/${remote[0].split('/')[1]}:80\n`);
        process.stdout.write(renderTraceText(tracePacket(st, { from: { pod: 'busybox', namespace: 'default' }, dst: remote[1].ips[0]!, dport: 80, protocol: 'TCP' }, { seed: opts.seed, enumerate: false, ipsets: ipsetsOf(st) })));
      }
      // The node's ens5: whatever pod traffic crossed it is VXLAN between node IPs.
      const ens5 = captureRun(st, run2, [pointFor(st, bbNode, 'root', 'ens5')], { seed: opts.seed });
      process.stdout.write(`$ tcpdump -n -i ens5   # on ${bbNode.split('.')[0]}, during the wget\n`);
      for (const l of captureSummary(ens5)) process.stdout.write(`${l}\n`);
      for (const f of captureFiles(ens5, 'pcapng', `3-calico-vxlan-${bbNode.split('.')[0]}-ens5.pcapng`)) {
        writeFileSync(join(outDir, f.name), f.bytes);
        written.push(join(outDir, f.name));
      }

      section('Captures');
      for (const f of written) process.stdout.write(`${f}\n`);
      process.stdout.write('(open with wireshark or `tshark -r FILE`; -path files hold every interface the flows crossed)\n');
      process.stdout.write('\nNext: `bin/kubewire --help`; this demo kept no cluster state — `bin/kubewire apply -f examples/` builds a persistent cluster in .kubewire/.\n');
    });
}
