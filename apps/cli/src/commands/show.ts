import { explainBatchId } from '../batch-hint.ts';
import type { CliContext } from '../cli-context.ts';
import { chooseDriver, closeDriver, createDriver } from '../driver-select.ts';
import { EXIT_CODES, type ExitCode } from '../exit-codes.ts';
import { toSafeJson } from '../output-safety.ts';
import { flagOption, type OptionValues } from '../parse-command-line.ts';
import { renderJobDescription } from '../show-view.ts';

/** hpc show <id> [--json] [--local]: everything known about one job (driver.describeJob). */
export async function runShow(
  values: OptionValues,
  positionals: string[],
  ctx: CliContext,
): Promise<ExitCode> {
  const id = positionals[0] as string;
  const driver = await createDriver(
    chooseDriver({ local: flagOption(values, 'local'), env: ctx.env, jobId: id }).kind,
  );
  try {
    const description = await driver.describeJob(id);
    if (flagOption(values, 'json')) ctx.stdout.write(`${toSafeJson(description)}\n`);
    else
      ctx.stdout.write(
        `${renderJobDescription(description, ctx.stdout.style, ctx.stdout.columns ?? 100).join('\n')}\n`,
      );
    return EXIT_CODES.ok;
  } catch (error) {
    // A batch's id stands for many processes: say which id to give instead.
    throw await explainBatchId(driver, id, error, 'show');
  } finally {
    closeDriver(driver, ctx.stderr);
  }
}
