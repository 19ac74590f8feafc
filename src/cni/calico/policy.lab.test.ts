// Felix's NetworkPolicy chains through the real iptables-restore: a node's Felix text with policy chains
// (selector and named-port ipsets, ipBlock except blocks, port ranges, both directions) is loaded into a
// scratch kwt-* namespace after its ipsets (created with their real types and members); the kernel must
// accept it and print the same iptables-save as the model. Needs root, netns and ipset; skipped otherwise.
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseClusterFile } from '../../inputs/cluster-file.ts';
import { emptyNetfilter } from '../../netfilter/types.ts';
import { iptablesRestore } from '../../netfilter/restore.ts';
import { iptablesSave } from '../../netfilter/save.ts';
import { ipsetUsable, netnsUsable } from '../../netfilter/real-iptables.node.ts';
import { ipsetRestoreText } from '../../lab/ipsets.ts';
import { modelCluster } from '../../netpol/cluster.testing.ts';
import { np } from '../../netpol/testing.ts';
import { felixIptables } from './iptables.ts';
import { felixPolicyInput } from './policy.ts';
import { calicoState, nodeIpsets } from './plugin.ts';
import { parseCalicoVersion, versionFeatures } from './version.ts';

const usable = netnsUsable() && ipsetUsable();

describe.skipIf(!usable)('Felix policy chains against the real iptables-restore (needs root + netns + ipset)', () => {
  it('the kernel loads a node with NetworkPolicies and saves what the model saves', () => {
    const spec = parseClusterFile(readFileSync(new URL('../../../examples/cluster-calico.yaml', import.meta.url), 'utf8'), 'examples/cluster-calico.yaml');
    const c = modelCluster(spec);
    const ipOf = (p: string) => (c.state.objects[`Pod/${p}`] as unknown as { status: { podIP: string } }).status.podIP;
    c.apply([
      np('deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
      // Same selector as "deny": the two form a policy group (cali-gi-/cali-go-).
      np('dns', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }] }),
      np('web', {
        podSelector: { matchLabels: { pod: 'a' } },
        ingress: [
          { from: [{ podSelector: { matchLabels: { pod: 'b' } } }, { namespaceSelector: { matchLabels: { ns: 'y' } } }], ports: [{ port: 80 }, { port: 'serve-81-tcp' }, { port: 8000, endPort: 8100 }, { protocol: 'UDP', port: 53 }] },
          { from: [{ ipBlock: { cidr: '172.16.0.0/16', except: [`${ipOf('z/c')}/32`, '172.16.1.0/24'] } }] },
        ],
        egress: [{ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { pod: 'c' } } }], ports: [{ port: 'serve-80-tcp' }] }, { ports: [{ protocol: 'UDP', port: 53 }] }],
      }),
    ]);
    const s = calicoState(c.state);
    const node = Object.entries(s.nodes).find(([, r]) => r.pods['x/a'])![0];
    const rec = s.nodes[node]!;
    const endpoints = Object.entries(rec.pods).map(([k, p]) => ({ iface: p.hostIf, namespace: k.split('/')[0]!, serviceAccount: p.serviceAccount }));
    const text = felixIptables({
      features: versionFeatures(parseCalicoVersion(s.settings.version)),
      settings: s.settings,
      vxlan: true,
      ...felixPolicyInput(c.state, s.settings.version, rec.pods, endpoints),
    });
    expect(text).toMatch(/-A cali-pi-\S+ .*--match-set cali40n:\S+ dst,dst/);
    expect(text).toMatch(/-A cali-po-/);
    expect(text).toMatch(/-A cali-go-\S+ .*--jump cali-po-/);
    const sets = ipsetRestoreText(nodeIpsets(c.state, node));
    const ns = `kwt-${randomBytes(3).toString('hex')}-felixpol`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      const ipset = spawnSync('ip', ['netns', 'exec', ns, 'ipset', 'restore'], { input: sets, encoding: 'utf8' });
      expect(ipset.stderr).toBe('');
      const r = spawnSync('ip', ['netns', 'exec', ns, 'iptables-restore', '--noflush'], { input: text, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const real = execFileSync('ip', ['netns', 'exec', ns, 'iptables-save'], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .join('\n');
      expect(iptablesSave(iptablesRestore(emptyNetfilter(), text, { noflush: true }))).toBe(real);
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
    }
  });
});
