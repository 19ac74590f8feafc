// Human-readable table output (cli-runtime printers.HumanReadablePrinter.printTable): the
// header is the upper-cased column names, priority columns only with -o wide, NAMESPACE first
// with -A, LABELS last with --show-labels, all aligned by the get tabwriter.

import { labelsString } from './labels.ts';
import type { Column } from './printers.ts';
import { alignTabs, GET_TABWRITER } from './tabwriter.ts';

export interface TableRow {
  cells: string[];
  namespace?: string;
  labels?: Record<string, string>;
}

export interface TableOptions {
  wide?: boolean;
  withNamespace?: boolean;
  showLabels?: boolean;
  noHeaders?: boolean;
}

/** Renders rows under the given columns; no rows gives "" (kubectl prints no header then). */
export function renderTable(columns: Column[], rows: TableRow[], opts: TableOptions = {}): string {
  if (rows.length === 0) return '';
  const keep = columns.map((c) => opts.wide === true || c.priority === 0);
  let text = '';
  if (!opts.noHeaders) {
    const header = columns.filter((_, i) => keep[i]).map((c) => c.name.toUpperCase());
    if (opts.withNamespace) header.unshift('NAMESPACE');
    if (opts.showLabels) header.push('LABELS');
    text += header.join('\t') + '\n';
  }
  for (const row of rows) {
    const cells: string[] = [];
    row.cells.forEach((cell, i) => {
      if (i >= columns.length || !keep[i]) return;
      // Cells are cut at the first newline, with "..." appended.
      const nl = cell.indexOf('\n');
      cells.push(nl >= 0 ? cell.slice(0, nl) + '...' : cell);
    });
    if (opts.withNamespace) cells.unshift(row.namespace ?? '');
    if (opts.showLabels) cells.push(labelsString(row.labels) || '<none>');
    text += cells.join('\t') + '\n';
  }
  return alignTabs(text, GET_TABWRITER);
}
