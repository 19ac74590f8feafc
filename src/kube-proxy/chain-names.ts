// kube-proxy's per-service chain names: PREFIX + the first 16 characters of the standard
// base32 (RFC 4648, A-Z2-7) encoding of SHA-256(servicePortName + lower-case protocol [+ endpoint]).
// All four per-service-port chains (SVC, SVL, EXT, FW) share one hash; SEP hashes the endpoint too.

import { sha256Utf8Words } from './sha256.ts';

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** First 16 base32 characters of SHA-256(s) (16 chars = 80 bits = the first 10 digest bytes). */
export function hash16(s: string): string {
  const h = sha256Utf8Words(s);
  let out = '';
  for (let off = 0; off < 80; off += 5) {
    const w = off >>> 5;
    const shift = off & 31;
    const v = shift <= 27 ? h[w] >>> (27 - shift) : (h[w] << (shift - 27)) | (h[w + 1] >>> (59 - shift));
    out += B32[v & 31];
  }
  return out;
}

export const SVC_PREFIX = 'KUBE-SVC-';
export const SVL_PREFIX = 'KUBE-SVL-';
export const EXT_PREFIX = 'KUBE-EXT-';
export const FW_PREFIX = 'KUBE-FW-';
export const SEP_PREFIX = 'KUBE-SEP-';

export interface ServicePortChains {
  svc: string;
  svl: string;
  ext: string;
  fw: string;
}

/** Chains of one service port. `portName` is "ns/name" or "ns/name:port"; `protocol` lower case. */
export function servicePortChains(portName: string, protocol: string): ServicePortChains {
  const h = hash16(portName + protocol);
  return { svc: SVC_PREFIX + h, svl: SVL_PREFIX + h, ext: EXT_PREFIX + h, fw: FW_PREFIX + h };
}

/** KUBE-SEP chain of one endpoint ("ip:port" or "[ipv6]:port", canonical form) of a service port. */
export function endpointChain(portName: string, protocol: string, endpoint: string): string {
  return SEP_PREFIX + hash16(portName + protocol + endpoint);
}

/** True for the chain names kube-proxy owns per service (and deletes when stale). */
export function isServiceChainName(name: string): boolean {
  return (
    name.startsWith(SVC_PREFIX) ||
    name.startsWith(SVL_PREFIX) ||
    name.startsWith(SEP_PREFIX) ||
    name.startsWith(FW_PREFIX) ||
    name.startsWith(EXT_PREFIX)
  );
}
