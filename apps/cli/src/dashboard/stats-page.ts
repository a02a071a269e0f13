import { formatBytes, type JobStats, type Percentiles, type ProcessClassStats } from '@hpc/core';
import { formatDuration } from '../human-units.ts';
import { html, type SafeHtml } from './html.ts';

const STATES = ['completed', 'failed', 'timeout', 'cancelled', 'running', 'pending'] as const;

function triple(p: Percentiles | undefined, unit: (n: number) => string): string {
  return p ? `${unit(p.p50)} / ${unit(p.p95)} / ${unit(p.max)}` : '';
}

function requestText(c: ProcessClassStats): string {
  const parts: string[] = [];
  if (c.requested.memBytes !== undefined) parts.push(`mem ${formatBytes(c.requested.memBytes)}`);
  if (c.requested.timeLimitMs !== undefined) parts.push(`time ${formatDuration(c.requested.timeLimitMs)}`);
  if (c.requested.cpus !== undefined) parts.push(`cpus ${c.requested.cpus}`);
  return parts.join(', ');
}

/** Runs per class as stacked bars by state: the "how do my classes end" picture. */
function statesChart(classes: readonly ProcessClassStats[]): SafeHtml {
  const shown = classes.slice(0, 20);
  const most = Math.max(1, ...shown.map((c) => c.count));
  const bars = shown.map((c, i) => {
    let x = 160;
    const y = i * 22 + 2;
    const parts = STATES.map((state) => {
      const n = c.states[state] ?? 0;
      const w = (n / most) * 640;
      const rect = n
        ? html`<rect class="run s-${state}" x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="16"><title>${n} ${state}</title></rect>`
        : undefined;
      x += w;
      return rect;
    });
    return html`<g class="class-bar"><text x="4" y="${y + 13}">${c.name}</text>${parts}<text x="${(x + 6).toFixed(1)}" y="${y + 13}">${c.count}</text></g>`;
  });
  return html`<svg class="stats-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 960 ${shown.length * 22 + 4}" width="100%" role="img" aria-label="runs per class by state">${bars}</svg>`;
}

/** driver.stats() as `hpc stats` has it: one row per Process class, its suggestions, and the chart. */
export function statsFragment(stats: JobStats): SafeHtml {
  const rows = stats.classes.map(
    (c) => html`<tr><td>${c.name}</td><td>${c.count}</td><td>${Object.entries(c.states)
      .map(([state, n]) => `${n} ${state}`)
      .join(
        ', ',
      )}</td><td>${triple(c.wallMs, formatDuration)}</td><td>${triple(c.peakBytes, formatBytes)}</td>
<td>${requestText(c)}</td><td>${c.cpuEfficiency ? `${Math.round(c.cpuEfficiency.p50 * 100)}%` : ''}</td>
<td>${c.suggestions.map((s) => s.text).join('; ')}</td></tr>`,
  );
  return html`<p>${stats.jobs} tracked jobs, ${stats.classes.length} Process classes.</p>${statesChart(stats.classes)}
<table id="stats"><thead><tr><th>class</th><th>runs</th><th>states</th><th>wall p50 / p95 / max</th><th>peak p50 / p95 / max</th><th>requested</th><th>cpu eff p50</th><th>suggestion</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}
