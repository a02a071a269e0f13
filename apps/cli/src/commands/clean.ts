import { type CleanCandidate, isHpcError, parseDuration, selectJobsToClean } from '@hpc/core';
import { groupByBatch } from '../batch-groups.ts';
import { wholeFolders } from '../clean-folders.ts';
import type { CliContext } from '../cli-context.ts';
import { UsageError } from '../cli-errors.ts';
import { chooseDriver, closeDriver, createDriver } from '../driver-select.ts';
import { EXIT_CODES, type ExitCode } from '../exit-codes.ts';
import { fetchJobViews } from '../fetch-jobs.ts';
import { forgottenJson, writeKept, writeRefused, writeRemoved } from '../forget-report.ts';
import { toSafeJson } from '../output-safety.ts';
import { flagOption, type OptionValues, stringOption } from '../parse-command-line.ts';
import { statusFilterOf } from '../status-filter.ts';

/** --older-than as milliseconds; missing or malformed is a usage error naming the flag. */
function olderThanOf(values: OptionValues): number {
  const given = stringOption(values, 'older-than');
  if (given === undefined)
    throw new UsageError('missing --older-than <duration>: usage: hpc clean --older-than 30d', 'clean');
  try {
    return parseDuration(given, '--older-than');
  } catch (error) {
    if (!isHpcError(error, 'InvalidOption')) throw error;
    throw new UsageError(
      `--older-than ${JSON.stringify(given)} is not a duration: use 30d, 12h, 90m, 45s or 2w`,
      'clean',
    );
  }
}

/**
 * hpc clean --older-than <d>: one status round trip, the jobs and batches that ended before the
 * cutoff (and match --state, --name) chosen by selectJobsToClean, then one forgetJobs call.
 */
export async function runClean(
  values: OptionValues,
  _positionals: string[],
  ctx: CliContext,
): Promise<ExitCode> {
  const olderThanMs = olderThanOf(values);
  const filter = statusFilterOf(values, 'clean');
  const dryRun = flagOption(values, 'dry-run');
  const driver = await createDriver(chooseDriver({ local: flagOption(values, 'local'), env: ctx.env }).kind);
  try {
    const views = await fetchJobViews(driver);
    const groups = [...groupByBatch(views, (view) => view.id)];
    const candidates: CleanCandidate[] = groups.map(([id, members]) => ({
      id,
      name: members[0]?.name ?? '',
      states: members.map((member) => member.state),
    }));
    const batches = new Set(
      groups.flatMap(([id, members]) => (members.some((m) => m.id !== id) ? [id] : [])),
    );
    const choice = selectJobsToClean(candidates, {
      olderThanMs,
      ...(filter?.states ? { states: filter.states } : {}),
      ...(filter?.name ? { name: filter.name } : {}),
    });
    const chosen = await wholeFolders(driver, choice, batches);
    const report = chosen.length ? await driver.forgetJobs(chosen, { dryRun }) : { removed: [], refused: [] };
    if (flagOption(values, 'json')) {
      const json = {
        dryRun,
        olderThan: stringOption(values, 'older-than'),
        removed: report.removed.map(forgottenJson),
        refused: report.refused,
        kept: choice.kept,
      };
      ctx.stdout.write(`${toSafeJson(json)}\n`);
    } else {
      writeRemoved(ctx.stdout, report, dryRun);
      writeRefused(ctx.stdout, report.refused);
      writeKept(ctx.stdout, choice.kept);
    }
    return report.refused.length ? EXIT_CODES.failed : EXIT_CODES.ok;
  } finally {
    closeDriver(driver, ctx.stderr);
  }
}
