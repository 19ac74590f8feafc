// Column alignment as Go's text/tabwriter does it (elastic tabstops), which is what kubectl
// uses for both `get` tables and `describe` text.
//
// Semantics reproduced: a cell is text terminated by a tab; the text after the last tab of a
// line is not part of any column and is never padded. A column block is a run of consecutive
// lines that all have a cell in that column; its width is the widest cell plus `padding`, but
// at least `minwidth`. Blocks nest: the columns to the right are formatted per sub-block.

export interface TabwriterOptions {
  minwidth: number;
  tabwidth: number;
  padding: number;
  padchar: string;
}

/** kubectl get: printers.GetNewTabWriter (minwidth 6, tabwidth 4, padding 3, ' '). */
export const GET_TABWRITER: TabwriterOptions = { minwidth: 6, tabwidth: 4, padding: 3, padchar: ' ' };
/** kubectl describe: tabbedString (minwidth 0, tabwidth 8, padding 2, ' '). */
export const DESCRIBE_TABWRITER: TabwriterOptions = { minwidth: 0, tabwidth: 8, padding: 2, padchar: ' ' };

function runeWidth(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Formats one flushed segment of text (all lines between two flushes). */
export function alignTabs(text: string, opts: TabwriterOptions): string {
  if (text === '') return '';
  const rawLines = text.split('\n');
  // A trailing newline leaves an empty last element: that is "no pending line".
  const trailingNewline = rawLines[rawLines.length - 1] === '';
  if (trailingNewline) rawLines.pop();
  const lines = rawLines.map((l) => l.split('\t'));
  const widths: number[] = [];
  // Per line, per column width (only for tab-terminated cells).
  const colWidth: number[][] = lines.map(() => []);

  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let thisLine = line0; thisLine < line1; thisLine++) {
      if (column >= lines[thisLine].length - 1) continue;
      // A column block starts here: collect its extent and width.
      let width = opts.minwidth;
      let end = thisLine;
      for (; end < line1; end++) {
        const cells = lines[end];
        if (column >= cells.length - 1) break;
        const w = runeWidth(cells[column]) + opts.padding;
        if (w > width) width = w;
      }
      for (let i = thisLine; i < end; i++) colWidth[i][column] = width;
      widths.push(width);
      format(thisLine, end);
      widths.pop();
      thisLine = end - 1;
    }
  };
  format(0, lines.length);

  const out: string[] = [];
  lines.forEach((cells, i) => {
    let s = '';
    cells.forEach((cell, j) => {
      if (j < cells.length - 1) {
        const w = colWidth[i][j];
        s += cell;
        if (w !== undefined) s += opts.padchar.repeat(Math.max(0, w - runeWidth(cell)));
      } else {
        s += cell;
      }
    });
    out.push(s);
  });
  return out.join('\n') + (trailingNewline ? '\n' : '');
}

/** A writer with Go tabwriter's Flush: text written before a flush is aligned on its own. */
export class TabWriter {
  private pending = '';
  private done = '';
  constructor(private readonly opts: TabwriterOptions) {}
  write(s: string): void {
    this.pending += s;
  }
  flush(): void {
    this.done += alignTabs(this.pending, this.opts);
    this.pending = '';
  }
  toString(): string {
    this.flush();
    return this.done;
  }
}
