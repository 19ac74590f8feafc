// Shared test helper (Node only): real network namespaces for differential tests.
// Namespaces are named `kwt-<random>-<name>`; nothing touches the root namespace. Always call
// cleanup() (afterAll / finally).

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Host } from '../node-state/types.ts';
import { hostToBatch, type HostBatch } from '../node-state/ip-batch.ts';

let cachedUsable: { ok: boolean; reason: string } | undefined;

/** Whether this process can create network namespaces (root and a working `ip netns`). */
export function netnsUsable(): { ok: boolean; reason: string } {
  if (cachedUsable) return cachedUsable;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    cachedUsable = { ok: false, reason: 'needs root to create network namespaces' };
    return cachedUsable;
  }
  const probe = `kwt-${randomBytes(3).toString('hex')}-probe`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) {
    cachedUsable = { ok: false, reason: `ip netns add failed: ${(r.stderr || r.error?.message || '').trim()}` };
    return cachedUsable;
  }
  spawnSync('ip', ['netns', 'del', probe]);
  cachedUsable = { ok: true, reason: '' };
  return cachedUsable;
}

// Opens each named tap as a multi-queue queue and keeps it open so the tap has carrier,
// as the ENA driver has for a real ENI. Prints "ready" once attached.
const TAP_HOLDER = `
import fcntl, os, struct, sys, signal
TUNSETIFF = 0x400454ca
fds = []
for name in sys.argv[1:]:
    fd = os.open('/dev/net/tun', os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), 0x0002 | 0x1000 | 0x0100))
    fds.append(fd)
print('ready', flush=True)
signal.pause()
`;

export interface CmdResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export class NetnsLab {
  readonly id = randomBytes(3).toString('hex');
  /** Model namespace name → real namespace name. */
  readonly names: Record<string, string> = {};
  private holders: ChildProcess[] = [];

  realName(model: string): string {
    const n = this.names[model];
    if (!n) throw new Error(`namespace ${model} not created`);
    return n;
  }

  /** Creates one real namespace per model namespace. */
  create(models: string[]): void {
    for (const m of models) {
      if (this.names[m]) continue;
      const real = `kwt-${this.id}-${m}`.slice(0, 60);
      execFileSync('ip', ['netns', 'add', real]);
      this.names[m] = real;
    }
  }

  /** Builds `host` in real namespaces (creating them) with the ip-batch plan. */
  async build(host: Host): Promise<HostBatch> {
    this.create(Object.keys(host.namespaces));
    const plan = hostToBatch(host, { names: this.names });
    const tapsByNs = new Map<string, string[]>();
    for (const t of plan.taps) tapsByNs.set(t.ns, [...(tapsByNs.get(t.ns) ?? []), t.dev]);
    for (const s of plan.steps) {
      this.runStep(s.ns, s.tool, s.lines);
      // Taps get carrier from a process holding their queue, as a NIC has from its link.
      if (s.holdTaps && tapsByNs.has(s.ns)) {
        await this.holdTaps(s.ns, tapsByNs.get(s.ns)!);
        tapsByNs.delete(s.ns);
      }
      if (s.waitAfterMs) await this.settle(s.waitAfterMs);
      if (s.waitReady) await this.waitReady(s.ns, s.waitReady);
    }
    for (const [ns, devs] of tapsByNs) await this.holdTaps(ns, devs);
    return plan;
  }

  runStep(ns: string, tool: HostBatch['steps'][number]['tool'], lines: string[]): void {
    if (!lines.length) return;
    const real = this.realName(ns);
    if (tool === 'sysctl') {
      const r = spawnSync('ip', ['netns', 'exec', real, 'sysctl', '-qw', ...lines], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`sysctl in ${real} failed: ${r.stderr}\n${lines.join('\n')}`);
      return;
    }
    const argv = tool === 'bridge' ? ['bridge', ['-n', real, '-batch', '-']] : tool === 'ip6' ? ['ip', ['-6', '-n', real, '-batch', '-']] : ['ip', ['-n', real, '-batch', '-']];
    const r = spawnSync(argv[0] as string, argv[1] as string[], { input: lines.join('\n') + '\n', encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${argv[0]} -batch in ${real} failed: ${r.stderr}\n${lines.join('\n')}`);
  }

  private async holdTaps(ns: string, devs: string[]): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', this.realName(ns), 'python3', '-c', TAP_HOLDER, ...devs], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.holders.push(child);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      let err = '';
      const t = setTimeout(() => reject(new Error(`tap holder for ${devs.join(',')} timed out: ${err}`)), 5000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) {
          clearTimeout(t);
          resolve();
        }
      });
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.on('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`tap holder exited ${code}: ${err}`));
      });
    });
  }

  /** Runs a command inside a model namespace: run('root', ['ip', 'route']). */
  run(ns: string, argv: string[]): CmdResult {
    const r = spawnSync('ip', ['netns', 'exec', this.realName(ns), ...argv], { encoding: 'utf8' });
    return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', exitCode: r.status ?? -1 };
  }

  /** Waits (up to 3 s) until a device is ready for IPv6: its ff00::/8 route exists. */
  async waitReady(ns: string, dev: string): Promise<void> {
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const r = this.run(ns, ['ip', '-6', 'route', 'show', 'table', 'local', 'dev', dev]);
      if (r.stdout.includes('multicast ff00::/8')) return;
      await this.settle(20);
    }
  }

  /** Waits a little (linkwatch and carrier changes are asynchronous). */
  async settle(ms = 300): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
  }

  /**
   * Waits until IPv6 duplicate address detection has finished: every namespace shows exactly
   * as many tentative addresses as the model (which holds the settled state). DAD takes up to
   * about two seconds (random delay up to rtr_solicit_delay, then one probe, RetransTimer 1 s).
   */
  async settleDad(host: Host, timeoutMs = 6000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let stable = 0;
    for (;;) {
      let pending = false;
      for (const [m, ns] of Object.entries(host.namespaces)) {
        const want = ns.addresses.filter((a) => a.family === 6 && a.flags.includes('tentative')).length;
        const got = (this.run(m, ['ip', '-6', 'addr', 'show', 'tentative']).stdout.match(/ tentative /g) ?? []).length;
        if (got !== want) pending = true;
        // IPv6 addresses present at all (link-local ones appear once carrier arrives).
        const wantAll = ns.addresses.filter((a) => a.family === 6).length;
        const gotAll = (this.run(m, ['ip', '-6', 'addr']).stdout.match(/^ {4}inet6 /gm) ?? []).length;
        if (gotAll !== wantAll) pending = true;
        // Carrier changes are applied by linkwatch, asynchronously.
        const wantCarrier = ns.links.filter((l) => l.up && !l.carrier).length;
        const gotCarrier = (this.run(m, ['ip', 'link']).stdout.match(/NO-CARRIER/g) ?? []).length;
        if (gotCarrier !== wantCarrier) pending = true;
      }
      // Require two quiet polls in a row: carrier and DAD restarts can follow each other.
      stable = pending ? 0 : stable + 1;
      if (stable >= 2 || Date.now() > deadline) return;
      await this.settle(pending ? 100 : 250);
    }
  }

  cleanup(): void {
    for (const h of this.holders) {
      if (h.pid !== undefined && h.exitCode === null) {
        try {
          process.kill(h.pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
      }
    }
    this.holders = [];
    for (const real of Object.values(this.names)) spawnSync('ip', ['netns', 'del', real]);
    for (const k of Object.keys(this.names)) delete this.names[k];
  }
}
