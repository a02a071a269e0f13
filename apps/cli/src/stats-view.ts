import { formatBytes, type JobStats, type Percentiles, type ProcessClassStats } from '@hpc/core';
import { formatDuration } from './human-units.ts';
import { shown } from './output-safety.ts';
import type { Style } from './terminal-style.ts';
import { type Column, renderTable } from './text-table.ts';

const COLUMNS: readonly Column[] = [
  { header: 'CLASS', shrinkable: true },
  { header: 'RUNS', align: 'right' },
  { header: 'STATES', shrinkable: true },
  { header: 'WALL p50/p95/max', align: 'right' },
  { header: 'LIMIT', align: 'right' },
  { header: 'PEAK p50/p95/max', align: 'right' },
  { header: 'MEM', align: 'right' },
  { header: 'CPU EFF', align: 'right' },
];

/** The stats table, then one line per suggestion (renderTable escapes the cells). */
export function renderStatsTable(stats: JobStats, style: Style, width?: number): string[] {
  const rows = stats.classes.map((group) => [
    { text: group.name },
    { text: String(group.count) },
    { text: statesText(group) },
    { text: triple(group.wallMs, formatDuration) },
    { text: group.requested.timeLimitMs === undefined ? '' : formatDuration(group.requested.timeLimitMs) },
    { text: triple(group.peakBytes, formatBytes) },
    { text: group.requested.memBytes === undefined ? '' : formatBytes(group.requested.memBytes) },
    { text: group.cpuEfficiency ? `${Math.round(group.cpuEfficiency.p50 * 100)}%` : '' },
  ]);
  const lines = renderTable(COLUMNS, rows, {
    headerPaint: style.bold,
    ...(width !== undefined ? { width } : {}),
  });
  for (const group of stats.classes)
    for (const suggestion of group.suggestions) lines.push(style.yellow(shown(suggestion.text)));
  lines.push(
    `${stats.jobs} job${stats.jobs === 1 ? '' : 's'} in ${stats.classes.length} class${stats.classes.length === 1 ? '' : 'es'}`,
  );
  return lines;
}

const CSV_HEADER = [
  'class',
  'runs',
  'completed',
  'failed',
  'other',
  'wall_p50_s',
  'wall_p95_s',
  'wall_max_s',
  'time_limit_s',
  'peak_p50_bytes',
  'peak_p95_bytes',
  'peak_max_bytes',
  'mem_requested_bytes',
  'cpus',
  'cpu_efficiency_p50',
  'suggestion',
];

/** One row per class; numbers unformatted (seconds, bytes), empty where unknown. */
export function renderStatsCsv(stats: JobStats): string {
  const rows = stats.classes.map((group) => {
    const completed = group.states.completed ?? 0;
    const failed = group.states.failed ?? 0;
    const seconds = (ms: number | undefined) => (ms === undefined ? '' : String(ms / 1000));
    return [
      group.name,
      group.count,
      completed,
      failed,
      group.count - completed - failed,
      seconds(group.wallMs?.p50),
      seconds(group.wallMs?.p95),
      seconds(group.wallMs?.max),
      seconds(group.requested.timeLimitMs),
      group.peakBytes?.p50 ?? '',
      group.peakBytes?.p95 ?? '',
      group.peakBytes?.max ?? '',
      group.requested.memBytes ?? '',
      group.requested.cpus ?? '',
      group.cpuEfficiency ? group.cpuEfficiency.p50.toFixed(3) : '',
      group.suggestions.map((suggestion) => `${suggestion.option}=${suggestion.suggested}`).join(' '),
    ]
      .map((cell) => csvCell(String(cell)))
      .join(',');
  });
  return `${[CSV_HEADER.join(','), ...rows].join('\n')}\n`;
}

/** RFC 4180 quoting; a leading = + - @ is prefixed with ' so a spreadsheet never runs a job name as a formula. */
function csvCell(text: string): string {
  const safe = /^[=+\-@]/.test(text) && !/^-?\d/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function statesText(group: ProcessClassStats): string {
  return Object.entries(group.states)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .map(([status, count]) => `${count} ${status}`)
    .join(', ');
}

function triple(figures: Percentiles | undefined, format: (n: number) => string): string {
  return figures ? `${format(figures.p50)} / ${format(figures.p95)} / ${format(figures.max)}` : '';
}
