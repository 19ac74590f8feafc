// The one list of CLI commands; each module adds its subcommands to the program.
import type { Command } from 'commander';

export function registerCommands(program: Command): void {
  void program;
}
