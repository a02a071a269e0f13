import { describeJobState, isHpcError } from '@hpc/core';
import { explainBatchId } from '../batch-hint.ts';
import type { CliContext } from '../cli-context.ts';
import { ResultNotReadyError, ResultTypeError } from '../cli-errors.ts';
import { chooseDriver, closeDriver, createDriver } from '../driver-select.ts';
import { EXIT_CODES, type ExitCode } from '../exit-codes.ts';
import { flagOption, listOption, type OptionValues } from '../parse-command-line.ts';
import { isJobFailedError, printJobFailure, printResult } from '../result-report.ts';
import { importUserModule } from '../user-module.ts';

/** hpc result <id> [--wait] [--json] [--import <module>]... */
export async function runResult(
  values: OptionValues,
  positionals: string[],
  ctx: CliContext,
): Promise<ExitCode> {
  const id = positionals[0] as string;
  const json = flagOption(values, 'json');
  // Classes a result may hold are registered by modules the user names, never by the result file.
  for (const module of listOption(values, 'import')) await importUserModule(module, ctx.cwd);
  const driver = await createDriver(
    chooseDriver({ local: flagOption(values, 'local'), env: ctx.env, jobId: id }).kind,
  );
  try {
    if (flagOption(values, 'wait')) await driver.waitForJob(id);
    const value = await driver.getResult(id);
    printResult(ctx, id, value, json);
    return EXIT_CODES.ok;
  } catch (error) {
    if (isJobFailedError(error)) {
      printJobFailure(ctx, error, json);
      return EXIT_CODES.failed;
    }
    if (isHpcError(error, 'JobNotFinishedError')) {
      throw new ResultNotReadyError(id, describeJobState(error.state), { cause: error });
    }
    if (isHpcError(error, 'UnknownTypeError'))
      throw new ResultTypeError(id, (error as Error).message, { cause: error });
    throw await explainBatchId(driver, id, error, 'result');
  } finally {
    closeDriver(driver, ctx.stderr);
  }
}
