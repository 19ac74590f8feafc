// Bad input must fail with a KubewireError (a message for the user), never with a TypeError or
// RangeError: every parser gets random and truncated/mutated real bytes.

import { describe, expect, it } from 'vitest';
import { KubewireError } from '../errors.ts';
import { readCapture } from '../pcap/read.ts';
import { summarizeCapture } from '../pcap/summary.ts';
import { writePcap } from '../pcap/pcap.ts';
import { writePcapng } from '../pcap/pcapng.ts';
import { parseArp } from './arp.ts';
import { parseDns } from './dns.ts';
import { parseEthernet } from './ethernet.ts';
import { parseHttpRequest, parseHttpResponse } from './http.ts';
import { parseIcmp } from './icmp.ts';
import { parseIpv4 } from './ipv4.ts';
import { parseIpv6 } from './ipv6.ts';
import { parseSll2 } from './sll2.ts';
import { parseTcp } from './tcp.ts';
import { parseUdp } from './udp.ts';
import { parseVxlan } from './vxlan.ts';
import { loadTestCapture } from './testing.node.ts';

let seed = 12345;
const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);

function onlyKubewireErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof KubewireError)) throw e;
  }
}

const parsers: Array<[string, (b: Uint8Array) => unknown]> = [
  ['ethernet', parseEthernet], ['arp', parseArp], ['ipv4', parseIpv4], ['icmp', parseIcmp], ['tcp', (b) => parseTcp(b, 0, { src: '1.1.1.1', dst: '2.2.2.2' })],
  ['udp', (b) => parseUdp(b, 0, { src: '1.1.1.1', dst: '2.2.2.2' })], ['vxlan', parseVxlan], ['dns', parseDns], ['sll2', parseSll2],
  ['ipv6', parseIpv6], ['http request', parseHttpRequest], ['http response', parseHttpResponse], ['capture', readCapture],
];

describe('parsers reject garbage with KubewireError', () => {
  const real = readCapture(loadTestCapture('lab-capture.pcap')).packets.map((p) => p.data);
  for (const [name, parse] of parsers) {
    it(name, () => {
      for (let i = 0; i < 3000; i++) {
        let b: Uint8Array;
        if (i % 2) {
          b = Uint8Array.from({ length: Math.floor(rnd() * 80) }, () => Math.floor(rnd() * 256));
        } else {
          const src = real[i % real.length];
          const off = Math.min(src.length, [0, 14, 34, 42, 50][i % 5]);
          b = src.slice(off, off + Math.floor(rnd() * (src.length - off + 1)));
          for (let k = 0; k < 3 && b.length; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
        }
        onlyKubewireErrors(() => parse(b));
      }
    });
  }
  it('capture files cut or mutated, and summaries of mutated frames', () => {
    const pcap = loadTestCapture('lab-capture.pcap');
    const ng = writePcapng([{ linkType: 1, name: 'eth0' }], readCapture(pcap).packets);
    for (const file of [pcap, ng]) {
      for (let i = 0; i < 400; i++) {
        const b = file.slice(0, Math.floor(rnd() * file.length));
        for (let k = 0; k < 2 && b.length; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
        onlyKubewireErrors(() => readCapture(b));
      }
    }
    const mutated = readCapture(pcap).packets.map((p) => {
      const d = p.data.slice(0, Math.max(1, Math.floor(rnd() * p.data.length)));
      d[Math.floor(rnd() * d.length)] ^= 0xff;
      return { ...p, data: d };
    });
    expect(summarizeCapture(writePcap(mutated)).length).toBe(mutated.length);
    expect(summarizeCapture(writePcap(mutated), { verbose: true, link: true }).length).toBe(mutated.length);
  });
});
