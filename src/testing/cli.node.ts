// Test helper (Node-only): bin/kubewire run as a user runs it, on a temp --state dir made before
// the file's tests (with setup commands that must succeed) and removed after them.
import { afterAll, beforeAll, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/kubewire', import.meta.url));

export interface CliSandbox {
  /** bin/kubewire --state <dir>/state <args>, in <dir>. */
  kw(...args: string[]): { stdout: string; stderr: string; code: number };
  /** The bytes of <dir>/state/state.json. */
  stateFile(): Buffer;
}

/** Registers beforeAll/afterAll for a temp dir named `prefix`…; `setup` commands run first, each must exit 0. */
export function cliSandbox(prefix: string, setup: string[][] = []): CliSandbox {
  let dir: string;
  const kw = (...args: string[]) => {
    const r = spawnSync(BIN, ['--state', join(dir, 'state'), ...args], { cwd: dir, encoding: 'utf8' });
    return { stdout: r.stdout, stderr: r.stderr, code: r.status ?? -1 };
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    for (const args of setup) expect(kw(...args).code).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return { kw, stateFile: () => readFileSync(join(dir, 'state', 'state.json')) };
}
