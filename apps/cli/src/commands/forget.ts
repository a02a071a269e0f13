import type { ForgetReport } from '@hpc/core';
import type { CliContext } from '../cli-context.ts';
import { closeDriver, createDriver, groupIdsByDriver } from '../driver-select.ts';
import { EXIT_CODES, type ExitCode } from '../exit-codes.ts';
import { forgottenJson, writeRefused, writeRemoved } from '../forget-report.ts';
import { toSafeJson } from '../output-safety.ts';
import { flagOption, type OptionValues } from '../parse-command-line.ts';

/**
 * hpc forget <id...>: each driver forgets its ids in one call (Driver.forgetJobs): finished jobs
 * and whole batches go, folder and index entry; anything else is kept and says why (exit 1).
 */
export async function runForget(values: OptionValues, ids: string[], ctx: CliContext): Promise<ExitCode> {
  const dryRun = flagOption(values, 'dry-run');
  const report: ForgetReport = { removed: [], refused: [] };
  for (const [kind, groupIds] of groupIdsByDriver(ids, {
    local: flagOption(values, 'local'),
    env: ctx.env,
  })) {
    const driver = await createDriver(kind);
    try {
      const answer = await driver.forgetJobs(groupIds, { dryRun });
      report.removed.push(...answer.removed);
      report.refused.push(...answer.refused);
    } finally {
      closeDriver(driver, ctx.stderr);
    }
  }
  if (flagOption(values, 'json')) {
    const json = { dryRun, removed: report.removed.map(forgottenJson), refused: report.refused };
    ctx.stdout.write(`${toSafeJson(json)}\n`);
  } else {
    writeRemoved(ctx.stdout, report, dryRun);
    writeRefused(ctx.stdout, report.refused);
  }
  return report.refused.length ? EXIT_CODES.failed : EXIT_CODES.ok;
}
