// The node-state half of verify: what the kernel learned from traffic and line order alone are
// set apart; any other difference stays one.
import { describe, expect, it } from 'vitest';
import { classifyStateDiffs } from './state-diff.node.ts';
import type { NsDiff } from '../diff.node.ts';

const d = (command: string, kernel: string, kubewire: string): NsDiff => ({ node: 'n1', ns: 'root', real: 'kwy-0000-n0', command, lines: [], kernel, kubewire });

describe('classifyStateDiffs', () => {
  it('drops neighbours the kernel learned (REACHABLE, STALE, ...) that the model does not hold', () => {
    const model = '169.254.1.1 dev eth0 lladdr 06:15:ba:fe:16:04 PERMANENT\n';
    const kernel = '192.168.0.1 dev ens5 lladdr 02:00:00:00:00:01 REACHABLE\n169.254.1.1 dev eth0 lladdr 06:15:ba:fe:16:04 PERMANENT\n192.168.7.9 dev eni1 lladdr 02:00:00:00:00:02 STALE\n';
    const r = classifyStateDiffs(1, [d('ip neigh', kernel, model)]);
    expect(r).toMatchObject({ diffs: [], orderOnly: [], learnedNeighbours: 2 });
  });

  it('a permanent neighbour only the kernel has, or one it lacks, is a difference', () => {
    const r = classifyStateDiffs(1, [d('ip neigh', '10.0.0.9 dev vxlan.calico lladdr 66:00:00:00:00:01 PERMANENT\n', '')]);
    expect(r.diffs).toHaveLength(1);
    expect(r.diffs[0].lines).toContain('-10.0.0.9 dev vxlan.calico lladdr 66:00:00:00:00:01 PERMANENT');
  });

  it('the same lines in another order are order-only; a missing route is a difference with a + line', () => {
    const a = 'default via 192.168.0.1 dev ens5\n192.168.7.9 dev eni1 scope link\n';
    const b = '192.168.7.9 dev eni1 scope link\ndefault via 192.168.0.1 dev ens5\n';
    const r = classifyStateDiffs(2, [d('ip route show table all', a, b), d('ip route show table all', 'default via 192.168.0.1 dev ens5\n', a)]);
    expect(r.orderOnly).toHaveLength(1);
    expect(r.diffs).toHaveLength(1);
    expect(r.diffs[0].lines).toContain('+192.168.7.9 dev eni1 scope link');
    expect(r.compared).toBe(2);
  });
});
