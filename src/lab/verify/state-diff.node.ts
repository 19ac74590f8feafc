// The node-state half of `lab verify`: the kernel's `ip route`, `ip rule`, `ip neigh`, `bridge fdb`
// and `iptables-save` in every node and pod namespace against kubewire's renderers (labDiff of
// src/lab/diff.node.ts), with two things the kernel does by itself set apart from disagreements:
// - neighbours it learned from traffic (REACHABLE, STALE, DELAY, PROBE, FAILED, INCOMPLETE entries
//   the model does not hold): the model holds configured state only, and a flow run teaches the
//   kernel its next hops;
// - outputs equal up to line order: where the kernel's order is not a function of the
//   configuration (hash-table order of neighbours, identical link-local routes of devices ordered
//   by when their addresses came up), docs/lab.md.
import type { ClusterState } from '../../control-plane/types.ts';
import { labDiff, lineDiff, type NsDiff } from '../diff.node.ts';
import type { LabRecord } from '../lab.node.ts';

export const VERIFY_STATE_COMMANDS: string[][] = [['ip', 'route', 'show', 'table', 'all'], ['ip', 'rule'], ['ip', 'neigh'], ['bridge', 'fdb', 'show'], ['iptables-save']];

export interface StateDiffResult {
  compared: number;
  /** Real differences (content). */
  diffs: NsDiff[];
  /** Same lines, another order. */
  orderOnly: NsDiff[];
  /** Learned neighbour entries left out, per "node ns": count. */
  learnedNeighbours: number;
}

const DYNAMIC = /\s(REACHABLE|STALE|DELAY|PROBE|FAILED|INCOMPLETE)$/;

function withoutLearned(kernel: string, model: string): { text: string; dropped: number } {
  const mine = new Set(model.split('\n'));
  let dropped = 0;
  const kept = kernel.split('\n').filter((l) => {
    if (DYNAMIC.test(l) && !mine.has(l)) {
      dropped++;
      return false;
    }
    return true;
  });
  return { text: kept.join('\n'), dropped };
}

const sorted = (t: string) => t.split('\n').filter(Boolean).sort().join('\n');

export function verifyStateDiff(state: ClusterState, rec: LabRecord, commands = VERIFY_STATE_COMMANDS): StateDiffResult {
  const r = labDiff(state, rec, { commands });
  return classifyStateDiffs(r.compared, r.diffs);
}

/** Sorts labDiff's differences into real ones, order-only ones and learned neighbours. */
export function classifyStateDiffs(compared: number, diffs: NsDiff[]): StateDiffResult {
  const out: StateDiffResult = { compared, diffs: [], orderOnly: [], learnedNeighbours: 0 };
  for (const d of diffs) {
    let kernel = d.kernel;
    if (d.command === 'ip neigh') {
      const w = withoutLearned(kernel, d.kubewire);
      out.learnedNeighbours += w.dropped;
      kernel = w.text;
      if (kernel === d.kubewire) continue;
    }
    const nd: NsDiff = { ...d, kernel, lines: lineDiff(kernel, d.kubewire) };
    if (sorted(kernel) === sorted(d.kubewire)) out.orderOnly.push(nd);
    else out.diffs.push(nd);
  }
  return out;
}
