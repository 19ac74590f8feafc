// Seeded random rule generator for the differential fuzz corpus (fuzz-v4.json, fuzz-v6.json).
// Each case is one restore block; `real` is what the real iptables-save printed for its table
// (comment lines dropped) or "ERR " + the real error text (normalised). Regenerate as root:
//   npx tsx src/netfilter/testdata/gen-fuzz.node.ts
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface FuzzCase {
  table: string;
  text: string;
  real: string;
}

/** Error text without blank lines, the usage hint, warnings and kubewire's explanations. */
export function normaliseError(s: string): string {
  return s
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .filter((l) => l !== '' && !l.startsWith('Try `') && !l.startsWith('  (') && !l.startsWith('warn:'))
    .join('\n');
}

export function generateCases(fam: 4 | 6, n: number, seed0: number, extended = false): Array<{ table: string; text: string }> {
  let seed = seed0;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const pick = <T,>(a: T[]): T => a[Math.floor(rnd() * a.length)];
  const maybe = (p: number): boolean => rnd() < p;
  const A4 = ['10.0.0.1', '10.1.2.3/8', '192.168.0.0/16', '1.2.3.4/255.255.0.0', '0.0.0.0/0', '10.0.0.0/33', '10', '10.1', '0x0a.0.0.1', '172.16.0.1/24', '1.1.1.1,2.2.2.2'];
  const A6 = ['fd00::1', 'fd00::/64', '::1', '2001:db8::1:0:0:1', '::ffff:1.2.3.4', 'fd00::/ffff::', '::/0', 'fe80::1/10', 'fd00::1,fd00::2'];
  const addrs = fam === 6 ? A6 : A4;
  const ports = ['80', '0:1023', '1024:', ':100', 'http', 'ssh', 'domain', '65535', '0', '5:5', '10:1', 'nosuch'];
  const protos = ['tcp', 'udp', 'sctp', 'icmp', 'ipv6-icmp', 'all', '6', '17', '47', 'TCP', 'esp', '41', '255', '0'];
  const ifs = ['eth0', 'cali+', 'eni+', 'lo', 'vxlan.calico', '+', 'a.b-c_d'];
  function matchPart(proto: string | undefined): string {
    const neg = () => (maybe(0.2) ? '! ' : '');
    switch (Math.floor(rnd() * (extended ? 22 : 16))) {
      case 0: return `-m comment --comment ${pick(['x', '"a b"', '"q\\"x"', 'a/b:c', '""', "'s'", '"tab\\\\x"', 'x-y_z', '"ü"'])}`;
      case 1: return `-m mark ${neg()}--mark ${pick(['0x4000', '0x4000/0x4000', '16', '0', '0xffffffff', '0x1/0xffffffff', '010'])}`;
      case 2: return `-m conntrack ${neg()}--ctstate ${pick(['NEW', 'ESTABLISHED,RELATED', 'DNAT,INVALID,SNAT', 'untracked', 'new,est'])}${maybe(0.3) ? ` --ctdir ${pick(['ORIGINAL', 'REPLY', 'reply'])}` : ''}${maybe(0.3) ? ` ${neg()}--ctorigdst ${pick(addrs).split(',')[0]}` : ''}`;
      case 3: return `-m addrtype ${neg()}--${pick(['src', 'dst'])}-type ${pick(['LOCAL', 'UNICAST,LOCAL', 'BROADCAST,MULTICAST', 'local'])}${maybe(0.3) ? ' --limit-iface-in' : ''}`;
      case 4: return `-m statistic --mode random ${neg()}--probability ${pick(['0.5', '0.3333333333', '0.1666666667', '1', '0', '0.0009990010', '0.000244140625', '0.1428571429'])}`;
      case 5: return `-m recent --name ${pick(['A', 'KUBE-SEP-X'])} ${neg()}--${pick(['set', 'rcheck', 'update', 'remove'])}${maybe(0.5) ? ' --seconds 10800' : ''}${maybe(0.3) ? ' --reap' : ''}${maybe(0.3) ? ' --rdest' : ''}`;
      case 6: return `-m set ${neg()}--match-set ${pick(['foo', 'bar'])} ${pick(['src', 'dst', 'dst,dst', 'src,dst,src'])}`;
      case 7: return `-m state ${neg()}--state ${pick(['NEW', 'ESTABLISHED,RELATED', 'INVALID,NEW'])}`;
      case 8: return `-m connmark ${neg()}--mark ${pick(['0x80/0x80', '1'])}`;
      case 9: return proto && /^(tcp|udp|sctp|6|17|TCP)$/.test(proto) ? `-m multiport ${neg()}--${pick(['dports', 'sports', 'ports', 'destination-ports'])} ${pick(['80,443', '1:100,200', 'http,https', '53'])}` : '-m comment --comment m';
      case 10: return proto && /^(tcp|6|TCP)$/.test(proto) ? `${pick(['', '-m tcp '])}${neg()}--${pick(['dport', 'sport', 'destination-port'])} ${pick(ports)}${maybe(0.3) ? ` ${neg()}--tcp-flags ${pick(['SYN,ACK SYN', 'ALL NONE', 'FIN,RST RST'])}` : ''}${maybe(0.2) ? ' --syn' : ''}` : '-m comment --comment t';
      case 11: return proto && /^(udp|17)$/.test(proto) ? `${pick(['', '-m udp '])}${neg()}--${pick(['dport', 'sport'])} ${pick(ports)}` : '-m comment --comment u';
      case 12: return fam === 4 && proto === 'icmp' ? `-m icmp ${neg()}--icmp-type ${pick(['8', 'echo-request', '3/4', 'any', 'port-unreachable', 'ping', 'echo'])}` : fam === 6 && proto === 'ipv6-icmp' ? `-m icmp6 ${neg()}--icmpv6-type ${pick(['128', 'echo-request', '1/3', 'neighbor-solicitation', 'packet-too-big'])}` : '-m comment --comment i';
      case 13: return `-m physdev ${neg()}--physdev-in ${pick(ifs)}${maybe(0.5) ? ' --physdev-is-bridged' : ''}`;
      case 14: return `-m limit --limit ${pick(['5/min', '10/sec', '1/hour', '100/s', '3/d', '7/m'])}${maybe(0.5) ? ` --limit-burst ${pick(['5', '10'])}` : ''}`;
      case 16: return `-m mac ${neg()}--mac-source ${pick(['00:11:22:AA:bb:cc', '0:1:2:3:4:5', 'zz'])}`;
      case 17: return `-m pkttype ${neg()}--pkt-type ${pick(['unicast', 'broadcast', 'multicast', 'host', 'BROADCAST'])}`;
      case 18: return `-m rpfilter ${pick(['', '--loose', '--validmark --invert', '--accept-local'])}`;
      case 19: return `-m ${pick(['conntrack --ctst', 'conntrack --ctstate=', 'state --sta'])}${pick([' NEW', 'ESTABLISHED'])}`;
      case 20: return `-m ${pick(['mark', 'connmark'])} --mark ${pick(['0x1/0x2/0x3', '4294967296', '0xff/0xff', '1/'])}`;
      case 21: return `-m comment --comment ${pick(['"' + 'c'.repeat(260) + '"', '"a\\tb"', "x'y", '"\\\\"'])}`;
      default: return `-m iprange ${neg()}--src-range ${fam === 6 ? 'fd00::1-fd00::9' : '10.0.0.1-10.0.0.9'}`;
    }
  }
  function targetPart(table: string, chain: string, proto: string | undefined): string {
    const p = proto && /^(tcp|udp|6|17)$/.test(proto);
    const t: string[] = ['-j ACCEPT', '-j DROP', '-j RETURN', '-j USER1', '-g USER1', '', '-j MARK --set-mark 0x10', '-j MARK --or-mark 0x4000', '-j MARK --xor-mark 0x4000', '-j MARK --and-mark 0xff', '-j MARK --set-xmark 0x1/0x3', '-j CONNMARK --set-mark 0x80/0x80', '-j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80', '-j CONNMARK --save-mark --mask 0xff', `-j LOG --log-prefix "${pick(['p ', 'x', 'a"b'])}" ${pick(['', '--log-level 4', '--log-level info', '--log-uid'])}`, `-j NFLOG --nflog-group ${pick(['0', '1', '5'])} ${pick(['', '--nflog-prefix "a|b"', '--nflog-size 128', '--nflog-threshold 2'])}`];
    if (table === 'nat') {
      if (chain === 'PREROUTING' || chain === 'OUTPUT' || chain === 'USER0') t.push(`-j DNAT --to-destination ${fam === 6 ? pick(['[fd00::1]:80', 'fd00::1', '[fd00::1-fd00::3]:80-90']) : pick(['10.0.0.1:80', '10.0.0.1', '10.0.0.1-10.0.0.3:80-90', ':8080'])}${maybe(0.3) ? ' --random' : ''}${maybe(0.2) ? ' --persistent' : ''}`, `-j REDIRECT ${p ? '--to-ports 15001' : ''}`);
      if (chain === 'POSTROUTING' || chain === 'USER0') t.push(`-j MASQUERADE${maybe(0.5) ? ' --random-fully' : ''}${p && maybe(0.5) ? ' --to-ports 1024-65535' : ''}`, `-j SNAT --to-source ${fam === 6 ? 'fd00::5' : pick(['1.2.3.4', '1.2.3.4-1.2.3.9'])}${maybe(0.5) ? ' --random-fully' : ''}`);
    }
    if (table === 'filter' && chain !== 'USER0') t.push(`-j REJECT${maybe(0.5) ? ` --reject-with ${fam === 6 ? pick(['icmp6-adm-prohibited', 'port-unreach', 'no-route']) : pick(['icmp-host-prohibited', 'host-unreach', 'icmp-admin-prohibited'])}` : ''}`);
    if (table === 'raw') t.push('-j NOTRACK', '-j CT --notrack', '-j CT --zone 3');
    if (extended) {
      t.push(`-j LOG --log-prefix "${'L'.repeat(35)}"`, '-j TCPMSS --clamp-mss-to-pmtu', '-j TCPMSS --set-mss 1400', '-j CONNMARK --set-xmark 0x1', '-j MARK --set-mark=0x5', '-j ACCEPTX');
      if (table === 'nat') t.push('-j REDIRECT --to-ports 8080', '-j MASQUERADE --to-ports 1000-2000', '-j SNAT --to 1.1.1.1 --persistent');
    }
    return pick(t);
  }
  const chainsOf: Record<string, string[]> = { filter: ['INPUT', 'FORWARD', 'OUTPUT', 'USER0'], nat: ['PREROUTING', 'OUTPUT', 'POSTROUTING', 'INPUT', 'USER0'], mangle: ['PREROUTING', 'FORWARD', 'POSTROUTING', 'USER0'], raw: ['PREROUTING', 'OUTPUT', 'USER0'] };
  const cases: Array<{ table: string; text: string }> = [];
  for (let k = 0; k < n; k++) {
  const table = pick(Object.keys(chainsOf));
      const chain = pick(chainsOf[table]);
      const proto = maybe(0.6) ? pick(protos) : undefined;
      const parts: string[] = [];
      if (maybe(0.3)) parts.push(`${maybe(0.2) ? '! ' : ''}-s ${pick(addrs)}`);
      if (maybe(0.3)) parts.push(`${maybe(0.2) ? '! ' : ''}-d ${pick(addrs)}`);
      if (maybe(0.2) && chain !== 'OUTPUT' && chain !== 'POSTROUTING') parts.push(`${maybe(0.2) ? '! ' : ''}-i ${pick(ifs)}`);
      if (maybe(0.2) && chain !== 'INPUT' && chain !== 'PREROUTING') parts.push(`${maybe(0.2) ? '! ' : ''}-o ${pick(ifs)}`);
      if (proto) parts.push(`${maybe(0.1) ? '! ' : ''}-p ${proto}`);
      if (fam === 4 && maybe(0.05)) parts.push(`${maybe(0.5) ? '! ' : ''}-f`);
      const nm = Math.floor(rnd() * 4);
      for (let m = 0; m < nm; m++) parts.push(matchPart(proto));
      // shuffle a bit: iptables accepts options in any order
      if (maybe(0.3)) parts.reverse();
      parts.push(targetPart(table, chain, proto));
      const text = `*${table}\n:USER0 - [0:0]\n:USER1 - [0:0]\n-A ${chain} ${parts.join(' ')}\n${chain !== 'USER0' && maybe(0.5) ? `-A ${chain} -j USER0\n` : ''}${chain === 'USER0' && maybe(0.7) ? `-A ${pick(chainsOf[table].slice(0, -1))} -j USER0\n` : ''}COMMIT\n`;
      cases.push({ table, text });
  }
  return cases;
}

/** Run each case through the real tool in one scratch namespace. */
export function runReal(fam: 4 | 6, cases: Array<{ table: string; text: string }>): FuzzCase[] {
  const ns = `kwt-${randomBytes(3).toString('hex')}-fz`;
  const bin = fam === 6 ? 'ip6tables' : 'iptables';
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    for (const s of ['foo', 'bar']) {
      execFileSync('ip', ['netns', 'exec', ns, 'ipset', 'create', s, 'hash:net', 'family', fam === 6 ? 'inet6' : 'inet']);
    }
    return cases.map(({ table, text }) => {
      const r = spawnSync('ip', ['netns', 'exec', ns, `${bin}-restore`], { input: text, encoding: 'utf8' });
      let real: string;
      if (r.status === 0) {
        real = execFileSync('ip', ['netns', 'exec', ns, `${bin}-save`, '-t', table], { encoding: 'utf8' })
          .split('\n')
          .filter((l) => !l.startsWith('#'))
          .join('\n');
      } else real = 'ERR ' + normaliseError(r.stderr);
      spawnSync('ip', ['netns', 'exec', ns, `${bin}-restore`], { input: `*${table}\nCOMMIT\n`, encoding: 'utf8' });
      return { table, text, real };
    });
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const fam of [4, 6] as const) {
    const cases = [
      ...runReal(fam, generateCases(fam, 300, fam === 4 ? 1003 : 2004)),
      ...runReal(fam, generateCases(fam, 200, fam === 4 ? 3005 : 4006, true)),
    ];
    writeFileSync(join(here, `fuzz-v${fam}.json`), JSON.stringify(cases, null, 1) + '\n');
    console.log(`fuzz-v${fam}.json: ${cases.length} cases, ${cases.filter((c) => c.real.startsWith('ERR')).length} errors`);
  }
}
