// Differential check of aws-node's host iptables rules: the text we generate goes through the
// real iptables-restore (nf_tables, in a scratch kwt-* namespace) and through our model; both
// iptables-save outputs must be identical, and identical to the text we wrote (already in save form).
import { describe, expect, it } from 'vitest';
import { emptyNetfilter } from '../../netfilter/types.ts';
import { iptablesRestore } from '../../netfilter/restore.ts';
import { iptablesSave } from '../../netfilter/save.ts';
import { netnsUsable, realRestoreSave } from '../../netfilter/real-iptables.node.ts';
import { parseAwsNodeEnv } from './config.ts';
import { hostIptablesRules } from './plugin.ts';

const usable = netnsUsable();

const cases: Array<[string, Record<string, string>]> = [
  ['defaults', {}],
  ['excluded CIDRs, hashrandom', { AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS: '10.0.0.0/8,172.16.0.0/12', AWS_VPC_K8S_CNI_RANDOMIZESNAT: 'hashrandom' }],
  ['external SNAT', { AWS_VPC_K8S_CNI_EXTERNALSNAT: 'true' }],
  ['custom connmark, veth prefix, no node port support', { AWS_VPC_K8S_CNI_CONNMARK: '0x1000', AWS_VPC_K8S_CNI_VETHPREFIX: 'vth', AWS_VPC_CNI_NODE_PORT_SUPPORT: 'false' }],
];

describe.skipIf(!usable)('aws-node iptables rules against the real iptables-restore (needs root + netns)', () => {
  for (const [name, env] of cases) {
    it(name, () => {
      const text = hostIptablesRules({ vpcCidrs: ['192.168.0.0/16'], primaryIp: '192.168.70.5', primaryIf: 'eth0', cfg: parseAwsNodeEnv(env) });
      const real = realRestoreSave([{ text, noflush: true }]);
      expect(real.stderr).toBe('');
      expect(real.ok).toBe(true);
      const realBody = real.saved
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .join('\n');
      const model = iptablesSave(iptablesRestore(emptyNetfilter(), text, { noflush: true }));
      expect(model).toBe(realBody);
      // every rule line we wrote comes back verbatim
      for (const l of text.split('\n').filter((x) => x.startsWith('-A '))) expect(realBody).toContain(l);
    });
  }
});
