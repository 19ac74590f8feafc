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
