// Names the cluster makes up: EC2 private DNS names of nodes, generateName suffixes,
// and the ids containerd hands out for sandboxes and containers.

import { randHex, randString, type RngHolder } from './rand.ts';

/** EC2 private DNS domain: "ec2.internal" in us-east-1, "<region>.compute.internal" elsewhere. */
export function ec2InternalDomain(region: string): string {
  return region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`;
}

/** EKS node name = the instance's private DNS name, e.g. "ip-192-168-12-34.us-west-2.compute.internal". */
export function ec2PrivateDnsName(ip: string, region: string): string {
  return `ip-${ip.split('.').join('-')}.${ec2InternalDomain(region)}`;
}

/** Longest base the API server keeps before appending 5 random characters (63 − 5). */
const MAX_GENERATED_BASE = 58;

/** metadata.generateName → name, as the API server's names.SimpleNameGenerator does. */
export function generateName(h: RngHolder, base: string): string {
  const b = base.length > MAX_GENERATED_BASE ? base.slice(0, MAX_GENERATED_BASE) : base;
  return b + randString(h, 5);
}

/** containerd sandbox / container id: 64 hex digits. */
export function containerdId(h: RngHolder): string {
  return randHex(h, 64);
}
