// A `kubewire lab up` killed at a random moment (SIGKILL: no chance to clean up) leaves nothing
// behind after `kubewire lab down --all`: no kw-* namespace, no relay or workload process, no device in the
// root namespace, no record or lock. SIGINT at a random moment: the process cleans up by itself.
// Needs root; skips with the reason otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { rootCheck } from './lab.node.ts';
import { RELAY_MARKER_PREFIX } from './relay.ts';
import { WORKLOAD_MARKER_PREFIX } from './workload-py.ts';
import { labNsRe } from './plan.ts';

// This file's labs use their own prefix, so `lab down --all` here touches only them.
const PREFIX = 'kwk';

const root = rootCheck();
const BIN = resolve(import.meta.dirname, '../../bin/kubewire');

function labNamespaces(): string[] {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => labNsRe(PREFIX).test(n));
}

function relayPids(): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').some((a) => a.startsWith(`${RELAY_MARKER_PREFIX}${PREFIX}-`) || a.startsWith(`${WORKLOAD_MARKER_PREFIX}${PREFIX}-`))) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

const rootLinks = () => spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' }).stdout;

describe.skipIf(!root.ok)(`lab up interrupted (${root.reason || 'root'})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-labkill-'));
  const stateDir = join(dir, 'state');
  const runDir = join(dir, 'run');
  const env = { ...process.env, KUBEWIRE_LAB_DIR: runDir, KUBEWIRE_LAB_PREFIX: PREFIX };
  const kw = (...args: string[]) => spawnSync(BIN, ['--state', stateDir, ...args], { encoding: 'utf8', env, timeout: 120_000 });
  let before = '';

  beforeAll(() => {
    for (const a of [['cluster', 'create'], ['create', 'deployment', 'nginx', '--image=nginx', '--replicas=3', '--port=80']]) {
      const r = kw(...a);
      if (r.status !== 0) throw new Error(`${a.join(' ')}: ${r.stderr}`);
    }
    before = rootLinks();
  });
  afterAll(() => {
    kw('lab', 'down', '--all');
    rmSync(dir, { recursive: true, force: true });
  });

  async function upAndSignal(sig: NodeJS.Signals, delayMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> {
    const child = spawn(BIN, ['--state', stateDir, 'lab', 'up'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
    // The delay counts from the first progress line (the lab has begun making things).
    let t: NodeJS.Timeout | undefined;
    child.stdout.on('data', () => {
      if (!t && stdout.includes('VPC fabric')) t = setTimeout(() => child.kill(sig), delayMs);
    });
    return await new Promise((res) =>
      child.on('exit', (code, signal) => {
        clearTimeout(t);
        res({ code, signal, stdout });
      }),
    );
  }

  it('SIGKILL at a random moment, then lab down --all: nothing left', async () => {
    // Somewhere between the first namespace and the end of a typical lab up (~5-7 s; a later
    // kill finds the lab complete, which down --all must remove as well).
    const delay = Math.floor(Math.random() * 7_000);
    const r = await upAndSignal('SIGKILL', delay);
    const killed = r.signal === 'SIGKILL';
    const down = kw('lab', 'down', '--all');
    expect(down.status, down.stderr).toBe(0);
    expect(labNamespaces(), `killed after ${delay} ms (${killed ? 'killed' : 'finished'}): ${r.stdout}`).toEqual([]);
    expect(relayPids()).toEqual([]);
    expect(rootLinks()).toBe(before);
    expect(readdirSync(runDir)).toEqual([]);
    // Idempotent.
    expect(kw('lab', 'down', '--all').stdout).toBe('no lab to remove\n');
  }, 90_000);

  it('SIGINT at a random moment: lab up removes what it made and exits 130', async () => {
    const delay = Math.floor(Math.random() * 6_000);
    const r = await upAndSignal('SIGINT', delay);
    if (r.code === 0) {
      // It finished first; down then.
      expect(kw('lab', 'down').status).toBe(0);
    } else {
      expect(r.code, r.stdout).toBe(130);
    }
    expect(labNamespaces(), `SIGINT after ${delay} ms: ${r.stdout}`).toEqual([]);
    expect(relayPids()).toEqual([]);
    expect(rootLinks()).toBe(before);
  }, 90_000);
});
