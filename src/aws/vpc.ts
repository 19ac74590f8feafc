// The VPC as EC2 models it: subnets (AWS reserves the network address, +1 router, +2 DNS,
// +3 future use, and the broadcast address), ENIs with a primary private IP, secondary IPs
// and /28 delegated prefixes, and which ENI owns each address.
//
// Addresses EC2 picks itself (instance primary IPs, AssignPrivateIpAddresses with a count)
// are effectively random free addresses of the subnet; given an RNG we draw them the same way,
// without one we take the lowest free address.

import type { ClusterSpec } from '../inputs/cluster-spec.ts';
import { KubewireError } from '../errors.ts';
import { nextU32, randInt, type RngHolder } from '../k8s/rand.ts';
import { fnv32a } from '../k8s/hash.ts';
import type { Eni, SubnetState, VpcState } from './types.ts';
import { ipToU32, parseCidr4, u32ToIp } from './ip.ts';

/** An EC2 API error: `code` is the EC2 error code, the message reads like the API's. */
export class AwsError extends KubewireError {
  readonly code: string;
  constructor(code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = 'AwsError';
    this.code = code;
  }
}

export function createVpc(spec: ClusterSpec): VpcState {
  const vpcCidr = parseCidr4(spec.vpc.cidr);
  const subnets: SubnetState[] = spec.vpc.subnets.map((s) => {
    const c = parseCidr4(s.cidr);
    if (c.base < vpcCidr.base || c.base + c.size > vpcCidr.base + vpcCidr.size) {
      throw new KubewireError(`subnet ${s.id} (${s.cidr}) is not inside VPC CIDR ${spec.vpc.cidr}`);
    }
    if (c.prefixLen > 28 || c.prefixLen < 16) {
      throw new KubewireError(`subnet ${s.id} (${s.cidr}): AWS subnets must be between /16 and /28`);
    }
    return { id: s.id, az: s.az, cidr: s.cidr, public: s.public, used: {} };
  });
  return { id: spec.vpc.id, cidr: spec.vpc.cidr, subnets, enis: [], nextId: 1 };
}

export function getSubnet(vpc: VpcState, subnetId: string): SubnetState {
  const s = vpc.subnets.find((x) => x.id === subnetId);
  if (!s) throw new AwsError('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`);
  return s;
}

export function getEni(vpc: VpcState, eniId: string): Eni {
  const e = vpc.enis.find((x) => x.id === eniId);
  if (!e) throw new AwsError('InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${eniId}' does not exist`);
  return e;
}

/** First and last address EC2 will hand out in a subnet (network+4 … broadcast−1). */
export function usableRange(subnet: SubnetState): { first: number; last: number } {
  const c = parseCidr4(subnet.cidr);
  return { first: c.base + 4, last: c.base + c.size - 2 };
}

/** The subnet's router (network+1): the default gateway DHCP gives instances. */
export function subnetGateway(subnet: SubnetState): string {
  return u32ToIp(parseCidr4(subnet.cidr).base + 1);
}

/** The Amazon-provided DNS server: VPC network + 2. */
export function vpcDnsServer(vpc: VpcState): string {
  return u32ToIp(parseCidr4(vpc.cidr).base + 2);
}

export function subnetPrefixLen(subnet: SubnetState): number {
  return parseCidr4(subnet.cidr).prefixLen;
}

export function freeIpCount(subnet: SubnetState): number {
  const { first, last } = usableRange(subnet);
  return last - first + 1 - Object.keys(subnet.used).length;
}

// ---- deterministic AWS-looking ids -------------------------------------------------------

function idStream(vpc: VpcState, salt: string): RngHolder {
  const n = vpc.nextId++;
  return { rng: (fnv32a(new TextEncoder().encode(`${vpc.id}/${salt}`)) ^ Math.imul(n, 0x9e3779b1)) >>> 0 };
}

/** "<prefix>-0" + 16 hex digits, the 17-hex-digit form EC2 uses today. */
export function newResourceId(vpc: VpcState, prefix: string): string {
  const h = idStream(vpc, prefix);
  const hex = nextU32(h).toString(16).padStart(8, '0') + nextU32(h).toString(16).padStart(8, '0');
  return `${prefix}-0${hex}`;
}

/** Locally administered unicast MAC as EC2 assigns to ENIs: 02:xx:xx:xx:xx:xx. */
export function newMac(vpc: VpcState): string {
  const h = idStream(vpc, 'mac');
  const a = nextU32(h);
  const b = nextU32(h);
  const bytes = [2, (a >>> 24) & 255, (a >>> 16) & 255, (a >>> 8) & 255, a & 255, b & 255];
  return bytes.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

// ---- addresses ---------------------------------------------------------------------------

function pickFreeIp(subnet: SubnetState, rng?: RngHolder): number | undefined {
  const { first, last } = usableRange(subnet);
  const total = last - first + 1;
  if (total - Object.keys(subnet.used).length <= 0) return undefined;
  const start = rng ? randInt(rng, total) : 0;
  for (let i = 0; i < total; i++) {
    const v = first + ((start + i) % total);
    if (!(u32ToIp(v) in subnet.used)) return v;
  }
  return undefined;
}

function insufficient(subnet: SubnetState): AwsError {
  return new AwsError(
    'InsufficientFreeAddressesInSubnet',
    `The specified subnet ${subnet.id} (${subnet.cidr}) does not have enough free addresses to satisfy the request.`,
  );
}

function claimIp(subnet: SubnetState, eniId: string, ip: string): void {
  const v = ipToU32(ip);
  const { first, last } = usableRange(subnet);
  const c = parseCidr4(subnet.cidr);
  if (v < c.base || v >= c.base + c.size) {
    throw new AwsError('InvalidParameterValue', `Address ${ip} does not fall within the subnet's address range`);
  }
  if (v < first || v > last) {
    throw new AwsError('InvalidParameterValue', `Address ${ip} is in subnet's reserved address range`);
  }
  if (ip in subnet.used) {
    throw new AwsError('InvalidIPAddress.InUse', `Address ${ip} is in use.`);
  }
  subnet.used[ip] = eniId;
}

/**
 * Assign one secondary private IP to an ENI (AssignPrivateIpAddresses). `ip` requests a
 * specific address; otherwise EC2 picks a free one (random with `rng`, lowest without).
 */
export function allocateIp(vpc: VpcState, subnetId: string, eniId: string, rng?: RngHolder, ip?: string): string {
  const subnet = getSubnet(vpc, subnetId);
  const eni = vpc.enis.find((e) => e.id === eniId);
  if (eni && eni.subnetId !== subnetId) {
    throw new AwsError('InvalidParameterValue', `Network interface ${eniId} is not in subnet ${subnetId}`);
  }
  let chosen = ip;
  if (chosen === undefined) {
    const v = pickFreeIp(subnet, rng);
    if (v === undefined) throw insufficient(subnet);
    chosen = u32ToIp(v);
  }
  claimIp(subnet, eniId, chosen);
  if (eni && eni.primaryIp !== chosen) eni.secondaryIps.push(chosen);
  return chosen;
}

/** Unassign an address (UnassignPrivateIpAddresses); unknown addresses are ignored. */
export function releaseIp(vpc: VpcState, ip: string): void {
  for (const s of vpc.subnets) {
    const owner = s.used[ip];
    if (owner === undefined) continue;
    delete s.used[ip];
    const eni = vpc.enis.find((e) => e.id === owner);
    if (eni) eni.secondaryIps = eni.secondaryIps.filter((x) => x !== ip);
  }
}

/** Delegate a free, aligned /28 of the subnet to an ENI (AssignPrivateIpAddresses --ipv4-prefix-count 1). */
export function allocatePrefix(vpc: VpcState, subnetId: string, eniId: string, rng?: RngHolder): string {
  const subnet = getSubnet(vpc, subnetId);
  const eni = getEni(vpc, eniId);
  const c = parseCidr4(subnet.cidr);
  const { first, last } = usableRange(subnet);
  const blocks: number[] = [];
  for (let b = c.base; b + 15 < c.base + c.size; b += 16) {
    if (b < first || b + 15 > last) continue;
    let free = true;
    for (let i = 0; i < 16 && free; i++) if (u32ToIp(b + i) in subnet.used) free = false;
    if (free) blocks.push(b);
  }
  if (blocks.length === 0) {
    throw new AwsError(
      'InsufficientCidrBlocks',
      `The specified subnet ${subnet.id} does not have enough free cidr blocks to satisfy the request.`,
    );
  }
  const b = blocks[rng ? randInt(rng, blocks.length) : 0];
  for (let i = 0; i < 16; i++) subnet.used[u32ToIp(b + i)] = eniId;
  const prefix = `${u32ToIp(b)}/28`;
  eni.prefixes.push(prefix);
  return prefix;
}

export function releasePrefix(vpc: VpcState, eniId: string, prefix: string): void {
  const eni = getEni(vpc, eniId);
  const subnet = getSubnet(vpc, eni.subnetId);
  const c = parseCidr4(prefix);
  for (let i = 0; i < c.size; i++) {
    const ip = u32ToIp(c.base + i);
    if (subnet.used[ip] === eniId) delete subnet.used[ip];
  }
  eni.prefixes = eni.prefixes.filter((p) => p !== prefix);
}

// ---- ENIs ---------------------------------------------------------------------------------

export interface CreateEniOptions {
  subnetId: string;
  description?: string;
  securityGroups?: string[];
  /** Draw the primary IP at random (as EC2 does); lowest free without. */
  rng?: RngHolder;
  /** Request a specific primary IP. */
  primaryIp?: string;
}

/** CreateNetworkInterface: a detached ENI with its primary private IP. */
export function createEni(vpc: VpcState, opts: CreateEniOptions): Eni {
  const subnet = getSubnet(vpc, opts.subnetId);
  const id = newResourceId(vpc, 'eni');
  let ip = opts.primaryIp;
  if (ip === undefined) {
    const v = pickFreeIp(subnet, opts.rng);
    if (v === undefined) throw insufficient(subnet);
    ip = u32ToIp(v);
  }
  claimIp(subnet, id, ip);
  const eni: Eni = {
    id,
    subnetId: subnet.id,
    mac: newMac(vpc),
    primaryIp: ip,
    secondaryIps: [],
    prefixes: [],
    sourceDestCheck: true,
    securityGroups: opts.securityGroups ?? [],
    description: opts.description,
  };
  vpc.enis.push(eni);
  return eni;
}

/** AttachNetworkInterface. deviceIndex 0 is the instance's primary ENI (eth0). */
export function attachEni(vpc: VpcState, eniId: string, instanceId: string, deviceIndex: number): Eni {
  const eni = getEni(vpc, eniId);
  if (eni.instanceId !== undefined) {
    throw new AwsError('InvalidNetworkInterface.InUse', `Interface: [${eniId}] in use.`);
  }
  if (vpc.enis.some((e) => e.instanceId === instanceId && e.deviceIndex === deviceIndex)) {
    throw new AwsError(
      'InvalidParameterValue',
      `Instance '${instanceId}' already has an interface attached at device index '${deviceIndex}'.`,
    );
  }
  eni.instanceId = instanceId;
  eni.deviceIndex = deviceIndex;
  return eni;
}

export function detachEni(vpc: VpcState, eniId: string): void {
  const eni = getEni(vpc, eniId);
  if (eni.deviceIndex === 0) {
    throw new AwsError('OperationNotPermitted', `The network interface at device index 0 cannot be detached.`);
  }
  delete eni.instanceId;
  delete eni.deviceIndex;
}

/** DeleteNetworkInterface: releases every address the ENI holds. */
export function deleteEni(vpc: VpcState, eniId: string): void {
  const eni = getEni(vpc, eniId);
  if (eni.instanceId !== undefined) {
    throw new AwsError('InvalidNetworkInterface.InUse', `Network interface '${eniId}' is currently in use.`);
  }
  for (const s of vpc.subnets) for (const [ip, owner] of Object.entries(s.used)) if (owner === eniId) delete s.used[ip];
  vpc.enis = vpc.enis.filter((e) => e.id !== eniId);
}

/** ENIs attached to an instance, by device index. */
export function instanceEnis(vpc: VpcState, instanceId: string): Eni[] {
  return vpc.enis.filter((e) => e.instanceId === instanceId).sort((a, b) => (a.deviceIndex ?? 0) - (b.deviceIndex ?? 0));
}

/** The ENI that owns an address (primary, secondary or inside a delegated prefix): where the VPC fabric delivers it. */
export function eniForIp(vpc: VpcState, ip: string): Eni | undefined {
  for (const s of vpc.subnets) {
    const owner = s.used[ip];
    if (owner !== undefined) return vpc.enis.find((e) => e.id === owner);
  }
  return undefined;
}
