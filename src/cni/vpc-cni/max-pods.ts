// Max pods per node for the Amazon VPC CNI.
//
// - Secondary-IP mode (misc/eni-max-pods.txt): ENIs × (IPv4 per ENI − 1) + 2. The first IP of
//   every ENI is the ENI's own; +2 for the host-network pods (aws-node, kube-proxy).
// - Custom networking: the primary ENI hosts no pods, so (ENIs − 1) × (IPv4 per ENI − 1) + 2.
// - Prefix delegation as amazon-eks-ami's max-pods-calculator.sh computes it:
//   ENIs × ((IPv4 per ENI − 1) × 16) + 2, only on Nitro instances and only for CNI ≥ 1.9
//   (older CNIs and non-Nitro hypervisors fall back to the secondary-IP formula).
// - The calculator's recommended value (anything computed "with a CNI version") is capped:
//   110 when the instance has ≤ 30 vCPUs, 250 above; --show-max-allowed skips the cap.

import { KubewireError } from '../../errors.ts';
import { instanceLimits, type InstanceLimits } from '../../aws/instance-limits.ts';

export const IPS_PER_PREFIX = 16;
export const MAX_POD_CEILING_FOR_LOW_CPU = 110;
export const MAX_POD_CEILING_FOR_HIGH_CPU = 250;
/** The calculator compares `CPU_COUNT -gt 30`. */
export const HIGH_CPU_THRESHOLD = 30;
/** CNI version assumed when prefix delegation is asked for without one (first with PD: 1.9.0). */
export const DEFAULT_CNI_VERSION = '1.19.0';

export function secondaryIpMaxPods(enis: number, ipv4PerEni: number): number {
  return enis * (ipv4PerEni - 1) + 2;
}

export function prefixDelegationMaxPods(enis: number, ipv4PerEni: number): number {
  return enis * ((ipv4PerEni - 1) * IPS_PER_PREFIX) + 2;
}

export interface CniVersion {
  major: number;
  minor: number;
  patch: number;
}

/** "1.7.5", "v1.19.0", "1.18.1-eksbuild.1" → numbers; anything else is an error. */
export function parseCniVersion(v: string): CniVersion {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$/.exec(v.trim());
  if (!m) throw new KubewireError(`invalid CNI version "${v}" (expected MAJOR.MINOR[.PATCH], e.g. 1.19.0)`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
}

/** max-pods-calculator.sh: PREFIX_DELEGATION_SUPPORTED when major > 1, or major = 1 and minor > 8. */
export function cniSupportsPrefixDelegation(v: CniVersion): boolean {
  return v.major > 1 || (v.major === 1 && v.minor > 8);
}

export interface MaxPodsOptions {
  customNetworking?: boolean;
  prefixDelegation?: boolean;
  /**
   * Compute the calculator's recommended value for this CNI version (vCPU cap applied).
   * Without it, secondary-IP mode gives the published eni-max-pods.txt value (no cap);
   * prefix delegation always goes through the calculator, with DEFAULT_CNI_VERSION.
   */
  cniVersion?: string;
  /** --cni-max-eni: use at most this many ENIs. */
  maxEni?: number;
  /** --show-max-allowed: skip the vCPU cap. */
  showMaxAllowed?: boolean;
  /** eksctl maxPodsPerNode (kubelet --max-pods): replaces the computed value. */
  maxPodsPerNode?: number;
}

export interface MaxPodsResult {
  instanceType: string;
  maxPods: number;
  /** Which formula gave the value. */
  mode: 'secondary-ip' | 'prefix-delegation';
  enisForPods: number;
  /** The cap applied, if any. */
  cap?: number;
  /** maxPodsPerNode replaced the computed value. */
  override?: boolean;
}

export function computeMaxPods(limits: InstanceLimits, opts: MaxPodsOptions = {}): MaxPodsResult {
  if (opts.maxPodsPerNode !== undefined) {
    if (!Number.isInteger(opts.maxPodsPerNode) || opts.maxPodsPerNode < 1) {
      throw new KubewireError(`invalid maxPodsPerNode ${opts.maxPodsPerNode} (must be a positive integer)`);
    }
  }
  if (opts.maxEni !== undefined && (!Number.isInteger(opts.maxEni) || opts.maxEni < 1)) {
    throw new KubewireError(`invalid max ENI count ${opts.maxEni} (must be a positive integer)`);
  }
  const calculator = opts.cniVersion !== undefined || opts.prefixDelegation === true;
  const version = parseCniVersion(opts.cniVersion ?? DEFAULT_CNI_VERSION);
  let enis = limits.enis;
  if (opts.maxEni !== undefined) enis = Math.min(opts.maxEni, enis);
  if (opts.customNetworking) enis -= 1;
  const usePd = opts.prefixDelegation === true && limits.hypervisor === 'nitro' && cniSupportsPrefixDelegation(version);
  const raw = usePd ? prefixDelegationMaxPods(enis, limits.ipv4PerEni) : secondaryIpMaxPods(enis, limits.ipv4PerEni);
  const result: MaxPodsResult = {
    instanceType: limits.instanceType,
    maxPods: raw,
    mode: usePd ? 'prefix-delegation' : 'secondary-ip',
    enisForPods: enis,
  };
  if (opts.maxPodsPerNode !== undefined) {
    result.maxPods = opts.maxPodsPerNode;
    result.override = true;
    return result;
  }
  if (!calculator || opts.showMaxAllowed) return result;
  if (limits.vcpus === undefined) {
    throw new KubewireError(
      `vCPU count of ${limits.instanceType} is not known, so the calculator's max-pods cap cannot be applied (use --show-max-allowed)`,
    );
  }
  const cap = limits.vcpus > HIGH_CPU_THRESHOLD ? MAX_POD_CEILING_FOR_HIGH_CPU : MAX_POD_CEILING_FOR_LOW_CPU;
  result.maxPods = Math.min(cap, raw);
  result.cap = cap;
  return result;
}

export function maxPods(instanceType: string, opts: MaxPodsOptions = {}): number {
  return computeMaxPods(instanceLimits(instanceType), opts).maxPods;
}
