// Real captures in the lab (Node only, root): tcpdump on one or more interfaces of lab nodes or
// pods, around a command. Each tcpdump runs in its namespace (`ip netns exec`), writes packet by
// packet (-U) to its own file, and is started before the command (it says "listening on"). After
// the command, the files are watched until they stop growing (the last ACKs and FINs), then each
// tcpdump gets SIGINT and flushes. One interface: tcpdump's pcap as is. Several: one pcapng with
// an interface block per capture named "<node or ns/pod>:<dev>", packets merged by time.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ClusterState } from '../control-plane/types.ts';
import { KubewireError } from '../errors.ts';
import { findPodNetns } from '../k8s/lookup.ts';
import { ROOT_NS } from '../node-state/types.ts';
import { readPcap } from '../pcap/pcap.ts';
import { writePcapng, type PcapngPacket } from '../pcap/pcapng.ts';
import type { CaptureInterface } from '../pcap/types.ts';
import type { LabRecord } from './lab.node.ts';

export interface CapturePoint {
  /** Node (name, short name or IP) or pod ("name" in `namespace`, or "ns/name"). */
  target: string;
  dev: string;
}

/** Parses "TARGET:DEV" (the device after the last colon). */
export function parseCapturePoint(s: string): CapturePoint {
  const i = s.lastIndexOf(':');
  if (i <= 0 || i === s.length - 1) throw new KubewireError(`-i ${s}: expected NODE:DEV or POD:DEV (e.g. ip-192-168-23-84:ens5, busybox:eth0)`);
  return { target: s.slice(0, i), dev: s.slice(i + 1) };
}

interface Resolved {
  name: string;
  netns: string;
  dev: string;
}

function resolvePoint(state: ClusterState, record: LabRecord, p: CapturePoint, namespace: string): Resolved {
  const node = state.nodes.find((x) => x.name === p.target || x.name.split('.')[0] === p.target || x.primaryIp === p.target || x.instanceId === p.target);
  let nodeName: string;
  let model: string;
  let name: string;
  if (node) {
    nodeName = node.name;
    model = ROOT_NS;
    name = node.name;
  } else {
    const [ns, pod] = p.target.includes('/') ? p.target.split('/', 2) : [namespace, p.target];
    const nodes = state.nodes.map((x) => x.name.split('.')[0]).join(', ');
    let w: { node: string; netns: string };
    try {
      w = findPodNetns(state, ns, pod);
    } catch (e) {
      throw new KubewireError(`-i ${p.target}:${p.dev}: "${p.target}" is neither a node (${nodes}) nor a pod in namespace ${ns} (${(e as Error).message})`);
    }
    nodeName = w.node;
    model = w.netns;
    name = `${ns}/${pod}`;
  }
  const host = state.hosts[nodeName];
  const devs = host?.namespaces[model]?.links.map((l) => l.name) ?? [];
  if (!devs.includes(p.dev) && p.dev !== 'any') throw new KubewireError(`-i ${p.target}:${p.dev}: ${name} has no device ${p.dev} (devices: ${devs.join(', ')}, or any)`);
  const real = record.nodes.find((x) => x.node === nodeName)?.ns[model];
  if (!real) throw new KubewireError(`-i ${p.target}:${p.dev}: ${name} was not in the cluster when lab ${record.id} came up`);
  return { name, netns: real, dev: p.dev };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface LabCaptureResult<T> {
  /** What `run` returned. */
  result: T;
  /** Capture file bytes (pcap for one interface, pcapng for several). */
  file: Uint8Array;
  format: 'pcap' | 'pcapng';
  /** tcpdump's own summary line per interface ("N packets captured"). */
  tcpdump: Array<{ name: string; stderr: string }>;
}

/**
 * Captures on `points` while `run` runs. tcpdump is stopped (SIGINT) once the files have not
 * grown for `quietMs` (default 300 ms) after `run` resolved, at the latest `maxWaitMs` (default
 * 3 s) later; it is killed on any error.
 */
export async function labCapture<T>(
  state: ClusterState,
  record: LabRecord,
  points: CapturePoint[],
  run: () => Promise<T>,
  opts: { runDir: string; namespace?: string; filter?: string[]; quietMs?: number; maxWaitMs?: number; snaplen?: number },
): Promise<LabCaptureResult<T>> {
  if (!points.length) throw new KubewireError('lab capture: give at least one -i NODE:DEV or POD:DEV');
  const resolved = points.map((p) => resolvePoint(state, record, p, opts.namespace ?? 'default'));
  const dir = join(opts.runDir, `lab-${record.id}-cap-${randomBytes(3).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  const procs: Array<{ r: Resolved; file: string; child: ChildProcess; stderr: () => string; exited: () => boolean }> = [];
  try {
    for (const [k, r] of resolved.entries()) {
      const file = join(dir, `i${k}.pcap`);
      // -Z root: Debian's tcpdump otherwise drops to user tcpdump before opening the output file.
      const argv = ['netns', 'exec', r.netns, 'tcpdump', '-i', r.dev, '-n', '-U', '--immediate-mode', '-Z', 'root', '-s', String(opts.snaplen ?? 262144), '-w', file, ...(opts.filter ?? [])];
      const child = spawn('ip', argv, { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      let done = false;
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.on('exit', () => (done = true));
      procs.push({ r, file, child, stderr: () => err, exited: () => done });
    }
    const deadline = Date.now() + 10_000;
    for (const p of procs) {
      while (!/listening on/.test(p.stderr())) {
        if (p.exited() || Date.now() > deadline) throw new KubewireError(`tcpdump on ${p.r.name}:${p.r.dev} ${p.exited() ? 'failed' : 'did not start'}: ${p.stderr().trim()}`);
        await sleep(10);
      }
    }
    const result = await run();
    // Wait for the last packets (FINs, ACKs) to be written: until no file grows for quietMs.
    const quiet = opts.quietMs ?? 300;
    const stopBy = Date.now() + (opts.maxWaitMs ?? 3000);
    let sizes = procs.map((p) => size(p.file));
    let still = Date.now();
    while (Date.now() < stopBy && Date.now() - still < quiet) {
      await sleep(50);
      const now = procs.map((p) => size(p.file));
      if (now.some((s, i) => s !== sizes[i])) still = Date.now();
      sizes = now;
    }
    for (const p of procs) p.child.kill('SIGINT');
    for (const p of procs) {
      const end = Date.now() + 5000;
      while (!p.exited() && Date.now() < end) await sleep(10);
      if (!p.exited()) p.child.kill('SIGKILL');
    }
    const files = procs.map((p) => new Uint8Array(readFileSync(p.file)));
    const tcpdump = procs.map((p) => ({ name: `${p.r.name}:${p.r.dev}`, stderr: p.stderr().trim() }));
    if (files.length === 1) return { result, file: files[0], format: 'pcap', tcpdump };
    const interfaces: CaptureInterface[] = [];
    const packets: PcapngPacket[] = [];
    files.forEach((f, k) => {
      const pc = readPcap(f);
      interfaces.push({ linkType: pc.linkType, name: `${procs[k].r.name}:${procs[k].r.dev}`, snapLen: pc.snapLen });
      for (const pk of pc.packets) packets.push({ ...pk, interfaceId: k });
    });
    // Stable merge by time: same-time packets keep capture order.
    packets.sort((a, b) => a.timeUs - b.timeUs);
    return { result, file: writePcapng(interfaces, packets, { application: 'kubewire lab capture (tcpdump)' }), format: 'pcapng', tcpdump };
  } finally {
    for (const p of procs) if (!p.exited()) p.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

function size(f: string): number {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
}

/** Writes a capture result to `path`. */
export function writeCapture(path: string, file: Uint8Array): void {
  writeFileSync(path, file);
}
