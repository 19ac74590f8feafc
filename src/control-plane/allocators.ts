// Service ClusterIP and NodePort allocation as the API server's registry does it
// (pkg/registry/core/service/ipallocator, portallocator, allocator/bitmap.go):
// the range is split into a lower "static" band and an upper "dynamic" band; dynamic
// allocations start at a random offset of the upper band and scan for a free slot, falling
// back to the lower band only when the upper one is full. Requested values may be anywhere.
// Band size: min(max(16, size/16), 256) addresses for ClusterIPs, min(max(16, size/32), 128)
// ports for NodePorts (size ≤ 16 → no static band).
// The allocated set is rebuilt from the stored Services (what the repair loop reconciles),
// so nothing beyond the Services themselves needs persisting.

import { KubewireError } from '../errors.ts';
import { randInt, type RngHolder } from '../k8s/rand.ts';
import { ipToU32, parseCidr4, u32ToIp } from '../aws/ip.ts';

export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;

/** randomScanStrategyWithOffset.AllocateBit: random start in [offset,max), scan; then [0,offset). */
function allocateIndex(rng: RngHolder, max: number, offset: number, used: (i: number) => boolean): number | undefined {
  const sub = max - offset;
  if (sub > 0) {
    const start = randInt(rng, sub);
    for (let i = 0; i < sub; i++) {
      const at = offset + ((start + i) % sub);
      if (!used(at)) return at;
    }
  }
  if (offset > 0) {
    const start = randInt(rng, offset);
    for (let i = 0; i < offset; i++) {
      const at = (start + i) % offset;
      if (!used(at)) return at;
    }
  }
  return undefined;
}

export function ipRangeOffset(cidrSize: number): number {
  if (cidrSize <= 16) return 0;
  return Math.min(Math.max(16, Math.floor(cidrSize / 16)), 256);
}

export function portRangeOffset(rangeSize: number): number {
  if (rangeSize <= 16) return 0;
  return Math.min(Math.max(16, Math.floor(rangeSize / 32)), 128);
}

/** Allocation failure; `detail` is the allocator's own error text. */
export class AllocationError extends KubewireError {
  constructor(readonly detail: string) {
    super(detail);
  }
}

export class ClusterIpAllocator {
  private readonly base: number; // network + 1
  private readonly max: number; // usable addresses (network and broadcast excluded)
  private readonly offset: number;
  constructor(
    readonly cidr: string,
    private readonly used: Set<string>,
  ) {
    const c = parseCidr4(cidr);
    this.base = c.base + 1;
    this.max = Math.max(0, c.size - 2);
    this.offset = ipRangeOffset(c.size);
  }

  /** Allocate a requested ClusterIP. */
  allocate(ip: string): void {
    let v: number;
    try {
      v = ipToU32(ip);
    } catch {
      throw new AllocationError(`the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.cidr}`);
    }
    const idx = v - this.base;
    if (idx < 0 || idx >= this.max) {
      throw new AllocationError(`the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.cidr}`);
    }
    if (this.used.has(ip)) throw new AllocationError('provided IP is already allocated');
    this.used.add(ip);
  }

  allocateNext(rng: RngHolder): string {
    const idx = allocateIndex(rng, this.max, this.offset, (i) => this.used.has(u32ToIp(this.base + i)));
    if (idx === undefined) throw new AllocationError('range is full');
    const ip = u32ToIp(this.base + idx);
    this.used.add(ip);
    return ip;
  }
}

export class NodePortAllocator {
  private readonly size = NODE_PORT_MAX - NODE_PORT_MIN + 1;
  private readonly offset = portRangeOffset(NODE_PORT_MAX - NODE_PORT_MIN + 1);
  constructor(private readonly used: Set<number>) {}

  allocate(port: number): void {
    if (port < NODE_PORT_MIN || port > NODE_PORT_MAX) {
      throw new AllocationError(
        `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_MIN}-${NODE_PORT_MAX}`,
      );
    }
    if (this.used.has(port)) throw new AllocationError('provided port is already allocated');
    this.used.add(port);
  }

  allocateNext(rng: RngHolder): number {
    const idx = allocateIndex(rng, this.size, this.offset, (i) => this.used.has(NODE_PORT_MIN + i));
    if (idx === undefined) throw new AllocationError('range is full');
    this.used.add(NODE_PORT_MIN + idx);
    return NODE_PORT_MIN + idx;
  }
}
