// EC2 instance network limits as the Amazon VPC CNI sees them (ENIs per instance on the default
// network card, IPv4 addresses per ENI, hypervisor, bare metal, network cards).
// The numbers live in instance-limits.json, transcribed from aws/amazon-vpc-cni-k8s
// pkg/vpc/vpc_ip_resource_limit.go (commit noted in the file).

import { KubewireError } from '../errors.ts';
import data from './instance-limits.json' with { type: 'json' };

export type Hypervisor = 'nitro' | 'xen' | 'unknown';

export interface InstanceLimits {
  instanceType: string;
  /** ENILimit: MaximumNetworkInterfaces of the default network card (index 0). */
  enis: number;
  /** IPv4Limit: IPv4 addresses per ENI, the ENI's primary address included. */
  ipv4PerEni: number;
  hypervisor: Hypervisor;
  bareMetal: boolean;
  /** MaximumNetworkInterfaces per network card, by card index. */
  networkCards: number[];
  /**
   * Default vCPUs. NOT part of the upstream limits table: derived from the size in the
   * instance-type name (see vcpusFromName); undefined when the name does not determine it.
   */
  vcpus?: number;
}

interface RawLimits {
  enis: number;
  ipv4PerEni: number;
  hypervisor: string;
  bareMetal: boolean;
  networkCards: number[];
}

const TYPES = (data as { types: Record<string, RawLimits> }).types;

export const INSTANCE_LIMITS_SOURCE: { repository: string; path: string; commit: string } = (
  data as { source: { repository: string; path: string; commit: string } }
).source;

// ---- vCPUs ---------------------------------------------------------------------------------
// The upstream table has no vCPU counts (max-pods-calculator.sh asks DescribeInstanceTypes for
// VCpuInfo.DefaultVCpus). We derive them from EC2's size naming: medium = 1, large = 2,
// xlarge = 4, Nxlarge = 4N, metal-Nxl = 4N, metal = the family's largest virtualized size.
// Types whose count breaks the naming rule are listed explicitly.
const VCPU_EXCEPTIONS: Record<string, number> = {
  't1.micro': 1,
  't2.nano': 1,
  't2.micro': 1,
  't2.small': 1,
  't2.medium': 2,
  't3.nano': 2,
  't3.micro': 2,
  't3.small': 2,
  't3.medium': 2,
  't3a.nano': 2,
  't3a.micro': 2,
  't3a.small': 2,
  't3a.medium': 2,
  't4g.nano': 2,
  't4g.micro': 2,
  't4g.small': 2,
  't4g.medium': 2,
  'c1.medium': 2,
  'm1.small': 1,
  'm2.xlarge': 2,
  'm2.2xlarge': 4,
  'm2.4xlarge': 8,
  'c4.8xlarge': 36,
  'hs1.8xlarge': 16,
  'mac1.metal': 12,
  'mac2.metal': 12,
  'mac2-m2.metal': 8,
  'mac2-m2pro.metal': 12,
  'mac2-m1ultra.metal': 20,
  'mac-m4.metal': 10,
  'mac-m4pro.metal': 14,
  'u-6tb1.metal': 448,
  'u-9tb1.metal': 448,
  'u-12tb1.metal': 448,
  'u-18tb1.metal': 448,
  'u-24tb1.metal': 448,
};

function sizeVcpus(size: string): number | undefined {
  if (size === 'nano' || size === 'micro' || size === 'small' || size === 'medium') return 1;
  if (size === 'large') return 2;
  if (size === 'xlarge') return 4;
  let m = /^(\d+)xlarge$/.exec(size);
  if (m) return 4 * Number(m[1]);
  m = /^metal-(\d+)xl$/.exec(size);
  if (m) return 4 * Number(m[1]);
  return undefined;
}

/** vCPUs implied by an instance-type name (see the comment above VCPU_EXCEPTIONS). */
export function vcpusFromName(instanceType: string): number | undefined {
  if (instanceType in VCPU_EXCEPTIONS) return VCPU_EXCEPTIONS[instanceType];
  const dot = instanceType.indexOf('.');
  if (dot < 0) return undefined;
  const family = instanceType.slice(0, dot);
  const size = instanceType.slice(dot + 1);
  if (size === 'metal') {
    let best: number | undefined;
    for (const t of Object.keys(TYPES)) {
      if (!t.startsWith(family + '.') || t === instanceType) continue;
      const s = t.slice(family.length + 1);
      if (s.startsWith('metal')) continue;
      const v = sizeVcpus(s);
      if (v !== undefined && (best === undefined || v > best)) best = v;
    }
    return best;
  }
  return sizeVcpus(size);
}

// ---- lookups -----------------------------------------------------------------------------

function toLimits(instanceType: string, r: RawLimits): InstanceLimits {
  return {
    instanceType,
    enis: r.enis,
    ipv4PerEni: r.ipv4PerEni,
    hypervisor: r.hypervisor as Hypervisor,
    bareMetal: r.bareMetal,
    networkCards: [...r.networkCards],
    vcpus: vcpusFromName(instanceType),
  };
}

export function findInstanceLimits(instanceType: string): InstanceLimits | undefined {
  const r = Object.prototype.hasOwnProperty.call(TYPES, instanceType) ? TYPES[instanceType] : undefined;
  return r ? toLimits(instanceType, r) : undefined;
}

/** Limits of a known instance type; an unknown type is a KubewireError naming close matches. */
export function instanceLimits(instanceType: string): InstanceLimits {
  const l = findInstanceLimits(instanceType);
  if (l) return l;
  const close = suggestInstanceTypes(instanceType);
  const hint = close.length ? `; did you mean ${close.join(', ')}?` : '';
  throw new KubewireError(`unknown instance type "${instanceType}"${hint}`);
}

/** Every known instance type, in byte order (the order of misc/eni-max-pods.txt). */
export function knownInstanceTypes(): string[] {
  return Object.keys(TYPES).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Levenshtein edit distance. */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** Up to `max` known types closest to `instanceType` by edit distance (ties in byte order). */
export function suggestInstanceTypes(instanceType: string, max = 3): string[] {
  const q = instanceType.toLowerCase();
  const limit = Math.max(2, Math.ceil(q.length / 3));
  return knownInstanceTypes()
    .map((t) => ({ t, d: editDistance(q, t) }))
    .filter((x) => x.d <= limit)
    .sort((x, y) => x.d - y.d || (x.t < y.t ? -1 : x.t > y.t ? 1 : 0))
    .slice(0, max)
    .map((x) => x.t);
}
