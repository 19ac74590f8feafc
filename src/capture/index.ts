// Captures of a simulated app run: the frames on any device of any node or pod namespace, as
// tcpdump there would record them, built from the engine's traces of the run's flows. Browser-safe:
// returns bytes and records; writing files is the CLI's job (src/cli/commands/capture.ts).
//
//   const r = captureRun(cluster, run, 'path');            // every device along the flows' paths
//   const r = captureRun(cluster, run, [resolvePoint(cluster, 'ip-192-168-0-10:ens5')]);
//   captureFiles(r, 'pcapng') → [{ name: 'capture.pcapng', bytes }]
//   captureSummary(r) → tcpdump-like lines

import type { ClusterState } from '../control-plane/types.ts';
import type { AppRun } from '../engine/apps/types.ts';
import { CLUSTER_EPOCH_MS } from '../control-plane/store.ts';
import { writePcap } from '../pcap/pcap.ts';
import { writePcapng, type PcapngPacket } from '../pcap/pcapng.ts';
import { TcpdumpPrinter } from '../pcap/summary.ts';
import { LINKTYPE_ETHERNET, type CaptureInterface } from '../pcap/types.ts';
import { flowFrames, pathDevices, type DeviceFrame } from './frames.ts';
import { pointFor, type CapturePoint } from './points.ts';

export interface CaptureOptions {
  /** Seeds the values a real host picks at random (ISNs, TCP timestamps, IP IDs). Default 1. */
  seed?: number;
  /** Wall-clock time of the run's start (µs since the epoch). Default: the cluster's clock. */
  startUs?: number;
  /** TCP window scale the ends offer (default 7: Linux with default sysctls). */
  wscale?: number;
}

export interface CaptureResult {
  /** One per capture point, in the order given (pcapng IDBs). */
  points: CapturePoint[];
  interfaces: CaptureInterface[];
  /** In time order; `interfaceId` indexes `points`/`interfaces`, `direction` is in/out. */
  packets: PcapngPacket[];
}

/**
 * The frames of `run` at each point (`'path'`: every device its flows cross). Frames are those
 * the flows' traces put on the device; a point no flow crosses gets an interface with no packets.
 */
export function captureRun(cluster: ClusterState, run: AppRun, points: readonly CapturePoint[] | 'path', opts: CaptureOptions = {}): CaptureResult {
  const pts = points === 'path' ? pathDevices(run.flows).map((d) => pointFor(cluster, d.node, d.netns, d.dev)) : [...points];
  const startUs = opts.startUs ?? (CLUSTER_EPOCH_MS + cluster.clock * 1000) * 1000;
  const frames = flowFrames(cluster, run.flows, { seed: opts.seed, startUs, wscale: opts.wscale });
  const index = new Map(pts.map((p, i) => [`${p.node}/${p.netns}/${p.dev}`, i]));
  const packets: PcapngPacket[] = [];
  for (const f of frames) {
    const i = index.get(`${f.node}/${f.netns}/${f.dev}`);
    if (i === undefined) continue;
    packets.push({ timeUs: Math.round(f.timeUs), data: f.data, interfaceId: i, direction: f.dir });
  }
  const interfaces = pts.map((p) => ({ linkType: LINKTYPE_ETHERNET, name: p.name, description: p.description }));
  return { points: pts, interfaces, packets };
}

/** File names for `--format pcap` (one file per interface): `<base>.<node-or-pod>_<dev>.pcap`. */
export function pcapFileName(base: string, p: CapturePoint): string {
  const stem = base.replace(/\.pcap(ng)?$/, '');
  return `${stem}.${p.name.replace(/[/:]/g, '_')}.pcap`;
}

/** The bytes to write: one pcapng with an IDB per point, or one classic pcap per point. */
export function captureFiles(r: CaptureResult, format: 'pcapng' | 'pcap', base: string): Array<{ name: string; point?: CapturePoint; bytes: Uint8Array }> {
  if (format === 'pcapng') return [{ name: base, bytes: writePcapng(r.interfaces, r.packets, { application: 'kubewire capture' }) }];
  return r.points.map((p, i) => ({ name: pcapFileName(base, p), point: p, bytes: writePcap(r.packets.filter((x) => x.interfaceId === i).map((x) => ({ timeUs: x.timeUs, data: x.data }))) }));
}

/** tcpdump-like lines: with one point what `tcpdump -n -r` prints; with several, each packet
 *  names its interface and direction as `tcpdump -i any` does. */
export function captureSummary(r: CaptureResult, opts: { link?: boolean; verbose?: boolean } = {}): string[] {
  const pr = new TcpdumpPrinter(opts);
  return r.packets.map((p) => {
    const line = pr.print(p, LINKTYPE_ETHERNET);
    if (r.points.length === 1) return line;
    const sp = line.indexOf(' ');
    const name = r.points[p.interfaceId ?? 0].name;
    return `${line.slice(0, sp)} ${name} ${(p.direction === 'out' ? 'Out' : 'In').padEnd(3)} ${line.slice(sp + 1)}`;
  });
}

export { resolvePoint, pointFor, findDevice, podOfNetns, type CapturePoint } from './points.ts';
export { flowFrames, pathDevices, type DeviceFrame } from './frames.ts';
