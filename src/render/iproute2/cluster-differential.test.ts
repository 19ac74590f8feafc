// End to end: the node state the control plane and the VPC CNI build for a default cluster,
// materialised in real namespaces with ip-batch; `ip` output of the model and the kernel must
// agree for every node and pod namespace. (Address lifetimes count down in the kernel, so the
// remaining seconds are masked.)

import { afterAll, describe, expect, it } from 'vitest';
import { NetnsLab, netnsUsable } from '../../testing/netns.node.ts';
import { runIpCommand } from './index.ts';
import { createCluster } from '../../control-plane/cluster.ts';
import { testSpec } from '../../control-plane/testing.ts';
import { pluginsFor } from '../../cni/index.ts';

const usable = netnsUsable();
const maskLft = (s: string) => s.replace(/\d+sec/g, 'Nsec');
const sortLines = (s: string) => s.split('\n').filter(Boolean).sort().join('\n');

describe.skipIf(!usable.ok)(`default VPC CNI cluster on real namespaces (${usable.reason || 'netns available'})`, () => {
  const spec = testSpec();
  const state = createCluster(spec, { ...pluginsFor(spec), seed: 1 });
  const labs: NetnsLab[] = [];
  afterAll(() => labs.forEach((l) => l.cleanup()));

  for (const [nodeName, host] of Object.entries(state.hosts)) {
    it(`${nodeName}: every namespace prints the same`, async () => {
      const lab = new NetnsLab();
      labs.push(lab);
      await lab.build(host);
      await lab.settleDad(host);
      const cmds = [['ip', 'addr'], ['ip', '-br', 'a'], ['ip', 'link'], ['ip', 'route', 'show', 'table', 'all'], ['ip', 'rule'], ['ip', '-6', 'route']];
      for (const ns of Object.keys(host.namespaces)) {
        for (const argv of cmds) {
          const real = lab.run(ns, argv);
          const mine = runIpCommand(host, ns, argv, { netnsName: (m) => lab.names[m] });
          expect(maskLft(mine.stdout), `${ns}: ${argv.join(' ')}`).toBe(maskLft(real.stdout));
        }
        expect(sortLines(runIpCommand(host, ns, ['ip', 'neigh']).stdout), `${ns}: ip neigh`).toBe(sortLines(lab.run(ns, ['ip', 'neigh']).stdout));
      }
      lab.cleanup();
    }, 30000);
  }
});
