// The kernel's accessors for per-device IPv4 settings (include/linux/inetdevice.h) over the
// model's sysctls: a device's own value, conf.all OR'ed in, or the larger of the two.

import type { NetNs } from './types.ts';

function num(ns: NetNs, key: string, fallback: string): number {
  return Number(ns.sysctls[key] ?? fallback);
}

/** IN_DEV_CONF_GET: conf.<dev>.NAME (conf.default's value for a device the model has no key for). */
export function devConf(ns: NetNs, dev: string, name: string): number {
  return num(ns, `net.ipv4.conf.${dev.replace(/\./g, '/')}.${name}`, ns.sysctls[`net.ipv4.conf.default.${name}`] ?? '0');
}

/** IN_DEV_ORCONF: conf.all OR conf.<dev>. */
export function devOrConf(ns: NetNs, dev: string, name: string): boolean {
  return num(ns, `net.ipv4.conf.all.${name}`, '0') !== 0 || devConf(ns, dev, name) !== 0;
}

/** IN_DEV_MAXCONF: the larger of conf.all and conf.<dev> (rp_filter, arp_ignore). */
export function devMaxConf(ns: NetNs, dev: string, name: string): number {
  return Math.max(num(ns, `net.ipv4.conf.all.${name}`, '0'), devConf(ns, dev, name));
}

/** IN_DEV_FORWARD: conf.<dev>.forwarding (net.ipv4.ip_forward writes every device's). */
export function forwardingEnabled(ns: NetNs, dev: string): boolean {
  return devConf(ns, dev, 'forwarding') !== 0;
}
