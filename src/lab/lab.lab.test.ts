// The live lab on the default cluster with nginx x3 (3 nodes, 5 pod namespaces): it comes up
// in kw-<id>-* namespaces, the kernel shows exactly what kubewire renders, pods reach each other
// across the VPC fabric, the fabric drops spoofed sources, and down removes everything.
// Needs root; skips with the reason otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { currentLab, labDown, labUp, nsExec, rootCheck, type Lab } from './lab.node.ts';
import { formatLabDiff, labDiff } from './diff.node.ts';
import { labTestCluster } from './testing.ts';
import { ROOT_NS } from '../node-state/types.ts';
import { RELAY_MARKER_PREFIX } from './relay.ts';
import { labNsRe } from './plan.ts';
import type { ClusterState } from '../control-plane/types.ts';

const root = rootCheck();
// This file's labs use their own prefix.
const PREFIX = 'kwl';

function netnsList(): string[] {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(' ')[0])
    .filter(Boolean);
}

/** Relays whose marker starts with `<prefix>-<id>` (or just the prefix). */
function relayPids(id: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.startsWith(`${RELAY_MARKER_PREFIX}${id}`))) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

function podIp(state: ClusterState, node: string, ns: string): string {
  const a = state.hosts[node].namespaces[ns].addresses.find((x) => x.family === 4 && x.dev === 'eth0');
  return a!.local;
}

describe.skipIf(!root.ok)(`live lab on the default cluster (${root.reason || 'root'})`, () => {
  const runDir = mkdtempSync(join(tmpdir(), 'kw-lab-'));
  let state: ClusterState;
  let lab: Lab;
  const rootLinksBefore = spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' }).stdout;

  beforeAll(async () => {
    state = labTestCluster();
    lab = await labUp(state, { runDir, prefix: PREFIX });
  }, 120_000);
  afterAll(() => {
    labDown({ runDir });
    rmSync(runDir, { recursive: true, force: true });
  });

  it('creates one namespace per node and pod namespace plus the fabric, all kw-<id>-*', () => {
    const mine = netnsList().filter((n) => n.startsWith(`${PREFIX}-${lab.id}-`));
    const want = [lab.record.fabricNs, ...lab.record.nodes.flatMap((n) => Object.values(n.ns))];
    expect(mine.sort()).toEqual(want.sort());
    expect(want).toHaveLength(1 + 3 + 5);
    expect(currentLab(runDir)?.complete).toBe(true);
    expect(relayPids(`${PREFIX}-${lab.id}`)).toHaveLength(1);
  });

  it('touches nothing in the root namespace', () => {
    expect(spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' }).stdout).toBe(rootLinksBefore);
  });

  it('refuses a second lab on the same lock', async () => {
    await expect(labUp(state, { runDir, prefix: PREFIX, handleSignals: false })).rejects.toThrow(/a lab is already up/);
    expect(currentLab(runDir)?.id).toBe(lab.id);
  });

  it('the kernel shows what kubewire renders, in every node and pod namespace', () => {
    const r = labDiff(state, lab.record);
    expect(r.compared).toBe(8 * 10);
    expect(formatLabDiff(r)).toBe('80 outputs compared, 0 differ\n');
  });

  it('with namespace names as on EKS (cni-* named, node root unnamed), the kernel prints what kubewire ssh/exec print', () => {
    const r = labDiff(state, lab.record, { eksNames: true, commands: [['ip', 'link'], ['ip', 'addr']] });
    expect(formatLabDiff(r)).toBe('16 outputs compared, 0 differ\n');
  });

  it('pods reach pods on other nodes and nodes through the VPC fabric', () => {
    const [n0, n1, n2] = lab.record.nodes;
    const from = Object.keys(n0.ns).find((m) => m !== ROOT_NS)!;
    for (const to of [n1, n2]) {
      const pod = Object.keys(to.ns).find((m) => m !== ROOT_NS)!;
      const r = nsExec(n0.ns[from], ['busybox', 'ping', '-c', '1', '-w', '3', podIp(state, to.node, pod)]);
      expect(r.stdout, r.stderr).toContain('1 packets received');
    }
    const node1 = state.nodes.find((n) => n.name === n1.node)!;
    expect(nsExec(n0.ns[from], ['busybox', 'ping', '-c', '1', '-w', '3', node1.primaryIp]).stdout).toContain('1 packets received');
  });

  it('the fabric drops a source address the sending ENI does not own (source/dest check)', () => {
    const [n0, n1] = lab.record.nodes;
    const node1 = state.nodes.find((n) => n.name === n1.node)!;
    // A foreign address on the node's loopback (inside the lab namespace only).
    expect(nsExec(n0.ns[ROOT_NS], ['ip', 'addr', 'add', '192.168.200.9/32', 'dev', 'lo']).exitCode).toBe(0);
    const r = nsExec(n0.ns[ROOT_NS], ['busybox', 'ping', '-c', '1', '-w', '2', '-W', '1', '-I', '192.168.200.9', node1.primaryIp]);
    expect(r.stdout).toContain('0 packets received');
    const counters = nsExec(lab.record.fabricNs, ['iptables', '-L', 'SDC-n0e0', '-v', '-n', '-x']).stdout;
    const drop = counters.split('\n').find((l) => /\bDROP\b/.test(l))!;
    expect(Number(drop.trim().split(/\s+/)[0])).toBeGreaterThan(0);
    nsExec(n0.ns[ROOT_NS], ['ip', 'addr', 'del', '192.168.200.9/32', 'dev', 'lo']);
  });

  it('down removes exactly the lab (namespaces, relays, record, lock) and is idempotent', () => {
    const r = labDown({ runDir });
    expect(r.labs).toEqual([lab.id]);
    expect(r.namespaces).toHaveLength(9);
    expect(netnsList().filter((n) => n.startsWith(`${PREFIX}-${lab.id}-`))).toEqual([]);
    expect(relayPids(`${PREFIX}-${lab.id}`)).toEqual([]);
    expect(existsSync(join(runDir, 'lab.lock'))).toBe(false);
    expect(readdirSync(runDir)).toEqual([]);
    expect(labDown({ runDir })).toEqual({ labs: [], namespaces: [] });
    expect(spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' }).stdout).toBe(rootLinksBefore);
  });

  it('an error while coming up removes what was made', async () => {
    await expect(
      labUp(state, {
        runDir,
        prefix: PREFIX,
        handleSignals: false,
        onStep: (w) => {
          if (w.startsWith('netfilter')) throw new Error('injected failure');
        },
      }),
    ).rejects.toThrow('injected failure');
    expect(netnsList().filter((n) => labNsRe(PREFIX).test(n))).toEqual([]);
    expect(relayPids(PREFIX)).toEqual([]);
    expect(readdirSync(runDir)).toEqual([]);
  }, 60_000);
});
