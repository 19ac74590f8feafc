import { describe, it, expect } from 'vitest';
import { mkdtempSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadState, saveState, deleteState, stateExists, STATE_FORMAT, type StoredState } from './state-store.ts';

function sample(n: number): StoredState {
  return { format: STATE_FORMAT, seed: n, cluster: { text: 'x', source: 'f' }, operations: [], state: { seed: n } as any };
}

describe('state store', () => {
  it('round-trips and leaves no temp files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kw-state-'));
    try {
      saveState(dir, sample(7));
      saveState(dir, sample(8));
      expect(loadState(dir).seed).toBe(8);
      expect(readdirSync(dir)).toEqual(['state.json']);
      expect(deleteState(dir)).toBe(true);
      expect(stateExists(dir)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('explains a missing or corrupt state', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kw-state-'));
    try {
      expect(() => loadState(dir)).toThrow(/no cluster in .*cluster create/);
      writeFileSync(join(dir, 'state.json'), '{"format":');
      expect(() => loadState(dir)).toThrow(/not valid JSON/);
      writeFileSync(join(dir, 'state.json'), '{"format":99}');
      expect(() => loadState(dir)).toThrow(/incompatible/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
