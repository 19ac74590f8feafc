// Internal error raised while parsing or applying one iptables command. restore.ts turns it into a
// KubewireError carrying the real tool's wording, the file and the line.

/**
 * How the real iptables-restore (nf_tables) reports the failure:
 * - 'param': while parsing the line: "<prog> v1.8.9 (nf_tables): MSG" + "Error occurred at line: N"
 * - 'plain': the same without the program prefix ("Bad argument `foo'")
 * - 'command': a command failed: "<prog>: line N failed: MSG"
 * - 'commit': found when the table is committed, reported on the COMMIT line (e.g. unknown -j chain)
 * - 'kernel': the kernel refused the batch: "line N: MSG" (e.g. CHAIN_DEL failed (Device or resource busy))
 */
export type NetfilterErrorKind = 'param' | 'plain' | 'command' | 'commit' | 'kernel';

export class NetfilterParamError extends Error {
  readonly kind: NetfilterErrorKind;
  /** kubewire's explanation of what is wrong, added after the real tool's text. */
  readonly explain?: string;
  constructor(message: string, opts: { kind?: NetfilterErrorKind; explain?: string } = {}) {
    super(message);
    this.name = 'NetfilterParamError';
    this.kind = opts.kind ?? 'param';
    this.explain = opts.explain;
  }
}

export function paramError(message: string, explain?: string): NetfilterParamError {
  return new NetfilterParamError(message, { kind: 'param', explain });
}
