// Seeded random operation sequences replayed on the model and on a real kernel: each operation
// must succeed or fail on both sides with the same message, and after every few operations
// `ip addr`, `ip route show table all`, `ip rule` and `ip link` must print the same.

import { afterAll, describe, expect, it } from 'vitest';
import { KubewireError } from '../errors.ts';
import { NetnsLab, netnsUsable } from '../testing/netns.node.ts';
import { runIpCommand } from '../render/iproute2/index.ts';
import { addAddress, addRoute, addRule, addVethPair, delAddress, delRoute, delRule, newHost, newNetns, setLinkUp, setSysctl } from './ops.ts';
import type { Host } from './types.ts';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Op {
  ns: string;
  argv: string[];
  apply: (h: Host) => void;
}

const DEVS = ['va0', 'vb0'];

function randomOp(r: () => number): Op {
  const pick = <T,>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const dev = pick(DEVS);
  const net = pick(['10.1.0', '10.2.0', '10.3.0']);
  const host = pick(['1', '2', '3', '9']);
  const len = pick(['24', '24', '16', '32']);
  const kind = r();
  if (kind < 0.3) {
    const cidr = `${net}.${host}/${len}`;
    return { ns: 'root', argv: ['ip', 'addr', 'add', cidr, 'dev', dev], apply: (h) => void addAddress(h.namespaces.root, dev, cidr) };
  }
  if (kind < 0.42) {
    const cidr = `${net}.${host}/${len}`;
    return { ns: 'root', argv: ['ip', 'addr', 'del', cidr, 'dev', dev], apply: (h) => delAddress(h.namespaces.root, dev, cidr) };
  }
  if (kind < 0.55) {
    const up = r() < 0.65;
    const [ns, d] = r() < 0.75 ? ['root', dev] : ['peer', dev === 'va0' ? 'va1' : 'vb1'];
    return { ns, argv: ['ip', 'link', 'set', d, up ? 'up' : 'down'], apply: (h) => setLinkUp(h, ns, d, up) };
  }
  if (kind < 0.75) {
    const dst = `${pick(['10.50', '10.51', '10.52'])}.0.0/16`;
    const viaHost = `${net}.${pick(['7', '8'])}`;
    const table = pick([undefined, undefined, 5]);
    const metric = pick([undefined, 10]);
    const withDev = r() < 0.5;
    const onlink = withDev && r() < 0.2;
    const argv = ['ip', 'route', 'add', dst, 'via', viaHost];
    if (withDev) argv.push('dev', dev);
    if (onlink) argv.push('onlink');
    if (table !== undefined) argv.push('table', String(table));
    if (metric !== undefined) argv.push('metric', String(metric));
    return {
      ns: 'root',
      argv,
      apply: (h) => void addRoute(h.namespaces.root, { dst, via: viaHost, dev: withDev ? dev : undefined, onlink: onlink || undefined, table, metric }),
    };
  }
  if (kind < 0.85) {
    const dst = `${pick(['10.50', '10.51', '10.52'])}.0.0/16`;
    const table = pick([undefined, 5]);
    const argv = ['ip', 'route', 'del', dst];
    if (table !== undefined) argv.push('table', String(table));
    return { ns: 'root', argv, apply: (h) => delRoute(h.namespaces.root, { dst, table }) };
  }
  const from = `${net}.${host}`;
  if (kind < 0.88) {
    const v6 = `fd00:${pick(['1', '2'])}::${pick(['1', '2', '5'])}/64`;
    if (r() < 0.7) return { ns: 'root', argv: ['ip', 'addr', 'add', v6, 'dev', dev], apply: (h) => void addAddress(h.namespaces.root, dev, v6) };
    return { ns: 'root', argv: ['ip', 'addr', 'del', v6, 'dev', dev], apply: (h) => delAddress(h.namespaces.root, dev, v6) };
  }
  if (kind < 0.89) {
    const dst = `fd${pick(['50', '51'])}::/64`;
    if (r() < 0.35) return { ns: 'root', argv: ['ip', '-6', 'route', 'del', dst], apply: (h) => delRoute(h.namespaces.root, { dst }) };
    const via = pick(['fe80::1', 'fd00:1::9', 'fd00:2::9']);
    const withDev = via.startsWith('fe80') || r() < 0.5;
    const argv = ['ip', '-6', 'route', 'add', dst, 'via', via];
    if (withDev) argv.push('dev', dev);
    return { ns: 'root', argv, apply: (h) => void addRoute(h.namespaces.root, { dst, via, dev: withDev ? dev : undefined }) };
  }
  if (kind < 0.9) {
    const cidr = `${net}.${host}/${len}`;
    const extra = pick([['brd', '+'], ['noprefixroute'], ['scope', 'link']]);
    const opts = extra[0] === 'brd' ? { broadcast: '+' } : extra[0] === 'noprefixroute' ? { noprefixroute: true } : { scope: 'link' as const };
    return { ns: 'root', argv: ['ip', 'addr', 'add', cidr, ...extra, 'dev', dev], apply: (h) => void addAddress(h.namespaces.root, dev, cidr, opts) };
  }
  if (kind < 0.92) {
    const dst = `${pick(['10.60', '10.61'])}.0.0/16`;
    if (r() < 0.5) return { ns: 'root', argv: ['ip', 'route', 'add', 'blackhole', dst], apply: (h) => void addRoute(h.namespaces.root, { dst, type: 'blackhole' }) };
    return { ns: 'root', argv: ['ip', 'route', 'add', dst, 'dev', dev], apply: (h) => void addRoute(h.namespaces.root, { dst, dev }) };
  }
  if (kind < 0.93) {
    const v = pick(['0', '1']);
    return { ns: 'root', argv: ['sysctl', '-qw', `net.ipv4.conf.${dev}.promote_secondaries=${v}`], apply: (h) => setSysctl(h.namespaces.root, `net.ipv4.conf.${dev}.promote_secondaries`, v) };
  }
  if (kind < 0.96) {
    if (r() < 0.3) {
      const to = `${net}.${pick(['7', '8'])}`;
      return { ns: 'root', argv: ['ip', 'rule', 'add', 'to', to, 'lookup', '5', 'pref', '100'], apply: (h) => void addRule(h.namespaces.root, { to, table: 5, priority: 100 }) };
    }
    return { ns: 'root', argv: ['ip', 'rule', 'add', 'from', from, 'lookup', '5'], apply: (h) => void addRule(h.namespaces.root, { from, table: 5 }) };
  }
  return { ns: 'root', argv: ['ip', 'rule', 'del', 'from', from, 'lookup', '5'], apply: (h) => delRule(h.namespaces.root, { from, table: 5 }) };
}

const usable = netnsUsable();

describe.skipIf(!usable.ok)(`random operation sequences vs the kernel (${usable.reason || 'netns available'})`, () => {
  const labs: NetnsLab[] = [];
  afterAll(() => labs.forEach((l) => l.cleanup()));

  const seeds = process.env.KWT_SEEDS ? process.env.KWT_SEEDS.split(",").map(Number) : [1, 2, 3, 5, 8];
  for (const seed of seeds) {
    it(`seed ${seed}`, async () => {
      const host = newHost('h');
      newNetns(host, 'peer');
      const lab = new NetnsLab();
      labs.push(lab);
      lab.create(['root', 'peer']);
      lab.run('root', ['ip', 'link', 'set', 'lo', 'up']);
      const macs: Record<string, string> = { va0: '02:00:00:00:0a:00', va1: '02:00:00:00:0a:01', vb0: '02:00:00:00:0b:00', vb1: '02:00:00:00:0b:01' };
      for (const [a, b] of [['va0', 'va1'], ['vb0', 'vb1']]) {
        lab.run('root', ['ip', 'link', 'add', a, 'address', macs[a], 'type', 'veth', 'peer', 'name', b, 'address', macs[b], 'netns', lab.realName('peer')]);
        addVethPair(host, 'root', a, 'peer', b, { macA: macs[a], macB: macs[b] });
      }
      const r = rng(seed);
      const log: string[] = [];
      for (let i = 0; i < 80; i++) {
        const op = randomOp(r);
        const real = lab.run(op.ns, op.argv);
        let err = '';
        try {
          op.apply(host);
        } catch (e) {
          if (!(e instanceof KubewireError)) throw e;
          err = e.message;
        }
        log.push(`${op.argv.join(' ')} -> ${real.exitCode === 0 ? 'ok' : real.stderr.trim()}`);
        // The model is the settled state: let carrier changes reach IPv6 before the next step.
        if (op.argv[1] === 'link' && real.exitCode === 0) await lab.settleDad(host);
        const ctx = log.slice(process.env.KWT_FULLLOG ? 0 : -8).join("\n");
        expect(err, ctx).toBe(real.exitCode === 0 ? '' : real.stderr.trim());
        if (i % 6 === 5 || i === 79) {
          await lab.settleDad(host);
          for (const ns of ['root', 'peer']) {
            for (const argv of [['ip', 'addr'], ['ip', 'route', 'show', 'table', 'all'], ['ip', 'rule'], ['ip', '-6', 'rule'], ['ip', 'link'], ['ip', 'neigh']]) {
              const mine = runIpCommand(host, ns, argv, { netnsName: (m) => lab.names[m] }).stdout;
              expect(mine, `${ns}: ${argv.join(' ')}\n${ctx}`).toBe(lab.run(ns, argv).stdout);
            }
          }
        }
      }
      lab.cleanup();
    }, 120000);
  }
});
