// Calico release → the output differences that depend on it (research note §14).

import { KubewireError } from '../../errors.ts';

export interface CalicoVersion {
  major: number;
  minor: number;
  patch: number;
}

export interface CalicoFeatures {
  /** `mtu N` on VXLAN routes (v3.31+). */
  vxlanRouteMtu: boolean;
  /** `metric 1024` on pod /32 routes (v3.32+). */
  podRouteMetric: boolean;
  /** raw-table NOTRACK for UDP/4789 (v3.29+). */
  vxlanNotrack: boolean;
  /** nat POSTROUTING jump appended after kube-proxy's (calico#9091, v3.29+); before: inserted on top. */
  natPostroutingAppend: boolean;
  /** A "drop" mark bit is allocated after accept and pass (v3.30+), shifting the scratch bits. */
  markDropBit: boolean;
}

export function parseCalicoVersion(v: string): CalicoVersion {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(v.trim());
  if (!m) throw new KubewireError(`invalid Calico version "${v}" (expected vMAJOR.MINOR[.PATCH], e.g. v3.32.1)`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
}

function atLeast(v: CalicoVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

export function versionFeatures(v: CalicoVersion): CalicoFeatures {
  return {
    vxlanRouteMtu: atLeast(v, 3, 31),
    podRouteMetric: atLeast(v, 3, 32),
    vxlanNotrack: atLeast(v, 3, 29),
    natPostroutingAppend: atLeast(v, 3, 29),
    markDropBit: atLeast(v, 3, 30),
  };
}
