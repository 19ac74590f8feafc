// The two-namespace scene the netfilter differential tests share (Node only): namespace `a`
// (va0 10.7.0.1/24) joined by a veth to the root namespace (vb0 10.7.0.2/24), optionally a second
// root-side veth pair (vx0 10.7.1.1/24, reached from `a` via 10.7.0.2), the root namespace's
// iptables rules — and the same scene in real kwt-* namespaces, with traffic sent from `a`.

import { spawnSync } from 'node:child_process';
import { addAddress, addRoute, addVethPair, bootLoopback, newHost, newNetns, setLinkUp } from '../node-state/ops.ts';
import { iptablesRestore } from '../netfilter/restore.ts';
import type { Host } from '../node-state/types.ts';
import type { NetnsLab } from './netns.node.ts';
import { nonZeroCounters } from './iptables-counters.ts';

export interface NfSceneOptions {
  /** iptables-restore text for the root namespace. */
  rules: string;
  /** Fifth MAC byte, so each test's veths have their own addresses. */
  macByte: number;
  /** Add the vx0/vx1 pair with 10.7.1.1/24 and a route to it from `a`. */
  second?: boolean;
}

export function nfScene(o: NfSceneOptions): Host {
  const h = newHost('b');
  newNetns(h, 'a');
  bootLoopback(h, 'a');
  const mac = (n: number) => `02:00:00:00:${o.macByte.toString(16).padStart(2, '0')}:0${n}`;
  addVethPair(h, 'a', 'va0', 'root', 'vb0', { macA: mac(1), macB: mac(2) });
  setLinkUp(h, 'a', 'va0');
  setLinkUp(h, 'root', 'vb0');
  addAddress(h.namespaces.a, 'va0', '10.7.0.1/24');
  addAddress(h.namespaces.root, 'vb0', '10.7.0.2/24');
  if (o.second) {
    addVethPair(h, 'root', 'vx0', 'root', 'vx1', { macA: mac(3), macB: mac(4) });
    setLinkUp(h, 'root', 'vx0');
    setLinkUp(h, 'root', 'vx1');
    addAddress(h.namespaces.root, 'vx0', '10.7.1.1/24');
    addRoute(h.namespaces.a, { dst: '10.7.1.0/24', via: '10.7.0.2', dev: 'va0' });
  }
  h.namespaces.root.netfilter = iptablesRestore(h.namespaces.root.netfilter, o.rules);
  return h;
}

function run(lab: NetnsLab, ns: string, argv: string[], input?: string, timeout = 10_000): void {
  const r = spawnSync('ip', ['netns', 'exec', lab.realName(ns), ...argv], { input, encoding: 'utf8', timeout });
  if (r.status !== 0) throw new Error(`${argv[0]} in ${ns} failed: ${r.stderr || r.error?.message || `exit ${r.status}`}`);
}

/**
 * Builds the scene in real namespaces: the ip-batch plan, then `ipset restore` of `ipsets` (if
 * any), then the rules; then runs the python3 `sender` in `a` (bounded to 10 s).
 */
export async function buildNfScene(lab: NetnsLab, host: Host, rules: string, sender: string, ipsets?: string[]): Promise<void> {
  await lab.build(host);
  if (ipsets?.length) run(lab, 'root', ['ipset', 'restore'], ipsets.join('\n') + '\n');
  run(lab, 'root', ['iptables-restore'], rules);
  run(lab, 'a', ['python3', '-c', sender]);
}

/** The kernel's non-zero rule counters in the root namespace (optionally one table), `table/chain#pos`. */
export function kernelCounters(lab: NetnsLab, table?: string): Record<string, number> {
  const r = spawnSync('ip', ['netns', 'exec', lab.realName('root'), 'iptables-save', '-c', ...(table ? ['-t', table] : [])], { encoding: 'utf8' });
  return nonZeroCounters(r.stdout ?? '');
}
