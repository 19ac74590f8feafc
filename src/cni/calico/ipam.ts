// calico-ipam (libcalico-go/lib/ipam) as plain data: one IPv4 pool cut into blocks, per-node block
// affinity, ordinal allocation inside a block, the VXLAN tunnel address, release and borrowing.
// Research note §4 (algorithm in prose) is the spec; nothing here is Calico code.
//
// State lives in ClusterState.pluginState['calico'] (JSON only).

import type { ClusterState } from '../../control-plane/types.ts';
import type { CalicoSettings } from '../../inputs/cluster-spec.ts';
import { KubewireError } from '../../errors.ts';
import { ipToU32, parseCidr4, u32ToIp } from '../../aws/ip.ts';
import { fnv1_32, goBigRand, GoRandSource } from './go-rand.ts';

/** IPAMConfig maxBlocksPerHost 0 is treated as 20. */
export const MAX_BLOCKS_PER_HOST = 20;
/** IPAMConfig strictAffinity default. */
export const STRICT_AFFINITY = false;

export interface IpamPool {
  cidr: string;
  blockSize: number;
  vxlanMode: CalicoSettings['vxlanMode'];
  ipipMode: CalicoSettings['ipipMode'];
  natOutgoing: boolean;
}

export interface IpamBlock {
  /** e.g. "172.16.201.128/26". */
  cidr: string;
  /** Node name of the host affinity; null once released. */
  affinity: string | null;
  /** Free ordinals in hand-out order (front first; released ones are appended). */
  unallocated: number[];
  /** Handle ID per ordinal (null = free). */
  allocations: (string | null)[];
  /** Attributes per ordinal (node, pod, namespace, type), parallel to allocations. */
  attributes: (Record<string, string> | null)[];
}

export interface IpamState {
  pool: IpamPool;
  /** Block CIDR → block. */
  blocks: Record<string, IpamBlock>;
}

/** The pool calico-node/the operator create from the cluster file (research §4.1). */
export function poolFromSettings(s: CalicoSettings): IpamPool {
  return { cidr: s.ipPoolCidr, blockSize: s.blockSize, vxlanMode: s.vxlanMode, ipipMode: s.ipipMode, natOutgoing: s.natOutgoing };
}

export function newIpamState(pool: IpamPool): IpamState {
  const c = parseCidr4(pool.cidr);
  if (pool.blockSize < c.prefixLen || pool.blockSize > 32) {
    throw new KubewireError(`Calico IP pool ${pool.cidr}: blockSize ${pool.blockSize} must be between ${c.prefixLen} and 32`);
  }
  return { pool, blocks: {} };
}

/** IPAMBlock object name: the CIDR with "." and "/" replaced by "-". */
export function blockName(cidr: string): string {
  return cidr.replace(/[./]/g, '-');
}

/** BlockAffinity object name: "<node>-<cidr with dashes>". */
export function affinityName(node: string, cidr: string): string {
  return `${node}-${blockName(cidr)}`;
}

function blockAddrs(pool: IpamPool): number {
  return 2 ** (32 - pool.blockSize);
}

export function numBlocks(pool: IpamPool): number {
  return 2 ** (pool.blockSize - parseCidr4(pool.cidr).prefixLen);
}

function blockCidrAt(pool: IpamPool, index: number): string {
  const c = parseCidr4(pool.cidr);
  return `${u32ToIp((c.base + index * blockAddrs(pool)) >>> 0)}/${pool.blockSize}`;
}

/**
 * The block index a node's search starts from: Go math/rand seeded with the 32-bit FNV-1 hash of
 * the node name, then big.Int.Rand over the number of blocks (research §4.4 step 1).
 */
const startCache = new Map<string, number>();

export function startBlockIndex(pool: IpamPool, node: string): number {
  const key = `${pool.cidr}|${pool.blockSize}|${node}`;
  const hit = startCache.get(key);
  if (hit !== undefined) return hit;
  const v = computeStart(pool, node);
  startCache.set(key, v);
  return v;
}

function computeStart(pool: IpamPool, node: string): number {
  const src = new GoRandSource(BigInt(fnv1_32(node)));
  return Number(goBigRand(src, BigInt(numBlocks(pool))));
}

/** Blocks in the search walk: start, start+1, … wrapping, each once. */
export function blockWalk(pool: IpamPool, node: string): string[] {
  const n = numBlocks(pool);
  const start = startBlockIndex(pool, node);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(blockCidrAt(pool, (start + i) % n));
  return out;
}

function newBlock(pool: IpamPool, cidr: string, node: string): IpamBlock {
  const n = blockAddrs(pool);
  return {
    cidr,
    affinity: node,
    unallocated: Array.from({ length: n }, (_, i) => i),
    allocations: new Array<string | null>(n).fill(null),
    attributes: new Array<Record<string, string> | null>(n).fill(null),
  };
}

/** Blocks affine to node, in datastore listing order (Kubernetes lists IPAMBlocks by name). */
export function affineBlocks(st: IpamState, node: string): IpamBlock[] {
  return Object.values(st.blocks)
    .filter((b) => b.affinity === node)
    .sort((a, b) => (blockName(a.cidr) < blockName(b.cidr) ? -1 : blockName(a.cidr) > blockName(b.cidr) ? 1 : 0));
}

/**
 * Claim a new block for node (§4.4 step 2): the first block in the node's walk that has no
 * IPAMBlock yet. Returns undefined when every block exists (reclaiming empty blocks of other hosts
 * is not modelled: it needs EmptyBlockMinReclaimAge of wall-clock time).
 */
export function claimBlock(st: IpamState, node: string): IpamBlock | undefined {
  for (const cidr of blockWalk(st.pool, node)) {
    const b = st.blocks[cidr];
    if (!b) {
      const nb = newBlock(st.pool, cidr, node);
      st.blocks[cidr] = nb;
      return nb;
    }
    if (b.affinity === node && b.unallocated.length > 0) return b;
  }
  return undefined;
}

function ordinalIp(b: IpamBlock, ordinal: number): string {
  const base = ipToU32(b.cidr.split('/')[0]!);
  return u32ToIp((base + ordinal) >>> 0);
}

function takeFrom(b: IpamBlock, handle: string, attrs: Record<string, string>): string | undefined {
  const ordinal = b.unallocated.shift();
  if (ordinal === undefined) return undefined;
  b.allocations[ordinal] = handle;
  b.attributes[ordinal] = { ...attrs };
  return ordinalIp(b, ordinal);
}

export interface AssignResult {
  ip: string;
  block: string;
  /** True when the address comes from a block affine to another node (§4.7 step 2). */
  borrowed: boolean;
}

/**
 * AutoAssign of one IPv4 for node: its affine blocks in listing order, then a new block (up to
 * the per-host limit), then (strictAffinity false) borrowing from any block in the node's walk
 * order. Undefined when nothing is free.
 */
export function autoAssign(st: IpamState, node: string, handle: string, attrs: Record<string, string>): AssignResult | undefined {
  const mine = affineBlocks(st, node);
  for (const b of mine) {
    const ip = takeFrom(b, handle, attrs);
    if (ip) return { ip, block: b.cidr, borrowed: false };
  }
  if (mine.length < MAX_BLOCKS_PER_HOST) {
    const b = claimBlock(st, node);
    if (b) {
      const ip = takeFrom(b, handle, attrs);
      if (ip) return { ip, block: b.cidr, borrowed: false };
    }
  } else {
    return undefined;
  }
  if (STRICT_AFFINITY) return undefined;
  for (const cidr of blockWalk(st.pool, node)) {
    const b = st.blocks[cidr];
    if (!b) continue;
    const ip = takeFrom(b, handle, attrs);
    if (ip) return { ip, block: b.cidr, borrowed: b.affinity !== node };
  }
  return undefined;
}

/** ReleaseByHandle: every ordinal held by handle goes to the end of its block's free list. */
export function releaseByHandle(st: IpamState, handle: string): string[] {
  const freed: string[] = [];
  for (const b of Object.values(st.blocks)) {
    b.allocations.forEach((h, ordinal) => {
      if (h !== handle) return;
      b.allocations[ordinal] = null;
      b.attributes[ordinal] = null;
      b.unallocated.push(ordinal);
      freed.push(ordinalIp(b, ordinal));
    });
  }
  return freed;
}

/** Handle of the VXLAN tunnel address of a node. */
export function tunnelHandle(node: string): string {
  return `vxlan-tunnel-addr-${node}`;
}

/** Every allocated address with its handle and attributes. */
export function allocations(st: IpamState): { ip: string; block: string; handle: string; attrs: Record<string, string> }[] {
  const out: { ip: string; block: string; handle: string; attrs: Record<string, string> }[] = [];
  for (const b of Object.values(st.blocks)) {
    b.allocations.forEach((h, o) => {
      if (h !== null) out.push({ ip: ordinalIp(b, o), block: b.cidr, handle: h, attrs: b.attributes[o] ?? {} });
    });
  }
  return out;
}

/** The block containing ip, if it exists. */
export function blockOf(st: IpamState, ip: string): IpamBlock | undefined {
  const v = ipToU32(ip);
  for (const b of Object.values(st.blocks)) {
    const c = parseCidr4(b.cidr);
    if (v >= c.base && v < c.base + c.size) return b;
  }
  return undefined;
}

/** Used for type-checking callers that keep IPAM next to other plugin state. */
export function ipamOf(cluster: ClusterState, key = 'calico'): IpamState | undefined {
  const s = cluster.pluginState[key] as { ipam?: IpamState } | undefined;
  return s?.ipam;
}
