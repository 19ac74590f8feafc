// Differential test: policy-rule actions (goto, suppress_prefixlength, not, unreachable/prohibit
// rules) and route types (throw, unreachable, prohibit, blackhole) vs `ip route get`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetnsLab, netnsUsable } from '../testing/netns.node.ts';
import { addAddress, addRoute, addRule, addVethPair, newHost, setLinkUp } from '../node-state/ops.ts';
import type { Host } from '../node-state/types.ts';
import { fibErrorText, routeOutput } from './route.ts';

function model(): Host {
  const h = newHost('r');
  const ns = h.namespaces.root;
  addVethPair(h, 'root', 'up0', 'root', 'up1', { macA: '02:00:00:00:50:01', macB: '02:00:00:00:50:02' });
  setLinkUp(h, 'root', 'up0');
  setLinkUp(h, 'root', 'up1');
  addAddress(ns, 'up0', '10.50.0.1/24');
  addRoute(ns, { dst: 'default', via: '10.50.0.250', dev: 'up0' });
  addRoute(ns, { dst: '10.70.0.0/16', via: '10.50.0.254', dev: 'up0', table: 10 });
  addRoute(ns, { dst: 'default', via: '10.50.0.253', dev: 'up0', table: 10 });
  addRoute(ns, { dst: '10.70.5.0/24', type: 'throw', table: 10 });
  addRoute(ns, { dst: '10.80.0.0/16', type: 'unreachable', table: 20 });
  addRoute(ns, { dst: '10.81.0.0/16', type: 'prohibit', table: 20 });
  addRoute(ns, { dst: '10.82.0.0/16', type: 'blackhole', table: 20 });
  addRoute(ns, { dst: '10.83.0.0/16', via: '10.50.0.252', dev: 'up0', table: 20 });
  addRule(ns, { priority: 100, to: '10.70.0.0/16', table: 10 });
  addRule(ns, { priority: 200, to: '10.80.0.0/14', table: 20 });
  addRule(ns, { priority: 300, fwmark: 0x1, fwmask: 0x1, action: 'goto', gotoPriority: 400 });
  addRule(ns, { priority: 350, to: '10.83.0.0/16', action: 'prohibit' });
  addRule(ns, { priority: 400, to: '10.83.0.0/16', table: 20 });
  addRule(ns, { priority: 500, table: 10, suppressPrefixlength: 0 });
  addRule(ns, { priority: 600, to: '10.90.0.0/16', action: 'unreachable' });
  addRule(ns, { priority: 700, not: true, to: '10.0.0.0/8', table: 20 });
  return h;
}

describe.skipIf(!netnsUsable().ok)('policy rules vs ip route get (real kernel)', () => {
  const lab = new NetnsLab();
  let host: Host;
  beforeAll(async () => {
    host = model();
    await lab.build(host);
  }, 30000);
  afterAll(() => lab.cleanup());

  const cases: Array<[string, string, number]> = [
    ['table 10 by destination rule', '10.70.1.1', 0],
    ['throw in table 10 falls through to later rules', '10.70.5.1', 0],
    ['unreachable route', '10.80.1.1', 0],
    ['prohibit route', '10.81.1.1', 0],
    ['blackhole route', '10.82.1.1', 0],
    ['prohibit rule', '10.83.1.1', 0],
    ['goto skips the prohibit rule for marked packets', '10.83.1.1', 1],
    ['suppress_prefixlength 0 hides table 10 default', '8.8.8.8', 0],
    ['unreachable rule', '10.90.1.1', 0],
  ];
  for (const [name, dst, mark] of cases) {
    it(name, () => {
      const args = ['ip', 'route', 'get', dst];
      if (mark) args.push('mark', String(mark));
      const r = lab.run('root', args);
      const ours = routeOutput(host.namespaces.root, { dst, mark });
      if (r.exitCode !== 0) {
        const err = /RTNETLINK answers: (.*)/.exec(r.stderr)?.[1].trim();
        expect(ours.ok, JSON.stringify(ours)).toBe(false);
        if (!ours.ok) expect(fibErrorText(ours.error)).toBe(err);
        return;
      }
      expect(ours.ok, `${r.stdout} vs ${JSON.stringify(ours)}`).toBe(true);
      if (!ours.ok) return;
      const via = /\bvia (\S+)/.exec(r.stdout)?.[1];
      const dev = /\bdev (\S+)/.exec(r.stdout)?.[1];
      expect(ours.dev).toBe(dev);
      expect(ours.nexthop).toBe(via ?? dst);
    });
  }
});
