// Differential test: the same node state built in the model and (through ip-batch) in real
// network namespaces; every `ip`/`bridge` command below must print byte-identical output.
// Reference: iproute2 6.1 on Linux 6.18 (this machine). Known version differences are noted
// next to the renderer code.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetnsLab, netnsUsable } from '../../testing/netns.node.ts';
import { eksNode } from '../../testing/node-scenarios.ts';
import { runIpCommand } from './index.ts';
import type { Host } from '../../node-state/types.ts';

const usable = netnsUsable();

const sortLines = (s: string) => s.split('\n').filter(Boolean).sort().join('\n');

describe.skipIf(!usable.ok)(`iproute2 output vs the real tools (${usable.reason || 'netns available'})`, () => {
  let lab: NetnsLab;
  let host: Host;
  const model = (ns: string, argv: string[]) =>
    runIpCommand(host, ns, argv, { netnsName: (m) => lab.names[m] });

  beforeAll(async () => {
    host = eksNode();
    lab = new NetnsLab();
    await lab.build(host);
    await lab.settleDad(host);
  }, 30000);
  afterAll(() => lab?.cleanup());

  const nodeCommands: string[][] = [
    ['ip', 'addr'],
    ['ip', 'a'],
    ['ip', 'address', 'show', 'dev', 'eth0'],
    ['ip', 'a', 's', 'eth1'],
    ['ip', 'addr', 'show', 'vtest0'],
    ['ip', '-4', 'addr'],
    ['ip', '-6', 'addr'],
    ['ip', '-6', 'addr', 'show', 'dev', 'eni5a7f3c2b1d0'],
    ['ip', '-4', 'addr', 'show', 'dev', 'eni5a7f3c2b1d0'],
    ['ip', '-4', 'a', 's', 'vtest0'],
    ['ip', '-br', 'addr'],
    ['ip', '-br', 'a'],
    ['ip', '-br', 'link'],
    ['ip', 'link'],
    ['ip', 'link', 'show', 'vxlan.calico'],
    ['ip', 'l', 'show', 'dev', 'vtest1'],
    ['ip', 'route'],
    ['ip', 'r'],
    ['ip', '-4', 'route'],
    ['ip', 'route', 'show', 'table', 'main'],
    ['ip', 'route', 'show', 'table', 'local'],
    ['ip', 'route', 'show', 'table', '2'],
    ['ip', 'route', 'show', 'table', '100'],
    ['ip', 'r', 'show', 'table', 'all'],
    ['ip', 'route', 'show', 'dev', 'eth0'],
    ['ip', 'route', 'show', 'table', 'all', 'dev', 'vxlan.calico'],
    ['ip', '-6', 'route'],
    ['ip', '-6', 'route', 'show', 'table', 'all'],
    ['ip', '-6', 'route', 'show', 'table', 'local'],
    ['ip', 'rule'],
    ['ip', 'rule', 'list'],
    ['ip', '-6', 'rule'],
    ['ip', '-d', 'link', 'show', 'vxlan.calico'],
    ['ip', '-d', 'link', 'show', 'eni5a7f3c2b1d0'],
    ['bridge', 'fdb', 'show', 'dev', 'vxlan.calico'],
    ['bridge', 'fdb', 'show'],
    ['bridge', 'fdb', 'show', 'dev', 'eth1'],
    // Abbreviations and synonyms people type.
    ['ip', 'ro'],
    ['ip', 'r', 's'],
    ['ip', 'route', 'list'],
    ['ip', 'ru'],
    ['ip', 'rule', 'show'],
    ['ip', 'addr', 'list'],
    ['ip', 'li'],
    ['ip', 'link', 'show', 'up'],
    ['ip', '-br', '-4', 'a'],
    ['ip', '-br', '-6', 'a'],
    ['ip', '-4', 'r'],
    ['ip', '-6', 'r', 's', 'table', 'all'],
    ['ip', '-6', 'ru'],
    ['ip', '-f', 'inet6', 'route'],
    ['ip', 'route', 'show', '192.168.5.10'],
    ['ip', 'route', 'show', 'default'],
    ['ip', 'route', 'show', 'root', '10.244.0.0/16'],
    ['ip', 'route', 'show', 'match', '10.244.1.7'],
    ['ip', 'route', 'show', 'exact', '10.244.2.0/26'],
    ['ip', 'route', 'show', 'proto', 'kernel'],
    ['ip', 'route', 'show', 'table', 'all', 'scope', 'host'],
    ['ip', 'route', 'show', 'table', 'all', 'type', 'broadcast'],
    ['ip', 'route', 'show', 'table', '0'],
    // Route lookups for locally generated packets.
    ['ip', 'route', 'get', '192.168.5.10'],
    ['ip', 'route', 'get', '192.168.6.77'],
    ['ip', 'route', 'get', '192.168.12.34'],
    ['ip', 'route', 'get', '192.168.31.255'],
    ['ip', 'route', 'get', '127.0.0.5'],
    ['ip', 'route', 'get', '8.8.8.8'],
    ['ip', 'route', 'get', '192.168.0.2'],
    ['ip', 'route', 'get', '192.168.40.5'],
    ['ip', 'route', 'get', '10.244.1.9'],
    ['ip', 'route', 'get', '10.244.3.70'],
    ['ip', 'route', 'get', '10.244.0.9'],
    ['ip', 'route', 'get', '10.244.0.5'],
    ['ip', 'route', 'get', '10.99.1.1'],
    ['ip', 'route', 'get', '10.99.1.1', 'tos', '0x10'],
    ['ip', 'route', 'get', '10.98.1.1', 'mark', '0x80'],
    ['ip', 'route', 'get', '10.98.1.1', 'mark', '0x81'],
    ['ip', 'route', 'get', '10.98.1.1', 'mark', '0x1'],
    ['ip', 'route', 'get', '8.8.8.8', 'from', '192.168.20.7'],
    ['ip', 'route', 'get', '8.8.8.8', 'from', '192.168.20.8'],
    ['ip', 'route', 'get', '8.8.8.8', 'from', '192.168.25.3'],
    ['ip', 'route', 'get', '8.8.8.8', 'oif', 'eth1'],
    ['ip', 'route', 'get', '192.168.0.1', 'oif', 'eth1'],
    ['ip', 'route', 'get', '172.31.255.2'],
    ['ip', 'route', 'get', '172.31.254.9'],
    ['ip', 'route', 'get', 'to', '192.168.25.3'],
    // Received packets on a node: pod to internet, internet to pod, pod to pod, secondary ENI.
    ['ip', 'route', 'get', '8.8.8.8', 'from', '192.168.5.10', 'iif', 'eni5a7f3c2b1d0'],
    ['ip', 'route', 'get', '8.8.8.8', 'from', '192.168.25.3', 'iif', 'eni9e8d7c6b5a4'],
    ['ip', 'route', 'get', '192.168.5.10', 'from', '8.8.8.8', 'iif', 'eth0'],
    ['ip', 'route', 'get', '192.168.25.3', 'from', '192.168.40.5', 'iif', 'eth1'],
    ['ip', 'route', 'get', '192.168.25.3', 'from', '192.168.5.10', 'iif', 'eni5a7f3c2b1d0'],
    ['ip', 'route', 'get', '192.168.12.34', 'from', '192.168.5.10', 'iif', 'eni5a7f3c2b1d0'],
    ['ip', 'route', 'get', '10.244.1.5', 'from', '10.244.0.5', 'iif', 'cali1f2e3d4c5b6'],
    ['ip', 'route', 'get', '10.244.0.5', 'from', '10.244.1.5', 'iif', 'vxlan.calico'],
    ['ip', 'route', 'get', '192.168.5.10', 'from', '10.99.0.1', 'iif', 'eth1'],
    ['ip', '-o', 'a'],
    ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth1'],
    ['ip', '-o', 'link'],
    ['ip', '-o', 'route'],
    ['ip', '-V'],
    ['ip', '-br', 'link', 'show', 'type', 'veth'],
    ['ip', 'link', 'show', 'type', 'vxlan'],
    ['ip', '-br', 'a', 'show', 'type', 'veth'],
    ['ip', 'link', 'show', 'type', 'foo'],
    ['ip', '-j', 'addr'],
    ['ip', '-j', '-4', 'a'],
    ['ip', '-j', 'a', 'show', 'dev', 'eth1'],
    ['ip', '-j', '-6', 'a', 'show', 'dev', 'eth1'],
    ['ip', '-j', 'link'],
    ['ip', '-j', 'route'],
    ['ip', '-j', 'route', 'show', 'table', 'all'],
    ['ip', '-j', '-6', 'route'],
    ['ip', '-j', 'rule'],
    ['ip', '-j', '-6', 'rule'],
    ['ip'],
    // Errors: same text, same exit code.
    ['ip', 'foo'],
    ['ip', 'a', 'foo'],
    ['ip', 'a', 'show', 'nodev'],
    ['ip', 'link', 'show', 'nodev'],
    ['ip', 'link', 'foo'],
    ['ip', 'route', 'foo'],
    ['ip', 'rule', 'foo'],
    ['ip', 'neigh', 'foo'],
    ['ip', 'route', 'show', 'table', 'foo'],
    ['ip', 'route', 'show', 'dev', 'nodev'],
    ['ip', 'a', 'show', 'dev'],
    ['ip', '-x', 'a'],
    ['ip', 'neigh', 'show', 'dev', 'nodev'],
    ['bridge', 'fdb', 'show', 'dev', 'nodev'],
  ];

  for (const argv of nodeCommands) {
    it(`node: ${argv.join(' ')}`, () => {
      const real = lab.run('root', argv);
      const mine = model('root', argv);
      expect(mine.stderr).toBe(real.stderr);
      expect(mine.stdout).toBe(real.stdout);
      expect(mine.exitCode).toBe(real.exitCode);
    });
  }

  // The kernel dumps neighbours from a hash table with a random seed: compare as sets.
  it('node: ip neigh (as a set)', () => {
    const real = lab.run('root', ['ip', 'neigh']);
    expect(sortLines(model('root', ['ip', 'neigh']).stdout)).toBe(sortLines(real.stdout));
  });
  it('node: ip -j neigh (as a set)', () => {
    const parse = (t: string) => (JSON.parse(t) as unknown[]).map((x) => JSON.stringify(x)).sort();
    expect(parse(model('root', ['ip', '-j', 'neigh']).stdout)).toEqual(parse(lab.run('root', ['ip', '-j', 'neigh']).stdout));
  });
  it('every sysctl the model holds has the same value in the kernel', () => {
    for (const [name, ns] of Object.entries(host.namespaces)) {
      const keys = Object.keys(ns.sysctls).sort();
      const real = lab.run(name, ['sysctl', '-n', ...keys]);
      expect(real.exitCode, real.stderr).toBe(0);
      expect(keys.map((k) => `${k}=${ns.sysctls[k]}`)).toEqual(keys.map((k, i) => `${k}=${real.stdout.split('\n')[i]}`));
    }
  });
  it('node: bridge fdb show (as a set)', () => {
    const real = lab.run('root', ['bridge', 'fdb', 'show']);
    expect(sortLines(model('root', ['bridge', 'fdb', 'show']).stdout)).toBe(sortLines(real.stdout));
  });

  const podCommands: string[][] = [
    ['ip', 'addr'],
    ['ip', '-br', 'a'],
    ['ip', 'link'],
    ['ip', 'route'],
    ['ip', 'route', 'show', 'table', 'all'],
    ['ip', 'neigh'],
    ['ip', 'rule'],
    ['ip', '-6', 'route'],
    ['ip', '-4', 'a'],
    ['ip', '-6', 'a'],
    ['ip', '-6', 'addr', 'show', 'dev', 'eth0'],
    ['ip', '-4', 'addr', 'show', 'eth0'],
    ['ip', '-br', 'link'],
    ['ip', 'route', 'get', '8.8.8.8'],
    ['ip', 'route', 'get', '169.254.1.1'],
    ['ip', 'route', 'get', '192.168.5.10'],
    ['ip', 'route', 'get', '127.0.0.1'],
    ['ip', '-j', 'a'],
    ['ip', '-j', '-4', 'a'],
    ['ip', '-j', 'link'],
    ['ip', '-j', 'neigh'],
  ];
  for (const pod of ['cni-1a2b3c4d-0001', 'cni-1a2b3c4d-0003', 'cni-calico-0001']) {
    for (const argv of podCommands) {
      it(`${pod}: ${argv.join(' ')}`, () => {
        const real = lab.run(pod, argv);
        const mine = model(pod, argv);
        expect(mine.stdout).toBe(real.stdout);
        expect(mine.exitCode).toBe(real.exitCode);
      });
    }
  }
});
