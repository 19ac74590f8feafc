// kubewire's VPC CNI node and pod state against output users posted from real EKS nodes
// (testdata/real-eks/, each file names its source). Each test rebuilds the posted situation
// (VPC and subnet CIDRs, instance type, interface naming, number of pods) and compares the
// rendered output line by line. Only what is random on both sides is substituted, through an
// explicit map per test: node/pod/ENI addresses inside the subnet, MACs (and the EUI-64
// link-local addresses made from them), host veth names (sha1 of a pod name we do not know),
// netns names and the ifindex a veth peer got. Trailing spaces are compared trimmed: iproute2
// prints them, the pastes lost them.
//
// Differences that are not kubewire bugs are asserted as such, with the version each form
// belongs to (see README.md, "Compared with real EKS output").
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getNs, newHost } from '../../node-state/ops.ts';
import { ROOT_NS, type Host } from '../../node-state/types.ts';
import { iptablesSave } from '../../netfilter/save.ts';
import { runIpCommand } from '../../render/iproute2/index.ts';
import { configurePrimaryInterface } from '../../control-plane/nodes.ts';
import { getEni, instanceEnis } from '../../aws/vpc.ts';
import type { V1Pod } from '../../k8s/types.ts';
import type { PluginContext } from '../../control-plane/plugins.ts';
import { createVpcCni } from './plugin.ts';
import { addTestNode, bringUpPrimary, testCluster, testSpec } from './testing.ts';

const DIR = new URL('./testdata/real-eks/', import.meta.url);

/** The verbatim output of a fixture (what follows its "# ---" header end). */
function fixture(name: string): string[] {
  const text = readFileSync(new URL(name, DIR), 'utf8');
  const at = text.indexOf('\n# ---\n');
  if (!text.startsWith('# source:') || at < 0) throw new Error(`${name}: no "# source:" header ended by "# ---"`);
  return text.slice(at + 7).replace(/\n$/, '').split('\n');
}

/** Fixture sections headed by "$ …" lines (the lines before the first header are under ""). */
function sections(lines: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = { '': [] };
  let cur = '';
  for (const l of lines) {
    if (l.startsWith('$ ')) out[(cur = l.slice(2))] = [];
    else out[cur].push(l);
  }
  return out;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Replaces whole tokens of the real output by kubewire's values; the map is the test's statement of what cannot match. */
function substitute(lines: string[], pairs: Array<[real: string, ours: string]>): string[] {
  const sorted = [...pairs].sort((a, b) => b[0].length - a[0].length);
  return lines.map((l) => {
    let s = l;
    for (const [real, ours] of sorted) s = s.replace(new RegExp(`(?<![0-9A-Za-z.:])${escape(real)}(?![0-9A-Za-z.])`, 'g'), ours);
    return s;
  });
}

const trimmed = (lines: string[]): string[] => lines.map((l) => l.trimEnd());

function pod(namespace: string, name: string): V1Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name, uid: `uid-${name}` }, spec: { containers: [] } } as V1Pod;
}

interface Scenario {
  vpcCidr: string;
  subnetCidr: string;
  instanceType: string;
  /** The primary ENI's link name as the OS names it (eth0: AL2, Bottlerocket; ens5: AL2023). */
  primaryIf: 'eth0' | 'ens5';
  env?: Record<string, string>;
}

function eksNode(s: Scenario) {
  const spec = testSpec({ subnetCidr: s.subnetCidr, env: s.env });
  spec.vpc.cidr = s.vpcCidr;
  const cluster = testCluster(spec, 7);
  const cni = createVpcCni();
  const node = addTestNode(cluster, s.instanceType, 0);
  const host: Host = newHost(node.name);
  cluster.hosts[node.name] = host;
  const primary = getEni(cluster.vpc, cluster.vpc.enis[0].id);
  if (s.primaryIf === 'eth0') configurePrimaryInterface(cluster, host, primary);
  else bringUpPrimary(cluster, host, primary, s.primaryIf);
  const ctx: PluginContext = { cluster, node, host };
  node.podCapacity = cni.podCapacity(ctx);
  cni.nodeStart(ctx);
  const root = getNs(host, ROOT_NS);
  const add = (name: string, namespace = 'default') => {
    const r = cni.podAdd(ctx, pod(namespace, name));
    if (!r.ok) throw new Error(r.error);
    const hostVeth = root.links.find((l) => l.name === r.hostInterface)!;
    const podEth0 = getNs(host, r.netns).links.find((l) => l.name === 'eth0')!;
    return { ip: r.ips[0], netns: r.netns, hostVeth, podEth0 };
  };
  const ip = (ns: string, ...argv: string[]): string[] => runIpCommand(host, ns, argv).stdout.replace(/\n$/, '').split('\n');
  /** The ENI at a device index and its link. */
  const eni = (deviceIndex: number) => {
    const e = instanceEnis(cluster.vpc, node.instanceId).find((x) => (x.deviceIndex ?? 0) === deviceIndex)!;
    return { eni: e, link: root.links.find((l) => l.eniId === e.id) };
  };
  return { cluster, node, host, root, add, ip, eni };
}

/** `iptables -t TABLE -S` lines of aws-node's chains and rules, from our iptables-save. */
function awsRulesS(host: Host, table: 'nat' | 'mangle'): string[] {
  const save = iptablesSave(getNs(host, ROOT_NS).netfilter, { tables: [table] }).split('\n');
  const chains = save.filter((l) => l.startsWith(':AWS-')).map((l) => `-N ${l.slice(1).split(' ')[0]}`);
  const rules = save.filter((l) => l.startsWith('-A ') && /AWS/.test(l));
  return [...chains, ...rules];
}

/** The EUI-64 link-local address the kernel derives from a MAC (as `ip addr` prints it). */
function linkLocal(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  b[0] ^= 2;
  const w = [(b[0] << 8) | b[1], (b[2] << 8) | 0xff, (0xfe << 8) | b[3], (b[4] << 8) | b[5]];
  return `fe80::${w.map((x) => x.toString(16)).join(':')}`;
}

describe('AL2023 node, t3.medium, one pod (blog, 2026-03-18)', () => {
  // 192.168.0.0/16 with the node in 192.168.2.0/24, as posted; default aws-node env.
  const t = eksNode({ vpcCidr: '192.168.0.0/16', subnetCidr: '192.168.2.0/24', instanceType: 't3.medium', primaryIf: 'ens5' });
  const coredns = t.add('coredns-6b9575c64c-7xk2p', 'kube-system');
  const ens6 = t.eni(1);
  const map: Array<[string, string]> = [
    ['192.168.2.21', t.node.primaryIp],
    ['192.168.2.24', ens6.eni.primaryIp],
    ['192.168.2.210', coredns.ip],
    ['enib3a22542c88', coredns.hostVeth.name],
  ];

  it('attached a second ENI for the first pod, named after the primary (ens5 → ens6)', () => {
    expect(ens6.link?.name).toBe('ens6');
  });
  it('ip route', () => {
    expect(trimmed(t.ip(ROOT_NS, 'route'))).toEqual(substitute(fixture('al2023-node-ip-route.txt'), map));
  });
  it('ip addr: the ENIs\' inet lines', () => {
    const ours = trimmed(t.ip(ROOT_NS, 'addr')).filter((l) => /^ {4}inet .* (ens5|ens6)$/.test(l));
    expect(ours).toEqual(substitute(fixture('al2023-node-ip-addr-inet.txt'), map));
  });
  it('iptables -t nat -S: aws-node\'s chains and rules', () => {
    expect(awsRulesS(t.host, 'nat')).toEqual(substitute(fixture('al2023-node-iptables-nat-aws.txt'), map));
  });
  it('iptables -t mangle -S: the CONNMARK rules, on ens5', () => {
    expect(awsRulesS(t.host, 'mangle')).toEqual(fixture('al2023-node-iptables-mangle.txt'));
  });
});

describe('Bottlerocket aws-k8s-1.28 node, six pods on the primary ENI (bottlerocket#3436, 2023-09-08)', () => {
  // Instance type not stated: m5.large holds six pods on the primary ENI (9 secondary IPs).
  const t = eksNode({ vpcCidr: '10.0.0.0/16', subnetCidr: '10.0.80.0/20', instanceType: 'm5.large', primaryIf: 'eth0' });
  const pods = [0, 1, 2, 3, 4, 5].map((i) => t.add(`app-${i}`));
  // The rules list pods in the order the CNI added them; the real order of the six IPs is the creation order.
  const realIps = ['10.0.80.89', '10.0.80.65', '10.0.84.78', '10.0.80.109', '10.0.87.206', '10.0.87.240'];
  const map: Array<[string, string]> = [['10.0.81.194', t.node.primaryIp], ...realIps.map((r, i): [string, string] => [r, pods[i].ip])];

  it('all six pods are on the primary ENI', () => {
    expect(pods.every((p) => t.eni(0).eni.secondaryIps.includes(p.ip))).toBe(true);
  });
  it('ip rule', () => {
    expect(trimmed(t.ip(ROOT_NS, 'rule'))).toEqual(substitute(fixture('bottlerocket-3436-ip-rule.txt'), map));
  });
  it('ip route: one scope-link route per pod, sorted by address', () => {
    const real = fixture('bottlerocket-3436-ip-route.txt');
    const realPods = real.filter((l) => / dev eni[0-9a-f]{11} scope link$/.test(l));
    // Sorted as the kernel's FIB walk returns them: by address, numerically (…80.65 < …80.89 < …80.109).
    const key = (l: string) => l.split(' ')[0].split('.').reduce((a, o) => a * 256 + Number(o), 0);
    expect(realPods.map(key)).toEqual([...realPods.map(key)].sort((a, b) => a - b));
    const ours = trimmed(t.ip(ROOT_NS, 'route')).filter((l) => / dev eni[0-9a-f]{11} scope link$/.test(l));
    expect(ours.map(key)).toEqual([...ours.map(key)].sort((a, b) => a - b));
    // Same line shape (the posted copy ends after five of the six pods; veth names hash unknown pod names).
    const shape = (l: string) => l.replace(/^\S+/, 'IP').replace(/eni[0-9a-f]{11}/, 'VETH');
    expect(new Set(ours.map(shape))).toEqual(new Set(realPods.map(shape)));
    expect(ours).toHaveLength(6);
  });
  it('ip route: the node bring-up routes differ only in the DHCP metric (Bottlerocket 1024, AL2023 512)', () => {
    const real = fixture('bottlerocket-3436-ip-route.txt').filter((l) => / dev eth0 /.test(l));
    const ours = trimmed(t.ip(ROOT_NS, 'route')).filter((l) => / dev eth0 /.test(l));
    expect(ours.map((l) => l.replace(/ metric 512$/, ' metric 1024'))).toEqual(substitute(real, map));
  });
});

describe('secondary ENI route table on ens-named interfaces (amazon-vpc-cni-k8s#1712, 2021-10-27)', () => {
  // 10.204.128.0/18 as posted; t3.small (3 ENIs × 4 IPv4) puts the fourth pod on ens6.
  const t = eksNode({ vpcCidr: '10.204.0.0/16', subnetCidr: '10.204.128.0/18', instanceType: 't3.small', primaryIf: 'ens5' });
  const pods = [0, 1, 2, 3, 4].map((i) => t.add(`web-${i}`));

  it('ip route show table 2', () => {
    expect(t.eni(1).link?.name).toBe('ens6');
    expect(trimmed(t.ip(ROOT_NS, 'route', 'show', 'table', '2'))).toEqual(trimmed(fixture('vpc-cni-1712-ip-route-table-2.txt')));
  });
  it('pods on ens6 get "1536: from POD lookup 2"; the subnet route is gone from main', () => {
    const onEns6 = pods.filter((p) => t.eni(1).eni.secondaryIps.includes(p.ip));
    expect(onEns6.length).toBeGreaterThan(0);
    const rules = t.ip(ROOT_NS, 'rule');
    for (const p of onEns6) expect(rules).toContain(`1536:\tfrom ${p.ip} lookup 2`);
    expect(t.ip(ROOT_NS, 'route').some((l) => l.includes(' dev ens6 '))).toBe(false);
  });
});

describe('pod and host veth (cloud-api-adaptor#1966, 2024-08-01)', () => {
  // The worker's ens5 was 10.0.0.155/27; the pod 10.0.0.149 in the same /27.
  const t = eksNode({ vpcCidr: '10.0.0.0/16', subnetCidr: '10.0.0.128/27', instanceType: 'm5.large', primaryIf: 'ens5' });
  const p = t.add('priv-pod');

  it('pod: ip address show', () => {
    const map: Array<[string, string]> = [
      ['10.0.0.149', p.ip],
      ['56:37:6d:d9:1b:6a', p.podEth0.mac],
      ['fe80::5437:6dff:fed9:1b6a', linkLocal(p.podEth0.mac)],
      ['eth0@if17', `eth0@if${p.hostVeth.ifindex}`],
    ];
    expect(trimmed(t.ip(p.netns, 'address', 'show'))).toEqual(substitute(fixture('cca-1966-pod-ip-addr.txt'), map));
  });
  it('node: the host side of the pod veth', () => {
    const real = fixture('cca-1966-node-veth.txt');
    const map: Array<[string, string]> = [
      ['3: eni306cbc4b983@if3', `${p.hostVeth.ifindex}: ${p.hostVeth.name}@if3`],
      ['66:dd:ca:b1:37:ea', p.hostVeth.mac],
      ['fe80::64dd:caff:feb1:37ea', linkLocal(p.hostVeth.mac)],
      ['cni-abf9bb29-2407-a652-8b9f-ee6828c45956', p.netns],
    ];
    expect(trimmed(t.ip(ROOT_NS, 'address', 'show', 'dev', p.hostVeth.name))).toEqual(substitute(real, map));
  });
  it('the sandbox netns name has containerd\'s shape (16 random bytes, not a v4 UUID)', () => {
    expect(p.netns).toMatch(/^cni-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(fixture('cca-1966-node-veth.txt')[1]).toMatch(/link-netns cni-[0-9a-f]{8}-[0-9a-f]{4}-a652-/); // version nibble "a": random bytes
  });
});

describe('pod route and neighbour; forms of older releases (int32bit, November 2019)', () => {
  const f = sections(fixture('int32bit-2019-pod-and-node.txt'));
  const t = eksNode({ vpcCidr: '192.168.192.0/22', subnetCidr: '192.168.193.128/25', instanceType: 'c5.large', primaryIf: 'ens5' });
  const p = t.add('kubernetes-bootcamp-v1-c5ccf9784-6sgkm');

  it('pod: ip neigh has the permanent gateway entry with the host veth\'s MAC', () => {
    const real = f['ip neigh'].filter((l) => l.startsWith('169.254.1.1 '));
    // The STALE entry for the node's own IP is learnt from traffic (kubelet probes); no traffic ran here.
    expect(f['ip neigh'].filter((l) => !l.startsWith('169.254.1.1 '))).toEqual(['192.168.193.194 dev eth0 lladdr fe:2c:94:74:24:25 STALE']);
    expect(f['node: ip a | grep -A 10 -B 1 fe:2c:94:74:24:25'][1]).toContain('link/ether fe:2c:94:74:24:25 '); // same MAC on the host veth
    expect(trimmed(t.ip(p.netns, 'neigh'))).toEqual(substitute(real, [['fe:2c:94:74:24:25', p.hostVeth.mac]]));
  });
  it('pod: ip route (iproute2 before 4.x printed "  scope link" with two spaces)', () => {
    expect(f['ip r'][1]).toBe('169.254.1.1 dev eth0  scope link');
    expect(trimmed(t.ip(p.netns, 'route'))).toEqual(f['ip r'].map((l) => l.replace('  scope', ' scope')));
  });
  it('pod: the /32 has no broadcast now (2019 releases printed "brd <pod IP>")', () => {
    expect(f['ip a'][2]).toBe('    inet 192.168.193.214/32 brd 192.168.193.214 scope global eth0');
    expect(t.ip(p.netns, 'addr')).toContain(`    inet ${p.ip}/32 scope global eth0`);
  });
  it('node: 1536 rules match on the source only (before PR #1475 of May 2021: "from POD to VPC-CIDR")', () => {
    expect(f['node: ip rule | grep 192.168.193.214'][1]).toBe('1536:\tfrom 192.168.193.214 to 192.168.192.0/22 lookup 2');
    expect(t.ip(ROOT_NS, 'rule').filter((l) => l.startsWith('1536:')).every((l) => /^1536:\tfrom [\d.]+ lookup \d+$/.test(l))).toBe(true);
    // The table itself has not changed (ens6: the ENI's PCI-slot name; gateway .129 of the /25).
    expect(trimmed(t.ip(ROOT_NS, 'route', 'show', 'table', '2'))).toEqual(f['node: ip route list table 2']);
  });
  it('node: one SNAT chain with RETURN rules (before v1.16: nested AWS-SNAT-CHAIN-N, "AWS SNAT CHAN", --random)', () => {
    const old = f['node: iptables-save (AWS nat rules)'];
    expect(old.some((l) => l.includes('-j AWS-SNAT-CHAIN-1'))).toBe(true);
    const ours = awsRulesS(t.host, 'nat');
    expect(ours.filter((l) => l.startsWith('-A AWS-SNAT-CHAIN-0'))).toEqual([
      '-A AWS-SNAT-CHAIN-0 -d 192.168.192.0/22 -m comment --comment "AWS SNAT CHAIN" -j RETURN',
      `-A AWS-SNAT-CHAIN-0 ! -o vlan+ -m comment --comment "AWS, SNAT" -m addrtype ! --dst-type LOCAL -j SNAT --to-source ${t.node.primaryIp} --random-fully`,
    ]);
  });
});

describe('rules of the first releases (reinvent2018-NET410, late 2018)', () => {
  const f = sections(fixture('reinvent2018-net410-ip-rule.txt'));
  it('"1024: not from all to VPC-CIDR lookup main" is gone; the fwmark rule at 1024 stays', () => {
    expect(f['']).toContain('1024:\tnot from all to 192.168.0.0/16 lookup main');
    const t = eksNode({ vpcCidr: '192.168.0.0/16', subnetCidr: '192.168.0.0/18', instanceType: 't3.small', primaryIf: 'eth0' });
    for (let i = 0; i < 5; i++) t.add(`worker-hello-${i}`);
    const rules = t.ip(ROOT_NS, 'rule');
    expect(rules.filter((l) => l.startsWith('1024:'))).toEqual(['1024:\tfrom all fwmark 0x80/0x80 lookup main']);
    // The rest has the same shape: 512 per pod, 1536 per pod on a secondary ENI, then main/default.
    const shape = (ls: string[]) => ls.filter((l) => !l.startsWith('1024:\tnot')).map((l) => l.replace(/[\d.]+(?= lookup)/, 'IP'));
    expect([...new Set(shape(rules))]).toEqual([...new Set(shape(f['']))]);
    // Not compared: its "ip route show table 2" (gateway 192.168.128.1) cannot belong to an ENI whose
    // pods are 192.168.3.24 and 192.168.10.216, so the two listings were not taken from one node.
    expect(f['ip route show table 2'][0]).toBe('default via 192.168.128.1 dev eth1');
  });
});

describe('AL2 node with 34 pods over three ENIs (blog, 2024-01-10)', () => {
  const f = sections(fixture('blog-2024-01-al2-34-pods.txt'));
  // 15 IPv4 per ENI (m5.xlarge); 172.31.48.0/20 in the default VPC 172.31.0.0/16; AL2 names (eth0, eth1, eth2).
  const t = eksNode({ vpcCidr: '172.31.0.0/16', subnetCidr: '172.31.48.0/20', instanceType: 'm5.xlarge', primaryIf: 'eth0' });
  const pods = Array.from({ length: 34 }, (_, i) => t.add(`app-${i}`));
  // The 512 rules list the pods in the order the CNI added them, so that order maps real IPs to ours.
  const realIps = f['ip rule ls'].filter((l) => l.startsWith('512:')).map((l) => /to ([\d.]+) /.exec(l)![1]);
  const map = realIps.map((r, i): [string, string] => [r, pods[i].ip]);

  it('ip rule: 34 to-pod rules, the fwmark rule, 14 pods on eth1 (table 2) and 6 on eth2 (table 3)', () => {
    expect(realIps).toHaveLength(34);
    expect(trimmed(t.ip(ROOT_NS, 'rule'))).toEqual(substitute(f['ip rule ls'], map));
  });
  it('ip route show table 2 and table 3', () => {
    expect(trimmed(t.ip(ROOT_NS, 'route', 'show', 'table', '2'))).toEqual(f['ip r s table 2']);
    expect(trimmed(t.ip(ROOT_NS, 'route', 'show', 'table', '3'))).toEqual(f['ip r s table 3']);
  });
  it('ip route (main): pod routes as posted; the host routes are AL2\'s (dhclient, no proto/metric), ours AL2023\'s', () => {
    const realPods = f['ip r s table main'].filter((l) => / dev eni[0-9a-f]{11} scope link$/.test(l));
    const ours = trimmed(t.ip(ROOT_NS, 'route')).filter((l) => / dev eni[0-9a-f]{11} scope link$/.test(l));
    const key = (l: string) => l.split(' ')[0].split('.').reduce((a, o) => a * 256 + Number(o), 0);
    expect(realPods.map(key)).toEqual([...realPods.map(key)].sort((a, b) => a - b));
    expect(ours.map(key)).toEqual([...ours.map(key)].sort((a, b) => a - b));
    expect(ours).toHaveLength(34);
    // Every posted pod route is ours once the pod IP is mapped (veth names hash pod names we do not know).
    const veth = (l: string) => l.replace(/eni[0-9a-f]{11}/, 'VETH');
    const oursSet = new Set(ours.map(veth));
    for (const l of substitute(realPods, map)) expect(oursSet).toContain(veth(l));
    // AL2 (ec2-net-utils + dhclient) wrote "default via 172.31.48.1 dev eth0" and a 169.254.169.254 route.
    expect(f['ip r s table main'][0]).toBe('default via 172.31.48.1 dev eth0');
    expect(t.ip(ROOT_NS, 'route')[0]).toMatch(/^default via 172\.31\.48\.1 dev eth0 proto dhcp src [\d.]+ metric 512 $/);
  });
});

describe('the same node with AWS_VPC_K8S_CNI_EXTERNALSNAT=true (blog, 2024-01-10)', () => {
  const real = fixture('blog-2024-01-al2-34-pods-externalsnat.txt');
  const t = eksNode({
    vpcCidr: '172.31.0.0/16',
    subnetCidr: '172.31.48.0/20',
    instanceType: 'm5.xlarge',
    primaryIf: 'eth0',
    env: { AWS_VPC_K8S_CNI_EXTERNALSNAT: 'true' },
  });
  const pods = Array.from({ length: 34 }, (_, i) => t.add(`app-${i}`));
  const realIps = real.filter((l) => l.startsWith('512:')).map((l) => /to ([\d.]+) /.exec(l)![1]);
  const map = realIps.map((r, i): [string, string] => [r, pods[i].ip]);

  it('ip rule: the same rules; the fwmark rule stays (NodePort support is on)', () => {
    const ours = trimmed(t.ip(ROOT_NS, 'rule'));
    expect(ours).toContain('1024:\tfrom all fwmark 0x80/0x80 lookup main');
    expect([...ours].sort()).toEqual([...substitute(real, map)].sort());
  });
  it('the 1536 rules were re-added in another order by the restarted aws-node (not modelled: no restart here)', () => {
    const order = (ls: string[]) => ls.filter((l) => l.startsWith('1536:')).map((l) => l.slice(-1));
    expect(order(real).join('')).toBe('33333322222222222222'); // ipamd's map order after the restart
    expect(order(t.ip(ROOT_NS, 'rule')).join('')).toBe('22222222222222333333'); // creation order
  });
  it('nat: only the empty AWS chains are left; mangle keeps the CONNMARK rules (not in the post: networkutils creates both chains unconditionally, the rules exist only without external SNAT)', () => {
    expect(awsRulesS(t.host, 'nat')).toEqual(['-N AWS-CONNMARK-CHAIN-0', '-N AWS-SNAT-CHAIN-0']);
    expect(awsRulesS(t.host, 'mangle')).toHaveLength(3);
  });
});
