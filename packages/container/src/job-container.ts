import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import {
  type InfrastructureFailure,
  isHpcError,
  RUN_OUTCOME_VERSION,
  type RunOutcome,
  toRemoteError,
  writeFileAtomic,
} from '@hpc/core';
import { type AbortReason, isProcess, type Process, type RunContext } from '@hpc/process';
import { Serializer } from '@hpc/serializer';
import { InterruptedError, NotAProcessError } from './errors.ts';
import { jobPaths } from './job-paths.ts';
import { loadCrate } from './load-crate.ts';
import { createLogger } from './logger.ts';
import { writeOutcome } from './outcome-files.ts';
import { OutputCapture } from './output-capture.ts';
import { runGuarded } from './run-guard.ts';

export interface JobContainerOptions {
  /** Object path inside an HDF5 crate, e.g. '/my_process'. */
  object?: string;
  /** Folder for logs, result and outcome (default: the crate's folder). */
  jobDir?: string;
  /** Scheduler job id, passed to run() (default: $SLURM_JOB_ID). */
  jobId?: string;
  /** Copy captured output to the real stdout/stderr too (default true). */
  passThroughOutput?: boolean;
  /** After an interrupt, how long run() may take to return before the outcome says 'signalled'. */
  interruptGraceMs?: number;
}

export interface ExecuteOptions {
  /** Aborting it interrupts the job like SIGTERM does. */
  signal?: AbortSignal;
}

const DEFAULT_INTERRUPT_GRACE_MS = 10_000;

/**
 * Loads a serialized Process and runs it in isolation: its own working folder, its output
 * captured to files, and its result and outcome record written atomically, the outcome last.
 * Never throws for anything the job did: every failure becomes a recorded outcome.
 */
export class JobContainer {
  readonly crate: string;
  readonly object: string | undefined;
  readonly jobDir: string;
  private readonly options: JobContainerOptions;
  private interruption: AbortReason | undefined;
  /** Aborts when an interrupted run() has used up its grace period. */
  private readonly deadline = new AbortController();
  private running: { process: Process; context: RunContext; controller: AbortController } | undefined;

  constructor(crate: string, options: JobContainerOptions = {}) {
    this.crate = resolve(crate);
    this.object = options.object;
    this.jobDir = resolve(options.jobDir ?? dirname(this.crate));
    this.options = options;
  }

  /** Runs the job once and returns the outcome it recorded. */
  async execute(options: ExecuteOptions = {}): Promise<RunOutcome> {
    const paths = jobPaths(this.jobDir);
    const startedAt = new Date();
    await mkdir(paths.workDir, { recursive: true });
    const capture = new OutputCapture(paths.stdout, paths.stderr, this.options.passThroughOutput ?? true);
    const previousCwd = process.cwd();
    const onExternalAbort = () => this.interrupt('cancelled');
    options.signal?.addEventListener('abort', onExternalAbort, { once: true });
    let body: OutcomeBody;
    try {
      body = await this.loadAndRun(paths.workDir, paths.result);
    } finally {
      options.signal?.removeEventListener('abort', onExternalAbort);
      if (isMainThread) process.chdir(previousCwd);
      await capture.stop();
    }
    return this.record(startedAt, body);
  }

  /** Records an infrastructure failure that happened before execute() could run (e.g. an import failed). */
  async recordFailure(reason: InfrastructureFailure, error: unknown): Promise<RunOutcome> {
    await mkdir(this.jobDir, { recursive: true });
    return this.record(new Date(), infrastructure(reason, error));
  }

  /** Stamps the outcome with times and host, and writes it atomically: the last file a job writes. */
  private async record(startedAt: Date, body: OutcomeBody): Promise<RunOutcome> {
    const finishedAt = new Date();
    const jobId = this.jobId();
    const outcome = {
      ...body,
      version: RUN_OUTCOME_VERSION,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      host: hostname(),
      pid: process.pid,
      ...(jobId ? { jobId } : {}),
    } as RunOutcome;
    await writeOutcome(this.jobDir, outcome);
    return outcome;
  }

  /**
   * Asks the running job to stop: calls its checkpoint() hook, then aborts ctx.signal with the
   * reason. run() has `interruptGraceMs` to return before the outcome records 'signalled'.
   */
  async interrupt(reason: AbortReason): Promise<void> {
    if (this.interruption) return;
    this.interruption = reason;
    const running = this.running;
    if (!running) return;
    try {
      await running.process.checkpoint?.(running.context);
    } catch (error) {
      running.context.logger.error('checkpoint() failed:', error);
    }
    running.controller.abort(reason);
    const grace = this.options.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS;
    setTimeout(() => this.deadline.abort(new InterruptedError(reason)), grace).unref();
  }

  private jobId(): string | undefined {
    return this.options.jobId ?? process.env.SLURM_JOB_ID;
  }

  private async loadAndRun(workDir: string, resultFile: string): Promise<OutcomeBody> {
    let target: unknown;
    try {
      target = await loadCrate(this.crate, this.object);
      if (!isProcess(target)) throw new NotAProcessError(this.crate, describe(target));
    } catch (error) {
      return infrastructure(classifyLoadError(error), error);
    }
    if (this.interruption)
      return {
        ...infrastructure('signalled', new InterruptedError(this.interruption)),
        interruption: this.interruption,
      };
    const controller = new AbortController();
    const context: RunContext = {
      workDir,
      jobDir: this.jobDir,
      jobId: this.jobId(),
      attempt: Number(process.env.SLURM_RESTART_COUNT ?? 0) || 0,
      signal: controller.signal,
      logger: createLogger(),
    };
    this.running = { process: target, context, controller };
    if (isMainThread) process.chdir(workDir);
    let result: unknown;
    try {
      result = await runGuarded(() => this.raceInterruption((target as Process).run(context)));
    } catch (error) {
      if (isHpcError(error, 'ExitCalledError')) return infrastructure('exit-called', error);
      if (this.interruption)
        return { ...infrastructure('signalled', error), interruption: this.interruption };
      return { status: 'failed', kind: 'process', error: toRemoteError(error) };
    } finally {
      this.running = undefined;
    }
    try {
      await writeFileAtomic(resultFile, Serializer.encode(result));
    } catch (error) {
      return infrastructure('result-unserializable', error);
    }
    return { status: 'ok', resultFile: 'result.bin' };
  }

  /** Stops waiting for an interrupted run() once its grace period is over. */
  private raceInterruption<T>(run: T | Promise<T>): Promise<T> {
    const { signal } = this.deadline;
    const overdue = new Promise<never>((_, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    return Promise.race([Promise.resolve(run), overdue]);
  }
}

type OutcomeStamp = Pick<
  RunOutcome,
  'version' | 'startedAt' | 'finishedAt' | 'durationMs' | 'host' | 'pid' | 'jobId'
>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An outcome before it is stamped with times and host. */
type OutcomeBody = DistributiveOmit<RunOutcome, keyof OutcomeStamp>;

function infrastructure(reason: InfrastructureFailure, error: unknown) {
  return { status: 'failed' as const, kind: 'infrastructure' as const, reason, error: toRemoteError(error) };
}

function classifyLoadError(error: unknown): InfrastructureFailure {
  if (isHpcError(error, 'FileMissingError')) return 'crate-missing';
  if (isHpcError(error, 'UnknownTypeError')) return 'unknown-type';
  if (isHpcError(error, 'NotAProcessError')) return 'not-a-process';
  if (isHpcError(error, 'ObjectNotFoundError', 'ObjectPathRequiredError', 'InvalidObjectPathError'))
    return 'object-missing';
  if (isHpcError(error)) return 'crate-corrupt';
  return 'internal';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return `a ${typeof value}`;
  const name = Object.getPrototypeOf(value)?.constructor?.name;
  return name ? `an instance of ${name}` : 'an object';
}
