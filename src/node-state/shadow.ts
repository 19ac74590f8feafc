// Predicts the kernel-made routes (proto kernel) that replaying a model with ip-batch will
// produce, by replaying the same steps on a scratch model with the node-state operations.
// ip-batch compares them with the model's own kernel routes: those the model lost (a CNI
// deleted a connected route) become `route del` lines, those the replay would miss become
// explicit `route add ... proto kernel` lines. Browser-safe.

import { addAddress, addLink, findLink, newNetns, setLinkUp, setSysctl, netnsIdFor } from './ops.ts';
import type { Address, Host, Link, NetNs, Route } from './types.ts';

/** Same test as ip-batch's (kept here to avoid an import cycle). */
function perDeviceKey(k: string): boolean {
  const m = /^net\.ipv[46]\.(conf|neigh)\.([^.]+)\./.exec(k);
  return !!m && m[2] !== 'all' && m[2] !== 'default';
}

export interface ShadowPlan {
  /** Namespaces in the order the batch handles them. */
  nsNames: string[];
  /** Whether an IPv6 address is added after its link is up (see ip-batch). */
  v6AfterUp: (ns: NetNs, a: Address) => boolean;
  /** Kernel-created addresses the batch does not add (lo, link-local). */
  isAuto: (ns: NetNs, a: Address) => boolean;
  /** Link-up order inside a namespace. */
  upOrder: (ns: NetNs) => Link[];
}

function linkCopy(l: Link): Partial<Link> & { name: string; kind: Link['kind'] } {
  return { name: l.name, kind: l.kind, ifindex: l.ifindex, mac: l.mac, mtu: l.mtu, txqlen: l.txqlen, vxlan: l.vxlan, eniId: l.eniId };
}

/** Replays the batch's steps; returns the scratch host (undefined if the replay failed). */
export function replayForKernelRoutes(host: Host, plan: ShadowPlan): Host | undefined {
  try {
    const sh: Host = { name: host.name, namespaces: {} };
    for (const n of plan.nsNames) {
      const ns = newNetns(sh, n);
      for (const [k, v] of Object.entries(host.namespaces[n].sysctls)) {
        if (!perDeviceKey(k)) {
          if (ns.sysctls[k] !== v) setSysctl(ns, k, v);
        }
      }
    }
    for (const n of plan.nsNames) {
      const src = host.namespaces[n];
      const dst = sh.namespaces[n];
      for (const [peer, id] of Object.entries(src.netnsIds)) if (sh.namespaces[peer]) dst.netnsIds[peer] = id;
      for (const l of src.links) {
        if (l.kind === 'loopback') continue;
        const made = addLink(dst, { ...linkCopy(l), carrier: l.kind === 'veth' ? false : undefined });
        if (l.veth) made.veth = { ...l.veth };
      }
      for (const peer of Object.keys(src.netnsIds)) if (sh.namespaces[peer]) netnsIdFor(dst, peer);
    }
    for (const n of plan.nsNames) {
      const src = host.namespaces[n];
      const dst = sh.namespaces[n];
      for (const [k, v] of Object.entries(src.sysctls)) if (perDeviceKey(k)) dst.sysctls[k] = v;
      for (const a of src.addresses) if (a.family === 4 && !plan.isAuto(src, a)) addAddress(dst, a.dev, `${a.local}/${a.prefixlen}`, addrOpts(a));
      for (const a of [...src.addresses].reverse()) if (a.family === 6 && !plan.isAuto(src, a) && !plan.v6AfterUp(src, a)) addAddress(dst, a.dev, `${a.local}/${a.prefixlen}`, addrOpts(a));
    }
    const upNs = [...plan.nsNames.filter((x) => x !== 'root'), ...plan.nsNames.filter((x) => x === 'root')];
    for (const n of upNs) for (const l of plan.upOrder(host.namespaces[n])) setLinkUp(sh, n, l.name, true);
    for (const n of plan.nsNames) {
      const src = host.namespaces[n];
      const dst = sh.namespaces[n];
      for (const a of [...src.addresses].reverse()) if (a.family === 6 && !plan.isAuto(src, a) && plan.v6AfterUp(src, a)) addAddress(dst, a.dev, `${a.local}/${a.prefixlen}`, addrOpts(a));
      void findLink;
    }
    return sh;
  } catch {
    return undefined;
  }
}

function addrOpts(a: Address): Parameters<typeof addAddress>[3] {
  const o: NonNullable<Parameters<typeof addAddress>[3]> = { scope: a.scope };
  if (a.broadcast) o.broadcast = a.broadcast;
  if (a.flags.includes('noprefixroute')) o.noprefixroute = true;
  if (a.flags.includes('nodad')) o.nodad = true;
  if (a.label) o.label = a.label;
  const metric = a.metric;
  if (metric !== undefined) o.metric = metric;
  return o;
}

export function kernelRouteKey(r: Route): string {
  return JSON.stringify([r.family, r.table, r.type, r.dst, r.dev ?? '', r.src ?? '', r.metric ?? null, r.tos ?? 0, r.scope]);
}

/** Kernel routes to delete from / add to what the replay produces, to reach the model. */
export function kernelRouteDiff(model: NetNs, shadow: NetNs): { del: Route[]; add: Route[] } {
  const want = new Set(model.routes.filter((r) => r.proto === 'kernel').map(kernelRouteKey));
  const got = new Set(shadow.routes.filter((r) => r.proto === 'kernel').map(kernelRouteKey));
  return {
    del: shadow.routes.filter((r) => r.proto === 'kernel' && !want.has(kernelRouteKey(r))),
    add: model.routes.filter((r) => r.proto === 'kernel' && !got.has(kernelRouteKey(r))),
  };
}
