// kubewire cni migrate / cni diff as a user runs them: bin/kubewire on a temp --state dir.
import { describe, it, expect } from 'vitest';
import { cliSandbox } from '../../testing/cli.node.ts';

const { kw, stateFile } = cliSandbox('kw-cni-', [['cluster', 'create'], ['create', 'deployment', 'nginx', '--image=nginx', '--replicas=3', '--port=80']]);

describe('kubewire cni', () => {
  // Every option's validation is unit-tested in src/inputs/calico-migrate.test.ts; here, how the CLI reports it.
  it('rejects bad values naming the option, and leaves the state unchanged', () => {
    const before = stateFile();
    const bad: [string[], RegExp][] = [
      [['calico-vxlan', '--pool-cidr', '10.0.0.0/33'], /--pool-cidr: invalid CIDR address: 10.0.0.0\/33/],
      [['calico-vxlan', '--ipip-mode', 'Always', '--vxlan-mode', 'Never'], /--ipip-mode: Always needs BGP/],
      [['calico-vxlan', '--install', 'helm'], /--install: "helm"/],
      [['cilium'], /unsupported CNI "cilium"/],
    ];
    for (const [args, re] of bad) {
      const r = kw('cni', 'migrate', ...args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr).toMatch(re);
      expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
    }
    expect(stateFile().equals(before)).toBe(true);
    expect(kw('cni', 'diff').stderr).toMatch(/no CNI migration recorded/);
  });

  it('migrates: prints the guide steps and the EKS caveats; pods keep VPC IPs', () => {
    const r = kw('cni', 'migrate', 'calico-vxlan');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('daemonset.apps "aws-node" deleted');
    expect(r.stdout).toContain('installation.operator.tigera.io/default created');
    expect(r.stdout).toContain('daemonset.apps/calico-node created');
    expect(r.stdout).toMatch(/control plane .* cannot open connections to pods in 172\.16\.0\.0\/16/);
    expect(r.stdout).toMatch(/kubelet keeps the max pods .*29 on m5\.large/);
    expect(r.stdout).toMatch(/MTU: pods wired by Calico get 8951/);
    const pods = kw('get', 'pods', '-o', 'wide').stdout;
    expect(pods.match(/ 192\.168\.\d+\.\d+ /g)).toHaveLength(3);
    expect(kw('get', 'ds', '-A').stdout).toMatch(/calico-system\s+calico-node\s+3/);
    expect(kw('cni', 'migrate', 'calico-vxlan').stderr).toMatch(/already runs Calico/);
  });

  it('cni diff shows every section per node as unified diffs', () => {
    const all = kw('cni', 'diff');
    expect(all.code).toBe(0);
    expect(all.stdout.match(/^=== ip-/gm)).toHaveLength(3);
    const node = all.stdout.match(/^=== (ip-[^ ]+) ===/m)![1]!;
    const one = kw('cni', 'diff', node.split('.')[0]!).stdout;
    expect(one).toContain(`=== ${node} ===`);
    for (const h of ['ip addr', 'ip route', 'ip neigh', 'bridge fdb', 'iptables-save', 'MTU']) expect(one).toContain(`+++ ${h} (now)`);
    expect(one).toContain('ip rule: unchanged'); // the VPC CNI's rules stay
    expect(one).toMatch(/^\+\d+: vxlan\.calico: .* mtu 8951 /m);
    expect(one).toMatch(/^\+blackhole 172\.16\.\d+\.\d+\/26 proto 80 $/m);
    expect(one).toMatch(/^\+.* dev vxlan\.calico lladdr 66:[0-9a-f:]+ PERMANENT/m);
    expect(one).toMatch(/^\+-A cali-INPUT /m);
    expect(one).toMatch(/^\+vxlan\.calico mtu 8951$/m);
    expect(one).toMatch(/^@@ -\d+(,\d+)? \+\d+(,\d+)? @@$/m);
    expect(kw('cni', 'diff', 'ip-1-2-3-4').stderr).toMatch(/node "ip-1-2-3-4" not found/);
    const json = JSON.parse(kw('cni', 'diff', node, '-o', 'json').stdout) as { node: string; sections: { title: string; diff: string }[] }[];
    expect(json).toHaveLength(1);
    expect(json[0]!.node).toBe(node);
    expect(json[0]!.sections.map((x) => x.title)).toEqual(['ip addr', 'ip route', 'ip rule', 'ip neigh', 'bridge fdb', 'iptables-save', 'MTU']);
    expect(json[0]!.sections.find((x) => x.title === 'ip rule')!.diff).toBe('');
  });

  it('cleanup-aws-node refuses while VPC-wired pods run, then removes the leftovers', () => {
    expect(kw('cni', 'cleanup-aws-node').stderr).toMatch(/still runs \d+ pod\(s\) wired by the VPC CNI \(.*default\/nginx-/);
    expect(kw('rollout', 'restart', 'deployment/nginx').code).toBe(0);
    expect(kw('rollout', 'restart', 'deployment/coredns', '-n', 'kube-system').code).toBe(0);
    const r = kw('cni', 'cleanup-aws-node');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\$ iptables -t nat -D POSTROUTING -m comment --comment "AWS SNAT CHAIN" -j AWS-SNAT-CHAIN-0$/m);
    expect(r.stdout).toContain('$ iptables -t nat -F AWS-SNAT-CHAIN-0 && iptables -t nat -X AWS-SNAT-CHAIN-0');
    const node = r.stdout.match(/^# (ip-\S+)/m)![1]!;
    expect(kw('ssh', node, '--', 'ip', 'rule').stdout).toBe('0:\tfrom all lookup local\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n');
    expect(kw('ssh', node, '--', 'iptables-save', '-t', 'nat').stdout).not.toContain('AWS');
  });
});
