// Node-only test helpers: load a committed capture and pull out IPv4/UDP/TCP layers.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture } from '../pcap/read.ts';
import { ETHERTYPE_IPV4, parseEthernet } from './ethernet.ts';
import { IPPROTO_TCP, IPPROTO_UDP, parseIpv4, type Ipv4Header } from './ipv4.ts';
import { parseTcp, type TcpHeader } from './tcp.ts';
import { parseUdp, type UdpHeader } from './udp.ts';

export function loadTestCapture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`./testdata/${name}`, import.meta.url)));
}

export interface Flat {
  timeUs: number;
  frame: Uint8Array;
  ip?: Ipv4Header;
  udp?: UdpHeader;
  tcp?: TcpHeader;
  /** UDP or TCP payload. */
  payload?: Uint8Array;
}

export function flatten(pcap: Uint8Array): Flat[] {
  return readCapture(pcap).packets.map((p) => {
    const f: Flat = { timeUs: p.timeUs, frame: p.data };
    const eth = parseEthernet(p.data);
    if (eth.header.etherType !== ETHERTYPE_IPV4) return f;
    const ip = parseIpv4(eth.payload);
    f.ip = ip.header;
    if (ip.header.protocol === IPPROTO_UDP) {
      const u = parseUdp(ip.payload);
      f.udp = u.header;
      f.payload = u.payload;
    } else if (ip.header.protocol === IPPROTO_TCP) {
      const t = parseTcp(ip.payload);
      f.tcp = t.header;
      f.payload = t.payload;
    }
    return f;
  });
}

/** Real `TZ=UTC tcpdump -n [args] -r FILE` output for a capture. */
export function realTcpdump(pcap: Uint8Array, args: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'kwt-sum-'));
  try {
    const f = join(dir, 'c.pcap');
    writeFileSync(f, pcap);
    return execFileSync('tcpdump', ['-n', ...args, '-r', f], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' }, stdio: ['ignore', 'pipe', 'ignore'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
