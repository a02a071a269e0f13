import { setTimeout as sleep } from 'node:timers/promises';
import { type Driver, isTerminalState } from '@hpc/core';
import { explainBatchId } from '../batch-hint.ts';
import type { CliContext } from '../cli-context.ts';
import { chooseDriver, closeDriver, createDriver } from '../driver-select.ts';
import { EXIT_CODES, type ExitCode } from '../exit-codes.ts';
import { shownLines } from '../output-safety.ts';
import { countOption, flagOption, type OptionValues } from '../parse-command-line.ts';

const FOLLOW_INTERVAL_MS = 1_000;

type Print = (text: string) => void;

/**
 * hpc logs <id> [--stderr] [--follow] [--tail N] [--raw]. The log is the job's own output, so its
 * control characters (colours, carriage returns, terminal titles) are shown escaped, newlines and
 * tabs kept; --raw writes it exactly as the job did.
 */
export async function runLogs(
  values: OptionValues,
  positionals: string[],
  ctx: CliContext,
): Promise<ExitCode> {
  const id = positionals[0] as string;
  const stream = flagOption(values, 'stderr') ? 'stderr' : 'stdout';
  const tailLines = countOption(values, 'tail', 'logs');
  const print: Print = flagOption(values, 'raw')
    ? (text) => ctx.stdout.writeRaw(text)
    : (text) => ctx.stdout.write(shownLines(text));
  const driver = await createDriver(
    chooseDriver({ local: flagOption(values, 'local'), env: ctx.env, jobId: id }).kind,
  );
  try {
    if (!flagOption(values, 'follow')) {
      const text = await driver.logs(id, { stream, ...(tailLines !== undefined ? { tailLines } : {}) });
      print(withFinalNewline(text));
      return EXIT_CODES.ok;
    }
    return await follow(driver, id, stream, tailLines, print);
  } catch (error) {
    throw await explainBatchId(driver, id, error, 'logs');
  } finally {
    closeDriver(driver, ctx.stderr);
  }
}

/**
 * Prints the log, then what is appended to it, until the job has finished (then once more, for
 * the last lines). Asks the driver for the job's state once per interval.
 */
async function follow(
  driver: Driver,
  id: string,
  stream: 'stdout' | 'stderr',
  tailLines: number | undefined,
  print: Print,
): Promise<ExitCode> {
  let printed = 0;
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.once('SIGINT', onInterrupt);
  try {
    if (tailLines !== undefined) {
      print(withFinalNewline(await driver.logs(id, { stream, tailLines })));
      printed = (await driver.logs(id, { stream })).length;
    }
    for (;;) {
      const finished = isTerminalState(await driver.checkJobStatus(id));
      const text = await driver.logs(id, { stream });
      if (text.length < printed) printed = 0; // truncated or replaced: start over
      if (text.length > printed) print(text.slice(printed));
      printed = text.length;
      if (finished) return EXIT_CODES.ok;
      await sleep(FOLLOW_INTERVAL_MS, undefined, { signal: controller.signal });
    }
  } catch (error) {
    if (controller.signal.aborted) return EXIT_CODES.interrupted;
    throw error;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

function withFinalNewline(text: string): string {
  return text && !text.endsWith('\n') ? `${text}\n` : text;
}
