import type { JobProgress } from '@hpc/core';

/**
 * '[████░░] 42% fitting step 420/1000': a job's last ctx.progress(). Without a total: '420 fitting
 * step'. The message is data: the caller escapes the whole text (renderTable does).
 */
export function renderJobProgress(progress: JobProgress, width = 6): string {
  const message = progress.message ? ` ${progress.message}` : '';
  if (progress.total === undefined) return `${formatCount(progress.done)}${message}`;
  const share = Math.min(1, Math.max(0, progress.done / progress.total));
  const full = Math.round(share * width);
  const bar = `[${'█'.repeat(full)}${'░'.repeat(width - full)}]`;
  return `${bar} ${Math.floor(share * 100)}%${message} ${formatCount(progress.done)}/${formatCount(progress.total)}`;
}

function formatCount(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/\.?0+$/, '');
}
