import stringWidth from 'string-width';
import { shown } from './output-safety.ts';
import type { Paint } from './terminal-style.ts';

/** One cell: its plain text (data welcome: it is escaped here) and, on a colour terminal, how to paint it. */
export interface Cell {
  text: string;
  paint?: Paint;
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** This column gives up width first when the terminal is too narrow. */
  shrinkable?: boolean;
}

export interface TableOptions {
  /** Fit every line into this many columns (a terminal's width); unlimited otherwise. */
  width?: number;
  /** Paints the header line (bold on a terminal). */
  headerPaint?: Paint;
}

const GAP = '  ';
const MIN_SHRUNK = 8;

/**
 * Lays rows out in aligned columns. Every cell's text is shown with its control and format
 * characters escaped (`\x1b`, `\u202e`): cells hold data (job names, states, class ids) that must
 * never drive the terminal. Widths come from that visible text as the terminal draws it (CJK and
 * most emoji take two columns, combining marks none), so names in any script align and colours
 * never shift the alignment; on a terminal, shrinkable columns are cut with '…' so no line wraps (a wrapped
 * line would break redrawing in place).
 */
export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly Cell[])[],
  options: TableOptions = {},
): string[] {
  const visible = rows.map((row) =>
    columns.map((_, index) => {
      const cell = row[index];
      return cell ? { ...cell, text: shown(cell.text) } : { text: '' };
    }),
  );
  const widths = columns.map((column, index) =>
    Math.max(displayWidth(column.header), ...visible.map((row) => displayWidth(row[index]?.text ?? ''))),
  );
  if (options.width !== undefined) fitWidths(columns, widths, options.width);
  const header = columns
    .map((column, index) => pad(column.header, widths[index] as number, column.align))
    .join(GAP)
    .trimEnd();
  const lines = [options.headerPaint ? options.headerPaint(header) : header];
  for (const row of visible) {
    const cells = columns.map((column, index) => {
      const cell = row[index] as Cell;
      const width = widths[index] as number;
      const text = pad(truncate(cell.text, width), width, column.align);
      return cell.paint && cell.text ? cell.paint(text) : text;
    });
    lines.push(cells.join(GAP).trimEnd());
  }
  return lines;
}

function fitWidths(columns: readonly Column[], widths: number[], limit: number): void {
  const total = () => widths.reduce((sum, width) => sum + width, 0) + GAP.length * (widths.length - 1);
  while (total() > limit) {
    let widest = -1;
    for (let index = 0; index < columns.length; index++) {
      if (!columns[index]?.shrinkable || (widths[index] as number) <= MIN_SHRUNK) continue;
      if (widest < 0 || (widths[index] as number) > (widths[widest] as number)) widest = index;
    }
    if (widest < 0) return;
    widths[widest] = Math.max(MIN_SHRUNK, (widths[widest] as number) - (total() - limit));
  }
}

/** Columns the text takes on a terminal (string-width: East Asian wide characters, emoji, zero-width marks). */
export function displayWidth(text: string): number {
  return stringWidth(text);
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The text cut to at most `width` columns with '…', never splitting a character or an emoji. */
function truncate(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  let kept = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const next = displayWidth(segment);
    if (used + next > width - 1) break;
    kept += segment;
    used += next;
  }
  return `${kept}…`;
}

function pad(text: string, width: number, align: Column['align']): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}

/** Cuts a plain line to the terminal width (redrawn frames must not wrap). */
export function fitLine(text: string, width: number | undefined): string {
  if (width === undefined || displayWidth(text) <= width) return text;
  return truncate(text, width);
}
