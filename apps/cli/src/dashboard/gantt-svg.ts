import { formatBytes } from '@hpc/core';
import { formatDuration } from '../human-units.ts';
import { html, type SafeHtml } from './html.ts';

/** One bar of the timeline: a task's times and how it ended. */
export interface TimelineTask {
  id: string;
  status: string;
  submittedAt?: string | undefined;
  startedAt?: string | undefined;
  endedAt?: string | undefined;
}

const WIDTH = 960;
const LABEL = 150;
const ROW = 20;
const BAR = 14;

const time = (at: string | undefined) => (at ? Date.parse(at) : Number.NaN);
const px = (n: number) => n.toFixed(1);

/**
 * The batch's tasks as a Gantt chart, hand-drawn SVG (a few rectangles per task: no chart library
 * needed, and it reads the same in the static report, where no script runs). Per task: a pale
 * bar from submitted to started (waiting), then one from started to ended (to now while it runs)
 * coloured by state. Every label is escaped data.
 */
export function ganttSvg(tasks: readonly TimelineTask[], now: number): SafeHtml {
  const starts = tasks.map((t) => time(t.submittedAt ?? t.startedAt)).filter(Number.isFinite);
  const ends = tasks.map((t) => (t.endedAt ? time(t.endedAt) : now)).filter(Number.isFinite);
  const t0 = starts.length ? Math.min(...starts) : now;
  const t1 = Math.max(t0 + 1000, ...ends);
  const scale = (WIDTH - LABEL - 10) / (t1 - t0);
  const x = (t: number) => LABEL + (t - t0) * scale;
  const height = tasks.length * ROW + 24;
  const bars = tasks.map((task, i) => {
    const y = i * ROW + 2;
    const submitted = time(task.submittedAt);
    const started = time(task.startedAt);
    const ended = task.endedAt ? time(task.endedAt) : now;
    const wait = Number.isFinite(submitted)
      ? html`<rect class="wait" x="${px(x(submitted))}" y="${px(y + 4)}" width="${px(Math.max(1, x(Number.isFinite(started) ? started : ended) - x(submitted)))}" height="${BAR - 8}"/>`
      : undefined;
    const run = Number.isFinite(started)
      ? html`<rect class="run s-${task.status}" x="${px(x(started))}" y="${px(y)}" width="${px(Math.max(2, x(ended) - x(started)))}" height="${BAR}"/>`
      : undefined;
    const took = Number.isFinite(started) ? ` ran ${formatDuration(ended - started)}` : '';
    return html`<g class="task" data-id="${task.id}"><title>${task.id} ${task.status}${took}</title><text x="4" y="${px(y + BAR - 3)}">${task.id}</text>${wait}${run}</g>`;
  });
  const axis = html`<text class="axis" x="${LABEL}" y="${height - 6}">0</text><text class="axis" x="${WIDTH - 10}" y="${height - 6}" text-anchor="end">${formatDuration(t1 - t0)}</text>`;
  return html`<svg class="gantt" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="timeline of ${tasks.length} tasks">${bars}${axis}</svg>`;
}

/** One task's peak memory against its request. */
export interface MemoryBar {
  id: string;
  status: string;
  usedBytes?: number | undefined;
  requestedBytes?: number | undefined;
}

/** Memory used vs requested per task: the request as an outline, the peak filled inside it. */
export function memorySvg(tasks: readonly MemoryBar[]): SafeHtml {
  const measured = tasks.filter((t) => t.usedBytes !== undefined || t.requestedBytes !== undefined);
  if (measured.length === 0)
    return html`<p class="muted">No memory figures yet (they come when tasks end).</p>`;
  const top = Math.max(1, ...measured.map((t) => Math.max(t.usedBytes ?? 0, t.requestedBytes ?? 0)));
  const scale = (WIDTH - LABEL - 170) / top;
  const bars = measured.map((task, i) => {
    const y = i * ROW + 2;
    const asked =
      task.requestedBytes !== undefined
        ? html`<rect class="asked" x="${LABEL}" y="${y}" width="${px(task.requestedBytes * scale)}" height="${BAR}"/>`
        : undefined;
    const used =
      task.usedBytes !== undefined
        ? html`<rect class="used s-${task.status}" x="${LABEL}" y="${px(y + 3)}" width="${px(Math.max(1, task.usedBytes * scale))}" height="${BAR - 6}"/>`
        : undefined;
    const label = `${task.usedBytes !== undefined ? formatBytes(task.usedBytes) : '?'} of ${task.requestedBytes !== undefined ? formatBytes(task.requestedBytes) : 'default'}`;
    return html`<g class="mem" data-id="${task.id}"><text x="4" y="${px(y + BAR - 3)}">${task.id}</text>${asked}${used}<text x="${WIDTH - 160}" y="${px(y + BAR - 3)}">${label}</text></g>`;
  });
  return html`<svg class="memory" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${measured.length * ROW + 4}" width="100%" role="img" aria-label="memory used vs requested">${bars}</svg>`;
}
