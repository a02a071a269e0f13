import { join } from 'node:path';
import { hpcHome } from '@hpc/core';
import type { CliContext } from '../cli-context.ts';
import { UsageError } from '../cli-errors.ts';
import { chooseDriver, createDriver, type DriverKind, groupIdsByDriver } from '../driver-select.ts';
import { EXIT_CODES, type ExitCode } from '../exit-codes.ts';
import { fetchJobViews } from '../fetch-jobs.ts';
import { type JobView, jobJson, renderSummary } from '../job-view.ts';
import { localJobIds } from '../local-jobs.ts';
import { shown, toSafeJson } from '../output-safety.ts';
import { flagOption, type OptionValues, secondsOption } from '../parse-command-line.ts';
import { summaryJson } from '../status-json.ts';
import { renderStatusTable } from '../status-table.ts';
import { watchJobs } from '../watch-jobs.ts';

const DEFAULT_INTERVAL_MS = 2_000;
const MIN_INTERVAL_MS = 100;

async function hasLocalJobs(env: NodeJS.ProcessEnv): Promise<boolean> {
  return (await localJobIds(join(hpcHome(env), 'local'))).length > 0;
}

/**
 * hpc status [ids...] [--watch] [--json] [--local]. A job whose record cannot be read is shown as
 * unreadable (the file is named on stderr) with all the others, and the exit code is 1.
 */
export async function runStatus(values: OptionValues, ids: string[], ctx: CliContext): Promise<ExitCode> {
  const json = flagOption(values, 'json');
  const local = flagOption(values, 'local');
  const intervalMs = secondsOption(values, 'interval', 'status', DEFAULT_INTERVAL_MS, MIN_INTERVAL_MS);
  if (values.interval !== undefined && !flagOption(values, 'watch')) {
    throw new UsageError("--interval only applies with --watch (see 'hpc status --help')", 'status');
  }
  const groups: Map<DriverKind, string[] | undefined> = ids.length
    ? groupIdsByDriver(ids, { local, env: ctx.env })
    : new Map([[chooseDriver({ local, env: ctx.env }).kind, undefined]]);
  // Listing everything on a cluster also shows jobs submitted with --local, unless a driver was forced.
  if (
    !ids.length &&
    !flagOption(values, 'watch') &&
    !local &&
    !ctx.env.HPC_DRIVER &&
    (await hasLocalJobs(ctx.env))
  ) {
    groups.set('local', undefined);
  }

  if (flagOption(values, 'watch')) {
    if (groups.size > 1)
      throw new UsageError(
        '--watch follows the jobs of one driver at a time: watch local-N ids and SLURM ids separately',
        'status',
      );
    const [kind, groupIds] = [...groups][0] as [DriverKind, string[] | undefined];
    const driver = await createDriver(kind);
    const controller = new AbortController();
    const onInterrupt = () => controller.abort();
    process.once('SIGINT', onInterrupt);
    try {
      const result = await watchJobs(driver, ctx, {
        intervalMs,
        json,
        signal: controller.signal,
        ...(groupIds ? { ids: groupIds } : {}),
      });
      reportUnreadable(result.views, ctx);
      // An unreadable job's state is 'unknown', so it never counts as completed.
      return result.views.every((view) => view.state.status === 'completed')
        ? EXIT_CODES.ok
        : EXIT_CODES.failed;
    } catch (error) {
      if (controller.signal.aborted) return EXIT_CODES.interrupted;
      throw error;
    } finally {
      process.off('SIGINT', onInterrupt);
      driver.close?.();
    }
  }

  const views: JobView[] = [];
  for (const [kind, groupIds] of groups) {
    const driver = await createDriver(kind);
    try {
      views.push(...(await fetchJobViews(driver, groupIds)));
    } finally {
      driver.close?.();
    }
  }
  if (json) {
    const now = Date.now();
    ctx.stdout.write(
      `${toSafeJson({ summary: summaryJson(views), jobs: views.map((view) => jobJson(view, now)) })}\n`,
    );
    return reportUnreadable(views, ctx);
  }
  if (views.length === 0) {
    ctx.stdout.write(
      `no tracked jobs (${[...groups.keys()].join(', ')} driver); submit one with: hpc submit my-process.ts\n`,
    );
    return EXIT_CODES.ok;
  }
  const { style } = ctx.stdout;
  const lines = renderStatusTable(views, style, ctx.stdout.columns);
  lines.push(renderSummary(views, style));
  ctx.stdout.write(`${lines.join('\n')}\n`);
  return reportUnreadable(views, ctx);
}

/** One line on stderr per job whose record could not be read; exit 1 when there was one. */
function reportUnreadable(views: readonly JobView[], ctx: CliContext): ExitCode {
  let exitCode: ExitCode = EXIT_CODES.ok;
  for (const view of views) {
    if (!view.unreadable) continue;
    exitCode = EXIT_CODES.failed;
    const { file, message } = view.unreadable;
    ctx.stderr.write(
      `${ctx.stderr.style.red('hpc status:')} job ${shown(view.id)} is unreadable: ${shown(file)}: ${shown(message)} (repair or remove that file; the other jobs are listed)\n`,
    );
  }
  return exitCode;
}
