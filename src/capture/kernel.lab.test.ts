// The frames kubewire predicts on a node's ens5 and a pod's eth0 against what real tcpdump records there when the
// same node state runs in the live lab (network namespaces): a TCP exchange between pods on two
// nodes, directly and through a Service whose DNAT the client's node does (python3 stands in for busybox wget and nginx, sending their exact bytes, and the client
// binds the port the prediction uses), compared header field by header field. VPC CNI: pod IPs
// on ens5; Calico VXLAN: node IPs, UDP 4789, VNI 4096 around the inner pod packet.
// Excepted, as the kernel picks them at random: ISNs, IP IDs, TCP timestamps, the VXLAN outer UDP
// source port; and windows after the handshake (receive-buffer autotuning). The window scale is
// predicted for this host's buffer limits. The lab's VPC fabric is a Linux
// router, so what crossed it arrives with one TTL less than through AWS's VPC (which keeps it).
// Needs root, tcpdump and python3; skips with the reason otherwise.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labDown, labUp, rootCheck } from '../lab/lab.node.ts';
import { labCapture } from '../lab/capture.node.ts';
import { labTestCluster } from '../lab/testing.ts';
import { findPodNetns } from '../k8s/lookup.ts';
import type { ClusterState } from '../control-plane/types.ts';
import { readCapture } from '../pcap/read.ts';
import { parseEthernet } from '../wire/ethernet.ts';
import { parseIpv4, type Ipv4Header } from '../wire/ipv4.ts';
import { linuxRcvWscale, parseTcp, type TcpHeader } from '../wire/tcp.ts';
import { parseUdp } from '../wire/udp.ts';
import { parseVxlan } from '../wire/vxlan.ts';
import { busyboxWgetRequest, emitHttpRequest } from '../wire/http.ts';
import { nginxReplySegments } from '../wire/conversation.ts';
import { captureRun, pointFor } from './index.ts';
import { testWgetRun } from './testing.ts';

const root = rootCheck();
const tools = ['tcpdump', 'python3'].filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
const skip = !root.ok ? root.reason : tools.length ? `needs ${tools.join(', ')}` : '';

const SERVER = `
import base64, socket, sys
head, body = base64.b64decode(sys.argv[1]), base64.b64decode(sys.argv[2])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 80)); s.listen(1); s.settimeout(8)
print('ready', flush=True)
c, _ = s.accept(); c.settimeout(5)
# nginx writes the headers, then sends the file: two segments.
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
buf = b''
while b'\\r\\n\\r\\n' not in buf:
    d = c.recv(4096)
    if not d: break
    buf += d
c.sendall(head); c.sendall(body); c.close(); s.close()
`;

const CLIENT = `
import base64, socket, sys
s = socket.socket(); s.settimeout(5); s.bind(('0.0.0.0', int(sys.argv[3])))
s.connect((sys.argv[1], int(sys.argv[4]))); s.sendall(base64.b64decode(sys.argv[2]))
got = b''
while True:
    d = s.recv(65536)
    if not d: break
    got += d
s.close(); print(len(got))
`;

interface Seen {
  out: boolean;
  ip: Ipv4Header;
  ipLen: number;
  tcp: TcpHeader;
  len: number;
  srcMac: string;
  dstMac: string;
  outer?: { ip: Ipv4Header; ipLen: number; dport: number; vni: number };
}

function seen(frame: Uint8Array, myMac: string): Seen | undefined {
  const eth = parseEthernet(frame);
  if (eth.header.etherType !== 0x0800) return undefined;
  let ip = parseIpv4(eth.payload);
  let ipLen = eth.payload.length;
  let outer: Seen['outer'];
  let srcMac = eth.header.src;
  let dstMac = eth.header.dst;
  if (ip.header.protocol === 17) {
    const u = parseUdp(ip.payload);
    if (u.header.dstPort !== 4789) return undefined;
    const vx = parseVxlan(u.payload);
    outer = { ip: ip.header, ipLen, dport: u.header.dstPort, vni: vx.header.vni };
    const inner = parseEthernet(vx.payload);
    ip = parseIpv4(inner.payload);
    ipLen = inner.payload.length;
    srcMac = inner.header.src;
    dstMac = inner.header.dst;
  }
  if (ip.header.protocol !== 6) return undefined;
  const t = parseTcp(ip.payload);
  return { out: eth.header.src === myMac, ip: ip.header, ipLen, tcp: t.header, len: t.payload.length, srcMac, dstMac, outer };
}

const FLAG_NAMES: Record<number, string> = { 0x02: 'S', 0x12: 'S.', 0x10: '.', 0x18: 'P.', 0x11: 'F.', 0x19: 'FP.' };
const sig = (s: Seen) => `${s.out ? 'out' : 'in'} ${FLAG_NAMES[s.tcp.flags] ?? s.tcp.flags} ${s.len}`;

/** The header fields compared (everything but what the kernel randomises or tunes per host).
 *  `fabricHops` / `outerHops`: routers the lab has where AWS has none, on the way in, for the
 *  packet and for a VXLAN outer header (the fabric decrements only the outermost: a pod packet
 *  inside VXLAN keeps its TTL). `macs`: both link
 *  addresses (a veth), or only the sender's own on frames it sends (an ENI: the next hop's MAC
 *  is the lab fabric's). */
function fields(s: Seen, fabricHops: number, macs: 'both' | 'own', outerHops = fabricHops): Record<string, unknown> {
  const optKinds = s.tcp.options.map((o) => o.kind);
  const f: Record<string, unknown> = {
    src: s.ip.src, dst: s.ip.dst, ttl: s.ip.ttl + (s.out ? 0 : fabricHops), df: s.ip.dontFragment, ipLen: s.ipLen,
    sport: s.tcp.srcPort, dport: s.tcp.dstPort, flags: s.tcp.flags, options: optKinds,
    mss: s.tcp.options.find((o) => o.kind === 'mss'),
    wscale: s.tcp.options.find((o) => o.kind === 'wscale'),
  };
  // Handshake windows follow from the MSS and tcp_rmem alone; later ones from buffer autotuning.
  if (s.tcp.flags & 0x02) f.window = s.tcp.window;
  if (s.outer) {
    Object.assign(f, {
      outerSrc: s.outer.ip.src, outerDst: s.outer.ip.dst, outerTtl: s.outer.ip.ttl + (s.out ? 0 : outerHops), outerDf: s.outer.ip.dontFragment,
      outerLen: s.outer.ipLen, overhead: s.outer.ipLen - s.ipLen, vxlanPort: s.outer.dport, vni: s.outer.vni,
    });
  }
  if (s.outer || macs === 'both') Object.assign(f, { srcMac: s.srcMac, dstMac: s.dstMac });
  else if (s.out) f.srcMac = s.srcMac;
  return f;
}

function nginxPods(state: ClusterState, node: string): string[] {
  return Object.keys(state.objects)
    .filter((k) => k.startsWith('Pod/default/nginx'))
    .map((k) => k.split('/')[2])
    .filter((p) => (state.objects[`Pod/default/${p}`] as unknown as { spec: { nodeName: string } }).spec.nodeName === node);
}

describe.skipIf(!!skip)(`predicted frames vs real tcpdump in the lab (${skip || 'root'})`, () => {
  const cases = [
    { cni: 'vpc-cni', prefix: 'kwcp', service: false },
    { cni: 'calico-vxlan', prefix: 'kwcx', service: false },
    // One nginx behind the Service, so the kernel's DNAT has one endpoint to pick, and a CoreDNS
    // pod on another node as the client (it need only be a pod namespace there).
    { cni: 'vpc-cni', prefix: 'kwcs', service: true },
  ] as const;
  for (const { cni, prefix, service } of cases) {
    it(`${cni}: pod on one node to ${service ? 'a Service (DNAT on the client\'s node) backed by ' : ''}a pod on another, on the client node's ens5 and the client pod's eth0`, async () => {
      const state = labTestCluster(service ? 1 : 3, true, cni);
      const onNode = (node: string, ns: string, name: string) =>
        Object.keys(state.objects).filter((k) => k.startsWith(`Pod/${ns}/${name}`)).map((k) => k.split('/')[2])
          .filter((p) => (state.objects[`Pod/${ns}/${p}`] as unknown as { spec: { nodeName: string } }).spec.nodeName === node);
      const serverNode = service ? state.nodes.find((n) => nginxPods(state, n.name).length)! : state.nodes[1];
      const n1 = serverNode;
      const n0 = service ? state.nodes.find((n) => n !== n1 && onNode(n.name, 'kube-system', 'coredns').length)! : state.nodes[0];
      const clientNs = service ? 'kube-system' : 'default';
      const client = service ? onNode(n0.name, 'kube-system', 'coredns')[0] : nginxPods(state, n0.name)[0];
      const server = nginxPods(state, n1.name)[0];
      const podIp = (state.objects[`Pod/default/${server}`] as unknown as { status: { podIP: string } }).status.podIP;
      const svcIp = (state.objects['Service/default/nginx'] as unknown as { spec: { clusterIP: string } }).spec.clusterIP;
      const [serverIp, port] = service ? [svcIp, 8080] : [podIp, 80];
      const run = testWgetRun(state, { pod: client, namespace: clientNs, target: serverIp, port });
      const sport = run.flows[0].probe.sport!;
      const ens5 = pointFor(state, n0.name, 'root', 'ens5');
      const podEth0 = pointFor(state, n0.name, run.pod.netns, 'eth0');
      // The window scale both ends offer follows the host's buffer limits (net.core.rmem_max,
      // tcp_rmem[2]); predict with the values of this host.
      const rmem = readFileSync('/proc/sys/net/ipv4/tcp_rmem', 'utf8').trim().split(/\s+/).map(Number);
      const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
      const wscale = linuxRcvWscale(rmem[2], rmemMax);
      const predicted = captureRun(state, run, [ens5, podEth0], { wscale });
      const macs = [
        state.hosts[n0.name].namespaces.root.links.find((l) => l.name === 'ens5')!.mac,
        state.hosts[n0.name].namespaces[run.pod.netns].links.find((l) => l.name === 'eth0')!.mac,
      ];

      const runDir = mkdtempSync(join(tmpdir(), 'kwt-caplab-'));
      try {
        const lab = await labUp(state, { runDir, prefix, handleSignals: false, workloads: false });
        const realNs = (node: string, netns: string) => lab.record.nodes.find((x) => x.node === node)!.ns[netns];
        const cNs = realNs(n0.name, run.pod.netns);
        const sNs = realNs(n1.name, findPodNetns(state, 'default', server).netns);
        const req = emitHttpRequest(busyboxWgetRequest(`http://${serverIp}:${port}/`));
        const [head, body] = nginxReplySegments(Math.floor(Date.now() / 1000));
        const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
        const cap = await labCapture(state, lab.record, [{ target: n0.name, dev: 'ens5' }, { target: `${clientNs}/${client}`, dev: 'eth0' }], async () => {
          const srv = spawn('ip', ['netns', 'exec', sNs, 'timeout', '10', 'python3', '-c', SERVER, b64(head), b64(body)], { stdio: ['ignore', 'pipe', 'pipe'] });
          try {
            await new Promise<void>((resolve, reject) => {
              const t = setTimeout(() => reject(new Error('server did not start')), 5000);
              srv.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && (clearTimeout(t), resolve()));
              let err = '';
              srv.stderr.on('data', (d: Buffer) => (err += d.toString()));
              srv.on('exit', (c) => (clearTimeout(t), reject(new Error(`server exited ${c}: ${err}`))));
            });
            const c = spawnSync('ip', ['netns', 'exec', cNs, 'timeout', '8', 'python3', '-c', CLIENT, serverIp, b64(req), String(sport), String(port)], { encoding: 'utf8', timeout: 10_000 });
            expect(c.stdout.trim(), c.stderr).toBe(String(head.length + body.length));
          } finally {
            srv.kill('SIGKILL');
          }
        }, { runDir, filter: ['tcp', 'port', '80', 'or', 'tcp', 'port', '8080', 'or', 'udp', 'port', '4789'] });

        const file = readCapture(cap.file);
        expect(file.interfaces.length).toBe(2);
        for (const [i, where] of ['ens5', 'pod eth0'].entries()) {
          const real = file.packets.filter((p) => (p.interfaceId ?? 0) === i).map((p) => seen(p.data, macs[i])).filter((x): x is Seen => !!x);
          const pred = predicted.packets.filter((p) => p.interfaceId === i).map((p) => seen(p.data, macs[i])).filter((x): x is Seen => !!x);
          expect(pred.length).toBe(12);
          // Every kind of segment the prediction has (by direction, flags, payload length) the
          // kernel sent too, with the same header fields; pure ACKs depend on timing (delayed
          // ACK), so the kernel's are compared with the predicted ones without requiring a count.
          const bySig = new Map<string, Seen[]>();
          for (const s of real) bySig.set(sig(s), [...(bySig.get(sig(s)) ?? []), s]);
          for (const p of pred) {
            const r = bySig.get(sig(p));
            if (!r && p.len === 0 && p.tcp.flags === 0x10) continue;
            expect(r, `${where}: kernel frame like predicted "${sig(p)}" (kernel sent: ${real.map(sig).join(', ')})`).toBeDefined();
            const macMode = i === 0 ? 'own' : 'both';
            // Calico's pod packets cross the lab fabric inside VXLAN: only the outer TTL drops.
            const hops = cni === 'vpc-cni' ? 1 : 0;
            // A pure ACK may also come as a duplicate with SACK blocks when the lab retransmits:
            // one of the kernel's must match; every other kind must match each time it was sent.
            const got = r!.map((x) => fields(x, hops, macMode, 1));
            if (p.len === 0 && p.tcp.flags === 0x10) expect(got, `${where}: ${sig(p)}`).toContainEqual(fields(p, 0, macMode));
            else for (const g of got) expect(g, `${where}: ${sig(p)}`).toEqual(fields(p, 0, macMode));
          }
          if (process.env.KWT_DEBUG) console.error(cni, where, 'kernel:', real.map(sig).join(', '), '\npredicted:', pred.map(sig).join(', '));
          const predSigs = new Set(pred.map(sig));
          for (const r of real) expect(predSigs.has(sig(r)), `${where}: kernel frame "${sig(r)}" not predicted`).toBe(true);
        }
      } finally {
        labDown({ runDir, all: true, prefix });
        rmSync(runDir, { recursive: true, force: true });
      }
    }, 60_000);
  }
});
