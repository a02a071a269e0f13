import { MAX_BATCH_SIZE } from '@hpc/container';
import type { BatchOptions, JobState, SubmitOptions } from '@hpc/core';
import { batchIdsOf } from '../batch-groups.ts';
import { buildBatch, readBatchLines } from '../batch-input.ts';
import type { CliContext } from '../cli-context.ts';
import { UsageError } from '../cli-errors.ts';
import { closeDriver, createDriver, type DriverChoice, type DriverPaths } from '../driver-select.ts';
import { EXIT_CODES, type ExitCode } from '../exit-codes.ts';
import { shown, toSafeJson } from '../output-safety.ts';
import { countOption, flagOption, type OptionValues, stringOption } from '../parse-command-line.ts';
import { importUserModule, pickProcessExport } from '../user-module.ts';

/** The options only `--each` gives a meaning to. */
export const BATCH_ONLY_OPTIONS = ['parallelism', 'per-task'] as const;

/**
 * hpc submit <module> --each <file.jsonl> [--parallelism n] [--per-task n]: one process per line,
 * all submitted as one batch (driver.submitJobs). Every line is read and every process built
 * before anything is submitted; stdout gets the batch id(s) alone, stderr the count.
 */
export async function runSubmitBatch(
  values: OptionValues,
  file: string,
  options: SubmitOptions,
  choice: DriverChoice,
  ctx: CliContext,
  paths: DriverPaths = {},
): Promise<ExitCode> {
  const each = stringOption(values, 'each') as string;
  const batch: BatchOptions = { ...options, ...batchOptions(values) };
  const lines = await readBatchLines(each, ctx.cwd);
  const exports = await importUserModule(file, ctx.cwd);
  const found = pickProcessExport(exports, file, stringOption(values, 'export'));
  const processes = buildBatch(found, lines, each);
  const json = flagOption(values, 'json');

  const wait = flagOption(values, 'wait');
  if (choice.kind === 'local' && !wait) {
    const { submitBatchThroughHost } = await import('../local-batch-host.ts');
    const ids = await submitBatchThroughHost(
      { module: file, exportName: found.exportName, args: lines.map((line) => line.args), cwd: ctx.cwd },
      batch,
      ctx.env,
    );
    reportSubmitted(ids, choice, json, ctx, false);
    return EXIT_CODES.ok;
  }
  const driver = await createDriver(choice.kind, paths);
  try {
    const ids = await driver.submitJobs(processes, batch);
    if (!wait) {
      reportSubmitted(ids, choice, json, ctx, false);
      return EXIT_CODES.ok;
    }
    // The ids first (a long wait should not hide them), then the states once every process has ended.
    if (!json) reportSubmitted(ids, choice, json, ctx, true);
    const summary = countStates(await driver.waitForJobs(ids));
    if (json) reportSubmitted(ids, choice, json, ctx, true, summary);
    else ctx.stderr.write(`${shown(describeCounts(summary))}\n`);
    return Object.keys(summary).every((status) => status === 'completed') ? EXIT_CODES.ok : EXIT_CODES.failed;
  } finally {
    closeDriver(driver, ctx.stderr);
  }
}

/** stdout: the batch id(s) alone, or the JSON document; stderr: the count and the id range. */
function reportSubmitted(
  ids: readonly string[],
  choice: DriverChoice,
  json: boolean,
  ctx: CliContext,
  waiting: boolean,
  summary?: Record<string, number>,
): void {
  const batches = batchIdsOf(ids);
  if (json) {
    ctx.stdout.write(
      `${toSafeJson({ batches, count: ids.length, ids, driver: choice.kind, ...(summary ? { summary } : {}) }, false)}\n`,
    );
    return;
  }
  ctx.stdout.write(`${shown(batches.join(' '))}\n`);
  const range = ids.length > 1 ? `${ids[0]} … ${ids.at(-1)}` : `${ids[0]}`;
  const count = `${ids.length} process${ids.length === 1 ? '' : 'es'}`;
  ctx.stderr.write(
    `${shown(`submitted ${count} as batch ${batches.join(' ')} (${range}; ${choice.kind} driver)`)}\n`,
  );
  if (!waiting && ctx.stderr.isTTY)
    ctx.stderr.write(
      ctx.stderr.style.dim(`${shown(`follow it with: hpc status ${batches.join(' ')} --watch`)}\n`),
    );
}

/** --parallelism and --per-task: positive whole numbers (countOption), given only with --each. */
function batchOptions(values: OptionValues): Pick<BatchOptions, 'parallelism' | 'processesPerTask'> {
  const parallelism = countOption(values, 'parallelism', 'submit');
  const perTask = countOption(values, 'per-task', 'submit');
  for (const [name, value] of [
    ['parallelism', parallelism],
    ['per-task', perTask],
  ] as const)
    if (value !== undefined && value > MAX_BATCH_SIZE)
      throw new UsageError(`--${name} expects at most ${MAX_BATCH_SIZE}, got ${value}`, 'submit');
  return {
    ...(parallelism !== undefined ? { parallelism } : {}),
    ...(perTask !== undefined ? { processesPerTask: perTask } : {}),
  };
}

function countStates(states: ReadonlyMap<string, JobState>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const state of states.values()) counts[state.status] = (counts[state.status] ?? 0) + 1;
  return counts;
}

function describeCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([status, n]) => `${n} ${status}`)
    .join(' · ');
}
