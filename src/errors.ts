// Errors that reach the user. The CLI prints `error: <message>` and exits non-zero,
// never a stack trace; anything else escaping is a bug and is reported as one.

export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

export class KubewireError extends Error {
  readonly where?: SourceLocation;
  /** Process exit code the CLI uses (1 = bad input / failed operation). */
  readonly exitCode: number;
  constructor(message: string, opts: { where?: SourceLocation; exitCode?: number } = {}) {
    super(message);
    this.name = 'KubewireError';
    this.where = opts.where;
    this.exitCode = opts.exitCode ?? 1;
  }
}

/** "file:line:col: " prefix, omitting what is unknown. */
export function formatWhere(w: SourceLocation | undefined): string {
  if (!w) return '';
  let s = w.file;
  if (w.line !== undefined) s += `:${w.line}`;
  if (w.line !== undefined && w.column !== undefined) s += `:${w.column}`;
  return s + ': ';
}
