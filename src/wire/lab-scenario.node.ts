// Node-only: records a real capture of the lab traffic (testdata/lab_client.py and
// lab_server.py) on veth "kwa" in namespace A. Namespace B routes 10.78.0.0/24 to a dummy device
// (a veth with MTU 1000) (for time-exceeded and fragmentation-needed errors) and both ends run a VXLAN
// device (VNI 4096, port 4789, no UDP-checksum attribute given, like Calico) addressed
// 172.31.0.1/24 and 172.31.0.2/24.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { createLab, disableTxChecksum, startCapture } from './lab.node.ts';

const here = dirname(fileURLToPath(import.meta.url));

export interface LabCapture {
  pcap: Uint8Array;
  /** `ip -d link show` of the VXLAN device in A. */
  vxlanDetails: string;
  /** net.ipv4.tcp_rmem and net.core.rmem_max in A (they decide the window scale). */
  tcpRmemMax: number;
  rmemMax: number;
}

export async function recordLabCapture(): Promise<LabCapture> {
  const lab = createLab();
  try {
    const { a, b } = lab;
    for (const ns of [a, b]) lab.exec(ns, 'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1');
    lab.exec(b, 'sysctl -qw net.ipv4.ip_forward=1 && ip link add kwd type veth peer name kwe && ip link set kwd mtu 1000 up && ip link set kwe mtu 1000 up && ip addr add 10.78.0.1/24 dev kwd');
    lab.exec(a, 'ip route add 10.78.0.0/24 via 10.77.0.2');
    lab.exec(a, 'ip link add kwx type vxlan id 4096 dstport 4789 local 10.77.0.1 remote 10.77.0.2 dev kwa && ip link set kwx mtu 1450 up && ip addr add 172.31.0.1/24 dev kwx');
    lab.exec(b, 'ip link add kwx type vxlan id 4096 dstport 4789 local 10.77.0.2 remote 10.77.0.1 dev kwb && ip link set kwx mtu 1450 up && ip addr add 172.31.0.2/24 dev kwx');
    disableTxChecksum(lab, a, 'kwa');
    disableTxChecksum(lab, a, 'kwx');
    disableTxChecksum(lab, b, 'kwb');
    disableTxChecksum(lab, b, 'kwx');
    const vxlanDetails = lab.exec(a, 'ip -d link show kwx');
    const tcpRmemMax = Number(lab.exec(a, 'sysctl -n net.ipv4.tcp_rmem').trim().split(/\s+/)[2]);
    const rmemMax = Number(lab.exec(a, 'sysctl -n net.core.rmem_max').trim());
    const cap = await startCapture(lab, a, 'kwa', 'lab');
    const server = spawn('ip', ['netns', 'exec', b, 'python3', join(here, 'testdata/lab_server.py')], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise<void>((resolve, reject) => {
        server.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        server.on('exit', (c) => reject(new Error(`lab server exited ${c}`)));
      });
      lab.exec(a, 'ip neigh flush all');
      lab.exec(b, 'ip neigh flush all');
      lab.exec(a, `python3 ${join(here, 'testdata/lab_client.py')} 10.77.0.2 172.31.0.2`, 30_000);
    } finally {
      server.kill('SIGTERM');
    }
    const pcap = await cap.stop();
    return { pcap, vxlanDetails, tcpRmemMax, rmemMax };
  } finally {
    lab.cleanup();
  }
}

export interface ResolverCapture {
  /** busybox wget http://nginx:8080/ (DNS walk, TCP, HTTP request as busybox sends it). */
  wget: Uint8Array;
  /** getaddrinfo("nosuch") through the whole search list (all NXDOMAIN). */
  nxdomain: Uint8Array;
  /** busybox nslookup nginx. */
  nslookup: Uint8Array;
}

export const LAB_RESOLV_CONF =
  'search default.svc.cluster.local svc.cluster.local cluster.local us-west-2.compute.internal\nnameserver 10.77.0.2\noptions ndots:5\n';

/** Real stub-resolver and busybox traffic: namespace A gets a pod-like resolv.conf (via
 *  /etc/netns/<ns>/resolv.conf, which `ip netns exec` bind-mounts), B answers DNS with
 *  testdata/dns_server.py and HTTP with testdata/lab_server.py. Needs busybox and python3. */
export async function recordResolverCapture(): Promise<ResolverCapture> {
  const lab = createLab();
  const { existsSync, mkdirSync, writeFileSync, rmSync, rmdirSync } = await import('node:fs');
  const etc = `/etc/netns/${lab.a}`;
  const hadNetnsDir = existsSync('/etc/netns');
  try {
    const { a, b } = lab;
    for (const ns of [a, b]) lab.exec(ns, 'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1');
    mkdirSync(etc, { recursive: true });
    writeFileSync(`${etc}/resolv.conf`, LAB_RESOLV_CONF);
    disableTxChecksum(lab, a, 'kwa');
    disableTxChecksum(lab, b, 'kwb');
    const servers = [
      spawn('ip', ['netns', 'exec', b, 'python3', join(here, 'testdata/dns_server.py'), 'nginx.default.svc.cluster.local.', '10.77.0.2'], { stdio: ['ignore', 'pipe', 'ignore'] }),
      spawn('ip', ['netns', 'exec', b, 'python3', join(here, 'testdata/lab_server.py')], { stdio: ['ignore', 'pipe', 'ignore'] }),
    ];
    try {
      await Promise.all(servers.map((s) => new Promise<void>((resolve, reject) => {
        s.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        s.on('exit', (c) => reject(new Error(`lab server exited ${c}`)));
      })));
      const run = async (name: string, cmd: string): Promise<Uint8Array> => {
        const cap = await startCapture(lab, a, 'kwa', name);
        try {
          lab.exec(a, cmd, 20_000);
        } catch {
          /* the client's exit status does not matter, its packets do */
        }
        return cap.stop();
      };
      const wget = await run('wget', 'busybox wget -q -O /dev/null http://nginx:8080/');
      const nxdomain = await run('nx', `python3 ${join(here, 'testdata/resolve.py')} nosuch`);
      const nslookup = await run('nslookup', 'busybox nslookup nginx');
      return { wget, nxdomain, nslookup };
    } finally {
      for (const s of servers) s.kill('SIGTERM');
    }
  } finally {
    rmSync(etc, { recursive: true, force: true });
    if (!hadNetnsDir) {
      try {
        rmdirSync('/etc/netns');
      } catch {
        /* another namespace's config lives there now */
      }
    }
    lab.cleanup();
  }
}

export interface NatCapture {
  /** Router R's interface towards the client (kwb). */
  clientSide: Uint8Array;
  /** Router R's interface towards the server (kwc). */
  serverSide: Uint8Array;
}

/** A router namespace doing kube-proxy-style DNAT plus MASQUERADE: A (10.77.0.1) -> R (kwb
 *  10.77.0.2, kwc 10.78.0.1) -> C (10.78.0.2). R DNATs 10.96.0.10:80/tcp to 10.78.0.2:8080 and
 *  10.96.0.10:53/udp to 10.78.0.2:5353 (closed: C answers port unreachable, which R translates
 *  back), and masquerades towards C. A fetches over HTTP, sends the UDP probe and pings C.
 *  Captures are taken on both of R's interfaces. Needs iptables and python3. */
export async function recordNatCapture(): Promise<NatCapture> {
  const lab = createLab();
  const c = lab.a.replace(/-a$/, '-c');
  const { execFileSync } = await import('node:child_process');
  try {
    const { a, b } = lab;
    execFileSync('ip', ['netns', 'add', c]);
    for (const ns of [a, b, c]) lab.exec(ns, 'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1');
    lab.exec(b, `sysctl -qw net.ipv4.ip_forward=1 && ip link add kwc type veth peer name kwd netns ${c} && ip addr add 10.78.0.1/24 dev kwc && ip link set kwc up`);
    lab.exec(c, 'ip link set lo up && ip addr add 10.78.0.2/24 dev kwd && ip link set kwd up && ip route add default via 10.78.0.1');
    lab.exec(a, 'ip route add default via 10.77.0.2');
    lab.exec(b, [
      'iptables -t nat -A PREROUTING -d 10.96.0.10/32 -p tcp --dport 80 -j DNAT --to-destination 10.78.0.2:8080',
      'iptables -t nat -A PREROUTING -d 10.96.0.10/32 -p udp --dport 53 -j DNAT --to-destination 10.78.0.2:5353',
      'iptables -t nat -A POSTROUTING -o kwc -j MASQUERADE',
    ].join(' && '));
    disableTxChecksum(lab, a, 'kwa');
    disableTxChecksum(lab, b, 'kwb');
    disableTxChecksum(lab, b, 'kwc');
    disableTxChecksum(lab, c, 'kwd');
    const capA = await startCapture(lab, b, 'kwb', 'nat-a');
    const capC = await startCapture(lab, b, 'kwc', 'nat-c');
    const server = spawn('ip', ['netns', 'exec', c, 'python3', join(here, 'testdata/lab_server.py')], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise<void>((resolve, reject) => {
        server.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        server.on('exit', (code) => reject(new Error(`lab server exited ${code}`)));
      });
      lab.exec(a, `python3 ${join(here, 'testdata/nat_client.py')}`, 20_000);
    } finally {
      server.kill('SIGTERM');
    }
    return { clientSide: await capA.stop(), serverSide: await capC.stop() };
  } finally {
    try {
      execFileSync('ip', ['netns', 'del', c], { stdio: 'ignore' });
    } catch {
      /* gone */
    }
    lab.cleanup();
  }
}
