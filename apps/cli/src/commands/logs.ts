import { setTimeout as sleep } from 'node:timers/promises';
import { type Driver, isTerminalState } from '@hpc/core';
import type { CliContext } from '../cli-context.ts';
import { chooseDriver, createDriver } from '../driver-select.ts';
import { EXIT_CODES, type ExitCode } from '../exit-codes.ts';
import { countOption, flagOption, type OptionValues } from '../parse-command-line.ts';

const FOLLOW_INTERVAL_MS = 1_000;

/** hpc logs <id> [--stderr] [--follow] [--tail N] */
export async function runLogs(
  values: OptionValues,
  positionals: string[],
  ctx: CliContext,
): Promise<ExitCode> {
  const id = positionals[0] as string;
  const stream = flagOption(values, 'stderr') ? 'stderr' : 'stdout';
  const tailLines = countOption(values, 'tail', 'logs');
  const driver = await createDriver(
    chooseDriver({ local: flagOption(values, 'local'), env: ctx.env, jobId: id }).kind,
  );
  try {
    if (!flagOption(values, 'follow')) {
      const text = await driver.logs(id, { stream, ...(tailLines !== undefined ? { tailLines } : {}) });
      ctx.stdout.write(text && !text.endsWith('\n') ? `${text}\n` : text);
      return EXIT_CODES.ok;
    }
    return await follow(driver, id, stream, tailLines, ctx);
  } finally {
    driver.close?.();
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
  ctx: CliContext,
): Promise<ExitCode> {
  let printed = 0;
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.once('SIGINT', onInterrupt);
  try {
    if (tailLines !== undefined) {
      const tail = await driver.logs(id, { stream, tailLines });
      ctx.stdout.write(tail && !tail.endsWith('\n') ? `${tail}\n` : tail);
      printed = (await driver.logs(id, { stream })).length;
    }
    for (;;) {
      const finished = isTerminalState(await driver.checkJobStatus(id));
      const text = await driver.logs(id, { stream });
      if (text.length < printed) printed = 0; // truncated or replaced: start over
      if (text.length > printed) ctx.stdout.write(text.slice(printed));
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
