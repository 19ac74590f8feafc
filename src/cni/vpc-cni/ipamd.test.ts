import { describe, expect, it } from 'vitest';
import { eniForIp, instanceEnis } from '../../aws/vpc.ts';
import { parseAwsNodeEnv } from './config.ts';
import {
  assignPodIp,
  eniSummaries,
  ipamdNodeInit,
  ipStats,
  poolSettle,
  unassignPodIp,
  type IpamdNode,
} from './ipamd.ts';
import { maxPods } from './max-pods.ts';
import { addTestNode, testCluster, testSpec } from './testing.ts';
import type { ClusterState } from '../../control-plane/types.ts';

function boot(instanceType: string, env: Record<string, string> = {}, subnetCidr?: string, capacity?: number) {
  const cluster = testCluster(testSpec({ env, subnetCidr }));
  const node = addTestNode(cluster, instanceType, capacity ?? maxPods(instanceType));
  const cfg = parseAwsNodeEnv(env);
  const n = ipamdNodeInit(cluster, node, cfg);
  let pods = 0;
  const add = (k: number) => {
    for (let i = 0; i < k; i++) {
      const a = assignPodIp(n, cfg, `default/p${pods}`, cluster.clock);
      if (!a) throw new Error(`no IP for pod ${pods}`);
      pods++;
      poolSettle(cluster, n, cfg, cluster.clock);
    }
  };
  return { cluster, node, cfg, n, add };
}

/** The docs table's columns: attached ENIs, secondary IPs, unused IPs, IPs per ENI (sorted). */
function shape(n: IpamdNode, cluster: ClusterState) {
  const s = eniSummaries(n);
  const secondaries = s.reduce((a, e) => a + e.cidrs.length, 0);
  const assigned = s.reduce((a, e) => a + e.assigned, 0);
  // the VPC agrees with the datastore
  const vpcSecondaries = instanceEnis(cluster.vpc, n.instanceId).reduce((a, e) => a + e.secondaryIps.length, 0);
  expect(vpcSecondaries).toBe(secondaries);
  return { enis: s.length, ips: secondaries, unused: secondaries - assigned, perEni: s.map((e) => e.cidrs.length).sort((a, b) => a - b) };
}

// docs/eni-and-ip-target.md, "Some example cases"
describe('warm pool (docs/eni-and-ip-target.md examples)', () => {
  it('t3.small, WARM_ENI_TARGET=1', () => {
    const t = boot('t3.small', { WARM_ENI_TARGET: '1' });
    expect(shape(t.n, t.cluster)).toEqual({ enis: 1, ips: 3, unused: 3, perEni: [3] });
    t.add(5);
    expect(shape(t.n, t.cluster)).toEqual({ enis: 3, ips: 9, unused: 4, perEni: [3, 3, 3] });
    t.add(4);
    expect(shape(t.n, t.cluster)).toEqual({ enis: 3, ips: 9, unused: 0, perEni: [3, 3, 3] });
  });
  it('t3.small, WARM_IP_TARGET=1 MINIMUM_IP_TARGET=1', () => {
    const t = boot('t3.small', { WARM_IP_TARGET: '1', MINIMUM_IP_TARGET: '1' });
    expect(shape(t.n, t.cluster)).toEqual({ enis: 1, ips: 1, unused: 1, perEni: [1] });
    t.add(5);
    expect(shape(t.n, t.cluster)).toEqual({ enis: 2, ips: 6, unused: 1, perEni: [3, 3] });
    t.add(4);
    expect(shape(t.n, t.cluster)).toEqual({ enis: 3, ips: 9, unused: 0, perEni: [3, 3, 3] });
  });
  it('t3.small, WARM_IP_TARGET=2 MINIMUM_IP_TARGET=5', () => {
    const t = boot('t3.small', { WARM_IP_TARGET: '2', MINIMUM_IP_TARGET: '5' });
    expect(shape(t.n, t.cluster)).toEqual({ enis: 2, ips: 5, unused: 5, perEni: [2, 3] });
    t.add(5);
    expect(shape(t.n, t.cluster)).toEqual({ enis: 3, ips: 7, unused: 2, perEni: [1, 3, 3] });
    t.add(4);
    expect(shape(t.n, t.cluster)).toEqual({ enis: 3, ips: 9, unused: 0, perEni: [3, 3, 3] });
  });
  it('p3dn.24xlarge, WARM_ENI_TARGET=1', () => {
    const t = boot('p3dn.24xlarge', { WARM_ENI_TARGET: '1' });
    expect(shape(t.n, t.cluster)).toMatchObject({ enis: 1, ips: 49, unused: 49 });
    t.add(3);
    expect(shape(t.n, t.cluster)).toMatchObject({ enis: 2, ips: 98, unused: 95 });
    t.add(92);
    expect(shape(t.n, t.cluster)).toMatchObject({ enis: 3, ips: 147, unused: 52 });
  });
  it('p3dn.24xlarge, WARM_IP_TARGET=5 MINIMUM_IP_TARGET=10', () => {
    const t = boot('p3dn.24xlarge', { WARM_IP_TARGET: '5', MINIMUM_IP_TARGET: '10' });
    expect(shape(t.n, t.cluster)).toEqual({ enis: 1, ips: 10, unused: 10, perEni: [10] });
    t.add(7);
    expect(shape(t.n, t.cluster)).toEqual({ enis: 1, ips: 12, unused: 5, perEni: [12] });
    t.add(8);
    expect(shape(t.n, t.cluster)).toEqual({ enis: 1, ips: 20, unused: 5, perEni: [20] });
    t.add(30);
    expect(shape(t.n, t.cluster)).toEqual({ enis: 2, ips: 50, unused: 5, perEni: [1, 49] });
  });
});

describe('default settings on m5.large (3 ENIs × 10 IPv4, max pods 29)', () => {
  it('keeps a full ENI of free IPs, and runs out after 27 pods', () => {
    const t = boot('m5.large');
    expect(shape(t.n, t.cluster)).toEqual({ enis: 1, ips: 9, unused: 9, perEni: [9] });
    t.add(1);
    expect(shape(t.n, t.cluster)).toEqual({ enis: 2, ips: 18, unused: 17, perEni: [9, 9] });
    t.add(9);
    expect(shape(t.n, t.cluster)).toEqual({ enis: 3, ips: 27, unused: 17, perEni: [9, 9, 9] });
    t.add(17);
    expect(shape(t.n, t.cluster)).toEqual({ enis: 3, ips: 27, unused: 0, perEni: [9, 9, 9] });
    // 27 pods + the 2 host-network pods (aws-node, kube-proxy) = 29 = max pods
    expect(assignPodIp(t.n, t.cfg, 'default/one-too-many', t.cluster.clock)).toBeUndefined();
  });

  it('records every pod IP on the ENI that holds it in the VPC', () => {
    const t = boot('m5.large');
    t.add(12);
    for (const e of eniSummaries(t.n)) {
      for (const c of e.cidrs) expect(eniForIp(t.cluster.vpc, c.split('/')[0])?.id).toBe(e.eniId);
    }
  });
});

describe('IP cooldown', () => {
  it('does not hand a released IP to a new pod for 30 s', () => {
    const t = boot('t3.small', { WARM_IP_TARGET: '1', MINIMUM_IP_TARGET: '1' });
    const a = assignPodIp(t.n, t.cfg, 'default/a', 0)!;
    poolSettle(t.cluster, t.n, t.cfg, 0);
    unassignPodIp(t.n, 'default/a', 10);
    expect(ipStats(t.n, t.cfg, 10).cooldownIPs).toBe(1);
    const b = assignPodIp(t.n, t.cfg, 'default/b', 20)!;
    expect(b.ip).not.toBe(a.ip);
    unassignPodIp(t.n, 'default/b', 20);
    // inCoolingPeriod is time.Since(unassigned) <= 30 s: at 40 s both still cool down,
    // at 41 s a's address is out of cooldown, b's is not
    expect(ipStats(t.n, t.cfg, 40).cooldownIPs).toBe(2);
    expect(ipStats(t.n, t.cfg, 41).cooldownIPs).toBe(1);
    const c = assignPodIp(t.n, t.cfg, 'default/c', 41)!;
    expect(c.ip).toBe(a.ip);
  });
  it('a duplicate ADD for the same pod returns the same address', () => {
    const t = boot('t3.small');
    const a = assignPodIp(t.n, t.cfg, 'default/a', 0)!;
    expect(assignPodIp(t.n, t.cfg, 'default/a', 1)).toEqual(a);
  });
});

describe('scale down', () => {
  it('frees a surplus ENI once it is a minute old and its IPs have cooled down', () => {
    const t = boot('t3.small');
    t.add(5); // 3 ENIs
    for (let i = 0; i < 5; i++) unassignPodIp(t.n, `default/p${i}`, 10);
    poolSettle(t.cluster, t.n, t.cfg, 20); // IPs still cooling
    expect(eniSummaries(t.n).length).toBe(3);
    poolSettle(t.cluster, t.n, t.cfg, 100);
    // WARM_ENI_TARGET=1: free ENIs while available ≥ (1+1) × 3
    expect(eniSummaries(t.n).length).toBe(1);
    expect(instanceEnis(t.cluster.vpc, t.n.instanceId).length).toBe(1);
  });
  it('WARM_IP_TARGET releases IPs over the target, at most every 30 s', () => {
    const t = boot('p3dn.24xlarge', { WARM_IP_TARGET: '5', MINIMUM_IP_TARGET: '10' });
    t.add(15); // 20 IPs
    for (let i = 0; i < 15; i++) unassignPodIp(t.n, `default/p${i}`, 5);
    poolSettle(t.cluster, t.n, t.cfg, 100);
    expect(shape(t.n, t.cluster).ips).toBe(10); // MINIMUM_IP_TARGET floor
  });
});

describe('subnet exhaustion', () => {
  it('stops at what the subnet holds, and pods beyond that get no IP', () => {
    // /27: 32 − 5 reserved = 27 usable; the node's primary IP takes one, leaving 26
    const t = boot('m5.large', {}, '192.168.64.0/27');
    t.add(1);
    const s = shape(t.n, t.cluster);
    expect(s.enis).toBe(2);
    t.add(s.ips - 1);
    const final = shape(t.n, t.cluster);
    expect(final.unused).toBe(0);
    expect(assignPodIp(t.n, t.cfg, 'default/x', t.cluster.clock)).toBeUndefined();
  });
});

describe('prefix delegation', () => {
  it('m5.large with WARM_PREFIX_TARGET=1 starts with one /28 and adds one as it fills', () => {
    const t = boot('m5.large', { ENABLE_PREFIX_DELEGATION: 'true' });
    t.n.maxPods = 110;
    poolSettle(t.cluster, t.n, t.cfg, 0);
    let s = eniSummaries(t.n);
    expect(s.length).toBe(1);
    expect(s[0].cidrs.length).toBe(1);
    expect(s[0].cidrs[0]).toMatch(/\/28$/);
    t.add(1);
    s = eniSummaries(t.n);
    expect(s[0].cidrs.length).toBe(2); // the used prefix + one free prefix
    t.add(16);
    s = eniSummaries(t.n);
    expect(s.reduce((a, e) => a + e.cidrs.length, 0)).toBe(3);
    const ip = eniSummaries(t.n)[0].cidrs[0].split('/')[0];
    expect(eniForIp(t.cluster.vpc, ip)?.id).toBe(s[0].eniId);
  });
  it('bare metal instances (hypervisor "unknown") do support prefixes', () => {
    const t = boot('m5.metal', { ENABLE_PREFIX_DELEGATION: 'true' });
    expect(t.n.prefixDelegation).toBe(true);
  });
  it('falls back to secondary IPs on a Xen instance', () => {
    const t = boot('m4.large', { ENABLE_PREFIX_DELEGATION: 'true' });
    expect(t.n.prefixDelegation).toBe(false);
    expect(eniSummaries(t.n)[0].cidrs[0]).toMatch(/\/32$/);
  });
});

/** docs/prefix-and-ip-target.md columns: ENIs, pods per ENI, pods per prefix, unused prefixes, prefixes per ENI, unused IPs. */
function pdShape(n: IpamdNode) {
  const enis = [...n.enis].sort((a, b) => a.deviceNumber - b.deviceNumber);
  const perPrefix = enis.flatMap((e) => e.cidrs.map((c) => c.addresses.filter((a) => a.pod !== undefined).length));
  return {
    enis: enis.length,
    podsPerEni: enis.map((e) => e.cidrs.reduce((s, c) => s + c.addresses.filter((a) => a.pod !== undefined).length, 0)),
    podsPerPrefix: perPrefix,
    unusedPrefixes: perPrefix.filter((x) => x === 0).length,
    prefixesPerEni: enis.map((e) => e.cidrs.length),
    unusedIps: perPrefix.length * 16 - perPrefix.reduce((a, b) => a + b, 0),
  };
}

// docs/prefix-and-ip-target.md, "Examples" (t3.small: 3 ENIs × 3 prefixes; kubelet max pods 110)
describe('prefix delegation (docs/prefix-and-ip-target.md examples)', () => {
  it('t3.small, WARM_PREFIX_TARGET=1', () => {
    const t = boot('t3.small', { ENABLE_PREFIX_DELEGATION: 'true', WARM_PREFIX_TARGET: '1' }, undefined, 110);
    expect(pdShape(t.n)).toEqual({ enis: 1, podsPerEni: [0], podsPerPrefix: [0], unusedPrefixes: 1, prefixesPerEni: [1], unusedIps: 16 });
    t.add(5);
    expect(pdShape(t.n)).toEqual({ enis: 1, podsPerEni: [5], podsPerPrefix: [5, 0], unusedPrefixes: 1, prefixesPerEni: [2], unusedIps: 27 });
    t.add(11);
    expect(pdShape(t.n)).toEqual({ enis: 1, podsPerEni: [16], podsPerPrefix: [16, 0], unusedPrefixes: 1, prefixesPerEni: [2], unusedIps: 16 });
    t.add(1);
    expect(pdShape(t.n)).toEqual({ enis: 1, podsPerEni: [17], podsPerPrefix: [16, 1, 0], unusedPrefixes: 1, prefixesPerEni: [3], unusedIps: 31 });
    t.add(41);
    expect(pdShape(t.n)).toEqual({ enis: 2, podsPerEni: [48, 10], podsPerPrefix: [16, 16, 16, 10, 0], unusedPrefixes: 1, prefixesPerEni: [3, 2], unusedIps: 22 });
  });
  it('t3.small, WARM_IP_TARGET=1 MINIMUM_IP_TARGET=1', () => {
    const t = boot('t3.small', { ENABLE_PREFIX_DELEGATION: 'true', WARM_IP_TARGET: '1', MINIMUM_IP_TARGET: '1' }, undefined, 110);
    expect(pdShape(t.n)).toEqual({ enis: 1, podsPerEni: [0], podsPerPrefix: [0], unusedPrefixes: 1, prefixesPerEni: [1], unusedIps: 16 });
    t.add(5);
    expect(pdShape(t.n)).toEqual({ enis: 1, podsPerEni: [5], podsPerPrefix: [5], unusedPrefixes: 0, prefixesPerEni: [1], unusedIps: 11 });
    t.add(12);
    expect(pdShape(t.n)).toEqual({ enis: 1, podsPerEni: [17], podsPerPrefix: [16, 1], unusedPrefixes: 0, prefixesPerEni: [2], unusedIps: 15 });
    t.add(41);
    expect(pdShape(t.n)).toEqual({ enis: 2, podsPerEni: [48, 10], podsPerPrefix: [16, 16, 16, 10], unusedPrefixes: 0, prefixesPerEni: [3, 1], unusedIps: 6 });
  });
  it('t3.small, WARM_IP_TARGET=7 MINIMUM_IP_TARGET=20', () => {
    const t = boot('t3.small', { ENABLE_PREFIX_DELEGATION: 'true', WARM_IP_TARGET: '7', MINIMUM_IP_TARGET: '20' }, undefined, 110);
    // MINIMUM_IP_TARGET=20 needs ⌈20/16⌉ = 2 prefixes
    expect(pdShape(t.n)).toMatchObject({ enis: 1, podsPerPrefix: [0, 0], prefixesPerEni: [2] });
    t.add(5);
    expect(pdShape(t.n)).toEqual({ enis: 1, podsPerEni: [5], podsPerPrefix: [5, 0], unusedPrefixes: 1, prefixesPerEni: [2], unusedIps: 27 });
    t.add(12);
    expect(pdShape(t.n)).toEqual({ enis: 1, podsPerEni: [17], podsPerPrefix: [16, 1], unusedPrefixes: 0, prefixesPerEni: [2], unusedIps: 15 });
    t.add(41);
    expect(pdShape(t.n)).toEqual({ enis: 2, podsPerEni: [48, 10], podsPerPrefix: [16, 16, 16, 10, 0], unusedPrefixes: 1, prefixesPerEni: [3, 2], unusedIps: 22 });
  });
});

