// Shared pieces of the iproute2 renderers: names of tables, scopes, protocols; link flags.
// Output matches iproute2 6.1 (ip/ipaddress.c, ip/iproute.c, lib/rt_names.c).

import { findLink } from '../../node-state/ops.ts';
import type { Host, Link, NetNs, RouteProto, RouteScope, AddrScope } from '../../node-state/types.ts';

export interface RenderOptions {
  /**
   * Name iproute2 would show for a peer namespace (`link-netns NAME`), or undefined to show
   * `link-netnsid N`. iproute2 resolves names from /var/run/netns; by default every namespace
   * except the host's root is named (containerd names pod namespaces cni-...).
   */
  netnsName?: (modelNs: string) => string | undefined;
}

export function defaultNetnsName(modelNs: string): string | undefined {
  return modelNs === 'root' ? undefined : modelNs;
}

export function tableName(t: number): string {
  if (t === 255) return 'local';
  if (t === 254) return 'main';
  if (t === 253) return 'default';
  if (t === 0) return 'unspec';
  return String(t);
}

export function scopeName(s: RouteScope | AddrScope): string {
  if (typeof s === 'number') {
    switch (s) {
      case 0:
        return 'global';
      case 200:
        return 'site';
      case 253:
        return 'link';
      case 254:
        return 'host';
      case 255:
        return 'nowhere';
      default:
        return String(s);
    }
  }
  return s === 'universe' ? 'global' : s;
}

export { scopeNum } from '../../node-state/ops.ts';

const PROTO_NUM: Record<string, number> = { redirect: 1, kernel: 2, boot: 3, static: 4, ra: 9, dhcp: 16, bird: 12 };

export function protoName(p: RouteProto): string {
  if (typeof p === 'number') {
    const n = Object.entries(PROTO_NUM).find(([, v]) => v === p);
    return n ? n[0] : String(p);
  }
  return p;
}

/**
 * Operational state as the kernel reports it (IFLA_OPERSTATE). Without carrier, a device with
 * a lower link (veth: its peer's ifindex) is LOWERLAYERDOWN when the device with that ifindex
 * *in its own namespace* has no carrier either, else DOWN (default_operstate, Linux >= 6.12;
 * older kernels say LOWERLAYERDOWN for every veth without carrier).
 */
export function operState(ns: NetNs, l: Link): string {
  if (!l.up) return 'DOWN';
  if (!l.carrier) {
    if (!l.veth) return 'DOWN';
    const lower = ns.links.find((x) => x.ifindex === l.veth!.peerIfindex);
    if (!lower || lower === l) return 'DOWN';
    return lower.carrier && lower.up ? 'DOWN' : 'LOWERLAYERDOWN';
  }
  // Drivers that never set an operstate report UNKNOWN while running.
  if (l.kind === 'loopback' || l.kind === 'vxlan' || l.kind === 'dummy' || l.kind === 'bridge' || l.kind === 'ipip') return 'UNKNOWN';
  return 'UP';
}

/** IFF_* flags in print_link_flags order, with NO-CARRIER and M-DOWN as iproute2 adds them. */
export function linkFlags(host: Host | undefined, ns: NetNs, l: Link): string[] {
  const f: string[] = [];
  if (l.up && !l.carrier) f.push('NO-CARRIER');
  if (l.kind === 'loopback') f.push('LOOPBACK');
  else if (l.kind === 'ipip') f.push('POINTOPOINT', 'NOARP');
  else {
    f.push('BROADCAST');
    if (l.noarp) f.push('MULTICAST', 'NOARP');
    else f.push('MULTICAST');
  }
  const extra = l.extraFlags ?? [];
  for (const x of ['ALLMULTI', 'PROMISC', 'MASTER', 'SLAVE']) if (extra.includes(x)) f.push(x);
  if (l.up) f.push('UP');
  if (l.up && l.carrier) f.push('LOWER_UP');
  // M-DOWN: the linked device (same namespace only) is down.
  if (l.veth && l.veth.peerNs === ns.name) {
    const peer = findLink(ns, l.veth.peerName);
    if (peer && !peer.up) f.push('M-DOWN');
  }
  void host;
  return f;
}

/** "eth0@if7", "veth1@veth2" or "eth0", as print_name_and_link builds it. */
export function nameAndLink(ns: NetNs, l: Link): string {
  if (!l.veth) return l.name;
  if (l.veth.peerNs === ns.name) return `${l.name}@${l.veth.peerName}`;
  return `${l.name}@if${l.veth.peerIfindex}`;
}

export function linkType(l: Link): string {
  if (l.kind === 'loopback') return 'loopback';
  if (l.kind === 'ipip') return 'ipip';
  return 'ether';
}

/** The ` link-netns NAME` / ` link-netnsid N` suffix of the link/ether line. */
export function netnsSuffix(ns: NetNs, l: Link, opts: RenderOptions): string {
  if (!l.veth || l.veth.peerNs === ns.name) return '';
  const name = (opts.netnsName ?? defaultNetnsName)(l.veth.peerNs);
  if (name !== undefined) return ` link-netns ${name}`;
  const id = ns.netnsIds[l.veth.peerNs];
  return ` link-netnsid ${id ?? 0}`;
}
