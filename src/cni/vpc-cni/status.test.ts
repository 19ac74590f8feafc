import { describe, expect, it } from 'vitest';
import { createCluster, applyObjects } from '../../control-plane/cluster.ts';
import { defaultClusterSpec } from '../../inputs/cluster-file.ts';
import { pluginsFor } from '../index.ts';
import { eniForIp } from '../../aws/vpc.ts';
import { ipamdStatus, renderIpamdStatus } from './status.ts';

describe('vpc-cni status on the default cluster', () => {
  it('shows every node, and every running pod IP belongs to an ENI of its node', () => {
    const spec = defaultClusterSpec();
    if (spec.cni.type !== 'vpc-cni') return;
    const plugins = pluginsFor(spec);
    const state = createCluster(spec, { seed: 7, cni: plugins.cni, proxy: plugins.proxy });
    applyObjects(
      state,
      [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web', namespace: 'default' },
          spec: {
            replicas: 12,
            selector: { matchLabels: { app: 'web' } },
            template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
          },
        } as never,
      ],
      plugins,
    );
    const st = ipamdStatus(state);
    expect(st.length).toBe(state.nodes.length);
    const pods = Object.values(state.objects).filter((o) => o.kind === 'Pod') as unknown as Array<{ spec: { nodeName?: string; hostNetwork?: boolean }; status?: { podIP?: string } }>;
    let checked = 0;
    for (const p of pods) {
      if (p.spec.hostNetwork || !p.status?.podIP) continue;
      const node = state.nodes.find((n) => n.name === p.spec.nodeName)!;
      expect(eniForIp(state.vpc, p.status.podIP)?.instanceId).toBe(node.instanceId);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(12);
    const assigned = st.reduce((s, n) => s + n.assignedIPs, 0);
    expect(assigned).toBe(checked);
    const text = renderIpamdStatus(st);
    expect(text).toContain('WARM_ENI_TARGET=1');
    expect(text).toMatch(/eni-0[0-9a-f]{16} \(primary\)\s+0\s+main/);
    expect(text).toContain('default/web-');
  });
});
