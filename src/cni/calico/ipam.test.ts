import { describe, expect, it } from 'vitest';
import {
  affineBlocks,
  affinityName,
  autoAssign,
  blockName,
  claimBlock,
  MAX_BLOCKS_PER_HOST,
  newIpamState,
  releaseByHandle,
  startBlockIndex,
  tunnelHandle,
  type IpamPool,
} from './ipam.ts';

const EKS_POOL: IpamPool = { cidr: '172.16.0.0/16', blockSize: 26, vxlanMode: 'Always', ipipMode: 'Never', natOutgoing: true };
const POOL_192: IpamPool = { ...EKS_POOL, cidr: '192.168.0.0/16' };

describe('calico-ipam first block (research note §4.4 vectors)', () => {
  it.each([
    ['ip-10-0-1-10.us-west-2.compute.internal', 806, '172.16.201.128/26'],
    ['ip-10-0-2-20.us-west-2.compute.internal', 48, '172.16.12.0/26'],
    ['ip-10-0-1-30.us-west-2.compute.internal', 689, '172.16.172.64/26'],
    ['ip-192-168-12-34.ec2.internal', 370, '172.16.92.128/26'],
  ])('%s → index %i, %s', (node, index, block) => {
    expect(startBlockIndex(EKS_POOL, node)).toBe(index);
    const st = newIpamState(EKS_POOL);
    expect(claimBlock(st, node)?.cidr).toBe(block);
  });

  it.each([
    ['ip-10-37-9-248.ec2.internal', '192.168.82.192/26'],
    ['ip-10-37-57-55.ec2.internal', '192.168.66.0/26'],
    ['ip-10-37-3-250.ec2.internal', '192.168.141.0/26'],
    ['ip-10-37-7-207.ec2.internal', '192.168.215.64/26'],
    ['ip-10-37-59-126.ec2.internal', '192.168.11.0/26'],
    ['ip-10-37-57-227.ec2.internal', '192.168.36.0/26'],
    ['ip-10-37-5-90.ec2.internal', '192.168.241.64/26'],
  ])('real cluster (felix#2953): %s → %s', (node, block) => {
    expect(claimBlock(newIpamState(POOL_192), node)?.cidr).toBe(block);
  });

  it.each([
    ['worker01.home.local', '192.168.255.128/26'],
    ['controller.home.local', '192.168.2.0/26'],
  ])('real v3.28.0 kubeadm cluster (vxlan.calico 192.168.255.128/32, route 192.168.2.0/26 via the controller): %s → %s', (node, block) => {
    expect(claimBlock(newIpamState(POOL_192), node)?.cidr).toBe(block);
  });

  it('real cluster (calico#5171): 10.158.84.15 → 10.42.39.64/26', () => {
    expect(claimBlock(newIpamState({ ...EKS_POOL, cidr: '10.42.0.0/16' }), '10.158.84.15')?.cidr).toBe('10.42.39.64/26');
  });

  it('a node whose start block is taken moves to the next one', () => {
    const st = newIpamState(EKS_POOL);
    const a = 'ip-10-0-1-10.us-west-2.compute.internal';
    claimBlock(st, a);
    // Pretend another node walked first onto 172.16.201.128/26: a's second block is the next index.
    expect(claimBlock({ ...st, blocks: { ...st.blocks, '172.16.201.128/26': { ...st.blocks['172.16.201.128/26']!, affinity: 'other', unallocated: [] } } }, a)?.cidr).toBe('172.16.201.192/26');
  });

  it('object names', () => {
    expect(blockName('172.16.201.128/26')).toBe('172-16-201-128-26');
    expect(affinityName('n1', '172.16.201.128/26')).toBe('n1-172-16-201-128-26');
  });
});

describe('calico-ipam allocation (§4.5–4.7)', () => {
  const node = 'ip-10-0-1-10.us-west-2.compute.internal';

  it('tunnel address first, then pods in ordinal order', () => {
    const st = newIpamState(EKS_POOL);
    expect(autoAssign(st, node, tunnelHandle(node), { node, type: 'vxlanTunnelAddress' })?.ip).toBe('172.16.201.128');
    expect(autoAssign(st, node, 'k8s-pod-network.a', { node })?.ip).toBe('172.16.201.129');
    expect(autoAssign(st, node, 'k8s-pod-network.b', { node })?.ip).toBe('172.16.201.130');
  });

  it('released ordinals go to the back of the free list (FIFO)', () => {
    const st = newIpamState(EKS_POOL);
    autoAssign(st, node, 'h0', {});
    autoAssign(st, node, 'h1', {});
    expect(releaseByHandle(st, 'h1')).toEqual(['172.16.201.129']);
    expect(autoAssign(st, node, 'h2', {})?.ip).toBe('172.16.201.130');
  });

  it('a full block makes the node claim the next block of its walk', () => {
    const st = newIpamState(EKS_POOL);
    for (let i = 0; i < 64; i++) autoAssign(st, node, `h${i}`, {});
    const r = autoAssign(st, node, 'h64', {});
    expect(r).toEqual({ ip: '172.16.201.192', block: '172.16.201.192/26', borrowed: false });
    expect(affineBlocks(st, node).map((b) => b.cidr)).toEqual(['172.16.201.128/26', '172.16.201.192/26']);
  });

  it('block limit: 20 blocks per host, then the assignment fails', () => {
    const st = newIpamState(EKS_POOL);
    for (let i = 0; i < 64 * MAX_BLOCKS_PER_HOST; i++) expect(autoAssign(st, node, `h${i}`, {})).toBeDefined();
    expect(autoAssign(st, node, 'one-more', {})).toBeUndefined();
  });

  it('borrows from another node\'s block when the pool has no unclaimed block', () => {
    // A /24 pool with /26 blocks has 4 blocks.
    const st = newIpamState({ ...EKS_POOL, cidr: '10.9.0.0/24' });
    const others = ['n-a', 'n-b', 'n-c', 'n-d'];
    for (const n of others) autoAssign(st, n, `t-${n}`, {});
    expect(Object.keys(st.blocks)).toHaveLength(4);
    const r = autoAssign(st, 'n-e', 'p', {});
    expect(r?.borrowed).toBe(true);
  });
});
