// ipamd as a pure model: the per-node datastore of ENIs, secondary IPs / delegated prefixes and
// pod assignments, and the warm-pool manager that attaches and frees ENIs and addresses.
//
// Mirrors pkg/ipamd (ipamd.go: isDatastorePoolTooLow/TooHigh, datastoreTargetState,
// increaseDatastorePool, tryAssignIPs/Prefixes, tryAllocateENI, decreaseDatastorePool,
// shouldRemoveExtraENIs, tryFreeENI) and pkg/ipamd/datastore (AssignPodIPv4Address,
// getUnusedIP, UnassignPodIPAddress, GetIPStats, getDeletableENI). EC2 calls go to the
// VpcState (src/aws/vpc.ts), so the VPC fabric knows which ENI owns every pod IP.
//
// State is plain JSON in ClusterState.pluginState['aws-node'].nodes[nodeName]. Times are the
// cluster's logical clock in seconds.
//
// Order: the datastore keeps ENIs and their CIDRs in Go maps, so the order in which ipamd visits
// them (to hand a pod an address, to fill an ENI, to free CIDRs or an ENI) is whatever map
// iteration yields. We use the natural order instead — ENIs by device number, CIDRs in the order
// they were attached, addresses low to high — which is the order the upstream worked examples
// (docs/eni-and-ip-target.md, docs/prefix-and-ip-target.md) assume, and keeps runs reproducible.

import { KubewireError } from '../../errors.ts';
import type { ClusterState, NodeRecord } from '../../control-plane/types.ts';
import type { Eni, VpcState } from '../../aws/types.ts';
import { instanceLimits } from '../../aws/instance-limits.ts';
import {
  AwsError,
  allocateIp,
  allocatePrefix,
  attachEni,
  createEni,
  deleteEni,
  detachEni,
  freeIpCount,
  getEni,
  getSubnet,
  instanceEnis,
  releaseIp,
  releasePrefix,
} from '../../aws/vpc.ts';
import { ipToU32, parseCidr4, u32ToIp } from '../../aws/ip.ts';
import type { AwsNodeConfig } from './config.ts';

export const PLUGIN_STATE_KEY = 'aws-node';

// pkg/ipamd constants
export const MIN_ENI_LIFETIME = 60; // datastore.minENILifeTime
export const DECREASE_IP_POOL_INTERVAL = 30; // ipamd.decreaseIPPoolInterval
export const INSUFFICIENT_CIDR_ERROR_COOLDOWN = 120; // ipamd.insufficientCidrErrorCooldown
export const IP_POOL_MONITOR_INTERVAL = 5; // ipamd.ipPoolMonitorInterval
export const IPS_PER_PREFIX = 16;

/** ErrNoAvailableIPInDataStore. */
export const ERR_NO_AVAILABLE_IP = 'AssignPodIPAddress: no available IP/Prefix addresses';

export interface IpamdAddress {
  ip: string;
  /** "namespace/name" of the pod holding the address (absent: free, possibly cooling down). */
  pod?: string;
  /** Sandbox / container id, when known. */
  containerId?: string;
  assignedAt?: number;
  unassignedAt?: number;
}

export interface IpamdCidr {
  /** "10.0.1.23/32" for a secondary IP, "10.0.1.48/28" for a delegated prefix. */
  cidr: string;
  isPrefix: boolean;
  /** The datastore's IPAddresses map: addresses assigned, or unassigned and remembered for cooldown. */
  addresses: IpamdAddress[];
}

export interface IpamdEni {
  id: string;
  deviceNumber: number;
  isPrimary: boolean;
  createdAt: number;
  cidrs: IpamdCidr[];
}

export interface IpamdNode {
  node: string;
  instanceId: string;
  instanceType: string;
  /** Subnet new ENIs are created in (primary ENI's, or the ENIConfig's with custom networking). */
  eniSubnetId: string;
  securityGroups: string[];
  /** Effective prefix delegation (off unless Nitro or bare metal, as isConfigValid does). */
  prefixDelegation: boolean;
  /** c.maxENI */
  maxEni: number;
  /** c.maxIPsPerENI (secondary IPs per ENI, or prefixes × 16). */
  maxIpsPerEni: number;
  /** c.maxPrefixesPerENI (0 without prefix delegation). */
  maxPrefixesPerEni: number;
  /** c.maxPods (the node's pod capacity). */
  maxPods: number;
  enis: IpamdEni[];
  lastDecreaseIpPool: number | null;
  lastInsufficientCidrError: number | null;
  /** Pods the CNI plugin has wired on this node ("namespace/name" → wiring). */
  pods: Record<string, PodWiring>;
}

/** What CNI ADD set up for a pod, so CNI DEL can undo it. */
export interface PodWiring {
  netns: string;
  hostVeth: string;
  ip: string;
  deviceNumber: number;
  /** Route table of the pod's ENI (254 = main for the primary ENI). */
  table: number;
}

export interface AwsNodeState {
  nodes: Record<string, IpamdNode>;
}

export interface IpStats {
  totalIPs: number;
  totalPrefixes: number;
  assignedIPs: number;
  cooldownIPs: number;
  /** AvailableAddresses(): total − assigned (cooling addresses count as available). */
  available: number;
}

export function awsNodeState(cluster: ClusterState): AwsNodeState {
  let s = cluster.pluginState[PLUGIN_STATE_KEY] as AwsNodeState | undefined;
  if (!s || typeof s !== 'object' || !s.nodes) {
    s = { nodes: {} };
    cluster.pluginState[PLUGIN_STATE_KEY] = s;
  }
  return s;
}

export function getIpamdNode(cluster: ClusterState, nodeName: string): IpamdNode {
  const n = awsNodeState(cluster).nodes[nodeName];
  if (!n) throw new KubewireError(`aws-node is not running on node ${nodeName} (no ipamd state)`);
  return n;
}

// ---- datastore ----------------------------------------------------------------------------

function cidrSize(c: IpamdCidr): number {
  return 2 ** (32 - Number(c.cidr.split('/')[1]));
}

function assignedIn(c: IpamdCidr): number {
  return c.addresses.filter((a) => a.pod !== undefined).length;
}

function inCooling(a: IpamdAddress, now: number, cooldown: number): boolean {
  return a.unassignedAt !== undefined && now - a.unassignedAt <= cooldown;
}

/** The CIDRs the current mode uses: prefixes with PD, /32s without. */
function modeCidrs(n: IpamdNode, e: IpamdEni): IpamdCidr[] {
  return e.cidrs.filter((c) => c.isPrefix === n.prefixDelegation);
}

export function ipStats(n: IpamdNode, cfg: AwsNodeConfig, now: number): IpStats {
  const s: IpStats = { totalIPs: 0, totalPrefixes: 0, assignedIPs: 0, cooldownIPs: 0, available: 0 };
  for (const e of n.enis) {
    for (const c of e.cidrs) if (c.isPrefix) s.totalPrefixes++;
    for (const c of modeCidrs(n, e)) {
      s.totalIPs += cidrSize(c);
      for (const a of c.addresses) {
        if (a.pod !== undefined) s.assignedIPs++;
        else if (inCooling(a, now, cfg.ipCooldownPeriod)) s.cooldownIPs++;
      }
    }
  }
  s.available = s.totalIPs - s.assignedIPs;
  return s;
}

/** GetFreePrefixes: CIDRs (any kind) with no address assigned. */
function freePrefixes(n: IpamdNode): number {
  let k = 0;
  for (const e of n.enis) for (const c of e.cidrs) if (c.isPrefix && assignedIn(c) === 0) k++;
  return k;
}

/** getUnusedIP: a cooled-down remembered address first, else the lowest address not remembered. */
function unusedIp(c: IpamdCidr, now: number, cooldown: number): string | undefined {
  let cached: string | undefined;
  const keep: IpamdAddress[] = [];
  for (const a of c.addresses) {
    if (a.pod === undefined && !inCooling(a, now, cooldown)) {
      if (cached === undefined) cached = a.ip;
      continue; // dropped from the map, as the datastore does
    }
    keep.push(a);
  }
  c.addresses = sortAddrs(keep);
  if (cached !== undefined) return cached;
  const { base, size } = parseCidr4(c.cidr);
  const known = new Set(c.addresses.map((a) => a.ip));
  for (let i = 0; i < size; i++) {
    const ip = u32ToIp(base + i);
    if (!known.has(ip)) return ip;
  }
  return undefined;
}

function sortAddrs(a: IpamdAddress[]): IpamdAddress[] {
  return a.sort((x, y) => ipToU32(x.ip) - ipToU32(y.ip));
}

export interface PodAssignment {
  ip: string;
  deviceNumber: number;
  eniId: string;
}

function findPod(n: IpamdNode, pod: string): { eni: IpamdEni; cidr: IpamdCidr; addr: IpamdAddress } | undefined {
  for (const eni of n.enis) {
    for (const cidr of eni.cidrs) {
      const addr = cidr.addresses.find((a) => a.pod === pod);
      if (addr) return { eni, cidr, addr };
    }
  }
  return undefined;
}

/** AssignPodIPv4Address. Returns undefined when the datastore has no free address. */
export function assignPodIp(
  n: IpamdNode,
  cfg: AwsNodeConfig,
  pod: string,
  now: number,
  containerId?: string,
): PodAssignment | undefined {
  const existing = findPod(n, pod);
  if (existing) return { ip: existing.addr.ip, deviceNumber: existing.eni.deviceNumber, eniId: existing.eni.id };
  for (const eni of [...n.enis].sort((a, b) => a.deviceNumber - b.deviceNumber)) {
    for (const cidr of eni.cidrs) {
      if (cidr.isPrefix !== n.prefixDelegation) continue;
      const ip = unusedIp(cidr, now, cfg.ipCooldownPeriod);
      if (ip === undefined) continue;
      let addr = cidr.addresses.find((a) => a.ip === ip);
      if (!addr) {
        addr = { ip };
        cidr.addresses.push(addr);
        sortAddrs(cidr.addresses);
      }
      addr.pod = pod;
      addr.assignedAt = now;
      if (containerId !== undefined) addr.containerId = containerId;
      return { ip, deviceNumber: eni.deviceNumber, eniId: eni.id };
    }
  }
  return undefined;
}

/** UnassignPodIPAddress: the address stays remembered, cooling down for IP_COOLDOWN_PERIOD. */
export function unassignPodIp(n: IpamdNode, pod: string, now: number): PodAssignment | undefined {
  const f = findPod(n, pod);
  if (!f) return undefined;
  delete f.addr.pod;
  delete f.addr.containerId;
  delete f.addr.assignedAt;
  f.addr.unassignedAt = now;
  return { ip: f.addr.ip, deviceNumber: f.eni.deviceNumber, eniId: f.eni.id };
}

/** Every pod assignment on the node, by ENI device number then address. */
export function allocatedIps(n: IpamdNode): Array<PodAssignment & { pod: string }> {
  const out: Array<PodAssignment & { pod: string }> = [];
  for (const e of [...n.enis].sort((a, b) => a.deviceNumber - b.deviceNumber)) {
    for (const c of e.cidrs) {
      for (const a of c.addresses) if (a.pod !== undefined) out.push({ pod: a.pod, ip: a.ip, deviceNumber: e.deviceNumber, eniId: e.id });
    }
  }
  return out.sort((x, y) => x.deviceNumber - y.deviceNumber || ipToU32(x.ip) - ipToU32(y.ip));
}

// ---- EC2 side -----------------------------------------------------------------------------

function addCidrToStore(eni: IpamdEni, cidr: string, isPrefix: boolean): void {
  if (eni.cidrs.some((c) => c.cidr === cidr)) return; // IPAlreadyInStoreError is ignored by callers
  eni.cidrs.push({ cidr, isPrefix, addresses: [] }); // kept in the order EC2 attached them
}

function insufficientAddresses(vpc: VpcState, subnetId: string): AwsError {
  const s = getSubnet(vpc, subnetId);
  return new AwsError(
    'InsufficientFreeAddressesInSubnet',
    `The specified subnet ${s.id} (${s.cidr}) does not have enough free addresses to satisfy the request.`,
  );
}

/** AssignPrivateIpAddresses with SecondaryPrivateIpAddressCount / Ipv4PrefixCount: all or nothing. */
function ec2AssignAddresses(cluster: ClusterState, n: IpamdNode, eniId: string, count: number): string[] {
  const vpc = cluster.vpc;
  const eni = getEni(vpc, eniId);
  if (n.prefixDelegation) {
    const got: string[] = [];
    try {
      for (let i = 0; i < count; i++) got.push(allocatePrefix(vpc, eni.subnetId, eniId, cluster));
    } catch (e) {
      for (const p of got) releasePrefix(vpc, eniId, p);
      throw e;
    }
    return got;
  }
  if (freeIpCount(getSubnet(vpc, eni.subnetId)) < count) throw insufficientAddresses(vpc, eni.subnetId);
  const got: string[] = [];
  for (let i = 0; i < count; i++) got.push(allocateIp(vpc, eni.subnetId, eniId, cluster));
  return got;
}

/** awsutils.AllocENI: CreateNetworkInterface (with the addresses) + AttachNetworkInterface at the lowest free device index. */
function ec2AllocEni(cluster: ClusterState, n: IpamdNode, count: number): { eni: Eni; cidrs: string[] } {
  const vpc = cluster.vpc;
  const subnet = getSubnet(vpc, n.eniSubnetId);
  if (!n.prefixDelegation && freeIpCount(subnet) < count + 1) throw insufficientAddresses(vpc, subnet.id);
  const eni = createEni(vpc, {
    subnetId: subnet.id,
    rng: cluster,
    securityGroups: [...n.securityGroups],
    description: `aws-K8S-${n.instanceId}`,
  });
  let cidrs: string[];
  try {
    cidrs = ec2AssignAddresses(cluster, n, eni.id, count);
  } catch (e) {
    deleteEni(vpc, eni.id);
    throw e;
  }
  const used = new Set(instanceEnis(vpc, n.instanceId).map((e) => e.deviceIndex));
  let dev = 1;
  while (used.has(dev)) dev++;
  attachEni(vpc, eni.id, n.instanceId, dev);
  return { eni, cidrs: cidrs.map((c) => (c.includes('/') ? c : `${c}/32`)) };
}

function isInsufficient(e: unknown): boolean {
  return e instanceof AwsError && (e.code === 'InsufficientFreeAddressesInSubnet' || e.code === 'InsufficientCidrBlocks');
}

// ---- pool manager -------------------------------------------------------------------------

function warmIpTargetsDefined(cfg: AwsNodeConfig): boolean {
  return cfg.warmIpTarget !== 0 || cfg.minimumIpTarget !== 0;
}

function warmPrefixTargetDefined(n: IpamdNode, cfg: AwsNodeConfig): boolean {
  return cfg.warmPrefixTarget >= 0 && n.prefixDelegation;
}

/** datastoreTargetState: IPs (or prefixes, with PD) short of / over the WARM_IP_TARGET and MINIMUM_IP_TARGET. */
export function targetState(n: IpamdNode, cfg: AwsNodeConfig, stats: IpStats): { short: number; over: number; enabled: boolean } {
  if (!warmIpTargetsDefined(cfg)) return { short: 0, over: 0, enabled: false };
  let short = Math.max(cfg.warmIpTarget - stats.available, 0);
  short = Math.max(short, cfg.minimumIpTarget - stats.totalIPs);
  let over = Math.max(stats.available - cfg.warmIpTarget, 0);
  over = Math.max(Math.min(over, stats.totalIPs - cfg.minimumIpTarget), 0);
  if (n.prefixDelegation) {
    const shortPrefix = Math.ceil(short / IPS_PER_PREFIX);
    const forWarm = Math.ceil((stats.assignedIPs + cfg.warmIpTarget) / IPS_PER_PREFIX);
    const forMin = Math.ceil(cfg.minimumIpTarget / IPS_PER_PREFIX);
    let overPrefix = Math.max(Math.min(freePrefixes(n), stats.totalPrefixes - forWarm), 0);
    overPrefix = Math.max(Math.min(overPrefix, stats.totalPrefixes - forMin), 0);
    return { short: shortPrefix, over: overPrefix, enabled: true };
  }
  return { short, over, enabled: true };
}

/** isDatastorePoolTooLow for the default network card. */
export function isPoolTooLow(n: IpamdNode, cfg: AwsNodeConfig, stats: IpStats): boolean {
  if (stats.totalIPs >= n.maxPods) return false;
  const t = targetState(n, cfg, stats);
  if (t.enabled) return t.short > 0;
  const warmTarget = n.prefixDelegation ? cfg.warmPrefixTarget : cfg.warmEniTarget;
  const perUnit = n.prefixDelegation ? IPS_PER_PREFIX : n.maxIpsPerEni;
  return stats.available < perUnit * warmTarget || (warmTarget === 0 && stats.available === 0);
}

/** isDatastorePoolTooHigh. */
export function isPoolTooHigh(n: IpamdNode, cfg: AwsNodeConfig, stats: IpStats): boolean {
  const t = targetState(n, cfg, stats);
  if (t.enabled) return t.over > 0;
  if (warmPrefixTargetDefined(n, cfg)) return freePrefixes(n) > cfg.warmPrefixTarget;
  return false;
}

function prefixesNeeded(n: IpamdNode, cfg: AwsNodeConfig, now: number): number {
  let toAllocate = 1;
  const t = targetState(n, cfg, ipStats(n, cfg, now));
  if (t.enabled) toAllocate = Math.max(toAllocate, t.short);
  else if (warmPrefixTargetDefined(n, cfg)) toAllocate = Math.max(toAllocate, Math.max(cfg.warmPrefixTarget - freePrefixes(n), 0));
  return toAllocate;
}

function hasRoomForEni(n: IpamdNode, cfg: AwsNodeConfig): boolean {
  const trunk = cfg.enablePodEni ? 1 : 0;
  return n.enis.length < n.maxEni - trunk;
}

/** tryAssignIPs / tryAssignPrefixes: fill an existing ENI. */
function tryAssignCidrs(cluster: ClusterState, n: IpamdNode, cfg: AwsNodeConfig, now: number): boolean {
  const limit = n.prefixDelegation ? n.maxPrefixesPerEni : n.maxIpsPerEni;
  let toAllocate: number;
  if (n.prefixDelegation) {
    toAllocate = prefixesNeeded(n, cfg, now);
  } else {
    const t = targetState(n, cfg, ipStats(n, cfg, now));
    if (t.enabled && t.short === 0) return false;
    toAllocate = t.enabled ? t.short : n.maxIpsPerEni;
  }
  // GetAllocatableENIs: skips the primary ENI with custom networking.
  const enis = n.enis.filter((e) => !(cfg.customNetworking && e.isPrimary) && e.cidrs.length < limit);
  for (const eni of enis) {
    const want = Math.min(limit - eni.cidrs.length, toAllocate);
    let got: string[];
    try {
      got = ec2AssignAddresses(cluster, n, eni.id, want);
    } catch (e) {
      if (!(e instanceof AwsError)) throw e;
      try {
        got = ec2AssignAddresses(cluster, n, eni.id, 1); // "Try to just get one more"
      } catch (e2) {
        if (!(e2 instanceof AwsError)) throw e2;
        if (isInsufficient(e2)) {
          n.lastInsufficientCidrError = now;
          return false;
        }
        throw e2;
      }
    }
    for (const c of got) addCidrToStore(eni, c.includes('/') ? c : `${c}/32`, n.prefixDelegation);
    return true;
  }
  return false;
}

/** GetENIResourcesToAllocate. */
function eniResourcesToAllocate(n: IpamdNode, cfg: AwsNodeConfig, now: number): number {
  if (n.prefixDelegation) return Math.min(prefixesNeeded(n, cfg, now), n.maxPrefixesPerEni);
  const t = targetState(n, cfg, ipStats(n, cfg, now));
  return t.enabled ? Math.min(t.short, n.maxIpsPerEni) : n.maxIpsPerEni;
}

function tryAllocateEni(cluster: ClusterState, n: IpamdNode, cfg: AwsNodeConfig, now: number): boolean {
  const count = eniResourcesToAllocate(n, cfg, now);
  if (count <= 0) return false;
  let res: { eni: Eni; cidrs: string[] };
  try {
    res = ec2AllocEni(cluster, n, count);
  } catch (e) {
    if (isInsufficient(e)) {
      n.lastInsufficientCidrError = now;
      return false;
    }
    throw e;
  }
  const eni: IpamdEni = { id: res.eni.id, deviceNumber: res.eni.deviceIndex ?? 0, isPrimary: false, createdAt: now, cidrs: [] };
  for (const c of res.cidrs) addCidrToStore(eni, c, n.prefixDelegation);
  n.enis.push(eni);
  n.enis.sort((a, b) => a.deviceNumber - b.deviceNumber);
  return true;
}

/** increaseDatastorePool. */
function increasePool(cluster: ClusterState, n: IpamdNode, cfg: AwsNodeConfig, now: number): boolean {
  if (n.lastInsufficientCidrError !== null && now - n.lastInsufficientCidrError <= INSUFFICIENT_CIDR_ERROR_COOLDOWN) return false;
  if (tryAssignCidrs(cluster, n, cfg, now)) return true;
  if (n.lastInsufficientCidrError === now) return false;
  if (!hasRoomForEni(n, cfg)) return false;
  return tryAllocateEni(cluster, n, cfg, now);
}

/** tryUnassignCidrsFromAll. */
function decreasePool(cluster: ClusterState, n: IpamdNode, cfg: AwsNodeConfig, stats: IpStats): boolean {
  const t = targetState(n, cfg, stats);
  let over = t.over;
  if (!t.enabled) over = warmPrefixTargetDefined(n, cfg) ? Math.max(freePrefixes(n) - cfg.warmPrefixTarget, 0) : 0;
  let changed = false;
  if (over <= 0) return false;
  for (const eni of n.enis) {
    const freeable = eni.cidrs.filter((c) => assignedIn(c) === 0).slice(0, Math.min(over, eni.cidrs.length));
    if (freeable.length === 0) continue;
    for (const c of freeable) {
      eni.cidrs = eni.cidrs.filter((x) => x !== c);
      if (c.isPrefix) releasePrefix(cluster.vpc, eni.id, c.cidr);
      else releaseIp(cluster.vpc, c.cidr.split('/')[0]);
      changed = true;
    }
    over -= freeable.length;
    if (over <= 0) break;
  }
  return changed;
}

/** shouldRemoveExtraENIs. */
function shouldRemoveExtraEnis(n: IpamdNode, cfg: AwsNodeConfig, stats: IpStats, now: number): boolean {
  if (warmIpTargetsDefined(cfg)) return true;
  const warmTarget = (n.prefixDelegation ? cfg.warmPrefixTarget : cfg.warmEniTarget) + 1;
  if (stats.available >= warmTarget * n.maxIpsPerEni) return true;
  if (n.prefixDelegation) {
    return n.enis.some((e) => !e.isPrimary && e.cidrs.every((c) => assignedIn(c) === 0));
  }
  void now;
  return false;
}

function otherEnis(n: IpamdNode, eni: IpamdEni): IpamdEni[] {
  return n.enis.filter((e) => e.id !== eni.id);
}

/** getDeletableENI. */
function deletableEni(cluster: ClusterState, n: IpamdNode, cfg: AwsNodeConfig, now: number): IpamdEni | undefined {
  const roundUp = (x: number) => (n.prefixDelegation ? Math.ceil(x / IPS_PER_PREFIX) * IPS_PER_PREFIX : x);
  for (const eni of n.enis) {
    if (eni.isPrimary) continue;
    if (now - eni.createdAt < MIN_ENI_LIFETIME) continue;
    if (eni.cidrs.some((c) => c.addresses.some((a) => inCooling(a, now, cfg.ipCooldownPeriod)))) continue;
    if (eni.cidrs.some((c) => assignedIn(c) > 0)) continue;
    const others = otherEnis(n, eni).flatMap((e) => modeCidrs(n, e));
    if (cfg.warmIpTarget !== 0) {
      const otherWarm = others.reduce((s, c) => s + cidrSize(c) - assignedIn(c), 0);
      if (otherWarm < roundUp(cfg.warmIpTarget)) continue;
    }
    if (cfg.minimumIpTarget !== 0) {
      const otherIps = others.reduce((s, c) => s + cidrSize(c), 0);
      if (otherIps < roundUp(cfg.minimumIpTarget)) continue;
    }
    if (n.prefixDelegation && cfg.warmPrefixTarget !== 0) {
      const otherFree = otherEnis(n, eni).flatMap((e) => e.cidrs).filter((c) => assignedIn(c) === 0).length;
      if (otherFree < cfg.warmPrefixTarget) continue;
    }
    return eni;
  }
  return undefined;
}

/** tryFreeENI: RemoveUnusedENIFromStore + FreeENI (detach and delete). */
function tryFreeEni(cluster: ClusterState, n: IpamdNode, cfg: AwsNodeConfig, now: number): boolean {
  const eni = deletableEni(cluster, n, cfg, now);
  if (!eni) return false;
  n.enis = n.enis.filter((e) => e !== eni);
  detachEni(cluster.vpc, eni.id);
  deleteEni(cluster.vpc, eni.id);
  return true;
}

/** One pass of updateIPPoolIfRequired. Returns whether anything changed. */
export function poolTick(cluster: ClusterState, n: IpamdNode, cfg: AwsNodeConfig, now: number): boolean {
  if (cfg.disableEniProvisioning) return false;
  const stats = ipStats(n, cfg, now);
  let changed = false;
  let scaledDown = false;
  if (isPoolTooLow(n, cfg, stats)) {
    changed = increasePool(cluster, n, cfg, now) || changed;
  } else if (
    isPoolTooHigh(n, cfg, stats) &&
    !(n.lastDecreaseIpPool !== null && now - n.lastDecreaseIpPool <= DECREASE_IP_POOL_INTERVAL)
  ) {
    scaledDown = true;
    changed = decreasePool(cluster, n, cfg, stats) || changed;
  }
  if (shouldRemoveExtraEnis(n, cfg, stats, now)) changed = tryFreeEni(cluster, n, cfg, now) || changed;
  if (scaledDown) n.lastDecreaseIpPool = now;
  return changed;
}

/** Run the pool manager until it stops changing anything (as it would over its 5 s ticks, at this instant). */
export function poolSettle(cluster: ClusterState, n: IpamdNode, cfg: AwsNodeConfig, now: number, maxTicks = 64): void {
  for (let i = 0; i < maxTicks; i++) if (!poolTick(cluster, n, cfg, now)) return;
}

// ---- node init ----------------------------------------------------------------------------

export interface IpamdInitOptions {
  /** Subnet for new ENIs with custom networking (from the node's ENIConfig). */
  customNetworkingSubnetId?: string;
  customNetworkingSecurityGroups?: string[];
}

/**
 * nodeInit: discover the instance's ENIs (and their addresses) into a new datastore, then
 * pre-scale the pool. Replaces any previous state of the node.
 */
export function ipamdNodeInit(
  cluster: ClusterState,
  node: NodeRecord,
  cfg: AwsNodeConfig,
  opts: IpamdInitOptions = {},
): IpamdNode {
  const limits = instanceLimits(node.instanceType);
  const enis = instanceEnis(cluster.vpc, node.instanceId);
  const primary = enis.find((e) => e.deviceIndex === 0);
  if (!primary) throw new KubewireError(`node ${node.name}: instance ${node.instanceId} has no primary ENI`);
  // isConfigValid / IsPrefixDelegationSupported: Nitro or bare metal, else back to secondary IPs.
  const pd = cfg.prefixDelegation && (limits.hypervisor === 'nitro' || limits.bareMetal);
  const perEni = limits.ipv4PerEni - 1; // GetENIIPv4Limit: the primary address is not for pods
  const maxEni = cfg.maxEni >= 1 && cfg.maxEni < limits.enis ? cfg.maxEni : limits.enis;
  if (cfg.customNetworking && !opts.customNetworkingSubnetId) {
    throw new KubewireError(
      `node ${node.name}: AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=true but no ENIConfig could be found for this node (Failed to attach any ENIs for custom networking)`,
    );
  }
  const now = cluster.clock;
  const n: IpamdNode = {
    node: node.name,
    instanceId: node.instanceId,
    instanceType: node.instanceType,
    eniSubnetId: cfg.customNetworking ? (opts.customNetworkingSubnetId as string) : primary.subnetId,
    // createENI: the ENIConfig's security groups, or the primary ENI's when it lists none.
    securityGroups:
      cfg.customNetworking && opts.customNetworkingSecurityGroups && opts.customNetworkingSecurityGroups.length > 0
        ? [...opts.customNetworkingSecurityGroups]
        : [...primary.securityGroups],
    prefixDelegation: pd,
    maxEni,
    maxIpsPerEni: pd ? perEni * IPS_PER_PREFIX : perEni,
    maxPrefixesPerEni: pd ? perEni : 0,
    maxPods: node.podCapacity,
    enis: [],
    lastDecreaseIpPool: null,
    lastInsufficientCidrError: null,
    pods: {},
  };
  for (const e of enis) {
    const eni: IpamdEni = { id: e.id, deviceNumber: e.deviceIndex ?? 0, isPrimary: e.deviceIndex === 0, createdAt: now, cidrs: [] };
    for (const ip of e.secondaryIps) addCidrToStore(eni, `${ip}/32`, false);
    for (const p of e.prefixes) addCidrToStore(eni, p, true);
    n.enis.push(eni);
  }
  awsNodeState(cluster).nodes[node.name] = n;
  poolSettle(cluster, n, cfg, now);
  return n;
}

/** Forget a node (instance terminated): EC2 releases its ENIs with the instance. */
export function ipamdNodeRemove(cluster: ClusterState, nodeName: string): void {
  delete awsNodeState(cluster).nodes[nodeName];
}

/** Per-ENI summary for status output and tests. */
export interface EniSummary {
  eniId: string;
  deviceNumber: number;
  isPrimary: boolean;
  /** Secondary IPs or prefixes on the ENI (the datastore's CIDRs). */
  cidrs: string[];
  assigned: number;
}

export function eniSummaries(n: IpamdNode): EniSummary[] {
  return [...n.enis]
    .sort((a, b) => a.deviceNumber - b.deviceNumber)
    .map((e) => ({
      eniId: e.id,
      deviceNumber: e.deviceNumber,
      isPrimary: e.isPrimary,
      cidrs: e.cidrs.map((c) => c.cidr),
      assigned: e.cidrs.reduce((s, c) => s + assignedIn(c), 0),
    }));
}
