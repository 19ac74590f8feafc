// Migrating a running VPC CNI cluster to Calico VXLAN the way the Calico EKS guide does it
// (research/calico.md §13): `kubectl delete daemonset -n kube-system aws-node`, install Calico
// (operator Installation or the calico-vxlan.yaml manifest), calico-node starts on every node
// (install-cni writes 10-calico.conflist; the tunnel-address allocator and Felix add vxlan.calico,
// routes, ARP/FDB and iptables), the nodes' 10-aws.conflist is removed, then workloads are restarted
// by the user. Pods that run keep their VPC IPs and wiring until recreated; aws-node's node state
// (ip rules, AWS-* chains, attached ENIs and their IPs) stays: nothing removes it before a reboot.

import type { ClusterState } from './types.ts';
import type { Host } from '../node-state/types.ts';
import type { KObject } from '../k8s/types.ts';
import type { CalicoSettings } from '../inputs/cluster-spec.ts';
import type { CalicoInstall } from '../inputs/calico-migrate.ts';
import { KubewireError } from '../errors.ts';
import { applyObjects, deleteObjects, type Plugins } from './cluster.ts';
import { getObject } from './store.ts';
import { kubeletState } from './kubelet.ts';
import { calicoCustomResources, calicoInstallObjects } from './calico-install.ts';
import { createMigratedCni, removeConf, writeConf, cniConfDir } from './cni-switch.ts';
import { calicoState, VXLAN_OVERHEAD, hostMtu } from '../cni/calico/plugin.ts';
import { getNs } from '../node-state/ops.ts';
import { ROOT_NS } from '../node-state/types.ts';

export interface MigrationRecord {
  /** Logical clock when the migration ran. */
  clock: number;
  from: 'vpc-cni';
  install: CalicoInstall;
  settings: CalicoSettings;
  /** Every node's network state just before aws-node was deleted (for `cni diff`). */
  before: Record<string, Host>;
  /** Pods that kept their VPC CNI wiring, by "<namespace>/<name>" → IP. */
  vpcPods: Record<string, string>;
  /** Pod network namespaces in the snapshot → "<namespace>/<name>". */
  podNetns: Record<string, string>;
  /** The custom resources applied (Installation, APIServer, IPPool), as the user would see them. */
  customResources: KObject[];
}

export interface MigrationReport {
  /** What was done, as the equivalent commands' output lines. */
  steps: string[];
  warnings: string[];
  /** The EKS caveats that now apply. */
  caveats: string[];
}

export function migrationRecord(state: ClusterState): MigrationRecord | undefined {
  return (state.pluginState as Record<string, unknown>)['cni-migration'] as MigrationRecord | undefined;
}

export interface MigrateInput {
  install: CalicoInstall;
  calico: CalicoSettings;
  warnings?: string[];
  /** Leave /etc/cni/net.d/10-aws.conflist on the nodes (containerd keeps calling aws-cni). */
  keepAwsConflist?: boolean;
}

/** Runs the migration on `state` (in place; on error the state is restored). */
export function migrateToCalico(state: ClusterState, input: MigrateInput, plugins: Plugins): MigrationReport {
  if (state.spec.cni.migration || state.spec.cni.type === 'calico-vxlan') {
    throw new KubewireError('the cluster already runs Calico VXLAN (kubewire cni migrate works on a VPC CNI cluster)');
  }
  if (!getObject(state, 'DaemonSet', 'kube-system', 'aws-node')) {
    throw new KubewireError('Error from server (NotFound): daemonsets.apps "aws-node" not found (the cluster has no VPC CNI to migrate from)');
  }
  const before = JSON.parse(JSON.stringify(state)) as ClusterState;
  try {
    return migrate(state, input, plugins);
  } catch (e) {
    for (const k of Object.keys(state) as (keyof ClusterState)[]) delete state[k];
    Object.assign(state, before);
    throw e;
  }
}

function migrate(state: ClusterState, input: MigrateInput, vpcPlugins: Plugins): MigrationReport {
  const steps: string[] = [];
  cniConfDir(state); // the VPC CNI's conflist on every node, before anything changes
  const snapshot = JSON.parse(JSON.stringify(state.hosts)) as Record<string, Host>;
  const ks = kubeletState(state);
  const vpcPods: Record<string, string> = {};
  const podNetns: Record<string, string> = {};
  for (const [key, sb] of Object.entries(ks.sandboxes)) {
    if (!sb.netns) continue;
    podNetns[sb.netns] = key;
    if (sb.ready) vpcPods[key] = sb.ips[0] ?? '';
  }

  // 1. The guide's first step, with the VPC CNI still the nodes' CNI.
  deleteObjects(state, [{ kind: 'DaemonSet', namespace: 'kube-system', name: 'aws-node' }], vpcPlugins);
  steps.push('$ kubectl delete daemonset -n kube-system aws-node', 'daemonset.apps "aws-node" deleted');

  // 2. Calico: from here on the nodes' CNI is Calico (with the VPC CNI's pods still wired).
  const c = input.calico;
  state.spec = {
    ...state.spec,
    cni: { ...state.spec.cni, type: 'calico-vxlan', calico: c, migration: { from: 'vpc-cni', install: input.install, clock: state.clock, keptAwsConflist: !!input.keepAwsConflist } },
  };
  const calicoPlugins: Plugins = { cni: createMigratedCni(), proxy: vpcPlugins.proxy };
  const cs = calicoState(state);
  cs.settings = { ...c };
  const objects = calicoInstallObjects(input.install, c);
  const crs = calicoCustomResources(input.install, c);
  if (input.install === 'operator') {
    steps.push('$ kubectl create -f tigera-operator.yaml', ...objects.filter((o) => o.metadata.namespace === 'tigera-operator' || o.metadata.name === 'tigera-operator').map(createdLine));
    steps.push('$ kubectl create -f - <<EOF (Installation: kubernetesProvider EKS, CNI Calico, BGP Disabled)', ...crs.filter((o) => o.kind !== 'IPPool').map(createdLine));
    steps.push('# the operator renders calico-system:', ...objects.filter((o) => o.metadata.name === 'calico-system' || o.metadata.namespace === 'calico-system').map(createdLine), createdLine(crs.find((o) => o.kind === 'IPPool')!));
  } else {
    steps.push('$ kubectl apply -f calico-vxlan.yaml (env FELIX_AWSSRCDSTCHECK=Disable added, as the guide says)', ...objects.map(createdLine));
    steps.push('# calico-node creates the default pool from CALICO_IPV4POOL_*:', createdLine(crs.find((o) => o.kind === 'IPPool')!));
  }

  // calico-node on every node: install-cni, the tunnel-address allocator and Felix.
  for (const node of state.nodes) {
    const host = state.hosts[node.name];
    writeConf(state, node.name, '10-calico.conflist');
    calicoPlugins.cni.nodeStart({ cluster: state, node, host });
    if (input.install === 'manifest') disableSrcDstCheck(state, node.instanceId);
  }
  steps.push(`# calico-node on each node: /etc/cni/net.d/10-calico.conflist, tunnel address, vxlan.calico, routes, Felix iptables`);
  if (!input.keepAwsConflist) {
    for (const node of state.nodes) removeConf(state, node.name, '10-aws.conflist');
    steps.push('# on each node: rm /etc/cni/net.d/10-aws.conflist (aws-node never removes it, and containerd uses the first config by name)');
  }
  applyObjects(state, objects, calicoPlugins);

  const record: MigrationRecord = { clock: state.clock, from: 'vpc-cni', install: input.install, settings: { ...c }, before: snapshot, vpcPods, podNetns, customResources: crs };
  (state.pluginState as Record<string, unknown>)['cni-migration'] = record;
  return { steps, warnings: input.warnings ?? [], caveats: caveats(state, record, !!input.keepAwsConflist) };
}

function createdLine(o: KObject): string {
  const group = o.apiVersion.includes('/') ? `.${o.apiVersion.split('/')[0]}` : '';
  return `${o.kind.toLowerCase()}${group}/${o.metadata.name} created`;
}

/** FELIX_AWSSRCDSTCHECK=Disable: Felix turns off the source/destination check of the node's primary ENI. */
function disableSrcDstCheck(state: ClusterState, instanceId: string): void {
  for (const eni of state.vpc.enis) {
    if (eni.instanceId === instanceId && eni.deviceIndex === 0) eni.sourceDestCheck = false;
  }
}

function caveats(state: ClusterState, r: MigrationRecord, keptConf: boolean): string[] {
  const out: string[] = [];
  const cp = (state.objects['EndpointSlice/default/kubernetes'] as { endpoints?: { addresses: string[] }[] } | undefined)?.endpoints?.flatMap((e) => e.addresses) ?? [];
  out.push(
    `The EKS control plane (API server ENIs ${cp.join(', ')}) is outside the Calico overlay: it cannot open connections to pods in ${r.settings.ipPoolCidr}, so admission webhooks and aggregated API servers (e.g. metrics-server) must run with hostNetwork: true. Pods still reach the API server (natOutgoing SNATs them to the node IP).`,
  );
  const caps = [...new Set(state.nodes.map((n) => `${n.podCapacity} on ${n.instanceType}`))].join(', ');
  const perNode = 20 * 2 ** (32 - r.settings.blockSize);
  out.push(
    `Max pods: Calico IPAM no longer ties pod addresses to ENI secondary IPs (up to 20 blocks of /${r.settings.blockSize} = ${perNode} addresses per node), but kubelet keeps the max pods its node was launched with (${caps}); launch new nodes with maxPodsPerNode to use more.`,
  );
  const mtus = state.nodes.map((n) => {
    const rec = calicoState(state).nodes[n.name];
    const root = getNs(state.hosts[n.name], ROOT_NS);
    return rec ? `${rec.vxlanMtu}` : `${hostMtu(root) - VXLAN_OVERHEAD}`;
  });
  out.push(
    `MTU: pods wired by Calico get ${[...new Set(mtus)].join('/')} (${r.settings.mtu !== undefined ? 'set by --mtu' : `host MTU − ${VXLAN_OVERHEAD} bytes of VXLAN`}); pods still on the VPC CNI keep the ENI MTU until they are recreated.`,
  );
  const old = Object.keys(r.vpcPods);
  if (old.length) {
    out.push(`${old.length} pods keep their VPC IPs and wiring until recreated (e.g. kubectl rollout restart): ${old.join(', ')}.`);
  }
  out.push(
    'aws-node left its node state behind (until the node is replaced): the ip rules for pods and the fwmark rule, the AWS-SNAT-CHAIN-0/AWS-CONNMARK-CHAIN-0 chains and their hooks, the secondary ENIs and their IPs.',
  );
  out.push('VXLAN between nodes is UDP 4789: the node security group must allow it.');
  if (keptConf) {
    out.push('/etc/cni/net.d/10-aws.conflist was kept: containerd still uses it, so new pods fail (aws-cni cannot reach ipamd on 127.0.0.1:50051).');
  }
  return out;
}
