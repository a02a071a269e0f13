import type { Driver } from '@hpc/core';
import { batchIdOf, batchIdsOf, resolveBatchIds } from '../batch-groups.ts';
import { type BatchCancel, cancelBatch } from '../cancel-batch.ts';
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
import { fetchJobViews } from '../fetch-jobs.ts';
import { describeView, isFinished, type JobView, unreadableOf } from '../job-view.ts';
import { cancelThroughHost } from '../local-cancel.ts';
import { shown, toSafeJson } from '../output-safety.ts';
import { flagOption, type OptionValues } from '../parse-command-line.ts';

interface CancelReport {
  /** Job ids, process ids and batch ids, as given (or, with --all, one per unfinished job or batch). */
  cancelled: string[];
  /** Only when a batch was cancelled: how many of its processes there were, and were unfinished. */
  batches?: BatchCancel[];
  alreadyFinished: { id: string; state: string }[];
  failed: { id: string; error: string }[];
}

/** A batch id ('4711', 'local-12'): every unfinished process of it, in one driver call where it can. */
async function cancelWholeBatch(
  driver: Driver,
  id: string,
  members: JobView[],
  report: CancelReport,
): Promise<void> {
  try {
    const done = await cancelBatch(driver, id, members);
    if (done.unfinished === 0) {
      report.alreadyFinished.push({ id, state: `all ${done.processes} of its processes had ended` });
      return;
    }
    report.cancelled.push(id);
    report.batches = [...(report.batches ?? []), done];
  } catch (error) {
    report.failed.push({ id, error: (error as Error)?.message ?? String(error) });
  }
}

/**
 * hpc cancel <id...> | --all: one status round trip, then a cancel per unfinished job; a batch's
 * id cancels the whole batch (with --all, each batch with an unfinished process). A job
 * whose record cannot be read is reported as not cancelled (its state is unknown).
 */
export async function runCancel(values: OptionValues, ids: string[], ctx: CliContext): Promise<ExitCode> {
  const all = flagOption(values, 'all');
  const local = flagOption(values, 'local');
  if (all && ids.length)
    throw new UsageError(`give job ids or --all, not both (got ${ids.join(' ')} and --all)`, 'cancel');
  if (!all && !ids.length)
    throw new UsageError('missing <ids>: usage: hpc cancel <id...> (or --all)', 'cancel');
  const groups: Map<DriverKind, string[] | undefined> = all
    ? new Map([[chooseDriver({ local, env: ctx.env }).kind, undefined]])
    : groupIdsByDriver(ids, { local, env: ctx.env });

  const report: CancelReport = { cancelled: [], alreadyFinished: [], failed: [] };
  for (const [kind, groupIds] of groups) {
    const driver = await createDriver(kind);
    try {
      const views = new Map((await fetchJobViews(driver)).map((view): [string, JobView] => [view.id, view]));
      const targets =
        groupIds ??
        batchIdsOf(
          [...views.values()]
            .filter((view) => unreadableOf(view) || !isFinished(view))
            .map((view) => view.id),
        );
      for (const id of targets) {
        const view = views.get(id);
        const members = view ? [] : resolveBatchIds(id, views.keys(), (key) => views.has(key));
        if (members.length) {
          await cancelWholeBatch(
            driver,
            id,
            members.map((key) => views.get(key) as JobView),
            report,
          );
          continue;
        }
        if (!view) {
          report.failed.push({
            id,
            error: `job ${id} is not tracked by the ${kind} driver (see 'hpc status')`,
          });
          continue;
        }
        const unreadable = unreadableOf(view);
        if (unreadable) {
          report.failed.push({
            id,
            error: `job ${id} was not cancelled: its record is unreadable (${unreadable.file}: ${unreadable.message})`,
          });
          continue;
        }
        if (isFinished(view)) {
          report.alreadyFinished.push({ id, state: describeView(view) });
          continue;
        }
        try {
          const byHost = await cancelThroughHost(driver, id);
          if (!byHost) await driver.cancelJob(id);
          report.cancelled.push(id);
        } catch (error) {
          report.failed.push({ id, error: (error as Error)?.message ?? String(error) });
        }
      }
    } finally {
      closeDriver(driver, ctx.stderr);
    }
  }

  if (flagOption(values, 'json')) {
    ctx.stdout.write(`${toSafeJson(report)}\n`);
  } else {
    const { style } = ctx.stdout;
    for (const id of report.cancelled) {
      const batch = report.batches?.find((entry) => entry.id === id);
      const what = batchIdOf(id) === undefined ? 'batch' : 'task';
      const detail = batch
        ? ` (${what}: ${batch.unfinished} unfinished of ${batch.processes} processes)`
        : '';
      ctx.stdout.write(`${style.magenta('cancelled')} ${shown(id)}${detail}\n`);
    }
    for (const { id, state } of report.alreadyFinished)
      ctx.stdout.write(`${style.dim(`${shown(id)} had already finished: ${shown(state)}`)}\n`);
    for (const { error } of report.failed)
      ctx.stderr.write(`${ctx.stderr.style.red('hpc cancel:')} ${shown(error)}\n`);
    if (all && report.cancelled.length === 0 && report.failed.length === 0)
      ctx.stdout.write('nothing to cancel: no unfinished jobs\n');
  }
  return report.failed.length ? EXIT_CODES.failed : EXIT_CODES.ok;
}
