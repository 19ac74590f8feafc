// Differential test: the engine's routing decisions against `ip route get` on the real kernel,
// for the EKS-like node model built in real namespaces (kwt-<random>-…, removed afterwards).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetnsLab, netnsUsable } from '../testing/netns.node.ts';
import { eksNode } from '../testing/node-scenarios.ts';
import { setSysctl } from '../node-state/ops.ts';
import type { Host } from '../node-state/types.ts';
import { routeInput, routeOutput, fibErrorText } from './route.ts';

interface Got {
  type: string;
  dev?: string;
  via?: string;
  src?: string;
  table?: string;
  error?: string;
}

function parseRouteGet(out: string, err: string, code: number): Got {
  if (code !== 0) {
    const m = /RTNETLINK answers: (.*)/.exec(err);
    return { type: 'error', error: m ? m[1].trim() : err.trim() };
  }
  const line = out.split('\n')[0];
  const first = line.split(/\s+/)[0];
  const type = ['local', 'broadcast', 'unreachable', 'prohibit', 'blackhole', 'multicast'].includes(first) ? first : 'unicast';
  const g = (k: string) => new RegExp(`\\b${k} (\\S+)`).exec(line)?.[1];
  return { type, dev: g('dev'), via: g('via'), src: g('src') ?? g('from'), table: g('table') };
}

const usable = netnsUsable();

describe.skipIf(!usable.ok)('routing vs ip route get (real kernel)', () => {
  const lab = new NetnsLab();
  let host: Host;
  beforeAll(async () => {
    host = eksNode();
    const root = host.namespaces.root;
    setSysctl(root, 'net.ipv4.conf.eth1.rp_filter', '1');
    await lab.build(host);
    lab.run('root', ['sysctl', '-qw', 'net.ipv4.conf.eth1.rp_filter=1']);
  }, 30000);
  afterAll(() => lab.cleanup());

  const outputCases: Array<[string, string[], { src?: string; mark?: number; tos?: number }]> = [
    ['default route', ['8.8.8.8'], {}],
    ['metric picks the lower metric without tos', ['10.99.1.1'], {}],
    ['tos-specific route', ['10.99.1.1', 'tos', '0x10'], { tos: 0x10 }],
    ['fwmark rule → table 100', ['10.98.1.1', 'mark', '0x80'], { mark: 0x80 }],
    ['fwmark rule, table 100 without a match falls through to main', ['8.8.8.8', 'mark', '0x80'], { mark: 0x80 }],
    ['connected subnet', ['192.168.3.3'], {}],
    ['pod /32 via its veth', ['192.168.5.10'], {}],
    ['local address', ['192.168.20.8'], {}],
    ['blackhole route', ['10.244.0.9'], {}],
    ['onlink route over vxlan', ['10.244.1.7'], {}],
    ['from a local address on eth1 (no rule for it)', ['8.8.8.8', 'from', '192.168.20.7'], { src: '192.168.20.7' }],
    ['from an address that is not ours', ['8.8.8.8', 'from', '192.168.99.99'], { src: '192.168.99.99' }],
    ['from a multicast address', ['8.8.8.8', 'from', '224.0.0.5'], { src: '224.0.0.5' }],
    ['from the limited broadcast', ['8.8.8.8', 'from', '255.255.255.255'], { src: '255.255.255.255' }],
    ['from 0.0.0.0/8 (not martian for output since Linux 5.3, just not ours)', ['8.8.8.8', 'from', '0.0.0.7'], { src: '0.0.0.7' }],
  ];
  for (const [name, args, flow] of outputCases) {
    it(`output: ${name}`, () => {
      const r = lab.run('root', ['ip', 'route', 'get', ...args]);
      const got = parseRouteGet(r.stdout, r.stderr, r.exitCode);
      const ours = routeOutput(host.namespaces.root, { dst: args[0], ...flow });
      if (got.type === 'error') {
        expect(ours.ok).toBe(false);
        if (!ours.ok) expect(fibErrorText(ours.error)).toBe(got.error);
        return;
      }
      expect(ours.ok, JSON.stringify(ours)).toBe(true);
      if (!ours.ok) return;
      expect(ours.kind === 'local' ? 'local' : 'unicast').toBe(got.type);
      expect(ours.dev).toBe(got.dev);
      expect(ours.src).toBe(got.src);
      if (got.via) expect(ours.nexthop).toBe(got.via);
    });
  }

  const inputCases: Array<[string, string, string, string, number]> = [
    ['forward to a pod veth (rule 512)', '192.168.5.10', '192.168.40.5', 'eth0', 0],
    ['pod on eth1 leaves through table 2 (rule 1536)', '8.8.8.8', '192.168.25.3', 'eni9e8d7c6b5a4', 0],
    ['local delivery', '192.168.12.34', '192.168.40.5', 'eth0', 0],
    ['blackhole', '10.244.0.9', '192.168.40.5', 'eth0', 0],
    ['strict rp_filter on eth1 refuses a source routed via eth0', '192.168.5.10', '8.8.8.8', 'eth1', 0],
    ['loose rp_filter on eth0 accepts', '192.168.5.10', '8.8.8.8', 'eth0', 0],
    ['loopback source on eth0 is martian', '192.168.5.10', '127.0.0.1', 'eth0', 0],
    ['source is our own address', '192.168.5.10', '192.168.12.34', 'eth0', 0],
    ['fwmark selects table 100', '10.98.0.1', '192.168.40.5', 'eth0', 0x80],
    ['a source in 0.0.0.0/8 other than 0.0.0.0 is not martian', '192.168.12.34', '0.0.0.7', 'eth0', 0],
    ['0.0.0.0 as the source is martian', '192.168.12.34', '0.0.0.0', 'eth0', 0],
  ];
  it('input in a pod namespace with forwarding off: No route to host', () => {
    const r = lab.run('cni-1a2b3c4d-0001', ['ip', 'route', 'get', '8.8.8.8', 'from', '192.168.40.5', 'iif', 'eth0']);
    expect(parseRouteGet(r.stdout, r.stderr, r.exitCode)).toEqual({ type: 'error', error: 'No route to host' });
    const ours = routeInput(host.namespaces['cni-1a2b3c4d-0001'], { src: '192.168.40.5', dst: '8.8.8.8', mark: 0 }, 'eth0');
    expect(ours).toMatchObject({ ok: false, kind: 'forwarding-disabled', error: 'EHOSTUNREACH' });
  });

  for (const [name, dst, src, iif, mark] of inputCases) {
    it(`input: ${name}`, () => {
      const args = ['ip', 'route', 'get', dst, 'from', src, 'iif', iif];
      if (mark) args.push('mark', `0x${mark.toString(16)}`);
      const r = lab.run('root', args);
      const got = parseRouteGet(r.stdout, r.stderr, r.exitCode);
      const ours = routeInput(host.namespaces.root, { src, dst, mark }, iif);
      if (got.type === 'error') {
        expect(ours.ok, JSON.stringify(ours)).toBe(false);
        if (!ours.ok) {
          // ip_route_input_slow reports every martian source (rp_filter included) as EINVAL.
          const text = ours.kind === 'martian-source' || ours.kind === 'martian-destination' ? 'Invalid argument' : fibErrorText(ours.error ?? 'ENETUNREACH');
          expect(text).toBe(got.error);
        }
        return;
      }
      expect(ours.ok, JSON.stringify(ours)).toBe(true);
      if (!ours.ok) return;
      if (ours.kind === 'local') expect(got.type).toBe('local');
      if (ours.kind === 'forward') {
        expect(got.type).toBe('unicast');
        expect(ours.dev).toBe(got.dev);
        if (got.via) expect(ours.nexthop).toBe(got.via);
      }
    });
  }
});
