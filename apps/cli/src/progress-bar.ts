import type { Style } from './terminal-style.ts';

/** '[██████░░░░░░░░] 6/14 finished': green for completed, red for other endings. */
export function renderProgressBar(
  counts: { completed: number; otherFinished: number; total: number },
  style: Style,
  width = 24,
): string {
  const { completed, otherFinished, total } = counts;
  const finished = completed + otherFinished;
  const cells = (n: number) => (total === 0 ? 0 : Math.round((n / total) * width));
  const good = cells(completed);
  const bad = Math.min(width - good, cells(finished) - good);
  const rest = width - good - bad;
  const bar = style.green('█'.repeat(good)) + style.red('█'.repeat(bad)) + style.dim('░'.repeat(rest));
  return `[${bar}] ${finished}/${total} finished`;
}
