import type { UnreadableRecord } from '@hpc/core';
import { batchIdOf } from '../batch-groups.ts';
import { batchJson, batchViews } from '../batch-view.ts';
import type { CliContext } from '../cli-context.ts';
import { UsageError } from '../cli-errors.ts';
import {
  chooseDriver,
  closeDriver,
  createDriver,
  type DriverKind,
  groupIdsByDriver,
} from '../driver-select.ts';
import { EXIT_CODES, type ExitCode } from '../exit-codes.ts';
import { type JobView, jobJson, renderSummary, unreadableOf } from '../job-view.ts';
import { fetchJobViewsOrKnown, type SchedulerOutage } from '../known-job-views.ts';
import { shown, toSafeJson } from '../output-safety.ts';
import { flagOption, type OptionValues, secondsOption } from '../parse-command-line.ts';
import { diagnosesOf, wrapText } from '../status-diagnosis.ts';
import { applyStatusFilter, statusFilterOf } from '../status-filter.ts';
import { summaryJson } from '../status-json.ts';
import { renderStatusTable } from '../status-table.ts';
import { watchJobs } from '../watch-jobs.ts';

const DEFAULT_INTERVAL_MS = 2_000;
const MIN_INTERVAL_MS = 100;

/**
 * hpc status [ids...] [--watch] [--expand] [--json] [--local]. A batch is one row (its id stands
 * for all its processes) unless --expand. A job whose record cannot be read is shown as
 * unreadable (the file is named on stderr) with all the others, and the exit code is 1; so is a
 * record the driver could not tie to a job id (it is named, not listed).
 */
export async function runStatus(values: OptionValues, ids: string[], ctx: CliContext): Promise<ExitCode> {
  const json = flagOption(values, 'json');
  // Ids of processes or tasks ('4711_3') ask for those rows, not for their batch's.
  const expand = flagOption(values, 'expand') || ids.some((id) => batchIdOf(id) !== undefined);
  const local = flagOption(values, 'local');
  const intervalMs = secondsOption(values, 'interval', 'status', DEFAULT_INTERVAL_MS, MIN_INTERVAL_MS);
  if (values.interval !== undefined && !flagOption(values, 'watch')) {
    throw new UsageError("--interval only applies with --watch (see 'hpc status --help')", 'status');
  }
  const filter = statusFilterOf(values);
  if (filter?.states && flagOption(values, 'watch'))
    throw new UsageError(
      '--state filters one look at the jobs; with --watch, choose jobs by id or --name',
      'status',
    );
  const groups: Map<DriverKind, string[] | undefined> = ids.length
    ? groupIdsByDriver(ids, { local, env: ctx.env })
    : new Map([[chooseDriver({ local, env: ctx.env }).kind, undefined]]);
  // Listing everything on a cluster also shows jobs submitted with --local, unless a driver was forced.
  if (!ids.length && !flagOption(values, 'watch') && !local && !ctx.env.HPC_DRIVER) {
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
        expand,
        signal: controller.signal,
        ...(groupIds ? { ids: groupIds } : {}),
        ...(filter?.name ? { name: filter.name } : {}),
      });
      const records = groupIds ? [] : (driver.unreadableRecords ?? []);
      const unreadable = reportUnreadable(result.views, records, ctx);
      // An unreadable job's state is 'unknown', so it never counts as completed.
      return unreadable === EXIT_CODES.ok && result.views.every((view) => view.state.status === 'completed')
        ? EXIT_CODES.ok
        : EXIT_CODES.failed;
    } catch (error) {
      if (controller.signal.aborted) return EXIT_CODES.interrupted;
      throw error;
    } finally {
      process.off('SIGINT', onInterrupt);
      closeDriver(driver, ctx.stderr);
    }
  }

  const views: JobView[] = [];
  const records: UnreadableRecord[] = [];
  const diagnoses = new Map<string, string>();
  const outages: SchedulerOutage[] = [];
  for (const [kind, groupIds] of groups) {
    const driver = await createDriver(kind);
    try {
      const { views: fetched, outage } = await fetchJobViewsOrKnown(driver, groupIds);
      views.push(...applyStatusFilter(fetched, filter));
      if (outage) outages.push(outage);
      if (!groupIds) records.push(...(driver.unreadableRecords ?? []));
      // Jobs named on the command line that ended without a result also say why.
      else if (!outage) for (const [id, text] of await diagnosesOf(driver, fetched)) diagnoses.set(id, text);
    } finally {
      closeDriver(driver, ctx.stderr);
    }
  }
  if (json) {
    const now = Date.now();
    const jobs = views.map((view) => {
      const diagnosis = diagnoses.get(view.id);
      return { ...jobJson(view, now), ...(diagnosis ? { diagnosis } : {}) };
    });
    ctx.stdout.write(
      `${toSafeJson({ summary: summaryJson(views), jobs, batches: batchViews(views).map(batchJson), ...(records.length ? { unreadableRecords: records } : {}) })}\n`,
    );
    return worst(reportUnreadable(views, records, ctx), reportOutages(outages, ctx));
  }
  if (views.length === 0 && records.length === 0 && filter) {
    ctx.stdout.write('no tracked job matches the --state/--name filter\n');
    return EXIT_CODES.ok;
  }
  if (views.length === 0 && records.length === 0) {
    ctx.stdout.write(
      `no tracked jobs (${[...groups.keys()].join(', ')} driver); submit one with: hpc submit my-process.ts\n`,
    );
    return EXIT_CODES.ok;
  }
  const { style } = ctx.stdout;
  const lines = renderStatusTable(views, style, ctx.stdout.columns, Date.now(), expand);
  lines.push(renderSummary(views, style));
  for (const [id, text] of diagnoses) {
    lines.push('', style.bold(`why ${shown(id)} has no result`));
    lines.push(...wrapText(shown(text), (ctx.stdout.columns ?? 100) - 2).map((line) => `  ${line}`));
  }
  ctx.stdout.write(`${lines.join('\n')}\n`);
  return worst(reportUnreadable(views, records, ctx), reportOutages(outages, ctx));
}

/** A line on stderr per scheduler that did not answer (its jobs were listed from the store); exit 1. */
function reportOutages(outages: readonly SchedulerOutage[], ctx: CliContext): ExitCode {
  for (const { message, unknown } of outages)
    ctx.stderr.write(
      `${ctx.stderr.style.red('hpc status:')} the scheduler did not answer (${shown(message)}); the jobs are listed from the local store, ${unknown} of them as unknown\n`,
    );
  return outages.length ? EXIT_CODES.failed : EXIT_CODES.ok;
}

function worst(a: ExitCode, b: ExitCode): ExitCode {
  return a === EXIT_CODES.ok ? b : a;
}

/**
 * One line on stderr per job whose files could not be read, and per record no job id could be
 * read from; exit 1 when there was one.
 */
function reportUnreadable(
  views: readonly JobView[],
  records: readonly UnreadableRecord[],
  ctx: CliContext,
): ExitCode {
  const prefix = ctx.stderr.style.red('hpc status:');
  let exitCode: ExitCode = EXIT_CODES.ok;
  for (const view of views) {
    const unreadable = unreadableOf(view);
    if (!unreadable) continue;
    exitCode = EXIT_CODES.failed;
    ctx.stderr.write(
      `${prefix} job ${shown(view.id)} is unreadable: ${shown(unreadable.file)}: ${shown(unreadable.message)} (repair or remove that file; the other jobs are listed)\n`,
    );
  }
  for (const { file, message } of records) {
    exitCode = EXIT_CODES.failed;
    ctx.stderr.write(
      `${prefix} a job record is unreadable: ${shown(file)}: ${shown(message)} (its job cannot be listed until that file is repaired or removed; the other jobs are listed)\n`,
    );
  }
  return exitCode;
}
