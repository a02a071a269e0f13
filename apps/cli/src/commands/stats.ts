import type { CliContext } from '../cli-context.ts';
import { UsageError } from '../cli-errors.ts';
import { chooseDriver, closeDriver, createDriver } from '../driver-select.ts';
import { EXIT_CODES, type ExitCode } from '../exit-codes.ts';
import { toSafeJson } from '../output-safety.ts';
import { countOption, flagOption, type OptionValues, stringOption } from '../parse-command-line.ts';
import { renderStatsCsv, renderStatsTable } from '../stats-view.ts';

/** hpc stats [--name <class>] [--min-runs <n>] [--json | --csv] [--local] (driver.stats). */
export async function runStats(
  values: OptionValues,
  _positionals: string[],
  ctx: CliContext,
): Promise<ExitCode> {
  const json = flagOption(values, 'json');
  const csv = flagOption(values, 'csv');
  if (json && csv) throw new UsageError('--json and --csv are two formats: give one', 'stats');
  const minRuns = countOption(values, 'min-runs', 'stats');
  const name = stringOption(values, 'name');
  const driver = await createDriver(chooseDriver({ local: flagOption(values, 'local'), env: ctx.env }).kind);
  try {
    const stats = await driver.stats(minRuns === undefined ? {} : { minRuns });
    const shown =
      name === undefined ? stats : { ...stats, classes: stats.classes.filter((c) => c.name === name) };
    if (json) ctx.stdout.write(`${toSafeJson(shown)}\n`);
    else if (csv) ctx.stdout.write(renderStatsCsv(shown));
    else ctx.stdout.write(`${renderStatsTable(shown, ctx.stdout.style, ctx.stdout.columns).join('\n')}\n`);
    return EXIT_CODES.ok;
  } finally {
    closeDriver(driver, ctx.stderr);
  }
}
