// The persisted simulation: one JSON file in the state directory, replaced atomically
// (write to a temp file, fsync, rename), so an interrupted or failed command never leaves
// a half-written state behind. The file also records every input, so the cluster can be
// rebuilt deterministically from cluster file + applied operations + seed.

import { mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync, rmSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KubewireError } from '../errors.ts';
import type { ClusterState } from '../control-plane/types.ts';

export const STATE_FORMAT = 1;
export const STATE_FILE = 'state.json';

/** One user operation, replayable. */
export type Operation =
  | { op: 'apply'; source: string; objects: unknown[] }
  | { op: 'delete'; source: string; refs: Array<{ kind: string; namespace?: string; name: string }> }
  | { op: 'cni-migrate'; source: string; target: 'calico-vxlan'; options: Record<string, string | boolean | undefined> }
  | { op: 'cni-cleanup'; source: string; nodes: string[] };

export interface StoredState {
  format: number;
  seed: number;
  cluster: { text: string; source: string };
  operations: Operation[];
  state: ClusterState;
}

export function stateDir(opt?: string): string {
  return resolve(opt ?? process.env.KUBEWIRE_STATE ?? '.kubewire');
}

export function stateExists(dir: string): boolean {
  return existsSync(join(dir, STATE_FILE));
}

export function loadState(dir: string): StoredState {
  const file = join(dir, STATE_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new KubewireError(`no cluster in ${dir}: run \`kubewire cluster create\` first (or pass --state DIR)`);
  }
  let parsed: StoredState;
  try {
    parsed = JSON.parse(text) as StoredState;
  } catch (e) {
    throw new KubewireError(`${file} is not valid JSON (${(e as Error).message}); remove it with \`kubewire cluster delete\``);
  }
  if (parsed.format !== STATE_FORMAT) {
    throw new KubewireError(`${file} was written by an incompatible kubewire (format ${parsed.format}, expected ${STATE_FORMAT}); recreate it with \`kubewire cluster delete && kubewire cluster create\``);
  }
  return parsed;
}

export function saveState(dir: string, s: StoredState): void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, STATE_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(s));
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new KubewireError(`cannot write ${file}: ${(e as Error).message}`);
  }
}

export function deleteState(dir: string): boolean {
  if (!stateExists(dir)) return false;
  rmSync(join(dir, STATE_FILE), { force: true });
  return true;
}
