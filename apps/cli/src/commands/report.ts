import { resolve } from 'node:path';
import { writeFileAtomic } from '@hpc/core';
import type { CliContext } from '../cli-context.ts';
import { UsageError } from '../cli-errors.ts';
import { buildReportHtml } from '../dashboard/report-html.ts';
import { chooseDriver, closeDriver, createDriver } from '../driver-select.ts';
import { EXIT_CODES, type ExitCode } from '../exit-codes.ts';
import { shown } from '../output-safety.ts';
import { flagOption, type OptionValues, stringOption } from '../parse-command-line.ts';

/** hpc report --html <out.html> [--local]: the dashboard as one static file, written atomically (0600). */
export async function runReport(
  values: OptionValues,
  _positionals: string[],
  ctx: CliContext,
): Promise<ExitCode> {
  const target = stringOption(values, 'html');
  if (!target) throw new UsageError('give the file to write: hpc report --html <out.html>', 'report');
  const path = resolve(ctx.cwd, target);
  const driver = await createDriver(chooseDriver({ local: flagOption(values, 'local'), env: ctx.env }).kind);
  try {
    const text = await buildReportHtml(driver);
    // Job names, logs and paths are private: the file is the user's alone, like the job folders.
    await writeFileAtomic(path, text, { mode: 0o600 });
    ctx.stderr.write(`hpc: wrote ${shown(path)}\n`);
    return EXIT_CODES.ok;
  } finally {
    closeDriver(driver, ctx.stderr);
  }
}
