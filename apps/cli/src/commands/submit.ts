import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type CrateRef, type Driver, describeJobState, type JobState, type SubmitOptions } from '@hpc/core';
import type { Process } from '@hpc/process';
import { loadCliConfig, withConfigDefaults } from '../cli-config.ts';
import type { CliContext } from '../cli-context.ts';
import { InputFileError, UsageError } from '../cli-errors.ts';
import { chooseDriver, closeDriver, createDriver } from '../driver-select.ts';
import { EXIT_CODES, type ExitCode } from '../exit-codes.ts';
import { shown, toSafeJson } from '../output-safety.ts';
import { flagOption, type OptionValues, stringOption } from '../parse-command-line.ts';
import { isJobFailedError, printJobFailure, printResult } from '../result-report.ts';
import { driverPaths, submitOptions } from '../submit-options.ts';
import { buildProcess, importUserModule, parseConstructorArgs, pickProcessExport } from '../user-module.ts';
import { BATCH_ONLY_OPTIONS, runSubmitBatch } from './submit-batch.ts';

/** hpc submit <module> | --crate <file>: prints the job id (or, with --wait, the result). */
export async function runSubmit(
  values: OptionValues,
  positionals: string[],
  ctx: CliContext,
): Promise<ExitCode> {
  const modulePath = positionals[0];
  const crate = stringOption(values, 'crate');
  if (modulePath !== undefined && crate !== undefined)
    throw new UsageError(
      `give a module or --crate, not both (got '${modulePath}' and --crate ${crate})`,
      'submit',
    );
  if (modulePath === undefined && crate === undefined)
    throw new UsageError(
      'missing <module>: usage: hpc submit <module.(js|ts)> [options] (or --crate <file>)',
      'submit',
    );
  if (crate === undefined) {
    for (const option of ['object'] as const) {
      if (values[option] !== undefined)
        throw new UsageError(`--${option} only applies with --crate`, 'submit');
    }
  } else {
    for (const option of ['export', 'args', 'each'] as const) {
      if (values[option] !== undefined)
        throw new UsageError(`--${option} only applies to a module, not to --crate`, 'submit');
    }
  }
  const each = stringOption(values, 'each');
  if (each === undefined) {
    for (const option of BATCH_ONLY_OPTIONS)
      if (values[option] !== undefined)
        throw new UsageError(`--${option} only applies with --each <file.jsonl>`, 'submit');
  } else if (values.args !== undefined) {
    throw new UsageError(
      "give --args or --each, not both: with --each every line holds one process's arguments",
      'submit',
    );
  }
  const json = flagOption(values, 'json');
  const config = loadCliConfig(ctx.env, ctx.cwd);
  const options = withConfigDefaults(config, submitOptions(values, ctx.cwd));
  const paths = driverPaths(values, config, ctx.cwd);
  const constructorArgs = parseConstructorArgs(stringOption(values, 'args'));
  const choice = chooseDriver({ local: flagOption(values, 'local'), env: ctx.env });
  if (each !== undefined) {
    if (choice.kind === 'local') warnIgnoredByLocal(options, ctx);
    return runSubmitBatch(values, modulePath as string, options, choice, ctx, paths);
  }

  let target: CrateRef | Process;
  if (crate !== undefined) {
    target = await crateTarget(crate, stringOption(values, 'object'), ctx.cwd);
  } else {
    const file = modulePath as string;
    const exports = await importUserModule(file, ctx.cwd);
    target = buildProcess(
      pickProcessExport(exports, file, stringOption(values, 'export')),
      constructorArgs,
      file,
    );
  }
  if (choice.kind === 'local') warnIgnoredByLocal(options, ctx);

  const wait = flagOption(values, 'wait');
  let id: string;
  if (choice.kind === 'local' && !wait) {
    // The job must outlive this command: a detached host process owns it (see local-host.ts).
    const { submitThroughHost } = await import('../local-host.ts');
    id = await submitThroughHost(target, options, ctx.env);
  } else {
    const driver = await createDriver(choice.kind, paths);
    try {
      id = await driver.submitJob(target, options);
      if (wait) return await waitAndReport(driver, id, ctx, json);
    } finally {
      closeDriver(driver, ctx.stderr);
    }
  }
  if (json) ctx.stdout.write(`${toSafeJson({ id, driver: choice.kind }, false)}\n`);
  else ctx.stdout.write(`${shown(id)}\n`);
  if (!json && ctx.stderr.isTTY) {
    const hint = shown(
      `submitted ${id} (${choice.kind} driver: ${choice.reason}); follow it with: hpc status ${id} --watch`,
    );
    ctx.stderr.write(ctx.stderr.style.dim(`${hint}\n`));
  }
  return EXIT_CODES.ok;
}

async function crateTarget(crate: string, object: string | undefined, cwd: string): Promise<CrateRef> {
  const path = resolve(cwd, crate);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new InputFileError(`crate file not found: ${crate} (looked at ${path})`, crate);
  return object === undefined ? { crate: path } : { crate: path, object };
}

function warnIgnoredByLocal(options: SubmitOptions, ctx: CliContext): void {
  const ignored: string[] = [];
  if (options.modules?.length) ignored.push('--module');
  if ((options as { modulePaths?: string[] }).modulePaths?.length) ignored.push('--module-path');
  if (options.condaEnv !== undefined) ignored.push('--conda-env');
  const slurmKeys = Object.keys(options.slurmArgs ?? {}).filter((key) => key !== 'time');
  if (slurmKeys.length) ignored.push(slurmKeys.map((key) => `--slurm-arg ${key}`).join(', '));
  if (ignored.length)
    ctx.stderr.write(
      ctx.stderr.style.yellow(`hpc submit: the local driver ignores ${shown(ignored.join(', '))}\n`),
    );
}

/** --wait: follow the job (a one-line progress on a terminal), then print its result or its failure. */
async function waitAndReport(driver: Driver, id: string, ctx: CliContext, json: boolean): Promise<ExitCode> {
  const line = (state: JobState) => shown(`${id}: ${describeJobState(state)}`);
  if (!json) ctx.stderr.write(`${shown(id)}\n`);
  const state = await driver.waitForJob(id, {
    onState: (next) => {
      if (ctx.stderr.isTTY && !json) ctx.stderr.write(ctx.stderr.style.dim(`\r${line(next)}\u001b[K`));
    },
  });
  if (ctx.stderr.isTTY && !json) ctx.stderr.write(`\r${line(state)}\u001b[K\n`);
  try {
    printResult(ctx, id, await driver.getResult(id), json);
    return EXIT_CODES.ok;
  } catch (error) {
    if (!isJobFailedError(error)) throw error;
    printJobFailure(ctx, error, json);
    return EXIT_CODES.failed;
  }
}
