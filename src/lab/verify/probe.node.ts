// The kernel's side of one flow (Node only, root): tcpdump on interfaces of lab namespaces, a
// one-shot server where nothing listens yet, and one bounded client probe (TCP connect + a small
// request + abort, a UDP datagram, or an ICMP echo from a raw socket), all in python3/tcpdump
// processes inside the lab's namespaces, each killed after a deadline.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { nsExec } from '../lab.node.ts';
import type { KernelOutcome } from './compare.ts';

export interface Capture {
  key: string;
  real: string;
  iface: string;
  /** Bytes tcpdump has written so far. */
  size(): number;
  /** Stops tcpdump (after letting the last packets land) and returns the pcap bytes. */
  stop(): Promise<Uint8Array>;
}

function waitFor(p: ChildProcess, re: RegExp, ms: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`${what} did not start within ${ms} ms: ${text.trim()}`));
    }, ms);
    const on = (d: Buffer) => {
      text += d.toString();
      if (re.test(text)) {
        clearTimeout(timer);
        resolve(text);
      }
    };
    p.stdout?.on('data', on);
    p.stderr?.on('data', on);
    p.on('exit', (c) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${c}): ${text.trim()}`));
    });
  });
}

/** tcpdump on `iface` of namespace `real`, writing `file`; resolves once it listens. Killed after `maxMs` whatever happens. */
export async function startCapture(key: string, real: string, iface: string, file: string, maxMs = 60_000): Promise<Capture> {
  // timeout(1) bounds tcpdump even if this process dies without stopping it; it passes our SIGINT on.
  const secs = String(Math.ceil(maxMs / 1000));
  const argv = ['netns', 'exec', real, 'timeout', '--signal=INT', '--kill-after=2', secs, 'tcpdump', '--immediate-mode', '-U', '-n', '-s', '0', '-Z', 'root', '-i', iface, '-w', file];
  const p = spawn('ip', argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  const killer = setTimeout(() => p.kill('SIGKILL'), maxMs);
  killer.unref();
  try {
    await waitFor(p, /listening on/, 5000, `tcpdump on ${real} ${iface}`);
  } catch (e) {
    clearTimeout(killer);
    throw e;
  }
  p.removeAllListeners('exit');
  const exited = new Promise<void>((r) => p.on('exit', () => r()));
  return {
    key,
    real,
    iface,
    size: () => {
      try {
        return statSync(file).size;
      } catch {
        return 0;
      }
    },
    stop: async () => {
      p.kill('SIGINT');
      const hard = setTimeout(() => p.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(hard);
      clearTimeout(killer);
      return existsSync(file) ? new Uint8Array(readFileSync(file)) : new Uint8Array(0);
    },
  };
}

/** Is a socket of `proto` bound to `port` in namespace `real`? */
export function listening(real: string, proto: 'TCP' | 'UDP', port: number): boolean {
  const r = nsExec(real, ['ss', '-Hn', proto === 'TCP' ? '-lt' : '-lu', `sport = :${port}`], { timeoutMs: 5000 });
  return r.stdout.trim().length > 0;
}

const SERVER_PY = String.raw`
import socket, sys, time
proto, port, ttl, reply = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4].encode()
deadline = time.time() + ttl
if proto == 'TCP':
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('0.0.0.0', port)); s.listen(16)
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('0.0.0.0', port))
print('ready', flush=True)
while time.time() < deadline:
    s.settimeout(max(0.05, deadline - time.time()))
    try:
        if proto == 'TCP':
            c, _ = s.accept()
            c.settimeout(1.0)
            try: c.recv(512)
            except Exception: pass
            try: c.sendall(reply + b'\n')
            except Exception: pass
            c.close()
        else:
            d, a = s.recvfrom(2048)
            s.sendto(reply + d[len(reply):], a)
    except socket.timeout:
        break
    except OSError:
        pass
`;

export interface Server {
  real: string;
  port: number;
  stop(): void;
}

/** A server answering on proto/port in namespace `real` until stopped (at most `ttlSec`). */
export async function startServer(real: string, proto: 'TCP' | 'UDP', port: number, reply: string, ttlSec = 30): Promise<Server> {
  const p = spawn('ip', ['netns', 'exec', real, 'python3', '-c', SERVER_PY, proto, String(port), String(ttlSec), reply], { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitFor(p, /^ready$/m, 5000, `${proto} server on port ${port} in ${real}`);
  p.removeAllListeners('exit');
  return { real, port, stop: () => p.kill('SIGKILL') };
}

const CLIENT_PY = String.raw`
import errno, os, socket, struct, sys, time
proto, dst, dport, sport, payload, tmo = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), bytes.fromhex(sys.argv[5]), float(sys.argv[6])
def out(o, d, data=b''):
    sys.stdout.write(o + '\n' + d.replace('\n', ' ') + '\n' + data.hex() + '\n'); sys.stdout.flush(); os._exit(0)
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
try:
    if proto == 'TCP':
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Abort on close (RST): no TIME_WAIT on the client's fixed port, so a rerun can bind it.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        s.bind(('0.0.0.0', sport)); s.settimeout(tmo)
        s.connect((dst, dport))
        data = b''
        try:
            s.sendall(payload); s.settimeout(1.0); data = s.recv(256)
        except Exception:
            pass
        s.close(); out('connected', 'connected', data)
    elif proto == 'UDP':
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(('0.0.0.0', sport)); s.connect((dst, dport)); s.settimeout(tmo)
        s.send(payload); data = s.recv(4096); out('connected', 'answered', data)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        hdr = struct.pack('!BBHHH', 8, 0, 0, sport, 1)
        pkt = struct.pack('!BBHHH', 8, 0, csum(hdr + payload), sport, 1) + payload
        s.sendto(pkt, (dst, 0))
        deadline = time.time() + tmo
        while True:
            left = deadline - time.time()
            if left <= 0: out('timeout', 'no answer within %ss' % tmo)
            s.settimeout(left)
            d, a = s.recvfrom(4096)
            ihl = (d[0] & 15) * 4; t, c = d[ihl], d[ihl + 1]
            if t == 0 and struct.unpack('!H', d[ihl + 4:ihl + 6])[0] == sport: out('connected', 'echo reply from %s' % a[0], d[ihl + 8:])
            if t in (3, 11) and len(d) >= ihl + 8 + 28:
                q = d[ihl + 8:]; qi = (q[0] & 15) * 4
                if q[9] == 1 and len(q) >= qi + 6 and struct.unpack('!H', q[qi + 4:qi + 6])[0] == sport:
                    out('unreachable', 'ICMP type %d code %d from %s' % (t, c, a[0]))
except socket.timeout:
    out('timeout', 'no answer within %ss' % tmo)
except ConnectionRefusedError as e:
    out('refused', str(e))
except OSError as e:
    if e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH): out('unreachable', str(e))
    out('error', str(e))
`;

export interface ClientResult {
  outcome: KernelOutcome;
  detail: string;
  /** Bytes the client received (first segment or datagram), if any. */
  data: Uint8Array;
}

/** Runs the client probe in namespace `real`; `timeoutSec` bounds the wait for an answer. */
export function runClient(real: string, proto: 'TCP' | 'UDP' | 'ICMP', dst: string, dport: number, sport: number, payload: Uint8Array, timeoutSec: number): Promise<ClientResult> {
  return new Promise((resolve) => {
    const p = spawn('ip', ['netns', 'exec', real, 'python3', '-c', CLIENT_PY, proto, dst, String(dport), String(sport), Buffer.from(payload).toString('hex'), String(timeoutSec)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const killer = setTimeout(() => p.kill('SIGKILL'), (timeoutSec + 5) * 1000);
    p.on('exit', () => {
      clearTimeout(killer);
      const [o, detail, hex] = out.split('\n');
      if (!['connected', 'refused', 'unreachable', 'timeout', 'error'].includes(o)) {
        resolve({ outcome: 'error', detail: `probe failed: ${(err || out).trim().split('\n').pop() ?? ''}`, data: new Uint8Array(0) });
        return;
      }
      resolve({ outcome: o as KernelOutcome, detail: detail ?? '', data: new Uint8Array(Buffer.from(hex ?? '', 'hex')) });
    });
  });
}

/**
 * Waits until every capture has written nothing new for `quietMs` (at least `minMs`, at most
 * `maxMs`): tcpdump writes each packet as it reads it (-U), so a late reply on a far interface, or
 * a tcpdump that fell behind on a busy machine, shows as a growing file.
 */
export async function settleCaptures(captures: Capture[], minMs = 200, quietMs = 150, maxMs = 2000): Promise<void> {
  const t0 = Date.now();
  let last = captures.map((c) => c.size());
  let quietSince = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 50));
    const now = captures.map((c) => c.size());
    if (now.some((n, i) => n !== last[i])) quietSince = Date.now();
    last = now;
    const t = Date.now();
    if ((t - t0 >= minMs && t - quietSince >= quietMs) || t - t0 >= maxMs) return;
  }
}

/** A pcap file path for one capture. */
export function captureFile(dir: string, flowId: number, n: number): string {
  return join(dir, `flow${flowId}-if${n}.pcap`);
}
