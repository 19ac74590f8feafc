// `kubewire cni diff`: what the migration changed on each node, as unified diffs of the real
// tools' output (ip addr, ip route, ip rule, ip neigh, bridge fdb, iptables-save) between the
// snapshot taken just before aws-node was deleted and now, plus the MTU of every interface
// (host links and each pod's eth0). Both sides are rendered with the same iptables-save date so
// only real changes show.

import type { ClusterState } from './types.ts';
import type { Host } from '../node-state/types.ts';
import { ROOT_NS } from '../node-state/types.ts';
import { KubewireError } from '../errors.ts';
import { runShellCommand } from '../render/shell.ts';
import { CLUSTER_EPOCH_MS } from './store.ts';
import { kubeletState } from './kubelet.ts';
import { migrationRecord } from './migration.ts';
import { unifiedDiff } from './unified-diff.ts';

export const DIFF_SECTIONS: { title: string; argv: string[] }[] = [
  { title: 'ip addr', argv: ['ip', 'addr'] },
  { title: 'ip route', argv: ['ip', 'route'] },
  { title: 'ip rule', argv: ['ip', 'rule'] },
  { title: 'ip neigh', argv: ['ip', 'neigh'] },
  { title: 'bridge fdb', argv: ['bridge', 'fdb', 'show'] },
  { title: 'iptables-save', argv: ['iptables-save'] },
];

export interface NodeDiffSection {
  title: string;
  /** Unified diff; empty when unchanged. */
  diff: string;
}

export interface NodeDiff {
  node: string;
  sections: NodeDiffSection[];
}

/** One line per interface: host links, then each pod's eth0 labelled with its pod (or netns). */
function mtuLines(host: Host, podOf: Record<string, string>): string {
  const out: string[] = [];
  for (const l of host.namespaces[ROOT_NS]?.links ?? []) out.push(`${l.name} mtu ${l.mtu}`);
  const pods = Object.keys(host.namespaces)
    .filter((n) => n !== ROOT_NS)
    .map((n) => ({ n, label: podOf[n] ?? n }))
    .sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  for (const { n, label } of pods) {
    for (const l of host.namespaces[n].links) if (l.kind !== 'loopback') out.push(`pod ${label} ${l.name} mtu ${l.mtu}`);
  }
  return out.map((l) => l + '\n').join('');
}

function render(host: Host, argv: string[], date: Date): string {
  const r = runShellCommand(host, ROOT_NS, argv, date);
  return r.stdout + r.stderr;
}

/** The per-node diffs since the migration; `nodes` empty means every node. */
export function cniDiff(state: ClusterState, nodes: string[] = []): NodeDiff[] {
  const rec = migrationRecord(state);
  if (!rec) throw new KubewireError('no CNI migration recorded in this cluster: run `kubewire cni migrate calico-vxlan` first');
  const date = new Date(CLUSTER_EPOCH_MS + rec.clock * 1000);
  const podNow: Record<string, string> = {};
  for (const [key, sb] of Object.entries(kubeletState(state).sandboxes)) if (sb.netns) podNow[sb.netns] = key;
  const podBefore = { ...(rec.podNetns ?? {}) };
  const out: NodeDiff[] = [];
  for (const name of nodes.length ? nodes : state.nodes.map((n) => n.name)) {
    const before = rec.before[name];
    const after = state.hosts[name];
    if (!before || !after) throw new KubewireError(`node "${name}" has no snapshot from the migration`);
    const sections: NodeDiffSection[] = DIFF_SECTIONS.map((s) => ({
      title: s.title,
      diff: unifiedDiff(render(before, s.argv, date), render(after, s.argv, date), { before: `${s.title} (${rec.from ?? 'vpc-cni'}, before the migration)`, after: `${s.title} (now)` }),
    }));
    sections.push({ title: 'MTU', diff: unifiedDiff(mtuLines(before, podBefore), mtuLines(after, podNow), { before: 'MTU (before the migration)', after: 'MTU (now)' }) });
    out.push({ node: name, sections });
  }
  return out;
}

/** Text form: a header per node, each section's diff or "(unchanged)". */
export function renderCniDiff(diffs: NodeDiff[]): string {
  let s = '';
  for (const d of diffs) {
    s += `=== ${d.node} ===\n`;
    for (const sec of d.sections) s += sec.diff ? sec.diff : `${sec.title}: unchanged\n`;
  }
  return s;
}
