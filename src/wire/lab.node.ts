// Node-only helper for tests: a throw-away pair of network namespaces ("kwt-<random>-a/b")
// joined by a veth pair, a tcpdump running inside one of them, and cleanup. Everything stays
// inside the namespaces; nothing touches the root namespace except creating/deleting them.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why namespace tests cannot run here, or undefined if they can. */
export function labUnavailable(extra: string[] = []): string | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root to create network namespaces';
  for (const c of ['ip', 'tcpdump', ...extra]) if (!has(c)) return `needs ${c}`;
  return undefined;
}

export function tsharkUnavailable(): string | undefined {
  return has('tshark') ? undefined : 'needs tshark (apt-get install tshark)';
}

export function sh(cmd: string, input?: string): string {
  return execFileSync('sh', ['-c', cmd], { encoding: 'utf8', input, timeout: 30_000, stdio: ['pipe', 'pipe', 'pipe'] });
}

export interface Lab {
  a: string;
  b: string;
  dir: string;
  /** Run a shell command inside namespace `ns`. */
  exec(ns: string, cmd: string, timeoutMs?: number): string;
  cleanup(): void;
}

/** Two namespaces, veth "kwa" in A (10.77.0.1/24) and "kwb" in B (10.77.0.2/24), MTU 1500. */
export function createLab(): Lab {
  const tag = `kwt-${Math.random().toString(36).slice(2, 8)}`;
  const a = `${tag}-a`;
  const b = `${tag}-b`;
  const dir = mkdtempSync(join(tmpdir(), 'kwt-'));
  const exec = (ns: string, cmd: string, timeoutMs = 20_000): string =>
    execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', cmd], { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  const cleanup = (): void => {
    for (const ns of [a, b]) {
      // Processes this lab started inside its namespaces (tcpdump, servers) end with them.
      try {
        const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
        for (const pid of pids) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
      } catch {
        /* namespace gone */
      }
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    execFileSync('ip', ['netns', 'add', a]);
    execFileSync('ip', ['netns', 'add', b]);
    exec(a, `ip link add kwa type veth peer name kwb && ip link set kwb netns ${b} && ip addr add 10.77.0.1/24 dev kwa && ip link set kwa up && ip link set lo up`);
    exec(b, 'ip addr add 10.77.0.2/24 dev kwb && ip link set kwb up && ip link set lo up');
  } catch (e) {
    cleanup();
    throw e;
  }
  return { a, b, dir, exec, cleanup };
}

/** Turn off TX checksum offload on `dev` (ETHTOOL_STXCSUM via python ctypes; no ethtool binary
 *  needed), so locally sent TCP/UDP carry complete checksums in a capture. */
export function disableTxChecksum(lab: Lab, ns: string, dev: string): void {
  const py = `
import ctypes, fcntl, socket, struct, array
ev = array.array('I', [0x17, 0])  # ETHTOOL_STXCSUM, data=0
addr, _ = ev.buffer_info()
ifr = struct.pack('16sP', b'${dev}', addr)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
fcntl.ioctl(s.fileno(), 0x8946, ifr)  # SIOCETHTOOL
`;
  const f = join(lab.dir, `txoff-${dev}.py`);
  writeFileSync(f, py);
  lab.exec(ns, `python3 ${f}`);
}

export interface Capture {
  stop(): Promise<Uint8Array>;
}

/** Starts `tcpdump -i dev -w file` in `ns`; resolves once tcpdump is listening. */
export async function startCapture(lab: Lab, ns: string, dev: string, name: string, filter = ''): Promise<Capture> {
  const file = join(lab.dir, `${name}.pcap`);
  const args = ['netns', 'exec', ns, 'tcpdump', '--immediate-mode', '-i', dev, '-U', '-s', '0', '-w', file, ...(filter ? filter.split(' ') : [])];
  const p: ChildProcess = spawn('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const killer = setTimeout(() => p.kill('SIGKILL'), 60_000);
  let err = '';
  await new Promise<void>((resolve, reject) => {
    p.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) resolve();
    });
    p.on('exit', (c) => reject(new Error(`tcpdump exited (${c}): ${err}`)));
  });
  return {
    stop: () =>
      new Promise<Uint8Array>((resolve) => {
        p.on('exit', () => {
          clearTimeout(killer);
          if (process.env.KWT_DEBUG) console.error(err);
          resolve(new Uint8Array(readFileSync(file)));
        });
        setTimeout(() => p.kill('SIGINT'), 1000);
      }),
  };
}
