import { setTimeout as sleep } from 'node:timers/promises';
import { attemptLogFiles, attemptLogHeader } from '@hpc/container';
import { type Driver, isTerminalState } from '@hpc/core';
import { explainBatchId } from '../batch-hint.ts';
import type { CliContext } from '../cli-context.ts';
import { chooseDriver, closeDriver, createDriver } from '../driver-select.ts';
import { EXIT_CODES, type ExitCode } from '../exit-codes.ts';
import { LogCursor } from '../log-cursor.ts';
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
      if (tailLines !== undefined) print(withFinalNewline(await driver.logs(id, { stream, tailLines })));
      else await printWhole(driver, id, stream, print);
      return EXIT_CODES.ok;
    }
    return await follow(driver, id, stream, tailLines, print, (text) => ctx.stderr.write(text));
  } catch (error) {
    throw await explainBatchId(driver, id, error, 'logs');
  } finally {
    closeDriver(driver, ctx.stderr);
  }
}

/**
 * Prints the log, then what is appended to it, until the job has finished (then once more, for
 * the last lines). Each round reads only the bytes added since the last one (LogCursor), so a
 * large log is not read again every second; asks the driver for the job's state once per round.
 */
async function follow(
  driver: Driver,
  id: string,
  stream: 'stdout' | 'stderr',
  tailLines: number | undefined,
  print: Print,
  notice: Print,
): Promise<ExitCode> {
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.once('SIGINT', onInterrupt);
  try {
    const cursor = new LogCursor(await driver.logFile(id, { stream }));
    const ended = trackFinalNewline(print);
    if (tailLines !== undefined) {
      ended.print(await driver.logs(id, { stream, tailLines }));
      ended.print(ended.needsNewline() ? '\n' : '');
      await cursor.skipToEnd();
    } else {
      // Earlier attempts first (they no longer change), then the current one as it grows.
      const files = attemptLogFiles(cursor.file);
      for (const { number, file } of files.slice(0, -1)) await printAttempt(number, file, ended.print);
      if (files.length > 1) ended.print(attemptLogHeader(files.at(-1)?.number ?? files.length));
    }
    for (;;) {
      const finished = isTerminalState(await driver.checkJobStatus(id));
      if ((await cursor.printNew(ended.print)) === 'restarted')
        notice(`hpc logs: ${cursor.file} was truncated or replaced; printing it again from its start\n`);
      if (finished) {
        cursor.flush(ended.print);
        if (ended.needsNewline()) ended.print('\n');
        return EXIT_CODES.ok;
      }
      await sleep(FOLLOW_INTERVAL_MS, undefined, { signal: controller.signal });
    }
  } catch (error) {
    if (controller.signal.aborted) return EXIT_CODES.interrupted;
    throw error;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

/**
 * The whole log, printed piece by piece (never read into one string), ending with a newline. A
 * job resubmitted as new attempts (retries, restarts after a preemption) has its earlier attempts'
 * logs archived beside it: each attempt is printed under its `==> attempt n <==` line, oldest first.
 */
async function printWhole(
  driver: Driver,
  id: string,
  stream: 'stdout' | 'stderr',
  print: Print,
): Promise<void> {
  const files = attemptLogFiles(await driver.logFile(id, { stream }));
  const ended = trackFinalNewline(print);
  if (files.length === 1) await printFile(files[0]?.file as string, ended.print);
  else for (const { number, file } of files) await printAttempt(number, file, ended.print);
  if (ended.needsNewline()) ended.print('\n');
}

/** One attempt's log under its header line, ending with a newline. */
async function printAttempt(number: number, file: string, print: Print): Promise<void> {
  const ended = trackFinalNewline(print);
  ended.print(attemptLogHeader(number));
  await printFile(file, ended.print);
  if (ended.needsNewline()) ended.print('\n');
}

async function printFile(file: string, print: Print): Promise<void> {
  const cursor = new LogCursor(file);
  await cursor.printNew(print);
  cursor.flush(print);
}

/** Wraps print to remember whether the last text printed ended a line. */
function trackFinalNewline(print: Print): { print: Print; needsNewline: () => boolean } {
  let last = '';
  return {
    print: (text) => {
      if (!text) return;
      last = text;
      print(text);
    },
    needsNewline: () => last !== '' && !last.endsWith('\n'),
  };
}

function withFinalNewline(text: string): string {
  return text && !text.endsWith('\n') ? `${text}\n` : text;
}
