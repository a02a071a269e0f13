import {
  describeAttempt,
  describeJobState,
  formatBytes,
  formatRemoteError,
  type JobDescription,
  type JobPhase,
} from '@hpc/core';
import { formatDuration } from './human-units.ts';
import { renderJobProgress } from './job-progress.ts';
import { statusPaint } from './job-view.ts';
import { shown, shownLines } from './output-safety.ts';
import { wrapText } from './status-diagnosis.ts';
import type { Style } from './terminal-style.ts';

const LABEL = 10;

/**
 * `hpc show <id>`: one screen about one job. Every piece of data (names, messages, stacks, log
 * lines, paths) is escaped where it is put into a line; only the CLI's own colours reach the terminal.
 */
export function renderJobDescription(job: JobDescription, style: Style, width = 100): string[] {
  const lines: string[] = [];
  const row = (label: string, text: string) => lines.push(`  ${style.dim(label.padEnd(LABEL))}${text}`);
  const block = (text: string) => {
    for (const line of shownLines(text).split('\n')) lines.push(`    ${line}`);
  };
  const state = statusPaint(job.state.status, style)(shown(describeJobState(job.state)));
  lines.push(
    `${style.bold(shown(job.id))}  ${shown(job.name)}  ${state}  ${style.dim(`(${shown(job.driver)})`)}`,
  );
  if (job.history.length) row('history', job.history.map(phaseText).join(' → '));
  if (job.pendingReason) row('waiting', shown(job.pendingReason));
  if (job.node) row('node', shown(job.node));
  if (job.progress) row('progress', shown(renderJobProgress(job.progress, 20)));
  lines.push(...resourceLines(job, style));
  if (job.failure) {
    row('failure', style.red(shown(job.failure.class)));
    for (const line of wrapText(shown(job.failure.diagnosis), Math.max(40, width - 4)))
      lines.push(`    ${line}`);
  }
  if (job.remoteError) {
    row('error', '');
    block(formatRemoteError(job.remoteError));
  }
  if (job.attempts?.length) {
    row('attempts', '');
    for (const attempt of job.attempts) {
      const end = attempt.endedAs ? ` → ${attempt.endedAs}${attempt.node ? ` on ${attempt.node}` : ''}` : '';
      lines.push(`    ${shown(`${describeAttempt(attempt, job.state.maxAttempts)}${end}`)}`);
    }
  }
  for (const stream of ['stdout', 'stderr'] as const) {
    const log = job.logs[stream];
    row(stream, shown(log.file));
    if (log.tail) block(log.tail);
  }
  if (job.scriptPath) row('script', shown(job.scriptPath));
  if (job.crate) row('crate', shown(`${job.crate}${job.object ? ` ${job.object}` : ''}`));
  if (job.crateDigest) row('digest', shown(job.crateDigest));
  row('folder', shown(job.jobDir));
  return lines;
}

/** 'submitted 08:01:02 (pending 3.2s) → started 08:01:05 (ran 41s) → ended 08:01:46'. */
function phaseText(phase: JobPhase): string {
  const at = shown(phase.at.replace('T', ' ').replace(/\.\d+Z$|Z$/, ''));
  if (phase.durationMs === undefined) return `${phase.phase} ${at}`;
  const what = phase.phase === 'submitted' ? 'waited' : phase.phase === 'started' ? 'ran' : 'since';
  return `${phase.phase} ${at} (${what} ${formatDuration(phase.durationMs)})`;
}

/** requested | used | efficiency, for time, memory and CPUs; then SLURM's own figures. */
function resourceLines(job: JobDescription, style: Style): string[] {
  const { requested, usage, scheduler, efficiency } = job;
  const percent = (ratio: number | undefined) => (ratio === undefined ? '' : `${Math.round(ratio * 100)}%`);
  const rows: [string, string, string, string][] = [];
  // While it runs: the time since it started.
  const wall =
    usage?.wallMs ??
    scheduler?.elapsedMs ??
    job.history.find((phase) => phase.phase === 'started')?.durationMs;
  const limit = requested.timeLimitMs ?? scheduler?.timeLimitMs;
  if (wall !== undefined || limit !== undefined)
    rows.push([
      'time',
      limit === undefined ? 'no limit' : formatDuration(limit),
      formatDuration(wall),
      percent(efficiency.time?.ratio),
    ]);
  const peak = usage?.peakRssBytes ?? scheduler?.maxRssBytes;
  const mem = requested.memBytes ?? scheduler?.reqMemBytes;
  if (peak !== undefined || mem !== undefined)
    rows.push([
      'memory',
      mem === undefined ? 'default' : formatBytes(mem),
      peak === undefined ? '' : `${formatBytes(peak)} peak`,
      percent(efficiency.memory?.ratio),
    ]);
  const cpu = efficiency.cpu;
  if (cpu || requested.cpus !== undefined || scheduler?.allocCpus !== undefined)
    rows.push([
      'cpus',
      String(cpu?.cpus ?? scheduler?.allocCpus ?? requested.cpus),
      cpu ? `${formatDuration(cpu.cpuMs)} CPU` : '',
      percent(cpu?.ratio),
    ]);
  if (rows.length === 0) return [];
  const widths = [LABEL, 12, 20];
  const line = (cells: readonly string[], paint = (text: string) => text) =>
    `  ${cells
      .map((cell, i) => (i < 3 ? cell.padEnd(widths[i] as number) : cell))
      .map((cell, i) => (i === 0 ? style.dim(cell) : paint(cell)))
      .join('')}`.trimEnd();
  const out = [line(['', 'requested', 'used', 'efficiency'], style.dim), ...rows.map((cells) => line(cells))];
  const source = usage ? "the node-runner's figures" : scheduler ? "SLURM's figures" : undefined;
  if (scheduler) {
    const parts = [
      scheduler.maxRssBytes !== undefined ? `MaxRSS ${formatBytes(scheduler.maxRssBytes)}` : undefined,
      scheduler.totalCpuMs !== undefined ? `TotalCPU ${formatDuration(scheduler.totalCpuMs)}` : undefined,
      scheduler.reqMemBytes !== undefined ? `ReqMem ${formatBytes(scheduler.reqMemBytes)}` : undefined,
      scheduler.allocCpus !== undefined ? `AllocCPUS ${scheduler.allocCpus}` : undefined,
      scheduler.elapsedMs !== undefined ? `Elapsed ${formatDuration(scheduler.elapsedMs)}` : undefined,
      scheduler.nodes ? `NodeList ${shown(scheduler.nodes)}` : undefined,
    ].filter(Boolean);
    out.push(`  ${style.dim('sacct'.padEnd(LABEL))}${parts.join(' · ')}`);
  }
  if (source) out.push(`  ${''.padEnd(LABEL)}${style.dim(`(used: ${source})`)}`);
  // --resources suggested: which figures came from the class's history (or why the request stood).
  for (const note of requested.suggested ?? [])
    out.push(`  ${style.dim('history'.padEnd(LABEL))}${shown(note.text)}`);
  return out;
}
