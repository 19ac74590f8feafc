// From an app run's flows to the frames on every device they cross. Each flow's real exchange
// (DNS query and answer; TCP handshake, request, response, teardown) is built once as segments
// with their addresses left open (src/wire/conversation.ts); each segment then takes its leg's
// path as the engine walked it (client→server packets the forward leg, server→client the reply
// leg: conntrack gives every packet of a connection the first packet's path and NAT), and is
// rendered at every device the walk recorded a frame on, with that point's addresses, ports,
// TTL and MACs, inside VXLAN where the walk encapsulated it.

import type { ClusterState } from '../control-plane/types.ts';
import type { AppFlow, HttpExchange } from '../engine/apps/types.ts';
import { nginxAnswer } from '../engine/apps/nginx.ts';
import type { TraceBranch } from '../engine/index.ts';
import type { Step, WireFrame } from '../engine/walk.ts';
import { seededRng } from '../engine/packet.ts';
import { KubewireError } from '../errors.ts';
import {
  dnsSegments, echoSegments, httpSegments, nginxReplySegments, segmentFrame, type DnsQuerySpec, type Segment,
} from '../wire/conversation.ts';
import { DNS_A, DNS_AAAA, fqdn } from '../wire/dns.ts';
import { busyboxWgetRequest, emitHttpRequest, emitHttpResponse } from '../wire/http.ts';
import { linuxAdvertisedMss, linuxRcvWscale } from '../wire/tcp.ts';
import { vxlanEncapsulate } from '../wire/vxlan.ts';
import { resetLeg, resetSegment } from './refused.ts';

/** One frame as a capture on (node, netns, dev) records it. */
export interface DeviceFrame {
  node: string;
  netns: string;
  dev: string;
  dir: 'in' | 'out';
  timeUs: number;
  data: Uint8Array;
  /** Index of the flow in the run. */
  flow: number;
}

export interface FrameOptions {
  /** Seeds what a real host picks at random (ISNs, timestamps, IP IDs). Default 1. */
  seed?: number;
  /** Wall-clock time of the run's start, microseconds since the epoch. */
  startUs: number;
  /** Window scale both ends offer (default: Linux's with default sysctls, 7). */
  wscale?: number;
}

// One-way delays (µs) between consecutive frames of a leg: across a veth, through a host's stack
// (forwarding or encapsulation), across the VPC between instances (same-region round trips are
// a few hundred µs or less). Plausible, not measured: timestamps only need to be ordered as the
// packets could be.
const VETH_US = 3;
const STACK_US = 8;
const FABRIC_US = 60;

const RCODES: Record<string, number> = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 };

function legFrames(steps: readonly Step[] | undefined): WireFrame[] {
  return (steps ?? []).flatMap((s) => s.wire ?? []);
}

/** Delay from the sender's socket to each frame of a leg, and to the receiving socket. */
function legDelays(frames: readonly WireFrame[]): { at: number[]; total: number } {
  const at: number[] = [];
  let t = 0;
  frames.forEach((w, i) => {
    const prev = frames[i - 1];
    if (prev) t += prev.node !== w.node ? FABRIC_US : prev.dir === 'out' && w.dir === 'in' ? VETH_US : STACK_US;
    else t += STACK_US;
    at.push(t);
  });
  return { at, total: t + STACK_US };
}

class IpIds {
  private readonly next = new Map<string, number>();
  private readonly fixed = new Map<string, number>();
  constructor(private readonly rng: () => number) {}
  /** A socket's or a path's counter: random start, +1 per call. */
  take(counter: string): number {
    const v = this.next.get(counter) ?? Math.floor(this.rng() * 0x10000);
    this.next.set(counter, (v + 1) & 0xffff);
    return v;
  }
  /** The same ID for the same packet wherever it is seen. */
  once(packet: string, counter: string): number {
    let v = this.fixed.get(packet);
    if (v === undefined) this.fixed.set(packet, (v = this.take(counter)));
    return v;
  }
}

function mtuOf(state: ClusterState, w: WireFrame | undefined): number {
  return (w && state.hosts[w.node]?.namespaces[w.netns]?.links.find((l) => l.name === w.dev)?.mtu) || 1500;
}

/** The segment as seen at `w`: the innermost frame with that point's headers, wrapped in each
 *  tunnel's outer headers (VXLAN as the kernel's vxlan driver builds them; outer DF clear, so the
 *  outer IP ID comes from the per-destination counter). */
function frameAt(seg: Segment, w: WireFrame, ids: IpIds, key: string): Uint8Array {
  const layers = w.inner ?? [];
  const base = layers.length ? layers[layers.length - 1] : w;
  const p = base.packet;
  // ICMP echo: the identifier stands in the source port's place (echo NAT rewrites it).
  const sport = p.proto === 1 ? p.icmpId : p.sport;
  const dport = p.proto === 1 ? 0 : p.dport;
  if (sport === undefined || dport === undefined) throw new KubewireError(`capture: the walk recorded no ports for ${p.src} > ${p.dst}`);
  let frame = segmentFrame(seg, { src: p.src, dst: p.dst, sport, dport, ttl: p.ttl, srcMac: base.srcMac, dstMac: base.dstMac });
  for (let k = layers.length - 1; k >= 0; k--) {
    const outer = k === 0 ? w : layers[k - 1];
    const op = outer.packet;
    frame = vxlanEncapsulate(frame, {
      outerSrcMac: outer.srcMac,
      outerDstMac: outer.dstMac,
      outerSrcIp: op.src,
      outerDstIp: op.dst,
      vni: layers[k].vni,
      ipId: ids.once(`${key}/${k}/${op.src}>${op.dst}`, `ident ${op.src}>${op.dst}/17`),
      srcPort: op.sport ?? 0,
      dstPort: op.dport,
      ttl: op.ttl,
    });
  }
  return frame;
}

function delivered(b: TraceBranch | undefined, leg: 'forward' | 'reply'): boolean {
  const d = b?.[leg]?.disposition.code;
  return d === 'delivered' || d === 'accepted';
}

interface FlowPlan {
  segments: Segment[];
}

function dnsPlan(flow: AppFlow, b: TraceBranch, ids: IpIds, clientKey: string, serverKey: string): FlowPlan {
  const d = flow.dns!;
  const q: DnsQuerySpec = {
    id: d.id,
    name: fqdn(d.name),
    type: d.qtype === 'AAAA' ? DNS_AAAA : DNS_A,
    answers: d.answers,
    rcode: RCODES[d.rcode] ?? 2,
    ttl: d.ttl,
    unanswered: !delivered(b, 'forward') || !delivered(b, 'reply'),
  };
  const zone = fqdn(d.name.split('.svc.')[1] ?? 'cluster.local');
  return { segments: dnsSegments({ queries: [q], clientIpId: ids.take(clientKey), replyIpIds: [ids.take(serverKey)], zone }) };
}

function echoPlan(flow: AppFlow, b: TraceBranch, ids: IpIds, clientKey: string, replyKey: string, opts: FrameOptions): FlowPlan {
  return {
    segments: echoSegments({
      seq: flow.icmpSeq ?? 0,
      dataLen: flow.icmpDataLen ?? 56,
      // busybox puts its monotonic clock (µs) in the first four data bytes.
      monotonicUs: opts.startUs + flow.startUs,
      requestIpId: ids.take(clientKey),
      replyIpId: ids.take(replyKey),
      answered: delivered(b, 'forward') && delivered(b, 'reply'),
    }),
  };
}

/** The server's answer as it writes it. nginx: a static file as headers (writev) then the file
 *  (sendfile); its own pages (404, 405) and HEAD answers in one write. */
function responseSegments(h: HttpExchange, nowSec: number): Uint8Array[] {
  const version = /^nginx\/(\S+)/.exec(h.server ?? '')?.[1];
  if (!version) return nginxReplySegments(nowSec, { body: h.body !== undefined ? new TextEncoder().encode(h.body) : undefined });
  const r = nginxAnswer(h.method, h.path, nowSec, version);
  const bytes = emitHttpResponse(r);
  return r.status === 200 && r.body.length ? [bytes.subarray(0, bytes.length - r.body.length), bytes.subarray(bytes.length - r.body.length)] : [bytes];
}

function tcpPlan(state: ClusterState, flow: AppFlow, b: TraceBranch, fwd: WireFrame[], rev: WireFrame[], rng: () => number, ids: IpIds, clientKey: string, serverKey: string, opts: FrameOptions, refused: boolean): FlowPlan {
  const h = flow.http;
  const u32 = () => Math.floor(rng() * 0x100000000) >>> 0;
  const answered = delivered(b, 'forward') && delivered(b, 'reply');
  const nowSec = Math.floor((opts.startUs + flow.startUs) / 1e6);
  const segments = httpSegments({
    clientMss: linuxAdvertisedMss(mtuOf(state, fwd[0])),
    serverMss: linuxAdvertisedMss(mtuOf(state, rev[0])),
    wscale: opts.wscale ?? linuxRcvWscale(),
    clientIsn: u32(),
    serverIsn: u32(),
    clientTsval: u32(),
    serverTsval: u32(),
    clientIpId: ids.take(clientKey),
    serverIpId: ids.take(serverKey),
    request: h && answered ? emitHttpRequest({ ...busyboxWgetRequest(`http://${h.host}${h.path}`, h.userAgent), method: h.method }) : undefined,
    response: h?.status !== undefined && answered ? responseSegments(h, nowSec) : undefined,
    synOnly: !answered,
    // nginx closes a `Connection: close` (busybox wget) connection right after its response.
    closer: h?.status !== undefined ? 'server' : 'client',
    ackEach: true,
  });
  if (refused) segments.push(resetSegment(segments[0].tcp!.seq));
  return { segments };
}

/** Every frame of every flow at every device its legs cross, in time order. */
export function flowFrames(state: ClusterState, flows: readonly AppFlow[], opts: FrameOptions): DeviceFrame[] {
  const rng = seededRng(opts.seed ?? 1);
  const ids = new IpIds(rng);
  const out: DeviceFrame[] = [];
  let free = opts.startUs;
  flows.forEach((flow, fi) => {
    const b = flow.trace.branches[0];
    if (!b) return;
    const fwd = legFrames(b.forward.steps);
    // A SYN to a closed port is answered by an RST, which the trace names but does not walk.
    const reset = flow.kind !== 'dns' && flow.kind !== 'icmp' ? resetLeg(state, flow.trace) : undefined;
    const rev = reset ? legFrames(reset) : delivered(b, 'forward') ? legFrames(b.reply?.steps) : [];
    if (!fwd.length) return;
    const c = fwd[0].packet;
    const s = rev[0]?.packet;
    const clientKey = `sock ${fwd[0].node}/${fwd[0].netns} ${c.proto}:${c.src}:${c.sport}`;
    const serverKey = s ? `sock ${rev[0].node}/${rev[0].netns} ${s.proto}:${s.src}:${s.sport}>${s.dst}:${s.dport}` : 'none';
    const plan =
      flow.kind === 'dns' && flow.dns ? dnsPlan(flow, b, ids, clientKey, serverKey)
      : flow.kind === 'icmp' ? echoPlan(flow, b, ids, clientKey, s ? `ident ${s.src}>${s.dst}/1` : 'none', opts)
      : tcpPlan(state, flow, b, fwd, rev, rng, ids, clientKey, serverKey, opts, !!reset && rev.length > 0);
    const dFwd = legDelays(fwd);
    const dRev = legDelays(rev);
    let t = Math.max(opts.startUs + flow.startUs, free);
    let prev: Segment | undefined;
    plan.segments.forEach((seg, si) => {
      // Each segment is sent after the previous one has reached its receiver: an answer follows
      // what it answers, and on every device the frames of one connection then come in the order
      // the ends sent them (a capture file holding several devices stays one consistent stream
      // to a reader that keys connections on addresses and ports alone, as tshark does).
      if (prev) t += prev.from === 'client' ? dFwd.total : dRev.total;
      t += seg.gapUs;
      prev = seg;
      const path = seg.from === 'client' ? fwd : rev;
      const delays = seg.from === 'client' ? dFwd.at : dRev.at;
      path.forEach((w, i) => {
        out.push({ node: w.node, netns: w.netns, dev: w.dev, dir: w.dir, timeUs: t + delays[i], data: frameAt(seg, w, ids, `${fi}/${si}/${seg.from}`), flow: fi });
      });
    });
    for (const f of out) if (f.timeUs >= free) free = f.timeUs + 1;
  });
  // Stable: frames with the same time keep their walk order.
  return out.map((f, i) => [f, i] as const).sort((a, b) => a[0].timeUs - b[0].timeUs || a[1] - b[1]).map(([f]) => f);
}

/** Devices the flows cross, in the order the first packets reach them. */
export function pathDevices(flows: readonly AppFlow[]): Array<{ node: string; netns: string; dev: string }> {
  const seen = new Map<string, { node: string; netns: string; dev: string }>();
  for (const flow of flows) {
    const b = flow.trace.branches[0];
    if (!b) continue;
    for (const w of [...legFrames(b.forward.steps), ...legFrames(b.reply?.steps)]) {
      const k = `${w.node}/${w.netns}/${w.dev}`;
      if (!seen.has(k)) seen.set(k, { node: w.node, netns: w.netns, dev: w.dev });
    }
  }
  return [...seen.values()];
}
