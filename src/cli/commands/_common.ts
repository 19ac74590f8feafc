// Options and output helpers shared by the commands.
import type { Command } from 'commander';
import { KubewireError } from '../../errors.ts';

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Writes a renderer's result and turns a non-zero exit into the process exit code. */
export function emit(r: CommandResult): void {
  if (r.stdout) process.stdout.write(r.stdout);
  if (r.stderr) process.stderr.write(r.stderr);
  if (r.exitCode !== 0) process.exitCode = r.exitCode;
}

/** The global --state option, wherever the subcommand sits. */
export function stateOpt(cmd: Command): string | undefined {
  let c: Command | null = cmd;
  while (c) {
    const v = c.opts().state as string | undefined;
    if (v) return v;
    c = c.parent;
  }
  return undefined;
}

export function parseIntOpt(name: string, min: number, max: number) {
  return (v: string): number => {
    if (!/^-?\d+$/.test(v)) throw new KubewireError(`invalid value for ${name}: "${v}" is not an integer`);
    const n = Number(v);
    if (n < min || n > max) throw new KubewireError(`invalid value for ${name}: ${n} (must be between ${min} and ${max})`);
    return n;
  };
}
