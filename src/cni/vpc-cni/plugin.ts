// The Amazon VPC CNI as a CniPlugin: aws-node's host setup (pkg/networkutils SetupHostNetwork,
// setupENINetwork, the iptables SNAT/CONNMARK rules, the init container's sysctls), ipamd's
// pool (ipamd.ts) and the routed-eni CNI plugin's per-pod wiring (cmd/routed-eni-cni-plugin
// driver: veth pair, /32 on the pod's eth0, 169.254.1.1 gateway with a permanent neighbour
// entry, host route and policy rules).

import type { V1Pod } from '../../k8s/types.ts';
import type { CniAddResult, CniPlugin, PluginContext } from '../../control-plane/plugins.ts';
import type { ClusterState } from '../../control-plane/types.ts';
import { ROOT_NS, TABLE_MAIN, type Host } from '../../node-state/types.ts';
import {
  addAddress,
  addLink,
  addNeighbour,
  addRoute,
  addRule,
  addVethPair,
  bootLoopback,
  delLink,
  delNetns,
  delRoute,
  delRule,
  findLink,
  getNs,
  moveLink,
  newNetns,
  replaceRoute,
  setLink,
  setLinkUp,
  setSysctl,
} from '../../node-state/ops.ts';
import { iptablesRestore } from '../../netfilter/restore.ts';
import { instanceLimits } from '../../aws/instance-limits.ts';
import { getSubnet, instanceEnis, subnetGateway } from '../../aws/vpc.ts';
import { parseCidr4 } from '../../aws/ip.ts';
import { randHex } from '../../k8s/rand.ts';
import { sha1Hex } from './sha1.ts';
import { parseAwsNodeEnv, type AwsNodeConfig } from './config.ts';
import { computeMaxPods, DEFAULT_CNI_VERSION, parseCniVersion } from './max-pods.ts';
import {
  assignPodIp,
  awsNodeState,
  getIpamdNode,
  ipamdNodeInit,
  poolSettle,
  unassignPodIp,
  type IpamdInitOptions,
  type IpamdNode,
} from './ipamd.ts';

/** networkutils rule priorities. */
export const TO_CONTAINER_RULE_PRIORITY = 512;
export const HOST_RULE_PRIORITY = 1024;
export const EXTERNAL_SERVICE_IP_RULE_PRIORITY = 1535;
export const FROM_POD_RULE_PRIORITY = 1536;
/** The pod's dummy next hop. */
export const POD_GATEWAY = '169.254.1.1';
/** Name of the primary ENI's link when the host has no link carrying its ENI id (kernel naming). */
export const PRIMARY_IF = 'eth0';
/** Pod-side interface name (the CNI's CNI_IFNAME from kubelet). */
export const CONTAINER_IF = 'eth0';
/** The network name and plugin type in aws-node's 10-aws.conflist. */
export const CNI_NETWORK_NAME = 'aws-cni';

/** GeneratePodHostVethName: prefix + the first 11 hex digits of sha1("<namespace>.<name>"). */
export function hostVethName(prefix: string, namespace: string, name: string): string {
  return prefix + sha1Hex(`${namespace}.${name}`).slice(0, 11);
}

/**
 * The primary interface as aws-node finds it: the link whose MAC is the primary ENI's (IMDS
 * mac → GetInterfaceByMAC). Its name is the OS's: eth0 on AL2 and Bottlerocket, ens5 on AL2023
 * (systemd predictable names). aws-vpc-cni-init's rp_filter and the mangle rule use this name.
 */
export function primaryIfName(cluster: ClusterState, host: Host, instanceId: string): string {
  const primary = instanceEnis(cluster.vpc, instanceId).find((e) => (e.deviceIndex ?? 0) === 0);
  const root = getNs(host, ROOT_NS);
  const l = primary && root.links.find((x) => x.eniId === primary.id || (x.kind === 'device' && x.mac === primary.mac));
  return l?.name ?? PRIMARY_IF;
}

/**
 * The name the OS gives an ENI hot-plugged at `deviceIndex`, following the primary's scheme:
 * the kernel's ethN (eth0 → eth1, eth2, …) or the PCI-slot name (ens5 → ens6, ens7, …: on Nitro
 * the ENA of device index N sits in slot 5 + N). aws-node does not name links; it finds them by MAC.
 */
export function eniLinkName(primaryName: string, deviceIndex: number): string {
  const m = /^(.*?)(\d+)$/.exec(primaryName);
  return m ? `${m[1]}${Number(m[2]) + deviceIndex}` : `eth${deviceIndex}`;
}

/** setupENINetwork's route table for an ENI: device number + 1 (network card 0). */
export function eniRouteTable(deviceNumber: number): number {
  return deviceNumber + 1;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/**
 * The iptables-restore input (iptables-save form) for the rules aws-node keeps on the host:
 * nat AWS-SNAT-CHAIN-0 (SNAT of traffic leaving the VPC to the primary IP), nat
 * AWS-CONNMARK-CHAIN-0 and the mangle CONNMARK rules that send NodePort replies back out of
 * the primary ENI. Rule order is what aws-node ends up with: CIDR RETURN rules are inserted at
 * the top of their chain (so the last CIDR comes first), the SNAT/mark rule is appended.
 */
export function hostIptablesRules(o: {
  vpcCidrs: string[];
  primaryIp: string;
  primaryIf: string;
  cfg: AwsNodeConfig;
}): string {
  const { cfg } = o;
  const mark = hex(cfg.connmark);
  const snat = !cfg.externalSnat;
  const mangle: string[] = [];
  if (cfg.nodePortSupport) {
    mangle.push(
      `-A PREROUTING -i ${o.primaryIf} -m comment --comment "AWS, primary ENI" -m addrtype --dst-type LOCAL --limit-iface-in -j CONNMARK --set-xmark ${mark}/${mark}`,
    );
  }
  if (cfg.nodePortSupport || snat) {
    mangle.push(`-A PREROUTING -i ${cfg.vethPrefix}+ -m comment --comment "AWS, primary ENI" -j CONNMARK --restore-mark --nfmask ${mark} --ctmask ${mark}`);
  }
  if (cfg.nodePortSupport) {
    mangle.push(`-A PREROUTING -i vlan+ -m comment --comment "AWS, primary ENI" -j CONNMARK --restore-mark --nfmask ${mark} --ctmask ${mark}`);
  }

  const nat: string[] = [':AWS-CONNMARK-CHAIN-0 - [0:0]', ':AWS-SNAT-CHAIN-0 - [0:0]'];
  if (snat) {
    const snatCidrs = [...o.vpcCidrs.map((c) => ({ c, ex: false })), ...cfg.excludeSnatCidrs.map((c) => ({ c, ex: true }))];
    const exclude = new Set(cfg.excludeSnatCidrs);
    const connmarkCidrs = [...o.vpcCidrs, ...cfg.excludeSnatCidrs];
    nat.push(`-A PREROUTING -i ${cfg.vethPrefix}+ -m comment --comment "AWS, outbound connections" -j AWS-CONNMARK-CHAIN-0`);
    nat.push(`-A PREROUTING -m comment --comment "AWS, CONNMARK" -j CONNMARK --restore-mark --nfmask ${mark} --ctmask ${mark}`);
    nat.push('-A POSTROUTING -m comment --comment "AWS SNAT CHAIN" -j AWS-SNAT-CHAIN-0');
    for (const c of [...connmarkCidrs].reverse()) {
      const comment = exclude.has(c) ? 'AWS CONNMARK CHAIN, EXCLUDED CIDR' : 'AWS CONNMARK CHAIN, VPC CIDR';
      nat.push(`-A AWS-CONNMARK-CHAIN-0 -d ${c} -m comment --comment "${comment}" -j RETURN`);
    }
    nat.push(`-A AWS-CONNMARK-CHAIN-0 -m comment --comment "AWS, CONNMARK" -j CONNMARK --set-xmark ${mark}/${mark}`);
    for (const { c, ex } of [...snatCidrs].reverse()) {
      nat.push(`-A AWS-SNAT-CHAIN-0 -d ${c} -m comment --comment "AWS SNAT CHAIN${ex ? ' EXCLUSION' : ''}" -j RETURN`);
    }
    const random = cfg.randomizeSnat === 'prng' ? ' --random-fully' : cfg.randomizeSnat === 'hashrandom' ? ' --random' : '';
    nat.push(
      `-A AWS-SNAT-CHAIN-0 ! -o vlan+ -m comment --comment "AWS, SNAT" -m addrtype ! --dst-type LOCAL -j SNAT --to-source ${o.primaryIp}${random}`,
    );
  }
  let out = '';
  if (mangle.length) out += ['*mangle', ...mangle, 'COMMIT', ''].join('\n');
  out += ['*nat', ...nat, 'COMMIT', ''].join('\n');
  return out;
}

function config(cluster: ClusterState): AwsNodeConfig {
  return parseAwsNodeEnv(cluster.spec.cni.vpcCni.env ?? {});
}

function cniVersion(cluster: ClusterState): string {
  const v = cluster.spec.cni.vpcCni.version;
  try {
    parseCniVersion(v);
    return v;
  } catch {
    return DEFAULT_CNI_VERSION;
  }
}

/** The node's ENIConfig (custom networking): ENIConfig named after the node's zone, as ENI_CONFIG_LABEL_DEF=topology.kubernetes.io/zone selects. */
function eniConfigFor(cluster: ClusterState, az: string): IpamdInitOptions {
  const obj = cluster.objects[`ENIConfig//${az}`] as { spec?: { subnet?: string; securityGroups?: string[] } } | undefined;
  if (!obj?.spec?.subnet) return {};
  return { customNetworkingSubnetId: obj.spec.subnet, customNetworkingSecurityGroups: obj.spec.securityGroups };
}

/** setupENINetwork for every attached secondary ENI without a link yet; removes links of ENIs that are gone. */
export function syncEniLinks(cluster: ClusterState, host: Host, n: IpamdNode, cfg: AwsNodeConfig): void {
  const root = getNs(host, ROOT_NS);
  const all = instanceEnis(cluster.vpc, n.instanceId);
  const primary = all.find((e) => (e.deviceIndex ?? 0) === 0);
  const primaryName = primaryIfName(cluster, host, n.instanceId);
  const attached = all.filter((e) => (e.deviceIndex ?? 0) > 0);
  const ids = new Set(attached.map((e) => e.id));
  for (const l of [...root.links]) {
    if (l.eniId && l.eniId !== primary?.id && l.name !== primaryName && !ids.has(l.eniId)) delLink(host, ROOT_NS, l.name);
  }
  for (const eni of attached) {
    if (root.links.some((l) => l.eniId === eni.id)) continue;
    const dev = eniLinkName(primaryName, eni.deviceIndex ?? 0);
    const subnet = getSubnet(cluster.vpc, eni.subnetId);
    const { prefixLen } = parseCidr4(subnet.cidr);
    const gw = subnetGateway(subnet);
    const table = eniRouteTable(eni.deviceIndex ?? 0);
    // The ENA device appears with the ENI's MAC; aws-node sets its MTU and brings it up.
    const ns = root;
    if (findLink(ns, dev)) delLink(host, ROOT_NS, dev);
    // A hot-plugged ENA device on Nitro gets its PCI path name too (ens6 ↔ enp0s6).
    const slot = /^ens(\d+)$/.exec(dev);
    addLink(ns, { name: dev, kind: 'device', mac: eni.mac, eniId: eni.id, ...(slot ? { altnames: [`enp0s${slot[1]}`] } : {}) });
    setLink(host, ROOT_NS, dev, { mtu: cfg.eniMtu });
    setLinkUp(host, ROOT_NS, dev, true);
    addAddress(ns, dev, `${eni.primaryIp}/${prefixLen}`, { broadcast: '+' });
    replaceRoute(ns, { dst: `${gw}/32`, dev, scope: 'link', table });
    replaceRoute(ns, { dst: 'default', via: gw, dev, table });
    // Remove the connected route the kernel added to main, so only table N reaches the subnet via ethN.
    try {
      delRoute(ns, { dst: subnet.cidr, src: eni.primaryIp, table: TABLE_MAIN, scope: 'link' });
    } catch {
      // not there: nothing to delete (IsNotExistsError is ignored upstream)
    }
  }
}

/**
 * The sandbox's network namespace as containerd names it (pkg/netns newNS): "cni-" and 16 random
 * bytes printed %x-%x-%x-%x-%x. Not an RFC 4122 UUID: no version or variant bits (real names such
 * as cni-abf9bb29-2407-a652-8b9f-ee6828c45956).
 */
export function sandboxNetnsName(cluster: ClusterState): string {
  const h = randHex(cluster, 32);
  return `cni-${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function podKeyOf(pod: V1Pod): { key: string; namespace: string; name: string } {
  const namespace = pod.metadata?.namespace ?? 'default';
  const name = pod.metadata?.name ?? '';
  return { key: `${namespace}/${name}`, namespace, name };
}

/**
 * One ipamd pool-manager pass at the cluster's current clock (attach/free ENIs and addresses as
 * the warm targets, cooldowns and ENI minimum life allow), with the host's ENI links following.
 * CNI ADD/DEL already do this; a control plane that advances the clock without pod operations
 * can call it to let ipamd catch up.
 */
export function awsNodeSync(ctx: PluginContext): void {
  const n = awsNodeState(ctx.cluster).nodes[ctx.node.name];
  if (!n) return;
  const cfg = config(ctx.cluster);
  poolSettle(ctx.cluster, n, cfg, ctx.cluster.clock);
  syncEniLinks(ctx.cluster, ctx.host, n, cfg);
}

/** Error text of a failed CNI ADD as containerd reports it (kubelet puts it in FailedCreatePodSandBox). */
export const ERR_ASSIGN_IP = `plugin type="${CNI_NETWORK_NAME}" name="${CNI_NETWORK_NAME}" failed (add): add cmd: failed to assign an IP address to container`;

/**
 * aws-cni's ADD when ipamd (gRPC on 127.0.0.1:50051, in the aws-node pod) is gone, e.g. after
 * `kubectl delete daemonset -n kube-system aws-node` while 10-aws.conflist is still the node's config.
 */
export const ERR_IPAMD_GONE =
  'plugin type="aws-cni" name="aws-cni" failed (add): add cmd: Error received from AddNetwork gRPC call: rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:50051: connect: connection refused"';

export function createVpcCni(): CniPlugin {
  return {
    name: 'vpc-cni',

    podCapacity(ctx: PluginContext): number {
      const cfg = config(ctx.cluster);
      const limits = instanceLimits(ctx.node.instanceType);
      const calculator = cfg.prefixDelegation || cfg.customNetworking;
      return computeMaxPods(limits, {
        customNetworking: cfg.customNetworking,
        prefixDelegation: cfg.prefixDelegation,
        cniVersion: calculator ? cniVersion(ctx.cluster) : undefined,
      }).maxPods;
    },

    nodeStart(ctx: PluginContext): void {
      const { cluster, node, host } = ctx;
      const cfg = config(cluster);
      const root = getNs(host, ROOT_NS);
      const primaryIf = primaryIfName(cluster, host, node.instanceId);
      // aws-vpc-cni-init: rp_filter loose on the primary interface.
      setSysctl(root, `net.ipv4.conf.${primaryIf}.rp_filter`, '2');
      // …and TCP early demux, on unless DISABLE_TCP_EARLY_DEMUX is exactly "true".
      setSysctl(root, 'net.ipv4.tcp_early_demux', cfg.env.DISABLE_TCP_EARLY_DEMUX === 'true' ? '0' : '1');
      // SetupHostNetwork
      setLink(host, ROOT_NS, primaryIf, { mtu: cfg.eniMtu });
      if (cfg.nodePortSupport || !cfg.externalSnat) {
        addRule(root, { priority: HOST_RULE_PRIORITY, fwmark: cfg.connmark, fwmask: cfg.connmark, table: TABLE_MAIN });
      }
      root.netfilter = iptablesRestore(
        root.netfilter,
        hostIptablesRules({ vpcCidrs: [cluster.vpc.cidr], primaryIp: node.primaryIp, primaryIf, cfg }),
        { noflush: true, file: 'aws-node' },
      );
      // configureIPRulesForPods → UpdateExternalServiceIpRules
      for (const c of cfg.externalServiceCidrs) {
        addRule(root, { priority: EXTERNAL_SERVICE_IP_RULE_PRIORITY, to: c, table: TABLE_MAIN });
      }
      // ipamd: datastore from the attached ENIs, then the warm pool.
      const n = ipamdNodeInit(cluster, node, cfg, cfg.customNetworking ? eniConfigFor(cluster, node.az) : {});
      n.maxPods = node.podCapacity || n.maxPods;
      poolSettle(cluster, n, cfg, cluster.clock);
      syncEniLinks(cluster, host, n, cfg);
    },

    podAdd(ctx: PluginContext, pod: V1Pod): CniAddResult {
      const { cluster, node, host } = ctx;
      // A cluster whose aws-node DaemonSet was deleted has no ipamd (the binary and its config remain).
      if (cluster.objects['Namespace//kube-system'] && !cluster.objects['DaemonSet/kube-system/aws-node']) return { ok: false, error: ERR_IPAMD_GONE };
      const cfg = config(cluster);
      const n = getIpamdNode(cluster, node.name);
      const { key, namespace, name } = podKeyOf(pod);
      const now = cluster.clock;
      const existing = n.pods[key];
      if (existing) return { ok: true, ips: [existing.ip], netns: existing.netns, hostInterface: existing.hostVeth };

      let a = assignPodIp(n, cfg, key, now, pod.metadata?.uid);
      if (!a) {
        // ipamd's pool manager catches up; kubelet retries the sandbox.
        poolSettle(cluster, n, cfg, now);
        syncEniLinks(cluster, host, n, cfg);
        a = assignPodIp(n, cfg, key, now, pod.metadata?.uid);
      }
      if (!a) return { ok: false, error: ERR_ASSIGN_IP };

      const hostVeth = hostVethName(cfg.vethPrefix, namespace, name);
      const netns = sandboxNetnsName(cluster);
      const table = a.deviceNumber > 0 ? eniRouteTable(a.deviceNumber) : TABLE_MAIN;

      // Inside the pod's namespace (createVethPairContext.run).
      const pns = newNetns(host, netns);
      bootLoopback(host, netns); // the loopback plugin
      if (findLink(getNs(host, ROOT_NS), hostVeth)) delLink(host, ROOT_NS, hostVeth); // stale hostVeth
      const [, hv] = addVethPair(host, netns, CONTAINER_IF, netns, hostVeth, { mtu: cfg.podMtu });
      // netlink.Veth{LinkAttrs{Name, Flags, MTU}}: TxQLen is left 0 and vishvananda/netlink sends
      // IFLA_TXQLEN 0 for both ends, so neither shows a qlen in `ip link` (real EKS output agrees).
      setLink(host, netns, CONTAINER_IF, { txqlen: 0 });
      setLink(host, netns, hostVeth, { txqlen: 0 });
      setLinkUp(host, netns, hostVeth, true);
      setLinkUp(host, netns, CONTAINER_IF, true);
      replaceRoute(pns, { dst: `${POD_GATEWAY}/32`, dev: CONTAINER_IF, scope: 'link' });
      addRoute(pns, { dst: 'default', via: POD_GATEWAY, dev: CONTAINER_IF });
      addAddress(pns, CONTAINER_IF, `${a.ip}/32`);
      addNeighbour(pns, { dst: POD_GATEWAY, dev: CONTAINER_IF, lladdr: hv.mac, state: 'PERMANENT' });
      moveLink(host, netns, hostVeth, ROOT_NS);
      // Host side (setupVeth + setupIPBasedContainerRouteRules).
      const root = getNs(host, ROOT_NS);
      // setupVeth: IPv6 sysctls of the host veth, then up.
      setSysctl(root, `net.ipv6.conf.${hostVeth}.accept_ra`, '0');
      setSysctl(root, `net.ipv6.conf.${hostVeth}.accept_redirects`, '1');
      setSysctl(root, `net.ipv6.conf.${hostVeth}.forwarding`, '0');
      setLinkUp(host, ROOT_NS, hostVeth, true);
      replaceRoute(root, { dst: `${a.ip}/32`, dev: hostVeth, scope: 'link' });
      addRule(root, { priority: TO_CONTAINER_RULE_PRIORITY, to: `${a.ip}/32`, table: TABLE_MAIN });
      if (table !== TABLE_MAIN) addRule(root, { priority: FROM_POD_RULE_PRIORITY, from: `${a.ip}/32`, table });

      n.pods[key] = { netns, hostVeth, ip: a.ip, deviceNumber: a.deviceNumber, table };
      // ipamd reacts to the smaller pool (attaching ENIs / addresses as needed).
      poolSettle(cluster, n, cfg, now);
      syncEniLinks(cluster, host, n, cfg);
      return { ok: true, ips: [a.ip], netns, hostInterface: hostVeth };
    },

    podDelete(ctx: PluginContext, pod: V1Pod): void {
      const { cluster, node, host } = ctx;
      const cfg = config(cluster);
      const n = awsNodeState(cluster).nodes[node.name];
      if (!n) return;
      const { key } = podKeyOf(pod);
      const w = n.pods[key];
      const now = cluster.clock;
      if (w) {
        const root = getNs(host, ROOT_NS);
        // teardownIPBasedContainerRouteRules
        try {
          delRule(root, { priority: TO_CONTAINER_RULE_PRIORITY, to: `${w.ip}/32`, table: TABLE_MAIN });
        } catch {
          /* ContainsNoSuchRule */
        }
        if (w.table !== TABLE_MAIN) {
          for (;;) {
            try {
              delRule(root, { priority: FROM_POD_RULE_PRIORITY, from: `${w.ip}/32`, table: w.table });
            } catch {
              break;
            }
          }
        }
        try {
          delRoute(root, { dst: `${w.ip}/32`, table: TABLE_MAIN, scope: 'link' });
        } catch {
          /* removed with the veth */
        }
        // The runtime removes the sandbox's namespace; the veth pair goes with it.
        if (host.namespaces[w.netns]) delNetns(host, w.netns);
        delete n.pods[key];
      }
      unassignPodIp(n, key, now);
      poolSettle(cluster, n, cfg, now);
      syncEniLinks(cluster, host, n, cfg);
    },
  };
}
