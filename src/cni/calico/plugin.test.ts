// End to end: the example Calico cluster file → cluster → nginx ×3 → node state in the real
// tools' formats. Expected forms come from the research note (§2, §3, §5–§7, §14) and the real
// dumps it quotes, not from this code's output.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseClusterFile } from '../../inputs/cluster-file.ts';
import { createCluster, applyObjects } from '../../control-plane/cluster.ts';
import { admitObject } from '../../inputs/k8s-objects.ts';
import { generateDeployment } from '../../k8s/generators.ts';
import { runIpCommand } from '../../render/iproute2/index.ts';
import { iptablesSave } from '../../netfilter/save.ts';
import { getNs } from '../../node-state/ops.ts';
import { pluginsFor } from '../index.ts';
import { calicoState, calicoVethName, nodeBlocks, vtepMac, type CalicoPlugin } from './plugin.ts';
import { parseCidr4, ipToU32 } from '../../aws/ip.ts';
import { ruleHashes } from './iptables.ts';

const EXAMPLE = new URL('../../../examples/cluster-calico.yaml', import.meta.url);

function build(version?: string) {
  let text = readFileSync(EXAMPLE, 'utf8');
  if (version) text = text.replace(/version: v3\.32\.1/, `version: ${version}`);
  const spec = parseClusterFile(text, 'examples/cluster-calico.yaml');
  const plugins = pluginsFor(spec);
  const state = createCluster(spec, { seed: 1, ...plugins });
  applyObjects(state, [admitObject(generateDeployment({ name: 'nginx', image: ['nginx'], replicas: 3, port: 80 }))], plugins);
  return { state, plugins };
}

function inCidr(cidr: string, ip: string): boolean {
  const c = parseCidr4(cidr);
  const v = ipToU32(ip);
  return v >= c.base && v < c.base + c.size;
}

describe('names and identities (research note §3, §5)', () => {
  it.each([
    ['default', 'nginx', 'calic440f455693'],
    ['kube-system', 'kubernetes-metrics-scraper-54fbb4d595-2jz42', 'calic3cf305c9e6'],
    ['default', 'busybox', 'cali12d4a061371'],
    ['kube-system', 'coredns-5d78c9869d-abcde', 'cali4d5f75c480c'],
  ])('%s/%s → %s', (ns, pod, want) => expect(calicoVethName(ns, pod)).toBe(want));

  it.each([
    ['10.158.84.15', '66:73:9e:f9:f6:53'], // real: calico#5171
    ['ip-10-0-1-10.us-west-2.compute.internal', '66:1f:60:59:7f:97'],
    ['ip-10-0-2-20.us-west-2.compute.internal', '66:66:d7:cc:e9:0f'],
    ['ip-10-0-1-30.us-west-2.compute.internal', '66:a7:97:80:59:2c'],
  ])('VTEP MAC of %s is %s', (node, mac) => expect(vtepMac(node)).toBe(mac));
});

describe('Felix rule-hash comments (research note §10.7, validated values)', () => {
  it.each([
    ['INPUT', 'cali-INPUT', 'Cz_u1IQiXIMmKD4c'],
    ['FORWARD', 'cali-FORWARD', 'wUHhoiAYhphO9Mso'],
    ['OUTPUT', 'cali-OUTPUT', 'tVnHkvAo15HuiPy0'],
    ['POSTROUTING', 'cali-POSTROUTING', 'O3lYWMrLQYEMJtB5'],
    ['PREROUTING', 'cali-PREROUTING', '6gwbT8clXdHdC1b1'],
  ])('%s → %s: %s', (chain, target, hash) => {
    expect(ruleHashes(chain, [{ action: `--jump ${target}` }])).toEqual([hash]);
  });

  it('the five rules of the real cali-tw-cali11239f98883 chain (calico#9290)', () => {
    expect(
      ruleHashes('cali-tw-cali11239f98883', [
        { match: '-m conntrack --ctstate RELATED,ESTABLISHED', action: '--jump ACCEPT' },
        { match: '-m conntrack --ctstate INVALID', action: '--jump DROP' },
        { action: '--jump MARK --set-mark 0/0x10000' },
        { comment: ['Start of policies'], action: '--jump MARK --set-mark 0/0x20000' },
        { match: '-m mark --mark 0/0x20000', action: '--jump cali-pi-_DGlcbEzkd1cvh5X1F7M' },
      ]),
    ).toEqual(['63AiEhcKlL4J9x0W', 'U_uF6VQoKAohXmTC', '11psZo1M6h3_eNzY', '6lKycZxeeZ1PugZz', 'cV0qHtGkHxu9syl8']);
  });

  it('nat-outgoing MASQUERADE (calico#2222 without --random-fully; with it)', () => {
    const match = '-m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst';
    expect(ruleHashes('cali-nat-outgoing', [{ match, action: '--jump MASQUERADE' }])).toEqual(['Dw4T8UWPnCLxRJiI']);
    expect(ruleHashes('cali-nat-outgoing', [{ match, action: '--jump MASQUERADE --random-fully' }])).toEqual(['flqWnvo8yq4ULQLa']);
  });
});

describe('Calico VXLAN cluster from examples/cluster-calico.yaml (v3.32.1)', () => {
  const { state } = build();
  const s = calicoState(state);
  const names = state.nodes.map((n) => n.name);

  it('every node has a block, a tunnel IP = ordinal 0 of it, and pods inside its block', () => {
    expect(names).toHaveLength(3);
    for (const n of names) {
      const blocks = nodeBlocks(state, n);
      expect(blocks).toHaveLength(1);
      expect(s.nodes[n]!.tunnelIp).toBe(blocks[0]!.split('/')[0]);
      for (const p of Object.values(s.nodes[n]!.pods)) expect(inCidr(blocks[0]!, p.ip)).toBe(true);
    }
    // nginx ×3 plus the two CoreDNS replicas the bootstrap creates.
    const pods = names.flatMap((n) => Object.keys(s.nodes[n]!.pods));
    expect(pods.filter((k) => k.startsWith('default/nginx-'))).toHaveLength(3);
    expect(pods.filter((k) => k.startsWith('kube-system/coredns-'))).toHaveLength(2);
  });

  it('ip route shows Calico v3.32 forms on every node', () => {
    for (const n of names) {
      const me = s.nodes[n]!;
      const out = runIpCommand(state.hosts[n]!, 'root', ['ip', 'route']).stdout;
      const lines = out.split('\n');
      expect(lines).toContain(`blackhole ${nodeBlocks(state, n)[0]} proto 80 `);
      for (const p of Object.values(me.pods)) expect(lines).toContain(`${p.ip} dev ${p.hostIf} scope link metric 1024 `);
      for (const other of names.filter((x) => x !== n)) {
        const peer = s.nodes[other]!;
        expect(lines).toContain(`${nodeBlocks(state, other)[0]} via ${peer.tunnelIp} dev vxlan.calico onlink mtu 8951 `);
      }
    }
  });

  it('vxlan.calico as Felix configures it (ip -d link, ip addr)', () => {
    const n = names[0]!;
    const me = s.nodes[n]!;
    const link = runIpCommand(state.hosts[n]!, 'root', ['ip', '-d', 'link', 'show', 'vxlan.calico']).stdout;
    expect(link).toMatch(/vxlan\.calico: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 8951 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000/);
    expect(link).toContain(`link/ether ${vtepMac(n)} brd ff:ff:ff:ff:ff:ff`);
    expect(link).toContain(`vxlan id 4096 local ${me.nodeIp} dev ${me.parentIf} srcport 0 0 dstport 4789 nolearning ttl auto ageing 300 udpcsum`);
    const addr = runIpCommand(state.hosts[n]!, 'root', ['ip', 'addr', 'show', 'vxlan.calico']).stdout;
    expect(addr).toContain(`    inet ${me.tunnelIp}/32 scope global vxlan.calico\n`);
  });

  it('ip neigh / bridge fdb on vxlan.calico: one PERMANENT entry per peer VTEP', () => {
    const n = names[0]!;
    const neigh = runIpCommand(state.hosts[n]!, 'root', ['ip', 'neigh', 'show', 'dev', 'vxlan.calico']).stdout;
    const fdb = runIpCommand(state.hosts[n]!, 'root', ['bridge', 'fdb', 'show', 'dev', 'vxlan.calico']).stdout;
    for (const other of names.slice(1)) {
      const peer = s.nodes[other]!;
      // iproute2 ends each field with a space (research note §7.1); the note's quotes are trimmed.
      expect(neigh.split('\n').map((l) => l.trimEnd())).toContain(`${peer.tunnelIp} lladdr ${peer.vtepMac} PERMANENT`);
      expect(fdb.split('\n').map((l) => l.trimEnd())).toContain(`${peer.vtepMac} dst ${peer.nodeIp} self permanent`);
    }
  });

  it('pod side: /32 on eth0, 169.254.1.1 link route and default via it; host veth MAC ee:ee:ee:ee:ee:ee, proxy_arp', () => {
    const n = names.find((x) => Object.keys(s.nodes[x]!.pods).length > 0)!;
    const p = Object.values(s.nodes[n]!.pods)[0]!;
    const host = state.hosts[n]!;
    expect(runIpCommand(host, p.netns, ['ip', 'route']).stdout).toBe('default via 169.254.1.1 dev eth0 \n169.254.1.1 dev eth0 scope link \n');
    // Shape of the real pod view quoted in the research note (calico#4961): no qlen, link-netnsid 0.
    const addr = runIpCommand(host, p.netns, ['ip', 'addr', 'show', 'eth0']).stdout;
    expect(addr).toMatch(/^\d+: eth0@if\d+: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 8951 qdisc noqueue state UP group default \n/);
    expect(addr).toMatch(/\n    link\/ether [0-9a-f:]{17} brd ff:ff:ff:ff:ff:ff link-netnsid 0\n/);
    expect(addr).toContain(`    inet ${p.ip}/32 scope global eth0\n`);
    expect(runIpCommand(host, 'root', ['ip', 'link', 'show', p.hostIf]).stdout).toContain('link/ether ee:ee:ee:ee:ee:ee');
    expect(getNs(host, 'root').sysctls[`net.ipv4.conf.${p.hostIf}.proxy_arp`]).toBe('1');
  });

  it('iptables-save shows the Felix hooks, VXLAN rules and natOutgoing', () => {
    const save = iptablesSave(getNs(state.hosts[names[0]!]!, 'root').netfilter);
    expect(save).toContain('-A INPUT -m comment --comment "cali:Cz_u1IQiXIMmKD4c" -j cali-INPUT');
    expect(save).toContain('-A FORWARD -m comment --comment "cali:wUHhoiAYhphO9Mso" -j cali-FORWARD');
    expect(save).toMatch(/-A cali-INPUT -p udp -m comment --comment "cali:[\w-]{16}" -m comment --comment "Allow IPv4 VXLAN packets from allowed hosts" -m multiport --dports 4789 -m set --match-set cali40all-vxlan-net src -m addrtype --dst-type LOCAL -j ACCEPT/);
    expect(save).toContain('-A cali-nat-outgoing -m comment --comment "cali:flqWnvo8yq4ULQLa" -m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --random-fully');
    // The nat POSTROUTING jump is appended after kube-proxy's, hashed as an append (real dump:
    // `cali-POSTROUTING … /* cali:0i8pjzKKPyA34aQD */` after KUBE-POSTROUTING).
    const post = save.split('\n').filter((l) => l.startsWith('-A POSTROUTING'));
    expect(post[post.length - 1]).toBe('-A POSTROUTING -m comment --comment "cali:0i8pjzKKPyA34aQD" -j cali-POSTROUTING');
    // FORWARD tail rules (real dump in felix#2606 for the first).
    const fwd = save.split('\n').filter((l) => l.startsWith('-A FORWARD'));
    expect(fwd.slice(-2)).toEqual([
      '-A FORWARD -m comment --comment "cali:S93hcgKJrXEqnTfs" -m comment --comment "Policy explicitly accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT',
      '-A FORWARD -m comment --comment "cali:mp77cMpurHhyjLrM" -j MARK --set-xmark 0x10000/0x10000',
    ]);
    // nat static chains as in real dumps (aws/amazon-vpc-cni-k8s#34).
    expect(save).toContain('-A cali-OUTPUT -m comment --comment "cali:GBTAv2p5CwevEyJm" -j cali-fip-dnat');
    expect(save).toContain('-A cali-POSTROUTING -m comment --comment "cali:Z-c7XtVd2Bq7s_hA" -j cali-fip-snat');
    expect(save).toContain('-A cali-POSTROUTING -m comment --comment "cali:nYKhEzDlr11Jccal" -j cali-nat-outgoing');
    expect(save).toContain('-A cali-PREROUTING -m comment --comment "cali:r6XmIziWUJsdOK6Z" -j cali-fip-dnat');
  });

  it("Felix's refresh puts its hooks back on top of the built-in chains, idempotently", () => {
    const { state: st2, plugins } = build();
    const n = st2.nodes[0]!;
    const ctx = { cluster: st2, node: n, host: st2.hosts[n.name]! };
    (plugins.cni as unknown as CalicoPlugin).resync(ctx);
    const save1 = iptablesSave(getNs(st2.hosts[n.name]!, 'root').netfilter);
    for (const [chain, hash] of [['INPUT', 'Cz_u1IQiXIMmKD4c'], ['FORWARD', 'wUHhoiAYhphO9Mso'], ['OUTPUT', 'tVnHkvAo15HuiPy0']]) {
      const first = save1.split('\n').find((l) => l.startsWith(`-A ${chain} `));
      expect(first).toBe(`-A ${chain} -m comment --comment "cali:${hash}" -j cali-${chain}`);
    }
    expect(save1.split('\n').filter((l) => l.includes('cali:Cz_u1IQiXIMmKD4c'))).toHaveLength(1);
    (plugins.cni as unknown as CalicoPlugin).resync(ctx);
    expect(iptablesSave(getNs(st2.hosts[n.name]!, 'root').netfilter)).toBe(save1);
  });

  it('podDelete releases the address and removes the host route', () => {
    const { state: st2, plugins } = build();
    const s2 = calicoState(st2);
    const n = Object.keys(s2.nodes).find((x) => Object.keys(s2.nodes[x]!.pods).length > 0)!;
    const [key, p] = Object.entries(s2.nodes[n]!.pods)[0]!;
    const [ns, name] = key.split('/');
    const pod = st2.objects[`Pod/${ns}/${name}`] as never;
    const node = st2.nodes.find((x) => x.name === n)!;
    plugins.cni.podDelete({ cluster: st2, node, host: st2.hosts[n]!, }, pod);
    expect(runIpCommand(st2.hosts[n]!, 'root', ['ip', 'route']).stdout).not.toContain(`${p.ip} dev`);
    expect(st2.hosts[n]!.namespaces[p.netns]).toBeUndefined();
    // Felix removes the endpoint's chains and its dispatch entries.
    expect(iptablesSave(getNs(st2.hosts[n]!, 'root').netfilter)).not.toContain(p.hostIf);
    expect(s2.ipam.blocks[nodeBlocks(st2, n)[0]!]!.unallocated.at(-1)).toBe(ipToU32(p.ip) - ipToU32(nodeBlocks(st2, n)[0]!.split('/')[0]!));
  });
});

describe('a node that fills its first block', () => {
  it('claims the next block of its walk; peers route both blocks, the node blackholes both (§4.7, §7.1)', () => {
    const text = readFileSync(EXAMPLE, 'utf8').replace('desiredCapacity: 3', 'desiredCapacity: 2');
    const spec = parseClusterFile(text, 'examples/cluster-calico.yaml');
    const plugins = pluginsFor(spec);
    const state = createCluster(spec, { seed: 1, ...plugins });
    applyObjects(state, [admitObject(generateDeployment({ name: 'web', image: ['nginx'], replicas: 140, port: 80 }))], plugins);
    const s = calicoState(state);
    const names = state.nodes.map((n) => n.name);
    const big = names.find((n) => nodeBlocks(state, n).length >= 2)!;
    expect(big).toBeDefined();
    const blocks = nodeBlocks(state, big);
    // 64 addresses per block: the tunnel address plus 63 pods fill the first one.
    expect(Object.keys(s.nodes[big]!.pods).length).toBeGreaterThan(63);
    const own = runIpCommand(state.hosts[big]!, 'root', ['ip', 'route']).stdout.split('\n');
    for (const b of blocks) expect(own).toContain(`blackhole ${b} proto 80 `);
    for (const other of names.filter((n) => n !== big)) {
      const lines = runIpCommand(state.hosts[other]!, 'root', ['ip', 'route']).stdout.split('\n');
      for (const b of blocks) expect(lines).toContain(`${b} via ${s.nodes[big]!.tunnelIp} dev vxlan.calico onlink mtu 8951 `);
    }
  }, 60000);
});

describe('CrossSubnet and capacity', () => {
  it('CrossSubnet: peers in the node subnet are routed natively via their node IP (proto 80), others via vxlan.calico (§9)', () => {
    let text = readFileSync(EXAMPLE, 'utf8');
    text = text.replace('vxlanMode: Always', 'vxlanMode: CrossSubnet').replace('    desiredCapacity: 3\n', '    desiredCapacity: 3\n    availabilityZones: [us-west-2a, us-west-2b]\n');
    const spec = parseClusterFile(text, 'x.yaml');
    const plugins = pluginsFor(spec);
    const state = createCluster(spec, { seed: 1, ...plugins });
    const s = calicoState(state);
    const names = state.nodes.map((n) => n.name);
    const subnetOf = (n: string) => state.nodes.find((x) => x.name === n)!.subnetId;
    const a = names.find((n) => names.some((m) => m !== n && subnetOf(m) === subnetOf(n)))!;
    const same = names.filter((n) => n !== a && subnetOf(n) === subnetOf(a));
    const other = names.filter((n) => n !== a && subnetOf(n) !== subnetOf(a));
    expect(same.length).toBe(1);
    expect(other.length).toBe(1);
    const lines = runIpCommand(state.hosts[a]!, 'root', ['ip', 'route']).stdout.split('\n');
    for (const n of same) expect(lines).toContain(`${nodeBlocks(state, n)[0]} via ${s.nodes[n]!.nodeIp} dev ${s.nodes[a]!.parentIf} proto 80 onlink `);
    for (const n of other) expect(lines).toContain(`${nodeBlocks(state, n)[0]} via ${s.nodes[n]!.tunnelIp} dev vxlan.calico onlink mtu 8951 `);
  });

  it("podCapacity is the instance type's eni-max-pods value (m5.large: 29) unless maxPodsPerNode is set", () => {
    const text = readFileSync(EXAMPLE, 'utf8').replace('    maxPodsPerNode: 100\n', '');
    const spec = parseClusterFile(text, 'x.yaml');
    const plugins = pluginsFor(spec);
    const state = createCluster(spec, { seed: 1, ...plugins });
    expect(state.nodes.map((n) => n.podCapacity)).toEqual([29, 29, 29]);
    expect(build().state.nodes.map((n) => n.podCapacity)).toEqual([100, 100, 100]);
  });
});

describe('version differences (research note §14)', () => {
  it('v3.30: no mtu on VXLAN routes, no metric on pod routes, same NOTRACK', () => {
    const { state } = build('v3.30.0');
    const s = calicoState(state);
    const n = Object.keys(s.nodes).find((x) => Object.keys(s.nodes[x]!.pods).length > 0)!;
    const out = runIpCommand(state.hosts[n]!, 'root', ['ip', 'route']).stdout;
    for (const p of Object.values(s.nodes[n]!.pods)) expect(out).toContain(`${p.ip} dev ${p.hostIf} scope link \n`);
    expect(out).toMatch(/via \S+ dev vxlan\.calico onlink \n/);
    expect(out).not.toContain('mtu 8951');
    expect(iptablesSave(getNs(state.hosts[n]!, 'root').netfilter)).toContain('--dport 4789 -j NOTRACK');
  });

  it('v3.28: no raw NOTRACK for VXLAN', () => {
    const { state } = build('v3.28.0');
    const n = state.nodes[0]!.name;
    expect(iptablesSave(getNs(state.hosts[n]!, 'root').netfilter)).not.toContain('NOTRACK');
  });
});
