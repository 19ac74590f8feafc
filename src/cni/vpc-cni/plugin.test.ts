import { describe, expect, it } from 'vitest';
import { newHost, getNs } from '../../node-state/ops.ts';
import { ROOT_NS, TABLE_MAIN } from '../../node-state/types.ts';
import { iptablesSave } from '../../netfilter/save.ts';
import { configurePrimaryInterface } from '../../control-plane/nodes.ts';
import { getEni, eniForIp } from '../../aws/vpc.ts';
import type { V1Pod } from '../../k8s/types.ts';
import type { PluginContext } from '../../control-plane/plugins.ts';
import { sha1Hex } from './sha1.ts';
import { awsNodeSync, createVpcCni, ERR_ASSIGN_IP, hostIptablesRules, hostVethName } from './plugin.ts';
import { parseAwsNodeEnv } from './config.ts';
import { getIpamdNode } from './ipamd.ts';
import { addTestNode, testCluster, testSpec } from './testing.ts';

function pod(namespace: string, name: string): V1Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name, uid: `uid-${name}` }, spec: { containers: [] } } as V1Pod;
}

function startNode(instanceType: string, env: Record<string, string> = {}, subnetCidr?: string, podSubnetCidr?: string) {
  const cluster = testCluster(testSpec({ env, subnetCidr, podSubnetCidr }));
  if (podSubnetCidr) {
    cluster.objects['ENIConfig//us-west-2a'] = {
      apiVersion: 'crd.k8s.amazonaws.com/v1alpha1',
      kind: 'ENIConfig',
      metadata: { name: 'us-west-2a' },
      spec: { subnet: 'subnet-0bbbbbbbbbbbbbbbb', securityGroups: ['sg-0pods00000000000'] },
    } as never;
  }
  const cni = createVpcCni();
  const node = addTestNode(cluster, instanceType, 0);
  const host = newHost(node.name);
  cluster.hosts[node.name] = host;
  configurePrimaryInterface(cluster, host, getEni(cluster.vpc, cluster.vpc.enis[0].id));
  const ctx: PluginContext = { cluster, node, host };
  node.podCapacity = cni.podCapacity(ctx);
  cni.nodeStart(ctx);
  return { cluster, cni, node, host, ctx, root: getNs(host, ROOT_NS) };
}

describe('names', () => {
  it('sha1 matches FIPS 180 test vectors', () => {
    expect(sha1Hex('abc')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(sha1Hex('')).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
    expect(sha1Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe('84983e441c3bd26ebaae4aa1f95129e5e54670f1');
  });
  it('host veth names as GeneratePodHostVethName (pkg/networkutils/names_test.go)', () => {
    expect(hostVethName('eni', 'kube-system', 'coredns-57ff979f67-qqbdh')).toBe('enib5faff8a083');
    expect(hostVethName('vlan', 'kube-system', 'coredns-57ff979f67-qqbdh')).toBe('vlanb5faff8a083');
    expect(hostVethName('eni', 'kube-system', 'coredns-57ff979f67-8ns9b')).toBe('eni9571956a6cc');
    expect(hostVethName('eni', 'default', 'sample-pod')).toBe('enicc21c2d7785');
  });
});

describe('host iptables rules (networkutils buildIptablesSNATRules / buildIptablesConnmarkRules)', () => {
  it('default configuration', () => {
    const text = hostIptablesRules({ vpcCidrs: ['192.168.0.0/16'], primaryIp: '192.168.70.5', primaryIf: 'eth0', cfg: parseAwsNodeEnv({}) });
    expect(text).toBe(
      [
        '*mangle',
        '-A PREROUTING -i eth0 -m comment --comment "AWS, primary ENI" -m addrtype --dst-type LOCAL --limit-iface-in -j CONNMARK --set-xmark 0x80/0x80',
        '-A PREROUTING -i eni+ -m comment --comment "AWS, primary ENI" -j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80',
        '-A PREROUTING -i vlan+ -m comment --comment "AWS, primary ENI" -j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80',
        'COMMIT',
        '*nat',
        ':AWS-CONNMARK-CHAIN-0 - [0:0]',
        ':AWS-SNAT-CHAIN-0 - [0:0]',
        '-A PREROUTING -i eni+ -m comment --comment "AWS, outbound connections" -j AWS-CONNMARK-CHAIN-0',
        '-A PREROUTING -m comment --comment "AWS, CONNMARK" -j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80',
        '-A POSTROUTING -m comment --comment "AWS SNAT CHAIN" -j AWS-SNAT-CHAIN-0',
        '-A AWS-CONNMARK-CHAIN-0 -d 192.168.0.0/16 -m comment --comment "AWS CONNMARK CHAIN, VPC CIDR" -j RETURN',
        '-A AWS-CONNMARK-CHAIN-0 -m comment --comment "AWS, CONNMARK" -j CONNMARK --set-xmark 0x80/0x80',
        '-A AWS-SNAT-CHAIN-0 -d 192.168.0.0/16 -m comment --comment "AWS SNAT CHAIN" -j RETURN',
        '-A AWS-SNAT-CHAIN-0 ! -o vlan+ -m comment --comment "AWS, SNAT" -m addrtype ! --dst-type LOCAL -j SNAT --to-source 192.168.70.5 --random-fully',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });
  it('excluded CIDRs are inserted above the VPC CIDR; external SNAT drops the nat rules', () => {
    const cfg = parseAwsNodeEnv({ AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS: '10.0.0.0/8', AWS_VPC_K8S_CNI_RANDOMIZESNAT: 'none' });
    const text = hostIptablesRules({ vpcCidrs: ['192.168.0.0/16'], primaryIp: '192.168.70.5', primaryIf: 'eth0', cfg });
    const snat = text.split('\n').filter((l) => l.startsWith('-A AWS-SNAT-CHAIN-0'));
    expect(snat).toEqual([
      '-A AWS-SNAT-CHAIN-0 -d 10.0.0.0/8 -m comment --comment "AWS SNAT CHAIN EXCLUSION" -j RETURN',
      '-A AWS-SNAT-CHAIN-0 -d 192.168.0.0/16 -m comment --comment "AWS SNAT CHAIN" -j RETURN',
      '-A AWS-SNAT-CHAIN-0 ! -o vlan+ -m comment --comment "AWS, SNAT" -m addrtype ! --dst-type LOCAL -j SNAT --to-source 192.168.70.5',
    ]);
    expect(text).toContain('-d 10.0.0.0/8 -m comment --comment "AWS CONNMARK CHAIN, EXCLUDED CIDR" -j RETURN');
    const ext = hostIptablesRules({ vpcCidrs: ['192.168.0.0/16'], primaryIp: '192.168.70.5', primaryIf: 'eth0', cfg: parseAwsNodeEnv({ AWS_VPC_K8S_CNI_EXTERNALSNAT: 'true' }) });
    expect(ext).not.toContain('-j SNAT');
    expect(ext).not.toContain('POSTROUTING');
    expect(ext).toContain(':AWS-SNAT-CHAIN-0 - [0:0]');
    expect(ext).toContain('-A PREROUTING -i eth0 -m comment --comment "AWS, primary ENI"');
  });
});

describe('node start', () => {
  it('applies host networking: rp_filter, fwmark rule, iptables, MTU', () => {
    const t = startNode('m5.large');
    expect(t.root.sysctls['net.ipv4.conf.eth0.rp_filter']).toBe('2');
    expect(t.root.sysctls['net.ipv4.tcp_early_demux']).toBe('1');
    expect(startNode('m5.large', { DISABLE_TCP_EARLY_DEMUX: 'true' }).root.sysctls['net.ipv4.tcp_early_demux']).toBe('0');
    expect(t.root.rules).toContainEqual(expect.objectContaining({ priority: 1024, fwmark: 0x80, fwmask: 0x80, table: TABLE_MAIN }));
    const save = iptablesSave(t.root.netfilter);
    expect(save).toContain(`-A AWS-SNAT-CHAIN-0 ! -o vlan+ -m comment --comment "AWS, SNAT" -m addrtype ! --dst-type LOCAL -j SNAT --to-source ${t.node.primaryIp} --random-fully`);
    expect(save).toContain('-A PREROUTING -i eni+ -m comment --comment "AWS, primary ENI" -j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80');
    expect(t.root.links.find((l) => l.name === 'eth0')?.mtu).toBe(9001);
    expect(t.node.podCapacity).toBe(29);
  });

  it('AWS_EXTERNAL_SERVICE_CIDRS become main-table rules at 1535', () => {
    const t = startNode('m5.large', { AWS_EXTERNAL_SERVICE_CIDRS: '10.50.0.0/16,172.20.0.0/16' });
    expect(t.root.rules.filter((r) => r.priority === 1535)).toEqual([
      expect.objectContaining({ to: '10.50.0.0/16', table: TABLE_MAIN }),
      expect.objectContaining({ to: '172.20.0.0/16', table: TABLE_MAIN }),
    ]);
  });

  it('secondary ENIs appear as ethN with their own route table', () => {
    const t = startNode('m5.large');
    expect(t.root.links.some((l) => l.name === 'eth1')).toBe(false); // one ENI until a pod uses the pool
    const r = t.cni.podAdd(t.ctx, pod('default', 'a'));
    expect(r.ok).toBe(true);
    const eth1 = t.root.links.find((l) => l.name === 'eth1')!;
    expect(eth1).toBeDefined();
    expect(eth1.up).toBe(true);
    expect(eth1.mtu).toBe(9001);
    const eni = getEni(t.cluster.vpc, eth1.eniId!);
    expect(eth1.mac).toBe(eni.mac);
    expect(eni.deviceIndex).toBe(1);
    expect(t.root.addresses).toContainEqual(expect.objectContaining({ dev: 'eth1', local: eni.primaryIp, prefixlen: 19 }));
    const t2 = t.root.routes.filter((x) => x.table === 2);
    expect(t2).toContainEqual(expect.objectContaining({ dst: 'default', via: '192.168.64.1', dev: 'eth1' }));
    expect(t2).toContainEqual(expect.objectContaining({ dst: '192.168.64.1/32', dev: 'eth1', scope: 'link' }));
    // setupENINetwork deletes the kernel's connected route for the ENI from main
    expect(t.root.routes.some((x) => x.family === 4 && x.table === TABLE_MAIN && x.dev === 'eth1')).toBe(false);
  });
});

describe('pod add / delete', () => {
  it('wires the pod as the routed-eni plugin does', () => {
    const t = startNode('m5.large');
    const r = t.cni.podAdd(t.ctx, pod('default', 'sample-pod'));
    if (!r.ok) throw new Error(r.error);
    const ip = r.ips[0];
    expect(r.hostInterface).toBe('enicc21c2d7785');
    const pns = getNs(t.host, r.netns);
    const eth0 = pns.links.find((l) => l.name === 'eth0')!;
    expect(eth0.kind).toBe('veth');
    expect(eth0.ifindex).toBe(3); // peer created first inside the pod namespace, then moved out
    expect(eth0.mtu).toBe(9001);
    expect(pns.addresses).toContainEqual(expect.objectContaining({ dev: 'eth0', local: ip, prefixlen: 32 }));
    expect(pns.routes).toContainEqual(expect.objectContaining({ table: TABLE_MAIN, dst: 'default', via: '169.254.1.1', dev: 'eth0' }));
    expect(pns.routes).toContainEqual(expect.objectContaining({ table: TABLE_MAIN, dst: '169.254.1.1/32', dev: 'eth0', scope: 'link' }));
    const hostVeth = t.root.links.find((l) => l.name === 'enicc21c2d7785')!;
    expect(pns.neighbours).toContainEqual({ family: 4, dst: '169.254.1.1', dev: 'eth0', lladdr: hostVeth.mac, state: 'PERMANENT' });
    expect(t.root.routes).toContainEqual(expect.objectContaining({ table: TABLE_MAIN, dst: `${ip}/32`, dev: 'enicc21c2d7785', scope: 'link' }));
    expect(t.root.rules).toContainEqual(expect.objectContaining({ priority: 512, to: `${ip}/32`, table: TABLE_MAIN }));
    const owner = eniForIp(t.cluster.vpc, ip)!;
    if (owner.deviceIndex === 0) {
      expect(t.root.rules.some((x) => x.priority === 1536)).toBe(false);
    } else {
      expect(t.root.rules).toContainEqual(expect.objectContaining({ priority: 1536, from: `${ip}/32`, table: (owner.deviceIndex ?? 0) + 1 }));
    }
  });

  it('pods on a secondary ENI get a from-pod rule into that ENI table', () => {
    const t = startNode('t3.small');
    const onEni: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = t.cni.podAdd(t.ctx, pod('default', `p${i}`));
      if (!r.ok) throw new Error(r.error);
      const dev = eniForIp(t.cluster.vpc, r.ips[0])!.deviceIndex!;
      if (dev > 0) onEni.push(`${dev}:${r.ips[0]}`);
    }
    expect(onEni.length).toBeGreaterThan(0);
    for (const e of onEni) {
      const [dev, ip] = e.split(':');
      expect(t.root.rules).toContainEqual(expect.objectContaining({ priority: 1536, from: `${ip}/32`, table: Number(dev) + 1 }));
    }
  });

  it('delete undoes add and the address cools down', () => {
    const t = startNode('m5.large');
    const before = JSON.stringify({ rules: t.root.rules.filter((r) => r.priority === 512 || r.priority === 1536) });
    const p = pod('default', 'a');
    const r = t.cni.podAdd(t.ctx, p);
    if (!r.ok) throw new Error(r.error);
    t.cni.podDelete(t.ctx, p);
    expect(t.host.namespaces[r.netns]).toBeUndefined();
    expect(t.root.links.some((l) => l.name === r.hostInterface)).toBe(false);
    expect(t.root.routes.some((x) => x.dst === `${r.ips[0]}/32`)).toBe(false);
    expect(JSON.stringify({ rules: t.root.rules.filter((x) => x.priority === 512 || x.priority === 1536) })).toBe(before);
    const n = getIpamdNode(t.cluster, t.node.name);
    expect(n.pods).toEqual({});
    // the IP stays with the ENI (warm pool), cooling down
    expect(eniForIp(t.cluster.vpc, r.ips[0])).toBeDefined();
  });

  it('awsNodeSync frees surplus ENIs (and their ethN) once time has passed', () => {
    const t = startNode('t3.small');
    const pods = [0, 1, 2, 3, 4].map((i) => pod('default', `p${i}`));
    for (const p of pods) expect(t.cni.podAdd(t.ctx, p).ok).toBe(true);
    expect(t.root.links.some((l) => l.name === 'eth2')).toBe(true);
    t.cluster.clock = 10;
    for (const p of pods) t.cni.podDelete(t.ctx, p);
    expect(t.root.links.some((l) => l.name === 'eth2')).toBe(true); // addresses cooling, ENIs young
    t.cluster.clock = 120;
    awsNodeSync(t.ctx);
    expect(t.root.links.some((l) => l.name === 'eth1' || l.name === 'eth2')).toBe(false);
    expect(t.root.routes.some((r) => r.table === 2 || r.table === 3)).toBe(false);
  });

  it('reports the aws-cni error when the node has no address left', () => {
    // t3.micro: 2 ENIs × 2 IPv4 → 2 pod IPs; max pods 4
    const t = startNode('t3.micro');
    expect(t.node.podCapacity).toBe(4);
    expect(t.cni.podAdd(t.ctx, pod('default', 'a')).ok).toBe(true);
    expect(t.cni.podAdd(t.ctx, pod('default', 'b')).ok).toBe(true);
    const r = t.cni.podAdd(t.ctx, pod('default', 'c'));
    expect(r).toEqual({ ok: false, error: ERR_ASSIGN_IP });
    expect(ERR_ASSIGN_IP).toContain('add cmd: failed to assign an IP address to container');
  });

  it('custom networking without an ENIConfig is a clear error; prefix delegation raises capacity', () => {
    expect(() => startNode('m5.large', { AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: 'true' })).toThrow(/no ENIConfig could be found/);
    const pd = startNode('m5.large', { ENABLE_PREFIX_DELEGATION: 'true' });
    expect(pd.node.podCapacity).toBe(110);
    for (let i = 0; i < 40; i++) expect(pd.cni.podAdd(pd.ctx, pod('default', `p${i}`)).ok).toBe(true);
    expect(pd.root.links.some((l) => l.name === 'eth1')).toBe(false); // 40 pods fit in /28s on eth0
  });
});

describe('custom networking (ENIConfig)', () => {
  it('puts pods on secondary ENIs in the ENIConfig subnet, never on the primary ENI', () => {
    const t = startNode('m5.large', { AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: 'true' }, undefined, '192.168.128.0/18');
    // (3 − 1) × (10 − 1) + 2, as max-pods-calculator.sh --cni-custom-networking-enabled computes it
    expect(t.node.podCapacity).toBe(20);
    const eth1 = t.root.links.find((l) => l.name === 'eth1');
    expect(eth1).toBeDefined(); // the pool needs an ENI before the first pod
    const eni = getEni(t.cluster.vpc, eth1!.eniId!);
    expect(eni.subnetId).toBe('subnet-0bbbbbbbbbbbbbbbb');
    expect(eni.securityGroups).toEqual(['sg-0pods00000000000']);
    for (let i = 0; i < 10; i++) {
      const r = t.cni.podAdd(t.ctx, pod('default', `p${i}`));
      if (!r.ok) throw new Error(r.error);
      expect(r.ips[0]).toMatch(/^192\.168\.(1[2-9][0-9])\./);
      expect(eniForIp(t.cluster.vpc, r.ips[0])!.deviceIndex).toBeGreaterThan(0);
    }
    expect(getEni(t.cluster.vpc, t.cluster.vpc.enis[0].id).secondaryIps).toEqual([]);
  });
});
