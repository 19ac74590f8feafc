// Placeholder registration; filled in by the work on this command this session.
import type { Command } from 'commander';

export function register(_program: Command): void {}
