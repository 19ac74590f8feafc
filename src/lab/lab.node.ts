// The live lab (Node only, needs root): the simulated cluster materialised in real network
// namespaces, so the kernel can be compared with the simulator.
//
// Safety: everything is created inside namespaces named `kw-<id>-...`; nothing is added to the
// root namespace. A record of what was created is written *before* each creation (under
// /run/kubewire by default), so `labDown` removes exactly that even after the creating process
// was killed; `labDown({ all: true })` also removes any namespace matching the prefix and the
// processes living in it. A lock file allows one lab per run directory.

import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { KubewireError } from '../errors.ts';
import type { ClusterState } from '../control-plane/types.ts';
import { hostToBatch, type BatchStep } from '../node-state/ip-batch.ts';
import { iptablesSave } from '../netfilter/save.ts';
import { ROOT_NS } from '../node-state/types.ts';
import { LAB_PREFIX, labNsRe, planDadOff, planLab, validPrefix, type LabPlan, type NodeNames } from './plan.ts';
import { RELAY_MARKER_PREFIX, RELAY_PY } from './relay.ts';
import { NFACCT_PY, nfacctArgv, nfacctNames } from './nfacct.ts';
import { clusterIpsets, ipsetRestoreText, type IpsetSource } from './ipsets.ts';
import { startWorkloads } from './workloads.node.ts';
import { agentNetfilterText } from '../cni/vpc-cni/policy-agent-netfilter.ts';

export const DEFAULT_RUN_DIR = '/run/kubewire';

/** The namespace prefix: $KUBEWIRE_LAB_PREFIX or `kw`. */
export function defaultPrefix(): string {
  return process.env.KUBEWIRE_LAB_PREFIX || LAB_PREFIX;
}

export interface LabRecord {
  id: string;
  /** Namespace name prefix (`kw`): names are `<prefix>-<id>-...`. */
  prefix: string;
  /** Process that brought the lab up. */
  pid: number;
  startedAt: string;
  complete: boolean;
  /** Namespaces to delete (recorded before creation, so some may not exist). */
  namespaces: string[];
  /** Relay processes (pids) with their marker. */
  relays: Array<{ pid: number; marker: string }>;
  /** Workload servers (pids) with their marker (src/lab/workloads.node.ts). */
  workloads?: Array<{ pid: number; marker: string }>;
  fabricNs: string;
  nodes: NodeNames[];
  /** sha256 of the hosts the lab was built from (to tell when the cluster changed since). */
  stateHash: string;
}

/** Fingerprint of the node state a lab is built from. */
export function stateHash(state: ClusterState): string {
  return createHash('sha256').update(JSON.stringify(state.hosts)).digest('hex').slice(0, 16);
}

export interface LabOptions {
  /** Directory for the lock and the record (default /run/kubewire). */
  runDir?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Seconds after which the ENI relays stop forwarding (default 4 h). */
  ttlSeconds?: number;
  /** Lab id (4 hex digits; default random). */
  id?: string;
  /** Namespace prefix, 2-4 letters (default `kw`, or $KUBEWIRE_LAB_PREFIX). */
  prefix?: string;
  /** Install SIGINT/SIGTERM handlers that tear the half-built lab down (default true). */
  handleSignals?: boolean;
  /** ipsets per node namespace, created before its iptables rules (default: clusterIpsets). */
  ipsets?: IpsetSource;
  /** Test hook: called after each step with a short description. */
  onStep?: (what: string) => void;
  /** Start the pods' servers (nginx, CoreDNS, listeners) and write their /etc files (default true). */
  workloads?: boolean;
}

export interface Lab {
  id: string;
  record: LabRecord;
  plan: LabPlan;
  runDir: string;
}

export function rootCheck(): { ok: boolean; reason: string } {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return { ok: false, reason: 'the live lab needs root (network namespaces); run it with sudo' };
  const r = spawnSync('ip', ['-V'], { encoding: 'utf8' });
  if (r.status !== 0) return { ok: false, reason: 'the live lab needs iproute2 (`ip`)' };
  return { ok: true, reason: '' };
}

function requireRoot(): void {
  const c = rootCheck();
  if (!c.ok) throw new KubewireError(c.reason);
}

const lockPath = (dir: string) => join(dir, 'lab.lock');
const recordPath = (dir: string, id: string) => join(dir, `lab-${id}.json`);

function writeRecord(dir: string, r: LabRecord): void {
  const p = recordPath(dir, r.id);
  writeFileSync(`${p}.tmp`, JSON.stringify(r, null, 2) + '\n');
  renameSync(`${p}.tmp`, p);
}

function readRecord(dir: string, id: string): LabRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordPath(dir, id), 'utf8')) as LabRecord;
  } catch {
    return undefined;
  }
}

function nsExists(name: string): boolean {
  return existsSync(`/run/netns/${name}`);
}

/** The lab that holds the lock of `runDir`, if any. */
export function currentLab(runDir = DEFAULT_RUN_DIR): LabRecord | undefined {
  let id: string;
  try {
    id = readFileSync(lockPath(runDir), 'utf8').trim().split(/\s+/)[0];
  } catch {
    return undefined;
  }
  return readRecord(runDir, id);
}

function takeLock(dir: string, id: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath(dir), 'wx', 0o644);
      writeSync(fd, `${id} ${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const held = readFileSync(lockPath(dir), 'utf8').trim().split(/\s+/);
      const rec = readRecord(dir, held[0]);
      const alive = rec && (rec.namespaces.some(nsExists) || pidAlive(Number(held[1])));
      if (alive) throw new KubewireError(`a lab is already up (id ${held[0]}, lock ${lockPath(dir)}); run \`kubewire lab down\` first`);
      rmSync(lockPath(dir), { force: true });
    }
  }
  throw new KubewireError(`cannot take the lab lock ${lockPath(dir)}`);
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function run(argv: string[], input?: string, what?: string): string {
  const r = spawnSync(argv[0], argv.slice(1), { input, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) {
    throw new KubewireError(`${what ?? argv.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}${input ? `\n${input}` : ''}`);
  }
  return r.stdout;
}

// At most this many tool processes at once (a 20-node lab has hundreds of namespaces to check).
const MAX_SPAWNS = 16;
let spawning = 0;
const spawnQueue: Array<() => void> = [];

/** Like spawnSync, without blocking the event loop (nodes are built concurrently). */
async function spawnAsync(argv: string[], input?: string, timeoutMs = 30_000): Promise<{ stdout: string; stderr: string; status: number | null }> {
  if (spawning >= MAX_SPAWNS) await new Promise<void>((r) => spawnQueue.push(r));
  spawning++;
  try {
    return await spawnOne(argv, input, timeoutMs);
  } finally {
    spawning--;
    spawnQueue.shift()?.();
  }
}

function spawnOne(argv: string[], input: string | undefined, timeoutMs: number): Promise<{ stdout: string; stderr: string; status: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(t);
      resolve({ stdout, stderr: stderr || e.message, status: null });
    });
    child.on('close', (status) => {
      clearTimeout(t);
      resolve({ stdout, stderr, status });
    });
    if (input !== undefined) {
      child.stdin!.on('error', () => {});
      child.stdin!.end(input);
    }
  });
}

async function runAsync(argv: string[], input?: string, what?: string): Promise<string> {
  const r = await spawnAsync(argv, input);
  if (r.status !== 0) throw new KubewireError(`${what ?? argv.join(' ')} failed: ${r.stderr.trim()}${input ? `\n${input}` : ''}`);
  return r.stdout;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Single-quoted for sh. */
const shq = (x: string) => `'${x.replace(/'/g, `'\\''`)}'`;

/** The shell function `ready NS DEV` (a step's waitReady): only a device with carrier gets its
 *  ff00::/8 route; a veth whose peer is still down (pod namespaces come up first) has nothing to
 *  wait for yet (carrier itself is set synchronously). Polls up to 3 s. */
const READY_SH = [
  'ready() {',
  '  ip -n "$1" link show dev "$2" | grep -q NO-CARRIER && return 0',
  '  i=0',
  '  while [ $i -lt 150 ]; do',
  `    ip -n "$1" -6 route show table local dev "$2" | grep -q 'multicast ff00::/8' && return 0`,
  '    sleep 0.02; i=$((i+1))',
  '  done',
  '}',
];

/** Runs `steps` (with their waits) in order in one shell; a failure names the step and its input. */
async function runSteps(names: Record<string, string>, steps: BatchStep[]): Promise<void> {
  const live = steps.filter((x) => x.lines.length || x.waitAfterMs || x.waitReady);
  if (!live.length) return;
  const sh: string[] = [...READY_SH];
  live.forEach((x, k) => {
    const real = names[x.ns];
    sh.push(`echo @@${k} >&2`);
    if (x.lines.length) {
      if (x.tool === 'sysctl') sh.push(`ip netns exec ${shq(real)} sysctl -qw ${x.lines.map(shq).join(' ')} || exit 1`);
      else {
        const cmd = x.tool === 'bridge' ? `bridge -n ${shq(real)}` : x.tool === 'ip6' ? `ip -6 -n ${shq(real)}` : `ip -n ${shq(real)}`;
        sh.push(`${cmd} -batch - <<'KW_BATCH_END' || exit 1`, ...x.lines, 'KW_BATCH_END');
      }
    }
    if (x.waitAfterMs) sh.push(`sleep ${(x.waitAfterMs / 1000).toFixed(3)}`);
    if (x.waitReady) sh.push(`ready ${shq(real)} ${shq(x.waitReady)}`);
  });
  const r = await spawnAsync(['sh', '-c', sh.join('\n')], undefined, 60_000);
  if (r.status === 0) return;
  const marks = [...r.stderr.matchAll(/^@@(\d+)$/gm)];
  const last = marks[marks.length - 1];
  const x = live[last ? Number(last[1]) : 0];
  const err = last ? r.stderr.slice(last.index! + last[0].length).trim() : r.stderr.trim();
  const what = x.tool === 'sysctl' ? `sysctl in ${names[x.ns]}` : `${x.tool === 'bridge' ? 'bridge' : 'ip'} -batch in ${names[x.ns]}`;
  throw new KubewireError(`${what} failed: ${err}\n${x.lines.join('\n')}\n`);
}



/** Runs argv inside a real namespace and returns its output. */
export function nsExec(real: string, argv: string[], opts: { timeoutMs?: number; input?: string } = {}): { stdout: string; stderr: string; exitCode: number } {
  const r = spawnSync('ip', ['netns', 'exec', real, ...argv], { encoding: 'utf8', timeout: opts.timeoutMs ?? 30_000, input: opts.input });
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? String(r.error.message) : ''), exitCode: r.status ?? -1 };
}

interface Relay {
  /** Tells the relay a node's ENI taps exist and waits until it holds them. */
  go(node: NodeNames, pairs: Array<[string, string]>): Promise<void>;
  /** No more nodes (closes its stdin; a relay never told to go exits). */
  close(): void;
}

/** Starts the lab's relay in the fabric namespace (src/lab/relay.ts); recorded before anything else. */
function spawnRelay(lab: Lab, ttl: number): Relay {
  const marker = `${RELAY_MARKER_PREFIX}${lab.record.prefix}-${lab.id}`;
  // The relay's stdout and stderr go to a log file; "ready <ns>" in it says a node's taps are held.
  // (No pipe: the lab outlives the process that brought it up.)
  const logPath = join(lab.runDir, `lab-${lab.id}-relay.log`);
  const logFd = openSync(logPath, 'w');
  const child = spawn('ip', ['netns', 'exec', lab.record.fabricNs, 'python3', '-c', RELAY_PY, marker, String(ttl)], {
    stdio: ['pipe', logFd, logFd],
    detached: true,
  });
  closeSync(logFd);
  child.stdin!.on('error', () => {});
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  child.unref();
  if (child.pid !== undefined) {
    lab.record.relays.push({ pid: child.pid, marker });
    writeRecord(lab.runDir, lab.record);
  }
  return {
    close: () => {
      child.stdin!.end();
      child.removeAllListeners('exit');
    },
    go: async (node, pairs) => {
      const path = `/run/netns/${node.ns[ROOT_NS]}`;
      child.stdin!.write(`go ${path} ${pairs.map(([a, b]) => `${a}:${b}`).join(' ')}\n`);
      const deadline = Date.now() + 15_000;
      for (;;) {
        const text = readFileSync(logPath, 'utf8');
        if (text.split('\n').includes(`ready ${path}`)) return;
        if (exited !== undefined || Date.now() > deadline) {
          throw new KubewireError(`ENI relay for node ${node.node} ${exited !== undefined ? `exited (${exited})` : 'did not answer'}: ${text.trim()}`);
        }
        await sleep(10);
      }
    },
  };
}

function addNs(lab: Lab, name: string): void {
  lab.record.namespaces.push(name);
  writeRecord(lab.runDir, lab.record);
  run(['ip', 'netns', 'add', name]);
}

/** Waits until IPv6 DAD and carrier changes have settled in every namespace of the lab (max 6 s). */
async function settle(state: ClusterState, nodes: NodeNames[], timeoutMs = 6000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const checks = nodes.flatMap((nn) =>
    Object.entries(state.hosts[nn.node].namespaces).map(([m, ns]) => ({
      real: nn.ns[m],
      want: ns.addresses.filter((a) => a.family === 6 && a.flags.includes('tentative')).length,
      wantAll: ns.addresses.filter((a) => a.family === 6).length,
      wantNc: ns.links.filter((l) => l.up && !l.carrier).length,
    })),
  );
  // One shell per pass runs the `ip` commands of every namespace to check (a fork of this process
  // costs more than the ip itself). Namespace names are the lab's own ([a-z0-9-]), safe in sh.
  const pendingOf = async (cs: typeof checks): Promise<boolean[]> => {
    // `ip -o -6 -batch` with "addr" and "link": both listings from one ip per namespace.
    const script = cs.map((c) => `ip -n ${c.real} -o -6 -batch - <<'KW_END'\naddr\nlink\nKW_END\necho @@@`).join('\n');
    const out = (await spawnAsync(['sh', '-c', script])).stdout.split('@@@\n');
    return cs.map((c, i) => {
      const lines = (out[i] ?? '').split('\n');
      const addrs = lines.filter((l) => / inet6 /.test(l));
      const got = addrs.filter((l) => / tentative /.test(l)).length;
      const gotNc = lines.filter((l) => / link\//.test(l) && /[<,]NO-CARRIER[,>]/.test(l)).length;
      return got !== c.want || addrs.length !== c.wantAll || gotNc !== c.wantNc;
    });
  };
  // Poll only the namespaces still pending; when none is, confirm once more across all of them.
  let todo = checks;
  let clearPasses = 0;
  for (;;) {
    const t0 = Date.now();
    const pending = await pendingOf(todo);
    // Between passes, at least twice as long as a pass took (hundreds of namespaces on a 20-node lab).
    const pause = Math.max(100, 2 * (Date.now() - t0));
    const still = todo.filter((_, i) => pending[i]);
    if (Date.now() > deadline) return;
    if (!still.length) {
      // Two clear passes over every namespace in a row, as before.
      clearPasses = todo === checks ? clearPasses + 1 : 0;
      if (clearPasses >= 2) return;
      todo = checks;
      await sleep(Math.max(150, pause));
      continue;
    }
    clearPasses = 0;
    todo = still;
    await sleep(pause);
  }
}

/** One node: its ip-batch plan step by step (relay when its ENI taps exist), then its netfilter. */
async function buildNode(
  lab: Lab,
  state: ClusterState,
  nn: NodeNames,
  early: { relay: Relay; nfacct: Promise<unknown>; netfilter: Record<string, { v4: string; v6: string }> },
  opts: LabOptions,
  log: (l: string) => void,
  step: (w: string) => void,
): Promise<void> {
  const host = state.hosts[nn.node];
  log(`lab ${lab.id}: node ${nn.node} → ${nn.ns.root} (${Object.keys(nn.ns).length - 1} pod namespaces)`);
  step(`namespaces ${nn.node}`);
  const batch = hostToBatch(host, { names: nn.ns });
  const tapsNs = new Set(batch.taps.map((t) => t.ns));
  const pairs: Array<[string, string]> = lab.plan.enis.filter((e) => e.node === nn.node).map((e) => [e.dev, e.fabricDev]);
  let relayed = !pairs.length;
  // The steps run in order, in one shell per stretch between relay hand-overs (forking this
  // process once per step cost more than the steps).
  let stretch: BatchStep[] = [];
  for (const s of batch.steps) {
    stretch.push(s);
    if (s.holdTaps && tapsNs.has(s.ns) && !relayed) {
      await runSteps(nn.ns, stretch);
      stretch.forEach((x) => step(`batch ${nn.node} ${x.ns} ${x.tool}`));
      stretch = [];
      await early.relay.go(nn, pairs);
      relayed = true;
    }
  }
  await runSteps(nn.ns, stretch);
  stretch.forEach((x) => step(`batch ${nn.node} ${x.ns} ${x.tool}`));
  if (!relayed) await early.relay.go(nn, pairs);
  const ipsets = opts.ipsets ?? clusterIpsets(state);
  await early.nfacct;
  await Promise.all(
    Object.keys(host.namespaces).map(async (m) => {
      const real = nn.ns[m];
      const { v4, v6 } = early.netfilter[real];
      const sets = ipsetRestoreText(ipsets(nn.node, m) ?? {});
      if (sets) await runAsync(['ip', 'netns', 'exec', real, 'ipset', 'restore'], sets, `ipset restore in ${real}`);
      await Promise.all([
        v4 ? runAsync(['ip', 'netns', 'exec', real, 'iptables-restore'], v4, `iptables-restore in ${real}`) : undefined,
        v6 ? runAsync(['ip', 'netns', 'exec', real, 'ip6tables-restore'], v6, `ip6tables-restore in ${real}`) : undefined,
      ]);
    }),
  );
  // The VPC CNI network policy agent (eBPF in EKS) as equivalent netfilter rules (docs/network-policy.md).
  const agent = agentNetfilterText(state, nn.node);
  if (agent) await runAsync(['ip', 'netns', 'exec', nn.ns[ROOT_NS], 'iptables-restore', '--noflush'], agent, `network policy agent rules in ${nn.ns[ROOT_NS]}`);
  step(`netfilter ${nn.node}`);
}

/**
 * Builds `state` in real namespaces: the VPC fabric, then each node (its ip-batch plan unchanged,
 * its ENIs wired to the fabric by a relay, its netfilter restored), then waits until addresses and
 * carrier settled (IPv6 DAD is off while building; the model's accept_dad values are restored after).
 * On error or SIGINT/SIGTERM, everything created so far is removed.
 */
export async function labUp(state: ClusterState, opts: LabOptions = {}): Promise<Lab> {
  requireRoot();
  const runDir = opts.runDir ?? DEFAULT_RUN_DIR;
  const log = opts.log ?? (() => {});
  const step = opts.onStep ?? (() => {});
  const id = opts.id ?? randomBytes(2).toString('hex');
  if (!/^[0-9a-f]{4}$/.test(id)) throw new KubewireError(`lab id must be 4 hex digits, not "${id}"`);
  const prefix = opts.prefix ?? defaultPrefix();
  if (!validPrefix(prefix)) throw new KubewireError(`lab prefix must be 2-4 lower-case letters, not "${prefix}"`);
  const plan = planLab(state, id, prefix);
  const record: LabRecord = { id, prefix, pid: process.pid, startedAt: new Date().toISOString(), complete: false, namespaces: [], relays: [], fabricNs: plan.fabricNs, nodes: plan.nodes, stateHash: stateHash(state) };
  const lab: Lab = { id, record, plan, runDir };
  let locked = false;
  const onSignal = (sig: NodeJS.Signals) => {
    process.stderr.write(`kubewire: ${sig} during lab up; removing lab ${id}\n`);
    try {
      if (locked) {
        downRecord(record);
        rmSync(recordPath(runDir, id), { force: true });
        rmSync(lockPath(runDir), { force: true });
        removeRelayLogs(runDir, id);
      }
    } finally {
      process.exit(sig === 'SIGINT' ? 130 : 143);
    }
  };
  const handle = opts.handleSignals ?? true;
  if (handle) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  try {
    takeLock(runDir, id);
  } catch (e) {
    if (handle) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    throw e;
  }
  locked = true;
  try {
    writeRecord(runDir, record);
    log(`lab ${id}: VPC fabric ${plan.fabricNs}`);
    addNs(lab, plan.fabricNs);
    run(['ip', 'netns', 'exec', plan.fabricNs, 'sysctl', '-qw', ...plan.fabricSysctls]);
    run(['ip', '-n', plan.fabricNs, '-batch', '-'], plan.enis.map((e) => `tuntap add mode tap name ${e.fabricDev}`).join('\n') + '\n', 'fabric taps');
    step('fabric');
    // Every namespace is recorded first, then each node's are made by one `ip -batch` (the nodes'
    // concurrently, before anything else, so the relay and the servers find them).
    const all = plan.nodes.flatMap((nn) => Object.values(nn.ns));
    record.namespaces.push(...all);
    writeRecord(runDir, record);
    // IPv6 DAD off in each new namespace before any link exists, so addresses never wait tentative
    // (restored to the model's accept_dad values once they settled; plan.ts planDadOff).
    const dad = planDadOff(state, plan.nodes);
    await Promise.all(
      plan.nodes.map((nn) => {
        const sh = [`ip -batch - <<'KW_END' || exit 1`, ...Object.values(nn.ns).map((n) => `netns add ${n}`), 'KW_END'];
        for (const n of Object.values(nn.ns)) if (dad.before[n]) sh.push(`ip netns exec ${shq(n)} sysctl -qw ${dad.before[n].map(shq).join(' ')} || exit 1`);
        return runAsync(['sh', '-c', sh.join('\n')], undefined, `ip netns add (${nn.node})`);
      }),
    );
    // Python start-ups overlap the build: the relay (it waits for each node's "go"), the nfacct objects
    // of every namespace (iptables-restore waits for them) and the pods' servers (sockets bound to
    // 0.0.0.0 in the pod namespaces work once the addresses exist).
    const ttl = opts.ttlSeconds ?? 4 * 3600;
    const relay = spawnRelay(lab, ttl);
    const netfilter: Record<string, { v4: string; v6: string }> = {};
    for (const nn of plan.nodes) {
      for (const [m, ns] of Object.entries(state.hosts[nn.node].namespaces)) {
        netfilter[nn.ns[m]] = {
          v4: ns.netfilter.tables.length ? iptablesSave(ns.netfilter, { family: 4 }) : '',
          v6: ns.netfilter6.tables.length ? iptablesSave(ns.netfilter6, { family: 6 }) : '',
        };
      }
    }
    const acct = nfacctArgv(Object.entries(netfilter).map(([real, t]) => [`/run/netns/${real}`, nfacctNames(t.v4 + t.v6)]));
    const nfacct = acct.length ? runAsync(['python3', '-c', NFACCT_PY, ...acct], undefined, 'nfacct objects') : Promise.resolve('');
    nfacct.catch(() => {});
    const workloads =
      (opts.workloads ?? true)
        ? startWorkloads(state, {
            runDir,
            id,
            prefix,
            fabricNs: plan.fabricNs,
            nodes: plan.nodes,
            ttlSeconds: ttl,
            onSpawn: (w) => {
              (record.workloads ??= []).push(w);
              writeRecord(runDir, record);
            },
          })
        : undefined;
    workloads?.catch(() => {});
    // Nodes are independent: build them concurrently; wait for all before failing, so nothing is
    // still being made while the lab is removed.
    const built = await Promise.allSettled(plan.nodes.map((nn) => buildNode(lab, state, nn, { relay, nfacct, netfilter }, opts, log, step)));
    relay.close();
    const failed = built.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    run(['ip', '-n', plan.fabricNs, '-batch', '-'], plan.fabricIp.join('\n') + '\n', 'fabric routes');
    run(['ip', 'netns', 'exec', plan.fabricNs, 'iptables-restore'], plan.fabricIptables, 'fabric source/dest check');
    step('fabric routes');
    if (workloads) {
      await workloads;
      step('workloads');
    }
    log(`lab ${id}: waiting for IPv6 DAD and carrier`);
    await settle(state, plan.nodes);
    const restore = Object.entries(dad.after).map(([n, lines]) => `ip netns exec ${shq(n)} sysctl -qew ${lines.map(shq).join(' ')} || exit 1`);
    if (restore.length) await runAsync(['sh', '-c', restore.join('\n')], undefined, 'accept_dad (model values)');
    record.complete = true;
    writeRecord(runDir, record);
    log(`lab ${id}: up (${record.namespaces.length} namespaces)`);
    return lab;
  } catch (e) {
    try {
      downRecord(record);
    } finally {
      rmSync(recordPath(runDir, id), { force: true });
      rmSync(lockPath(runDir), { force: true });
      removeRelayLogs(runDir, id);
    }
    throw e;
  } finally {
    if (handle) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

function nsInode(name: string): number | undefined {
  try {
    return statSync(`/run/netns/${name}`).ino;
  } catch {
    return undefined;
  }
}

/** Pids of processes whose network namespace is one of `inodes`. */
function pidsIn(inodes: Set<number>): number[] {
  if (!inodes.size) return [];
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const m = /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${d}/ns/net`));
      if (m && inodes.has(Number(m[1]))) out.push(Number(d));
    } catch {
      /* gone or not ours to read */
    }
  }
  return out;
}

function cmdlineHas(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(marker);
  } catch {
    return false;
  }
}

function killAll(pids: number[]): void {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** Removes the namespaces `names` and every process living in them. Returns what was removed. */
function removeNamespaces(names: string[]): string[] {
  const present = names.filter(nsExists);
  const inodes = new Set(present.map(nsInode).filter((x): x is number => x !== undefined));
  killAll(pidsIn(inodes));
  if (!present.length) return [];
  // One `ip -force -batch` (going on past errors) instead of one process per namespace.
  spawnSync('ip', ['-force', '-batch', '-'], { input: [...present].reverse().map((n) => `netns del ${n}`).join('\n') + '\n', encoding: 'utf8', timeout: 60_000 });
  return present.filter((n) => !nsExists(n));
}

/** Removes the lab's files in the run directory (relay and workload logs, configs, pod /etc files). */
function removeRelayLogs(runDir: string, id: string): void {
  for (const f of existsSync(runDir) ? readdirSync(runDir) : []) if (f.startsWith(`lab-${id}-`)) rmSync(join(runDir, f), { force: true, recursive: true });
}

function downRecord(r: LabRecord): string[] {
  killAll([...r.relays, ...(r.workloads ?? [])].filter((x) => cmdlineHas(x.pid, x.marker)).map((x) => x.pid));
  return removeNamespaces(r.namespaces);
}

export interface DownResult {
  labs: string[];
  namespaces: string[];
}

/**
 * Removes the lab of `runDir` (idempotent). With `all`, also every recorded lab in `runDir` and
 * every namespace named like a lab's (`kw-XXXX-...`, or the given prefix), with the processes
 * inside them.
 */
export function labDown(opts: { all?: boolean; runDir?: string; prefix?: string } = {}): DownResult {
  requireRoot();
  const runDir = opts.runDir ?? DEFAULT_RUN_DIR;
  const res: DownResult = { labs: [], namespaces: [] };
  const records: LabRecord[] = [];
  const cur = currentLab(runDir);
  if (cur) records.push(cur);
  if (opts.all && existsSync(runDir)) {
    for (const f of readdirSync(runDir)) {
      const m = /^lab-([0-9a-f]{4})\.json$/.exec(f);
      if (m && !records.some((r) => r.id === m[1])) {
        const r = readRecord(runDir, m[1]);
        if (r) records.push(r);
      }
    }
  }
  for (const r of records) {
    res.labs.push(r.id);
    res.namespaces.push(...downRecord(r));
    rmSync(recordPath(runDir, r.id), { force: true });
    removeRelayLogs(runDir, r.id);
  }
  if (opts.all) {
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .stdout.split('\n')
      .map((l) => l.split(' ')[0])
      .filter((n) => labNsRe(opts.prefix ?? defaultPrefix()).test(n));
    res.namespaces.push(...removeNamespaces(left));
  }
  const lock = currentLab(runDir);
  if (!lock || opts.all || records.some((r) => r.id === lock.id)) rmSync(lockPath(runDir), { force: true });
  return res;
}

/** Namespaces of the lab that currently exist (for checks and `lab status`). */
export function labNamespaces(all = false, runDir = DEFAULT_RUN_DIR, prefix = defaultPrefix()): string[] {
  const names = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(' ')[0])
    .filter(Boolean);
  if (all) return names.filter((n) => labNsRe(prefix).test(n));
  const r = currentLab(runDir);
  return r ? names.filter((n) => r.namespaces.includes(n)) : [];
}
