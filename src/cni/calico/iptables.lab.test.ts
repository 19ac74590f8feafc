// Differential check of Felix's iptables for a Calico VXLAN node: the restore text Felix would
// write (static chains, hooks, two workload endpoints) goes through the real iptables-restore
// (nf_tables, scratch kwt-* namespace, ipsets created) and through the model; both iptables-save
// outputs must be identical. Needs root; skipped otherwise.
import { describe, expect, it } from 'vitest';
import { emptyNetfilter } from '../../netfilter/types.ts';
import { iptablesRestore } from '../../netfilter/restore.ts';
import { iptablesSave } from '../../netfilter/save.ts';
import { ipsetUsable, netnsUsable, realRestoreSave } from '../../netfilter/real-iptables.node.ts';
import { applyFelixIptables, felixIptables } from './iptables.ts';
import { parseCalicoVersion, versionFeatures } from './version.ts';
import { DEFAULT_CALICO } from './plugin.ts';

const usable = netnsUsable() && ipsetUsable();
const endpoints = [
  { iface: 'calic440f455693', namespace: 'default' },
  { iface: 'cali4d5f75c480c', namespace: 'kube-system', serviceAccount: 'coredns' },
];

describe.skipIf(!usable)('Felix iptables against the real iptables-restore (needs root + netns + ipset)', () => {
  for (const version of ['v3.32.1', 'v3.28.0']) {
    it(`${version}: real and model iptables-save agree`, () => {
      const o = { features: versionFeatures(parseCalicoVersion(version)), settings: DEFAULT_CALICO, vxlan: true, endpoints };
      const text = felixIptables(o);
      const real = realRestoreSave([{ text, noflush: true }]);
      expect(real.stderr).toBe('');
      expect(real.ok).toBe(true);
      const realBody = real.saved
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .join('\n');
      expect(iptablesSave(iptablesRestore(emptyNetfilter(), text, { noflush: true }))).toBe(realBody);
      // The incremental path the plugin uses ends in the same state.
      expect(iptablesSave(applyFelixIptables(emptyNetfilter(), o))).toBe(realBody);
    });
  }
});
