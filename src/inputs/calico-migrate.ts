// Settings of `kubewire cni migrate calico-vxlan`: the install path's defaults (Tigera operator
// with kubernetesProvider EKS, or the calico-vxlan.yaml manifest, research/calico.md §4.1),
// overridden by options, validated as Calico's IPPool validation would, each error naming the option.

import type { CalicoSettings, ClusterSpec } from './cluster-spec.ts';
import { KubewireError } from '../errors.ts';
import { formatCidr, parseCidr4, type Cidr4 } from '../aws/ip.ts';
import { parseCalicoVersion } from '../cni/calico/version.ts';

export type CalicoInstall = 'operator' | 'manifest';

/** Newest Calico release the research note describes. */
export const CALICO_LATEST = 'v3.32.1';

/** Defaults per install path: the operator's EKS pool vs the manifest's calico-node default pool. */
export function installDefaults(install: CalicoInstall): CalicoSettings {
  return install === 'operator'
    ? { version: CALICO_LATEST, ipPoolCidr: '172.16.0.0/16', blockSize: 26, vxlanMode: 'Always', ipipMode: 'Never', natOutgoing: true }
    : { version: CALICO_LATEST, ipPoolCidr: '192.168.0.0/16', blockSize: 26, vxlanMode: 'CrossSubnet', ipipMode: 'Never', natOutgoing: true };
}

export interface MigrateOptions {
  poolCidr?: string;
  blockSize?: string;
  vxlanMode?: string;
  ipipMode?: string;
  natOutgoing?: string;
  mtu?: string;
  calicoVersion?: string;
  install?: string;
}

export interface MigrateSettings {
  install: CalicoInstall;
  calico: CalicoSettings;
  /** Non-fatal findings (overlaps, modes kubewire cannot carry traffic with). */
  warnings: string[];
}

function overlap(a: Cidr4, b: Cidr4): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

function int(opt: string, v: string): number {
  if (!/^\d+$/.test(v)) throw new KubewireError(`invalid value for ${opt}: "${v}" is not an integer`);
  return Number(v);
}

/** Validates the options against the cluster they will be applied to. */
export function migrateSettings(spec: ClusterSpec, o: MigrateOptions): MigrateSettings {
  const install = (o.install ?? 'operator') as CalicoInstall;
  if (install !== 'operator' && install !== 'manifest') {
    throw new KubewireError(`invalid value for --install: "${o.install}" (supported values: "operator", "manifest")`);
  }
  const c = installDefaults(install);
  const warnings: string[] = [];

  if (o.calicoVersion !== undefined) {
    if (!/^v?3\.\d+\.\d+$/.test(o.calicoVersion)) {
      throw new KubewireError(`invalid value for --calico-version: "${o.calicoVersion}" is not a Calico v3 release (e.g. ${CALICO_LATEST})`);
    }
    const v = parseCalicoVersion(o.calicoVersion);
    if (v.minor < 26) throw new KubewireError(`invalid value for --calico-version: ${o.calicoVersion} (kubewire models Calico v3.26 and newer)`);
    c.version = o.calicoVersion.startsWith('v') ? o.calicoVersion : `v${o.calicoVersion}`;
  }
  if (o.poolCidr !== undefined) {
    if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(o.poolCidr)) throw new KubewireError(`invalid value for --pool-cidr: invalid CIDR address: ${o.poolCidr}`);
    let p: Cidr4;
    try {
      p = parseCidr4(o.poolCidr);
    } catch {
      throw new KubewireError(`invalid value for --pool-cidr: invalid CIDR address: ${o.poolCidr}`);
    }
    c.ipPoolCidr = formatCidr(p);
  }
  if (o.blockSize !== undefined) {
    const b = int('--block-size', o.blockSize);
    // Calico's IPPool validation: IPv4 block size 20..32.
    if (b < 20 || b > 32) throw new KubewireError(`invalid value for --block-size: ${b} (IPv4 block size must be between 20 and 32)`);
    c.blockSize = b;
  }
  const pool = parseCidr4(c.ipPoolCidr);
  if (pool.prefixLen > c.blockSize) {
    throw new KubewireError(`invalid value for ${o.blockSize !== undefined ? '--block-size' : '--pool-cidr'}: IP pool size (/${pool.prefixLen}) is too small for the block size /${c.blockSize}`);
  }
  const modes = ['Always', 'CrossSubnet', 'Never'];
  if (o.vxlanMode !== undefined) {
    if (!modes.includes(o.vxlanMode)) throw new KubewireError(`invalid value for --vxlan-mode: "${o.vxlanMode}" (supported values: "Always", "CrossSubnet", "Never")`);
    c.vxlanMode = o.vxlanMode as CalicoSettings['vxlanMode'];
  }
  if (o.ipipMode !== undefined) {
    if (!modes.includes(o.ipipMode)) throw new KubewireError(`invalid value for --ipip-mode: "${o.ipipMode}" (supported values: "Always", "CrossSubnet", "Never")`);
    c.ipipMode = o.ipipMode as CalicoSettings['ipipMode'];
  }
  if (c.ipipMode !== 'Never') {
    if (c.vxlanMode !== 'Never') throw new KubewireError('invalid value for --ipip-mode: an IP pool cannot use both IPIP and VXLAN (add --vxlan-mode Never)');
    // IPIP routes come from BIRD (BGP), which the EKS install disables (research §9).
    throw new KubewireError(`invalid value for --ipip-mode: ${c.ipipMode} needs BGP (BIRD programs the tunl0 routes), which Calico on EKS runs disabled; kubewire models VXLAN or no encapsulation`);
  }
  if (c.vxlanMode === 'Never') {
    warnings.push('--vxlan-mode Never: no encapsulation and, with BGP disabled on EKS, no routes to other nodes\' blocks: pod traffic between nodes leaves by the default route with pod IPs the VPC neither routes nor lets past the ENI source/destination check');
  }
  if (c.vxlanMode === 'CrossSubnet' && install === 'operator') {
    warnings.push('--vxlan-mode CrossSubnet: pod IPs travel unencapsulated between nodes of one subnet, and the ENI source/destination check drops them (the manifest install sets FELIX_AWSSRCDSTCHECK=Disable; the operator install does not)');
  }
  if (o.natOutgoing !== undefined) {
    if (o.natOutgoing !== 'true' && o.natOutgoing !== 'false') throw new KubewireError(`invalid value for --nat-outgoing: "${o.natOutgoing}" (expected true or false)`);
    c.natOutgoing = o.natOutgoing === 'true';
  }
  if (!c.natOutgoing) {
    warnings.push('--nat-outgoing false: pod traffic to the VPC, the EKS API server ENIs and the Internet keeps its pool source address, which nothing outside the cluster routes back');
  }
  if (o.mtu !== undefined) {
    const m = int('--mtu', o.mtu);
    if (m < 68 || m > 9001) throw new KubewireError(`invalid value for --mtu: ${m} (must be between 68 and 9001, the ENI MTU)`);
    c.mtu = m;
  }
  // Calico accepts an overlapping pool; what breaks is routing (pool vs VPC addresses), so warn.
  const vpc = parseCidr4(spec.vpc.cidr);
  if (overlap(pool, vpc)) warnings.push(`Calico IP pool ${c.ipPoolCidr} overlaps the VPC CIDR ${spec.vpc.cidr}: pod and node addresses can collide (the operator's EKS default 172.16.0.0/16 avoids this)`);
  const svc = parseCidr4(spec.serviceIPv4CIDR);
  if (overlap(pool, svc)) warnings.push(`Calico IP pool ${c.ipPoolCidr} overlaps the service CIDR ${spec.serviceIPv4CIDR}: pod and Service addresses can collide`);
  return { install, calico: c, warnings };
}
