import { setTimeout as sleep } from 'node:timers/promises';
import type { Driver } from '@hpc/core';
import { batchIdOf } from './batch-groups.ts';
import { batchJson, batchViews } from './batch-view.ts';
import type { CliContext } from './cli-context.ts';
import { formatDuration } from './human-units.ts';
import { countByStatus, isFinished, type JobView, jobJson, renderSummary, statusPaint } from './job-view.ts';
import { fetchJobViewsOrKnown } from './known-job-views.ts';
import { shown, toSafeJson } from './output-safety.ts';
import { renderProgressBar } from './progress-bar.ts';
import { ScreenWriter } from './screen-writer.ts';
import { summaryJson } from './status-json.ts';
import { renderStatusTable } from './status-table.ts';
import { fitLine } from './text-table.ts';
import { pickRows, rowLines } from './watch-lines.ts';

export interface WatchOptions {
  /** Time between the starts of two polls: the driver is asked at most once per interval. */
  intervalMs: number;
  /** Watch exactly these jobs; otherwise the ones not finished at the first poll (and any submitted meanwhile). */
  ids?: readonly string[];
  json: boolean;
  signal?: AbortSignal;
  /** A row per process of a batch instead of one per batch. */
  expand?: boolean;
  /** Only jobs whose name matches (hpc status --name). */
  name?: RegExp;
}

export interface WatchResult {
  /** The watched jobs in their final states ([] when nothing was left to watch). */
  views: JobView[];
  polls: number;
}

/**
 * `hpc status --watch`: polls the driver once per interval (one scheduler round trip for all jobs)
 * and shows progress until every watched job has finished, then returns by itself.
 * On a terminal, one frame is redrawn in place; otherwise, a line per state change (no escape
 * codes); with --json, one JSON document per poll.
 */
export async function watchJobs(
  driver: Driver,
  ctx: CliContext,
  options: WatchOptions,
): Promise<WatchResult> {
  const display = createDisplay(ctx, options);
  const watched = new Set<string>();
  const startedAt = Date.now();
  let polls = 0;
  try {
    for (;;) {
      const pollStart = Date.now();
      const { views: fetched, outage } = await fetchJobViewsOrKnown(driver, options.ids);
      const all = options.name ? fetched.filter((view) => options.name?.test(view.name)) : fetched;
      polls++;
      // A controller restart or a hanging squeue must not end the watch: say so and poll again.
      display.schedulerAnswered(outage?.message);
      if (outage) {
        await sleep(options.intervalMs, undefined, options.signal ? { signal: options.signal } : {});
        continue;
      }
      if (!options.ids) {
        for (const view of all) if (!isFinished(view)) watched.add(unitOf(view));
        if (polls === 1 && watched.size === 0) {
          display.nothingToWatch(all);
          return { views: [], polls };
        }
      }
      // Given ids are all watched (fetchJobViews resolved a batch id to its processes); a batch with
      // an unfinished process is watched whole, so its row's counts stay whole.
      const views = options.ids ? all : all.filter((view) => watched.has(unitOf(view)));
      const done = views.every(isFinished);
      display.update(views, { startedAt, intervalMs: options.intervalMs, done });
      if (done) return { views, polls };
      const wait = Math.max(0, options.intervalMs - (Date.now() - pollStart));
      await sleep(wait, undefined, options.signal ? { signal: options.signal } : {});
    }
  } finally {
    display.close();
  }
}

/** What is watched as one: a plain job, or a whole batch. */
function unitOf(view: JobView): string {
  return batchIdOf(view.id) ?? view.id;
}

interface FrameInfo {
  startedAt: number;
  intervalMs: number;
  done: boolean;
}

interface Display {
  update(views: readonly JobView[], info: FrameInfo): void;
  /** After each poll: the scheduler's failure, or undefined when it answered. */
  schedulerAnswered(failure: string | undefined): void;
  nothingToWatch(all: readonly JobView[]): void;
  close(): void;
}

function createDisplay(ctx: CliContext, options: WatchOptions): Display {
  if (options.json) return jsonDisplay(ctx);
  return ctx.stdout.isTTY ? terminalDisplay(ctx, options) : lineDisplay(ctx, options);
}

function jsonDisplay(ctx: CliContext): Display {
  return {
    update(views, info) {
      const now = Date.now();
      const frame = {
        time: new Date(now).toISOString(),
        done: info.done,
        summary: summaryJson(views),
        jobs: views.map((view) => jobJson(view, now)),
        batches: batchViews(views).map(batchJson),
      };
      ctx.stdout.write(`${toSafeJson(frame, false)}\n`);
    },
    schedulerAnswered(failure) {
      if (failure !== undefined)
        ctx.stdout.write(
          `${toSafeJson({ time: new Date().toISOString(), done: false, error: failure }, false)}\n`,
        );
    },
    nothingToWatch() {
      ctx.stdout.write(
        `${toSafeJson({ time: new Date().toISOString(), done: true, summary: summaryJson([]), jobs: [] }, false)}\n`,
      );
    },
    close() {},
  };
}

/** Pipes and log files: a line whenever a job's state changes, the final table at the end. */
function lineDisplay(ctx: CliContext, options: WatchOptions): Display {
  const seen = new Map<string, string>();
  const { style } = ctx.stdout;
  return {
    update(views, info) {
      const time = new Date().toTimeString().slice(0, 8);
      for (const row of rowLines(views, options.expand === true)) {
        if (seen.get(row.id) === row.text) continue;
        seen.set(row.id, row.text);
        ctx.stdout.write(
          `${time}  ${shown(row.id)}  ${shown(row.name)}  ${statusPaint(row.status, style)(shown(row.text))}\n`,
        );
      }
      if (info.done) {
        ctx.stdout.write('\n');
        for (const line of renderStatusTable(views, style, undefined, Date.now(), options.expand))
          ctx.stdout.write(`${line}\n`);
        ctx.stdout.write(`${renderSummary(views, style)}\n`);
      }
    },
    schedulerAnswered: outageNotices(ctx, options.intervalMs),
    nothingToWatch(all) {
      ctx.stdout.write(
        `nothing to watch: ${all.length ? `all ${all.length} tracked jobs have finished` : 'no tracked jobs'}\n`,
      );
    },
    close() {},
  };
}

/** One stderr line when the scheduler stops answering and one when it is back (not one per poll). */
function outageNotices(ctx: CliContext, intervalMs: number): (failure: string | undefined) => void {
  let failing = false;
  return (failure) => {
    const time = new Date().toTimeString().slice(0, 8);
    if (failure !== undefined && !failing)
      ctx.stderr.write(
        `${time}  ${ctx.stderr.style.yellow('the scheduler did not answer')} (${shown(failure)}); still watching, asking again every ${formatDuration(intervalMs)}\n`,
      );
    else if (failure === undefined && failing) ctx.stderr.write(`${time}  the scheduler answers again\n`);
    failing = failure !== undefined;
  };
}

/** A terminal: one frame (progress bar, table, summary) redrawn in place. */
function terminalDisplay(ctx: CliContext, options: WatchOptions): Display {
  const screen = new ScreenWriter(ctx.stdout);
  const { style } = ctx.stdout;
  let notice: string | undefined;
  let last: { views: readonly JobView[]; info: FrameInfo } | undefined;
  const display: Display = {
    schedulerAnswered(failure) {
      const changed = (failure === undefined) !== (notice === undefined);
      notice =
        failure === undefined ? undefined : `the scheduler did not answer (${failure}); still watching`;
      if (changed && last) display.update(last.views, last.info);
    },
    update(views, info) {
      last = { views, info };
      const width = ctx.stdout.columns;
      const counts = countByStatus(views);
      const completed = counts.get('completed') ?? 0;
      const finished = views.filter(isFinished).length;
      const bar = renderProgressBar(
        { completed, otherFinished: finished - completed, total: views.length },
        style,
      );
      const clock = info.done
        ? `done in ${formatDuration(Date.now() - info.startedAt)}`
        : `polling every ${formatDuration(info.intervalMs)} · ${formatDuration(Date.now() - info.startedAt)}`;
      const budget =
        ctx.stdout.rows === undefined ? Number.POSITIVE_INFINITY : Math.max(1, ctx.stdout.rows - 5);
      const visibleRows = pickRows(views, budget, options.expand === true);
      const lines = [
        `${bar}  ${style.dim(fitLine(clock, width === undefined ? undefined : Math.max(0, width - 40)))}`,
      ];
      lines.push(...renderStatusTable(visibleRows, style, width, Date.now(), options.expand));
      if (visibleRows.length < views.length)
        lines.push(
          style.dim(
            fitLine(
              `… ${views.length - visibleRows.length} more jobs not shown (hpc status --json lists all)`,
              width,
            ),
          ),
        );
      lines.push(renderSummary(views, style));
      if (notice) lines.push(style.yellow(fitLine(shown(notice), width)));
      screen.draw(lines);
    },
    nothingToWatch(all) {
      ctx.stdout.write(
        `nothing to watch: ${all.length ? `all ${all.length} tracked jobs have finished` : 'no tracked jobs'}\n`,
      );
    },
    close() {
      screen.finish();
    },
  };
  return display;
}
