import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import {
  asFileWriteError,
  type CheckpointNote,
  type CrateDigest,
  type FileModes,
  fileModes,
  type InfrastructureFailure,
  isHpcError,
  makeDirectory,
  RUN_OUTCOME_VERSION,
  type RunOutcome,
  type Sharing,
  toRemoteError,
  writeFileAtomic,
} from '@hpc/core';
import { type AbortReason, isProcess, type Process, type RunContext } from '@hpc/process';
import { Serializer } from '@hpc/serializer';
import {
  bundleEntryDigest,
  checkpointForRestart,
  loadCheckpointed,
  type RestartSettings,
} from './checkpoint-save.ts';
import { verifyCrate } from './crate-copy.ts';
import { InterruptedError, NotAProcessError } from './errors.ts';
import { classifyLoadError, infrastructure } from './failure-reasons.ts';
import type { CheckpointRecord } from './job-folder/checkpoint-record.ts';
import { JOB_FILES, jobPaths } from './job-folder/job-files.ts';
import { writeOutcome } from './job-folder/outcome-files.ts';
import { type BundleEntryRef, loadBundleEntry, loadCrate } from './load-crate.ts';
import { createLogger } from './logger.ts';
import { OutputCapture } from './output-capture.ts';
import { ProgressWriter } from './progress-writer.ts';
import { runGuarded } from './run-guard.ts';
import { startUsageMeter, type UsageMeter } from './run-usage.ts';
import { changeDirectory, returnTo } from './working-directory.ts';

export interface JobContainerOptions {
  /** Object path inside an HDF5 crate, e.g. '/my_process'. */
  object?: string;
  /** Folder for logs, result and outcome (default: the crate's folder). */
  jobDir?: string;
  /** Scheduler job id, passed to run() (default: $SLURM_JOB_ID). */
  jobId?: string;
  /** The crate's digest at submission: the crate is checked against it before it is loaded. */
  crateDigest?: CrateDigest;
  /** Who may read what the job writes (default $HPC_SHARE, else private: 0600 files, 0700 folders). */
  share?: Sharing;
  /** Copy captured output to the real stdout/stderr too (default true). */
  passThroughOutput?: boolean;
  /** After an interrupt, how long run() may take to return before the outcome says 'signalled'. */
  interruptGraceMs?: number;
  /** The crate is entry `index` of a bundle (a batch's processes.bin) whose id must be `bundleId`. */
  bundleEntry?: BundleEntryRef;
  /** Given to run() as ctx.batchIndex / ctx.arrayTaskId. */
  batchIndex?: number;
  arrayTaskId?: number;
  /** Asked before the process starts and every CANCEL_CHECK_MS while it runs: true cancels it alone. */
  cancelRequested?: () => boolean;
  /**
   * The job is restarted from its checkpoint (time limit, preemption) at most `maxRestarts` times:
   * at the signal the object is saved as its next crate (checkpoint-save.ts). Unset: checkpoint()
   * is only called.
   */
  restart?: RestartSettings;
}

/** How often a running batch process looks for its cancel marker (a stat). */
const CANCEL_CHECK_MS = 500;

export interface ExecuteOptions {
  /** Aborting it interrupts the job like SIGTERM does. */
  signal?: AbortSignal;
}

const DEFAULT_INTERRUPT_GRACE_MS = 10_000;

/**
 * Loads a serialized Process and runs it in isolation: its own working folder, its output
 * captured to files, and its result and outcome record written atomically, the outcome last.
 * Never throws for anything the job did: every failure becomes a recorded outcome. It throws
 * only when the outcome itself cannot be written (a FileWriteError naming outcome.json).
 */
export class JobContainer {
  readonly crate: string;
  readonly object: string | undefined;
  readonly jobDir: string;
  private readonly options: JobContainerOptions;
  private readonly modes: FileModes;
  private interruption: AbortReason | undefined;
  /** When the time-limit warning came (it stops only a Process that has checkpoint()). */
  private warnedAt: Date | undefined;
  /** Aborts when an interrupted run() has used up its grace period. */
  private readonly deadline = new AbortController();
  private running: { process: Process; context: RunContext; controller: AbortController } | undefined;
  /** Set when cancelRequested() said so: the outcome says 'cancelled' rather than 'signalled'. */
  private cancelledByRequest = false;
  /** Measures the run from execute() on; its figures go into the outcome. */
  private meter: UsageMeter | undefined;
  /** ctx.progress(): coalesced writes of progress.json; the last value goes into the outcome. */
  private progress: ProgressWriter | undefined;
  /** When SIGTERM came to a Process that can checkpoint (a preemption). */
  private terminatedAt: Date | undefined;
  /** The checkpoint this run was revived from. */
  private resumed: CheckpointRecord | undefined;
  /** checkpoint() and the save, once started; its note goes into the outcome. */
  private checkpointing: Promise<CheckpointNote | undefined> | undefined;
  private checkpointNote: CheckpointNote | undefined;

  constructor(crate: string, options: JobContainerOptions = {}) {
    this.crate = resolve(crate);
    this.object = options.object;
    this.jobDir = resolve(options.jobDir ?? dirname(this.crate));
    this.options = options;
    this.modes = fileModes(options.share);
  }

  /** Runs the job once and returns the outcome it recorded. */
  async execute(options: ExecuteOptions = {}): Promise<RunOutcome> {
    const paths = jobPaths(this.jobDir);
    const startedAt = new Date();
    this.meter = startUsageMeter();
    if (this.options.cancelRequested?.()) {
      this.cancelledByRequest = true;
      return this.recordFailure('cancelled', new InterruptedError('cancelled'));
    }
    let capture: OutputCapture;
    try {
      await makeDirectory(paths.workDir, this.modes.dir);
      capture = new OutputCapture(paths.stdout, paths.stderr, {
        passThrough: this.options.passThroughOutput ?? true,
        mode: this.modes.file,
      });
    } catch (error) {
      return this.record(startedAt, infrastructure('io-error', asFileWriteError(error, paths.workDir)));
    }
    const previousCwd = process.cwd();
    const onExternalAbort = () => this.interrupt('cancelled');
    options.signal?.addEventListener('abort', onExternalAbort, { once: true });
    const cancelWatch = this.watchCancelRequest();
    let body: OutcomeBody;
    try {
      body = await this.loadAndRun(paths.workDir, paths.result);
    } finally {
      if (cancelWatch) clearInterval(cancelWatch);
      options.signal?.removeEventListener('abort', onExternalAbort);
      returnTo(previousCwd);
      await capture.stop();
    }
    return this.record(startedAt, body);
  }

  private watchCancelRequest(): NodeJS.Timeout | undefined {
    const asked = this.options.cancelRequested;
    if (!asked) return undefined;
    const timer = setInterval(() => {
      if (!asked()) return;
      clearInterval(timer);
      this.cancelledByRequest = true;
      void this.interrupt('cancelled');
    }, CANCEL_CHECK_MS);
    timer.unref();
    return timer;
  }

  /** Records an infrastructure failure that happened before execute() could run (e.g. an import failed). */
  async recordFailure(reason: InfrastructureFailure, error: unknown): Promise<RunOutcome> {
    await makeDirectory(this.jobDir, this.modes.dir).catch(() => {}); // writeOutcome names the failure
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
      ...(this.warnedAt ? { warnedAt: this.warnedAt.toISOString() } : {}),
      ...(this.meter ? { usage: this.meter.stop() } : {}),
      ...(this.progress?.last ? { progress: this.progress.last } : {}),
      ...(this.checkpointNote ? { checkpoint: this.checkpointNote } : {}),
    } as RunOutcome;
    await writeOutcome(this.jobDir, outcome, this.modes.file);
    return outcome;
  }

  /**
   * Asks the running job to stop: aborts ctx.signal with the reason, then calls its checkpoint()
   * hook (at a time limit or preemption also saving the object for its restart, see `restart`).
   * run() has `interruptGraceMs` after that to return before the outcome records 'signalled'.
   */
  async interrupt(reason: AbortReason): Promise<void> {
    if (this.interruption) return;
    this.interruption = reason;
    const running = this.running;
    if (!running) return;
    running.controller.abort(reason);
    this.checkpointing = this.checkpoint(running, reason);
    await this.checkpointing;
    const grace = this.options.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS;
    setTimeout(() => this.deadline.abort(new InterruptedError(reason)), grace).unref();
  }

  /** SIGTERM: a Process that can checkpoint takes it as a preemption (saved, SLURM requeues it); others stop. */
  async terminate(): Promise<void> {
    const running = this.running;
    if (!running || !hasCheckpoint(running.process)) return this.interrupt('terminated');
    this.terminatedAt ??= new Date();
    return this.interrupt('preempted');
  }

  private async checkpoint(
    running: NonNullable<JobContainer['running']>,
    reason: AbortReason,
  ): Promise<CheckpointNote | undefined> {
    if (reason !== 'time-limit' && reason !== 'preempted') {
      await Promise.resolve(running.process.checkpoint?.(running.context)).catch((error: unknown) => {
        running.context.logger.error('checkpoint() failed:', error);
      });
      return undefined;
    }
    const preempted = reason === 'preempted';
    this.checkpointNote = await checkpointForRestart({
      ...running,
      jobDir: this.jobDir,
      mode: this.modes.file,
      reason,
      signal: preempted ? 'SIGTERM' : 'SIGUSR1',
      signalAt: (preempted ? this.terminatedAt : this.warnedAt) ?? new Date(),
      previous: this.resumed,
      submittedDigest: this.submittedDigest(),
      restart: this.options.restart,
    });
    return this.checkpointNote;
  }

  /**
   * The scheduler's warning that the time limit is near (SIGUSR1). A Process with checkpoint()
   * checkpoints and is stopped (interrupt 'time-limit'); one without keeps running, since stopping
   * it would only lose its work early: a job that fits its limit completes, one that does not is
   * ended by the scheduler at the limit. Either way the outcome records `warnedAt`.
   */
  async warnOfTimeLimit(): Promise<void> {
    this.warnedAt ??= new Date();
    const running = this.running;
    if (!running) return; // Decided once the Process is loaded (loadAndRun).
    if (hasCheckpoint(running.process)) return this.interrupt('time-limit');
    running.context.logger.warn(
      'time-limit warning (SIGUSR1): this Process has no checkpoint(), so it keeps running until it ends or reaches the limit',
    );
  }

  private jobId(): string | undefined {
    return this.options.jobId ?? process.env.SLURM_JOB_ID;
  }

  private async loadAndRun(workDir: string, resultFile: string): Promise<OutcomeBody> {
    let target: unknown;
    try {
      target = await this.loadTarget();
      if (!isProcess(target)) throw new NotAProcessError(this.crate, describe(target));
    } catch (error) {
      return infrastructure(classifyLoadError(error), error);
    }
    // Warned while loading: a Process that can checkpoint stops as it would have while running.
    if (this.warnedAt && hasCheckpoint(target)) this.interruption ??= 'time-limit';
    if (this.interruption) return this.interrupted(new InterruptedError(this.interruption));
    const controller = new AbortController();
    const logger = createLogger();
    let progressWarned = false;
    const progress = new ProgressWriter(this.jobDir, this.modes.file, (error) => {
      if (!progressWarned) logger.warn('ctx.progress(): progress.json could not be written:', error);
      progressWarned = true;
    });
    this.progress = progress;
    const context: RunContext = {
      workDir,
      jobDir: this.jobDir,
      jobId: this.jobId(),
      ...(this.options.batchIndex !== undefined ? { batchIndex: this.options.batchIndex } : {}),
      ...(this.options.arrayTaskId !== undefined ? { arrayTaskId: this.options.arrayTaskId } : {}),
      restarts: this.resumed?.restarts ?? 0,
      attempt: this.resumed?.restarts ?? 0,
      signal: controller.signal,
      logger,
      progress: (done, total, message) => progress.report(done, total, message),
    };
    this.running = { process: target, context, controller };
    changeDirectory(workDir);
    let result: unknown;
    try {
      result = await runGuarded(() => this.raceInterruption((target as Process).run(context)));
    } catch (error) {
      if (isHpcError(error, 'ExitCalledError')) return infrastructure('exit-called', error);
      if (this.interruption) {
        await this.checkpointing;
        return this.interrupted(error);
      }
      return { status: 'failed', kind: 'process', error: toRemoteError(error) };
    } finally {
      this.running = undefined;
      await progress.stop();
    }
    // Saved for a restart: whatever run() returned after the abort, the next run goes on from there.
    if (this.interruption && (await this.checkpointing)?.saved)
      return this.interrupted(new InterruptedError(this.interruption));
    return this.storeResult(result, resultFile);
  }

  /** What a checkpoint is bound to: the crate's digest, or for a bundle entry its bundle and place. */
  private submittedDigest(): CrateDigest | undefined {
    const entry = this.options.bundleEntry;
    return entry ? bundleEntryDigest(entry.bundleId, entry.index) : this.options.crateDigest;
  }

  /** The checkpoint the last run saved (restartable jobs), else the submitted crate, checked against its digest. */
  private async loadTarget(): Promise<unknown> {
    const { restart, bundleEntry, crateDigest } = this.options;
    const resumed = restart && (await loadCheckpointed(this.jobDir, this.crate, this.submittedDigest()));
    this.resumed = resumed ? resumed.record : undefined;
    if (resumed) return resumed.target;
    if (crateDigest) await verifyCrate(this.crate, crateDigest);
    return bundleEntry ? loadBundleEntry(this.crate, bundleEntry) : loadCrate(this.crate, this.object);
  }

  private interrupted(error: unknown): OutcomeBody {
    const reason = this.cancelledByRequest ? 'cancelled' : 'signalled';
    return { ...infrastructure(reason, error), interruption: this.interruption as AbortReason };
  }

  /** A value that cannot be encoded is 'result-unserializable'; bytes that cannot be written are not. */
  private async storeResult(result: unknown, resultFile: string): Promise<OutcomeBody> {
    let pieces: Uint8Array[];
    try {
      pieces = Serializer.encode(result);
    } catch (error) {
      return infrastructure('result-unserializable', error);
    }
    try {
      await writeFileAtomic(resultFile, pieces, { mode: this.modes.file });
    } catch (error) {
      return infrastructure(
        'result-write-failed',
        asFileWriteError(error, resultFile, 'write the result to'),
      );
    }
    return { status: 'ok', resultFile: JOB_FILES.result };
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
  | 'version'
  | 'startedAt'
  | 'finishedAt'
  | 'durationMs'
  | 'host'
  | 'pid'
  | 'jobId'
  | 'warnedAt'
  | 'usage'
  | 'progress'
>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An outcome before it is stamped with times and host. */
type OutcomeBody = DistributiveOmit<RunOutcome, keyof OutcomeStamp>;

function hasCheckpoint(process: Process): boolean {
  return typeof process.checkpoint === 'function';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return `a ${typeof value}`;
  const name = Object.getPrototypeOf(value)?.constructor?.name;
  return name ? `an instance of ${name}` : 'an object';
}
