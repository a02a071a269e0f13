import type { Output } from './cli-context.ts';

const ESC = '\u001b[';

/**
 * Redraws a block of lines in place on a terminal: moves the cursor back to the block's first
 * line, rewrites each line and clears what is left of the old block. Lines must already fit the
 * terminal's width (a wrapped line would throw the count off). Only ever used on a TTY.
 */
export class ScreenWriter {
  private drawnLines = 0;
  private cursorHidden = false;

  constructor(private readonly output: Output) {}

  draw(lines: readonly string[]): void {
    let text = this.drawnLines > 0 ? `\r${ESC}${this.drawnLines}A` : '';
    if (!this.cursorHidden) {
      text += `${ESC}?25l`;
      this.cursorHidden = true;
    }
    for (const line of lines) text += `${line}${ESC}K\n`;
    text += `${ESC}J`;
    this.output.write(text);
    this.drawnLines = lines.length;
  }

  /** Leaves the last frame on screen and gives the cursor back. */
  finish(): void {
    if (this.cursorHidden) this.output.write(`${ESC}?25h`);
    this.cursorHidden = false;
  }
}
