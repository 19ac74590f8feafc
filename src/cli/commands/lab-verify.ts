// Placeholder registration; filled in by the work on `lab verify` this session.
import type { Command } from 'commander';

export function registerVerify(_lab: Command): void {}
