// kubewire command-line entry. Each command lives in cli/commands/<name>.ts and registers itself.
import { Command, CommanderError } from 'commander';
import { KubewireError, formatWhere } from '../errors.ts';
import { registerCommands } from './commands/index.ts';

export function buildProgram(): Command {
  const program = new Command('kubewire')
    .description('Simulate how an EKS cluster (Amazon VPC CNI or Calico VXLAN, kube-proxy) moves packets, and check it on real Linux namespaces.')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  return program;
}

/** Runs the CLI; returns the process exit code. Errors print as `error: ...`, never as a stack trace. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    // Commands that print a tool's own failure (like `ip` or kubectl would) set process.exitCode.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander already printed its message (or help/version output).
      return e.exitCode;
    }
    if (e instanceof KubewireError) {
      // kubectl prints API-server errors as they come ("Error from server (NotFound): ..."), other errors as "error: ...".
      const prefix = e.message.startsWith('Error from server') ? '' : 'error: ';
      process.stderr.write(`${prefix}${formatWhere(e.where)}${e.message}\n`);
      return e.exitCode;
    }
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`internal error: ${msg}\n(this is a kubewire bug; set KUBEWIRE_DEBUG=1 for the stack)\n`);
    if (process.env.KUBEWIRE_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return 70;
  }
}
