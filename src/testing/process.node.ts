// Test helper (Node-only): waiting for a spawned helper process to say it is ready.
import type { ChildProcess } from 'node:child_process';

/** Resolves once `proc` writes `text` on stdout; rejects with `error` after `ms` milliseconds. */
export function waitForOutput(proc: ChildProcess, text: string, ms: number, error: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(error)), ms);
    proc.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes(text)) {
        clearTimeout(t);
        resolve();
      }
    });
  });
}
