import { describe, expect, it } from 'vitest';
import { alignTabs, DESCRIBE_TABWRITER, GET_TABWRITER, TabWriter } from './tabwriter.ts';

describe('Go text/tabwriter semantics', () => {
  it('pads each column to its widest cell plus padding, never below minwidth', () => {
    // get settings: minwidth 6, padding 3. "AGE"+3 = 6, "x"+3 = 4 -> raised to 6.
    expect(alignTabs('NAME\tAGE\tX\nlonger-name\t1s\ty\n', GET_TABWRITER)).toBe(
      'NAME          AGE   X\nlonger-name   1s    y\n',
    );
    expect(alignTabs('a\tb\n', GET_TABWRITER)).toBe('a     b\n');
  });

  it('does not pad the last cell of a line and keeps trailing empty cells', () => {
    expect(alignTabs('Image ID:\t\nPort:\t80/TCP\n', DESCRIBE_TABWRITER)).toBe('Image ID:  \nPort:      80/TCP\n');
  });

  it('aligns column blocks of consecutive lines only; a line without the column ends the block', () => {
    const text = 'a\tb\tc\naaa\tbbbb\tc\nx\nyy\tz\n';
    expect(alignTabs(text, DESCRIBE_TABWRITER)).toBe('a    b     c\naaa  bbbb  c\nx\nyy  z\n');
  });

  it('nests blocks: inner columns are sized per sub-block', () => {
    // Column 0 spans all three lines; column 1 exists only on lines 1 and 3, which are not adjacent.
    const text = 'k\tv1\tw\nkey\tv\nk\tvalue2\tw\n';
    expect(alignTabs(text, DESCRIBE_TABWRITER)).toBe('k    v1  w\nkey  v\nk    value2  w\n');
  });

  it('flush aligns what was written so far on its own', () => {
    const w = new TabWriter(DESCRIBE_TABWRITER);
    w.write('Long label:\tx\n');
    w.flush();
    w.write('a:\ty\n');
    expect(w.toString()).toBe('Long label:  x\na:  y\n');
  });

  it('counts runes, not UTF-16 units', () => {
    expect(alignTabs('é\tx\nab\ty\n', DESCRIBE_TABWRITER)).toBe('é   x\nab  y\n');
  });
});
