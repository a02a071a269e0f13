import { type CrateDigest, escapeUnsafeText, HpcError, isCrateDigest, type Sharing } from '@hpc/core';

/**
 * node-runner's command line:
 *   [--import <module>]... [--object <path>] [--job-dir <dir>] [--crate-digest sha256:<hex>]
 *   [--job-id <id>] [--share private|group] [--max-restarts <n> [--node-requeue]] <crate-file>
 * or, for one task of a batch (submitJobs):
 *   [--import <module>]... [--share private|group] --batch <batch-dir>
 *   (--task <n> | --task-offset <n>) [--task-id <id>] [--process <index>]
 */

/** One task of a batch: which folder, which task (global index, or an offset to add to $SLURM_ARRAY_TASK_ID). */
export interface BatchTaskArgs {
  dir: string;
  task?: number | undefined;
  taskOffset?: number | undefined;
  /** The task's id for ctx.jobId (default: $SLURM_ARRAY_JOB_ID_$SLURM_ARRAY_TASK_ID). */
  taskId?: string | undefined;
  /** Run only this process of the task (a retry of one process, by its batch index). */
  process?: number | undefined;
}
export interface RunnerArgs {
  imports: string[];
  crate: string;
  object: string | undefined;
  jobDir: string | undefined;
  /** The crate's SHA-256 at submission (StagedJob.crateDigest): checked before the crate is loaded. */
  crateDigest?: CrateDigest | undefined;
  /** The driver's job id, given to run() as ctx.jobId (default: $SLURM_JOB_ID). */
  jobId?: string | undefined;
  /** Modes of the files the job writes (default: $HPC_SHARE, else private). */
  share?: Sharing | undefined;
  /** A Process with checkpoint() is saved for a restart at its time limit or preemption, at most this often. */
  maxRestarts?: number | undefined;
  /** After such a save, requeue the job with `scontrol requeue $SLURM_JOB_ID` when that works (else exit 75). */
  nodeRequeue?: boolean | undefined;
  /** Set for a batch task: then there is no crate argument. */
  batch?: BatchTaskArgs | undefined;
}

export const RUNNER_USAGE =
  'usage: node-runner [--import <module>]... [--object </path/in/h5>] [--job-dir <dir>] [--crate-digest sha256:<hex>] [--job-id <id>] [--share private|group] [--max-restarts <n> [--node-requeue]] <crate-file>\n' +
  '       node-runner [--import <module>]... [--share private|group] --batch <batch-dir> (--task <n> | --task-offset <n>) [--task-id <id>] [--process <index>]';

/** The runner was started with a command line it does not understand (a driver bug or a typo). */
export class RunnerUsageError extends HpcError {
  readonly _tag = 'RunnerUsageError';
  constructor(message: string) {
    // Arguments come from a command line: never let them drive the terminal.
    super(`${escapeUnsafeText(message)}\n${RUNNER_USAGE}`);
  }
}

const SHARINGS: readonly string[] = ['private', 'group'] satisfies Sharing[];

export function parseRunnerArgs(argv: readonly string[]): RunnerArgs {
  const args: RunnerArgs = { imports: [], crate: '', object: undefined, jobDir: undefined };
  let crate: string | undefined;
  const batch: Partial<BatchTaskArgs> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new RunnerUsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === '--import') args.imports.push(value());
    else if (arg === '--object') args.object = value();
    else if (arg === '--job-dir') args.jobDir = value();
    else if (arg === '--crate-digest') args.crateDigest = digest(value());
    else if (arg === '--job-id') args.jobId = value();
    else if (arg === '--share') args.share = sharing(value());
    else if (arg === '--max-restarts') args.maxRestarts = taskNumber(arg, value());
    else if (arg === '--node-requeue') args.nodeRequeue = true;
    else if (arg === '--batch') batch.dir = value();
    else if (arg === '--task') batch.task = taskNumber(arg, value());
    else if (arg === '--task-offset') batch.taskOffset = taskNumber(arg, value());
    else if (arg === '--task-id') batch.taskId = value();
    else if (arg === '--process') batch.process = taskNumber(arg, value());
    else if (arg.startsWith('--')) throw new RunnerUsageError(`unknown option ${arg}`);
    else if (crate === undefined) crate = arg;
    else throw new RunnerUsageError(`unexpected argument ${arg}`);
  }
  if (Object.keys(batch).length > 0) return { ...args, batch: batchArgs(batch, crate) };
  if (crate === undefined) throw new RunnerUsageError('missing the crate file');
  if (args.nodeRequeue && args.maxRestarts === undefined)
    throw new RunnerUsageError('--node-requeue needs --max-restarts');
  return { ...args, crate };
}

function batchArgs(batch: Partial<BatchTaskArgs>, crate: string | undefined): BatchTaskArgs {
  if (batch.dir === undefined)
    throw new RunnerUsageError('--task, --task-offset, --task-id and --process need --batch');
  if (crate !== undefined) throw new RunnerUsageError(`a batch task takes no crate argument (got ${crate})`);
  if ((batch.task === undefined) === (batch.taskOffset === undefined))
    throw new RunnerUsageError('--batch needs exactly one of --task and --task-offset');
  return batch as BatchTaskArgs;
}

function taskNumber(flag: string, text: string): number {
  if (!/^\d{1,9}$/.test(text))
    throw new RunnerUsageError(`${flag} must be a whole number, not ${JSON.stringify(text)}`);
  return Number(text);
}

/** The argument list that parseRunnerArgs reads back (one place that knows the flags). */
export function formatRunnerArgs(args: RunnerArgs): string[] {
  const argv: string[] = [];
  for (const module of args.imports) argv.push('--import', module);
  if (args.object !== undefined) argv.push('--object', args.object);
  if (args.jobDir !== undefined) argv.push('--job-dir', args.jobDir);
  if (args.crateDigest !== undefined) argv.push('--crate-digest', digest(args.crateDigest));
  if (args.jobId !== undefined) argv.push('--job-id', args.jobId);
  if (args.share !== undefined) argv.push('--share', sharing(args.share));
  if (args.maxRestarts !== undefined) {
    argv.push('--max-restarts', String(args.maxRestarts));
    if (args.nodeRequeue) argv.push('--node-requeue');
  }
  if (args.batch) {
    argv.push('--batch', args.batch.dir);
    if (args.batch.task !== undefined) argv.push('--task', String(args.batch.task));
    if (args.batch.taskOffset !== undefined) argv.push('--task-offset', String(args.batch.taskOffset));
    if (args.batch.taskId !== undefined) argv.push('--task-id', args.batch.taskId);
    if (args.batch.process !== undefined) argv.push('--process', String(args.batch.process));
    return argv;
  }
  argv.push(args.crate);
  return argv;
}

function digest(text: string): CrateDigest {
  if (!isCrateDigest(text))
    throw new RunnerUsageError(
      `--crate-digest must be sha256:<64 lower-case hex digits>, not ${JSON.stringify(text)}`,
    );
  return text;
}

function sharing(text: string): Sharing {
  if (!SHARINGS.includes(text))
    throw new RunnerUsageError(`--share must be private or group, not ${JSON.stringify(text)}`);
  return text as Sharing;
}

declare module '@hpc/core' {
  /** This file's error tags, for `isHpcError(error, tag)` (checked at compile time). */
  interface HpcErrorTags {
    RunnerUsageError: RunnerUsageError;
  }
}
