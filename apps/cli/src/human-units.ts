/** Durations and sizes the way people read them in a table: '850ms', '4.2s', '3m05s', '1h04m', '2d03h'. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1_000;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.floor(seconds)}s`;
  const total = Math.floor(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (total < 3_600) return `${Math.floor(total / 60)}m${pad(total % 60)}s`;
  if (total < 86_400) return `${Math.floor(total / 3_600)}h${pad(Math.floor((total % 3_600) / 60))}m`;
  return `${Math.floor(total / 86_400)}d${pad(Math.floor((total % 86_400) / 3_600))}h`;
}

export { formatBytes } from '@hpc/core';
