import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessCancelRequested, JOB_FILES, readOutcome as readOutcomeFile } from '@hpc/container';
import {
  isTerminalState,
  type JobId,
  type JobState,
  type RunOutcome,
  type UnreadableRecord,
  unreadableJobState,
  unreadableRecordOf,
} from '@hpc/core';
import { batchDirOfProcess } from './batch-record.ts';
import { decideProcessState, queryIdOf, schedulerIdOf } from './batch-status.ts';
import { type CommandRunner, isAccountingDisabled } from './command-runner.ts';
import { SchedulerCommandError, SchedulerUnavailableError } from './errors.ts';
import { decideJobState, decisiveOutcomeState, withSlurmNode } from './job-state-policy.ts';
import type { StateUpdate, StoredJob } from './job-store.ts';
import { reviewRestart } from './restart-review.ts';
import { parseSacct, type SacctQuery, sacctArgs, sacctAsksSteps } from './sacct-parse.ts';
import { mapSlurmState, type SlurmJobReport } from './slurm-state.ts';
import { parseSqueue, SQUEUE_ENV, squeueArgs } from './squeue-parse.ts';
import { slurmLocalTime } from './submission-lookup.ts';

export interface StatusPollerOptions {
  /** Polls closer together than this return the previous answer (default 1000 ms). */
  minIntervalMs?: number;
  /** Whether sacct may be asked: 'auto' (default) finds out on first use; false = squeue only. */
  accounting?: 'auto' | boolean;
  /**
   * After SLURM says a job COMPLETED, how long to wait for its outcome.json to become visible (a
   * shared filesystem may lag) before calling the job lost. Default 5000 ms.
   */
  outcomeGraceMs?: number;
  /** How long a job may be unknown to both squeue and sacct before it is called lost. Default 60 s. */
  missingGraceMs?: number;
  /** Per-command time limit passed to the command runner. */
  commandTimeoutMs?: number;
  now?: () => number;
  readOutcome?: (jobDir: string) => Promise<RunOutcome | undefined>;
  /**
   * Revises the poll's updates before they are saved and answered (dependent-states.ts: a
   * dependent SLURM cancelled because its upstream failed is 'blocked'). `states` holds the rest.
   */
  refine?: (updates: StateUpdate[], states: ReadonlyMap<JobId, JobState>) => Promise<StateUpdate[]>;
  /** Mode of job.json when a restart is recorded in it (default 0600). */
  fileMode?: number;
}

/** Where the poller finds the tracked jobs and saves what it learned (a JobStore, or the driver's registry). */
export interface PollerStore {
  list(): StoredJob[] | Promise<StoredJob[]>;
  update(updates: readonly StateUpdate[]): void | Promise<void>;
  /** Revises the poll's decisions before they are saved (retries: attempt-retries.ts). */
  review?(updates: readonly StateUpdate[], open: readonly StoredJob[]): Promise<StateUpdate[]>;
}

/** What the last scheduler round trip cost; the benchmark and tests read it. */
export interface PollStats {
  squeueCalls: number;
  sacctCalls: number;
  jobsAsked: number;
  fromOutcome: number;
  fromCache: number;
}

/**
 * Answers "what state is every tracked job in" with one `squeue` and at most one `sacct` per poll,
 * whatever the number of jobs: outcome files first (a finished job says so itself), terminal states
 * from the store, squeue for what the controller still holds, sacct for what it has let go.
 */
export class StatusPoller {
  private readonly minIntervalMs: number;
  private readonly outcomeGraceMs: number;
  private readonly missingGraceMs: number;
  private readonly now: () => number;
  private readonly readOutcome: (jobDir: string) => Promise<RunOutcome | undefined>;
  private accounting: 'auto' | boolean;
  private last: { at: number; states: Map<JobId, JobState> } | undefined;
  private inFlight: Promise<Map<JobId, JobState>> | undefined;
  lastStats: PollStats = { squeueCalls: 0, sacctCalls: 0, jobsAsked: 0, fromOutcome: 0, fromCache: 0 };

  constructor(
    private readonly store: PollerStore,
    private readonly run: CommandRunner,
    private readonly options: StatusPollerOptions = {},
  ) {
    this.minIntervalMs = options.minIntervalMs ?? 1000;
    this.outcomeGraceMs = options.outcomeGraceMs ?? 5000;
    this.missingGraceMs = options.missingGraceMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.readOutcome = options.readOutcome ?? readOutcomeFile;
    this.accounting = options.accounting ?? 'auto';
  }

  /** Whether sacct is used: undefined until the first sacct call finds out (in 'auto' mode). */
  get accountingAvailable(): boolean | undefined {
    return this.accounting === 'auto' ? undefined : this.accounting;
  }

  /** Forgets the cached answer (after a submit or cancel) so the next poll asks again. */
  invalidate(): void {
    this.last = undefined;
  }

  /** Every tracked job's state. Concurrent callers share one round trip; see minIntervalMs. */
  async poll(options: { force?: boolean } = {}): Promise<Map<JobId, JobState>> {
    if (this.inFlight) return this.inFlight;
    if (!options.force && this.last && this.now() - this.last.at < this.minIntervalMs)
      return this.last.states;
    this.inFlight = this.pollOnce().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async pollOnce(): Promise<Map<JobId, JobState>> {
    const stats: PollStats = { squeueCalls: 0, sacctCalls: 0, jobsAsked: 0, fromOutcome: 0, fromCache: 0 };
    const states = new Map<JobId, JobState>();
    const updates: StateUpdate[] = [];
    const open: StoredJob[] = [];
    for (const job of await this.store.list()) {
      if (job.terminal && job.state) {
        states.set(job.id, job.state);
        stats.fromCache++;
      } else open.push(job);
    }

    // 1. The job's own outcome file: a finished run says so itself, without asking SLURM.
    // A cheap existence check first: most open jobs have no outcome yet (1,000 stats take a few ms).
    const outcomes = await Promise.all(
      open.map((job) =>
        this.options.readOutcome || existsSync(join(job.jobDir, JOB_FILES.outcome))
          ? this.readOutcomeSafely(job.jobDir)
          : undefined,
      ),
    );
    const ask: { job: StoredJob; outcome: RunOutcome | undefined }[] = [];
    open.forEach((job, i) => {
      const outcome = outcomes[i];
      if (outcome instanceof UnreadableOutcome) {
        // This job's own record of its run is damaged: say so, naming the file; the others go on.
        const state = unreadableJobState(outcome.unreadable, outcome.reason);
        states.set(job.id, state);
        updates.push({ id: job.id, state, final: false, missingSince: job.missingSince });
        return;
      }
      const fromOutcome = outcome && decisiveOutcomeState(outcome);
      if (fromOutcome) {
        const decided = withSlurmNode(fromOutcome, job.state);
        states.set(job.id, decided);
        updates.push({ id: job.id, state: decided, final: true, missingSince: undefined, ...batchFlag(job) });
        stats.fromOutcome++;
      } else ask.push({ job, outcome });
    });

    // 2. One squeue for every job still open, 3. at most one sacct for those squeue has let go.
    if (ask.length > 0) {
      const at = this.now();
      stats.jobsAsked = ask.length;
      // Batch processes are asked for by their arrays: one id per slice, whatever the tasks.
      const queue = await this.squeue(unique(ask.map(({ job }) => queryIdOf(job))));
      stats.squeueCalls = 1;
      const forSacct = ask.filter(({ job }) => {
        const report = queue.get(schedulerIdOf(job));
        return !report || isTerminalState(mapSlurmState(report));
      });
      let accounting: Map<string, SlurmJobReport> | undefined;
      if (forSacct.length > 0 && this.accounting !== false) {
        stats.sacctCalls = 1;
        accounting = await this.sacct({
          ids: unique(forSacct.map(({ job }) => queryIdOf(job))),
          since: earliestSubmit(
            forSacct.map(({ job }) => job.submittedAt),
            at,
          ),
          tasks: forSacct.some(({ job }) => job.batchIndex !== undefined),
        });
      }
      for (const { job, outcome } of ask) {
        const schedulerId = schedulerIdOf(job);
        const evidence = {
          job,
          outcome,
          queued: queue.get(schedulerId),
          accounted: accounting?.get(schedulerId),
          sacctAnswered: accounting !== undefined,
          squeueOnly: this.accounting === false,
          now: at,
          outcomeGraceMs: this.outcomeGraceMs,
          missingGraceMs: this.missingGraceMs,
        };
        const update =
          job.batchIndex === undefined
            ? decideJobState(evidence)
            : decideProcessState(evidence, existsSync(job.jobDir), () =>
                isProcessCancelRequested(batchDirOfProcess(job.jobDir), job.batchIndex as number),
              );
        // The job's own name, not SLURM's: sacct says 'allocation' for a while after a job ends.
        const state = update.state.name === undefined ? update.state : { ...update.state, name: job.name };
        states.set(job.id, state);
        updates.push({ ...update, state, ...batchFlag(job) });
      }
    }
    // A checkpointed run is restarted (not a failure); then retries of what failed; then
    // dependents, which see their upstreams retried (open again) rather than failed.
    await this.reviewRestarts(open, outcomes, updates, states);
    const reviewed = this.store.review ? await this.store.review(updates, open) : updates;
    for (const update of reviewed) states.set(update.id, update.state);
    const refined = this.options.refine ? await this.options.refine(reviewed, states) : reviewed;
    for (const update of refined) states.set(update.id, update.state);
    await this.store.update(refined);
    this.lastStats = stats;
    this.last = { at: this.now(), states };
    return states;
  }

  /** Jobs whose run wrote an outcome: a checkpoint saved for a restart is requeued and recorded (restart-review.ts). */
  private async reviewRestarts(
    open: readonly StoredJob[],
    outcomes: readonly (RunOutcome | UnreadableOutcome | undefined)[],
    updates: StateUpdate[],
    states: Map<JobId, JobState>,
  ): Promise<void> {
    const options = {
      run: this.run,
      fileMode: this.options.fileMode ?? 0o600,
      now: this.now,
      ...this.timeout(),
    };
    const index = new Map(updates.map((update, i) => [update.id, i]));
    await Promise.all(
      open.map(async (job, i) => {
        const outcome = outcomes[i];
        const at = index.get(job.id);
        if (!outcome || outcome instanceof UnreadableOutcome || at === undefined) return;
        const reviewed = await reviewRestart(job, outcome, updates[at] as StateUpdate, options);
        updates[at] = reviewed;
        states.set(job.id, reviewed.state);
      }),
    );
  }

  private async squeue(ids: readonly string[]): Promise<Map<string, SlurmJobReport>> {
    const args = squeueArgs(ids);
    const result = await this.run('squeue', args, { ...this.timeout(), env: SQUEUE_ENV });
    if (result.exitCode !== 0) {
      // A single purged id makes squeue exit 1 ("Invalid job id specified"); a list just omits it.
      if (/Invalid job id specified/i.test(result.stderr)) return new Map();
      throw new SchedulerCommandError('squeue', args, result.exitCode, result.stderr);
    }
    return parseSqueue(result.stdout);
  }

  /** sacct's reports, or undefined when accounting did not answer (it is then squeue only this time). */
  private async sacct(query: SacctQuery): Promise<Map<string, SlurmJobReport> | undefined> {
    let result: Awaited<ReturnType<CommandRunner>>;
    try {
      result = await this.run('sacct', sacctArgs(query), { ...this.timeout(), env: SQUEUE_ENV });
    } catch (error) {
      if (error instanceof SchedulerUnavailableError && error.reason !== 'not-installed') return undefined;
      if (error instanceof SchedulerUnavailableError) {
        this.accounting = false;
        return undefined;
      }
      throw error;
    }
    if (result.exitCode !== 0) {
      if (isAccountingDisabled(result.stderr)) this.accounting = false;
      return undefined;
    }
    if (this.accounting === 'auto') this.accounting = true;
    return parseSacct(result.stdout, { figures: sacctAsksSteps(query) });
  }

  private timeout(): { timeoutMs?: number } {
    return this.options.commandTimeoutMs === undefined ? {} : { timeoutMs: this.options.commandTimeoutMs };
  }

  private async readOutcomeSafely(jobDir: string): Promise<RunOutcome | UnreadableOutcome | undefined> {
    try {
      return await this.readOutcome(jobDir);
    } catch (error) {
      // readOutcome's OutcomeUnreadableError names the file; anything else gets it named here.
      const message = error instanceof Error ? error.message : String(error);
      const unreadable = unreadableRecordOf(error) ?? { file: join(jobDir, JOB_FILES.outcome), message };
      return new UnreadableOutcome(
        unreadable,
        `${message.includes(unreadable.file) ? message : `cannot read ${unreadable.file}: ${message}`}; the run's result cannot be trusted (look at job.err, then remove the file to let SLURM's state decide)`,
      );
    }
  }
}

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

/** SLURM local time a minute before the earliest submission (sacct's window); 30 days back if none is readable. */
function earliestSubmit(submittedAt: readonly string[], now: number): string {
  let earliest = Number.POSITIVE_INFINITY;
  for (const text of submittedAt) {
    const at = Date.parse(text);
    if (at < earliest) earliest = at;
  }
  const start = Number.isFinite(earliest) ? earliest - 60_000 : now - 30 * 86_400_000;
  return slurmLocalTime(new Date(start));
}

/** An outcome.json that exists but cannot be read (truncated, edited, another version). */
class UnreadableOutcome {
  constructor(
    readonly unreadable: UnreadableRecord,
    readonly reason: string,
  ) {}
}

/** Marks a batch process's update (the registry then writes no job.json for it). */
function batchFlag(job: StoredJob): { batchProcess?: true } {
  return job.batchIndex === undefined ? {} : { batchProcess: true };
}
