import {
  decideRetry,
  describeJobState,
  describeRestart,
  isTerminalState,
  type JobId,
  type JobState,
  type RetryCause,
} from '@hpc/core';
import {
  claimAgeMs,
  type ResubmitContext,
  type ResubmitResult,
  resubmit,
  settleAttempt,
} from './attempt-resubmit.ts';
import { BatchRecords, processRecordOf } from './batch-process-retry.ts';
import { batchDirOfProcess, markRetried } from './batch-record.ts';
import { schedulerIdOf } from './batch-status.ts';
import type { ClusterLimitsReader } from './cluster-limits-reader.ts';
import {
  attemptsOf,
  publicAttempts,
  type RecordedAttempt,
  recordAttempt,
  restartsOf,
} from './job-attempts.ts';
import { type JobRecord, readJobRecord, writeJobRecord } from './job-record.ts';
import type { JobStore, StateUpdate, StoredJob } from './job-store.ts';
import { type PreemptionRestart, preemptionRestartOf } from './preemption-restart.ts';

import { escalate, type RetryResources } from './retry-escalation.ts';

export interface RetryDeps {
  context: ResubmitContext;
  limits: ClusterLimitsReader;
  /** The index follows the job's new attempt: its SLURM id, and the job is open again. */
  setAttempt: (id: JobId, schedulerId: string, state: JobState) => void;
}

/**
 * Retries under a job's `retry` policy, between a status poll's decisions and their saving: an
 * attempt that ended in a listed failure becomes a new attempt (attempt-resubmit.ts) and the job
 * stays open under its one id; a retry that cannot fit the partition ends the job with the reason.
 * A job SLURM ended PREEMPTED after saving its checkpoint (PreemptMode=CANCEL) is restarted the
 * same way first (preemption-restart.ts). States of retried jobs carry every attempt. Jobs without
 * a policy cost nothing but, once they end, one read of their job.json.
 */
export class JobRetries {
  constructor(private readonly deps: RetryDeps) {}

  async review(updates: readonly StateUpdate[], jobs: readonly StoredJob[]): Promise<StateUpdate[]> {
    const byId = new Map(jobs.map((job) => [job.id, job]));
    const batches = new BatchRecords();
    const reviewed: StateUpdate[] = [];
    // One job at a time: each may write its job.json and call sbatch.
    for (const update of updates) reviewed.push(await this.reviewOne(update, byId.get(update.id), batches));
    return reviewed;
  }

  private async reviewOne(
    update: StateUpdate,
    job: StoredJob | undefined,
    batches: BatchRecords,
  ): Promise<StateUpdate> {
    if (!job) return update;
    const ended = update.final && isTerminalState(update.state);
    // squeue says it ended but accounting has not recorded the end yet: a restart or retry may follow.
    const settling = !update.final && isTerminalState(update.state);
    if (!ended && !settling && job.schedulerId === undefined) return update;
    // A batch process never retried that completed, or whose batch has no policy: nothing to read
    // (10,000 of them end at once; the batch's record is read once per poll).
    if (
      job.batchIndex !== undefined &&
      job.schedulerId === undefined &&
      (update.state.status === 'completed' || !batches.of(job)?.retry)
    )
      return update;
    let record: JobRecord | undefined;
    try {
      record = readJobRecord(job.jobDir);
    } catch {
      return update;
    }
    if (!record && job.batchIndex !== undefined) {
      // A batch process has a job.json of its own only once retried: until then, the batch's policy.
      const batch = batches.of(job);
      record = batch && processRecordOf(job, batch);
      if (!record) return update;
    }
    const preempted = update.state.status === 'preempted' && job.batchIndex === undefined;
    if (!record || (!record.retry && !record.attempts && !preempted)) return update;
    const attempts = attemptsOf(record);
    const current = attempts[attempts.length - 1] as RecordedAttempt;
    // Another poller (or an earlier, interrupted one) already started a later attempt: follow it.
    if (current.schedulerId !== schedulerIdOf(job)) return this.follow(update, job, record);
    if (!ended) {
      const state = withAttempts(update.state, record);
      const goesOn = settling && (await this.mayGoOn(job, record, update.state));
      return { ...update, state: goesOn ? stillEnding(state) : state };
    }
    const end = attemptEnd(current, update.state);
    const restart = preempted ? await preemptionRestartOf(job.jobDir, record, update.state) : undefined;
    if (restart) return this.restart(update, job, record, { ...end, endNote: restart.endNote }, restart);
    const decision = decideRetry(update.state, record.retry, retriesOf(attempts));
    if (decision.kind === 'final') return this.finish(update, record, end, decision.note);
    const plan = await this.plan(record, current, decision.cause, update.state);
    if (plan.kind === 'impossible') return this.finish(update, record, end, plan.reason);
    if (record.batchProcess)
      markRetried(batchDirOfProcess(job.jobDir), record.batchProcess.index, this.deps.context.modes.dir);
    await writeJobRecord(
      recordAttempt(record, end),
      this.deps.context.modes.file,
      record.batchProcess !== undefined,
    );
    const result = await resubmit(this.deps.context, {
      jobDir: job.jobDir,
      cause: 'retry',
      after: decision.cause,
      changed: plan.changed,
      options: plan.options,
    });
    return this.after(update, job, result);
  }

  /** Whether the end SLURM has not made final yet would be followed by a restart or a retry. */
  private async mayGoOn(job: StoredJob, record: JobRecord, state: JobState): Promise<boolean> {
    if (state.status === 'preempted' && (await preemptionRestartOf(job.jobDir, record, state))) return true;
    return decideRetry(state, record.retry, retriesOf(attemptsOf(record))).kind === 'retry';
  }

  /** A preempted job with its checkpoint saved: the same job again (same options, the saved crate), a new SLURM id. */
  private async restart(
    update: StateUpdate,
    job: StoredJob,
    record: JobRecord,
    end: RecordedAttempt,
    restart: PreemptionRestart,
  ): Promise<StateUpdate> {
    await writeJobRecord(recordAttempt(record, end), this.deps.context.modes.file, false);
    const result = await resubmit(this.deps.context, {
      jobDir: job.jobDir,
      cause: 'restart',
      after: 'preempted',
      changed: {},
      options: end.options ?? {},
      mechanism: 'resubmitted',
    });
    if (result.kind === 'refused')
      return this.finish(
        update,
        result.record,
        undefined,
        `restart ${restart.restarts}/${restart.maxRestarts} not possible: ${result.attempt.endNote}`,
      );
    return this.after(update, job, result);
  }

  /** The next attempt's resources from the current one's, the policy and the partition's limits. */
  private async plan(
    record: JobRecord,
    current: RecordedAttempt,
    cause: RetryCause,
    state: JobState,
  ): Promise<RetryResources> {
    const resources = current.options ?? record.resources ?? {};
    const partition = await this.deps.limits.partition(resources.partition).catch(() => undefined);
    let defaultMemMiB: number | undefined;
    if (cause === 'out-of-memory' && resources.mem === undefined && resources['mem-per-cpu'] === undefined) {
      const perCpu = await this.deps.limits.defaultMemPerCpuMiB().catch(() => undefined);
      if (perCpu !== undefined) defaultMemMiB = perCpu * (Number(resources['cpus-per-task'] ?? 1) || 1);
    }
    return escalate({
      cause,
      policy: record.retry ?? { maxAttempts: 1, on: [] },
      current: resources,
      ...(state.status === 'timeout' && state.timeLimitMs !== undefined
        ? { timeLimitMs: state.timeLimitMs }
        : {}),
      ...(defaultMemMiB !== undefined ? { defaultMemMiB } : {}),
      ...(state.node ? { node: state.node } : {}),
      ...(partition ? { partition } : {}),
    });
  }

  private async after(update: StateUpdate, job: StoredJob, result: ResubmitResult): Promise<StateUpdate> {
    switch (result.kind) {
      case 'queued':
        return this.open(update, job, result.record, result.attempt);
      case 'uncertain':
        return reopenedUpdate(
          update,
          result.record,
          result.attempt,
          'its sbatch did not answer; looking it up by its token',
        );
      case 'refused':
        return this.finish(update, result.record, undefined, `retry not possible: ${result.attempt.endNote}`);
      case 'claimed-elsewhere':
        return this.follow(update, job, result.record);
    }
  }

  /** The record's current attempt is not the one polled: settle it if its sbatch never answered, else poll it. */
  private async follow(update: StateUpdate, job: StoredJob, record: JobRecord): Promise<StateUpdate> {
    const attempts = attemptsOf(record);
    const current = attempts[attempts.length - 1] as RecordedAttempt;
    if (current.schedulerId === schedulerIdOf(job)) {
      // Claimed by another process that has not recorded the attempt yet (or died before it could).
      const next = current.number + 1;
      const age = claimAgeMs(job.jobDir, next) ?? 0;
      if (age < (this.deps.context.lookupAfterMs ?? 60_000))
        return reopenedUpdate(
          update,
          record,
          { number: next, cause: 'retry' },
          `attempt ${next} being submitted`,
        );
      const note = `retry not possible: attempt ${next} was claimed (attempt-${next}.claim) by a process that never submitted it; remove that file to let the next poll retry`;
      return this.finish(update, record, undefined, note);
    }
    if (current.endedAs) return this.finish(update, record, undefined, current.endNote);
    if (current.schedulerId === undefined)
      return this.after(update, job, await settleAttempt(this.deps.context, record));
    return this.open(update, job, record, current);
  }

  private open(
    update: StateUpdate,
    job: StoredJob,
    record: JobRecord,
    attempt: RecordedAttempt,
  ): StateUpdate {
    const reviewed = reopenedUpdate(update, record, attempt);
    this.deps.setAttempt(job.id, attempt.schedulerId as string, reviewed.state);
    return reviewed;
  }

  /** The job ends as its last attempt did; the attempt's end is recorded once there were several. */
  private async finish(
    update: StateUpdate,
    record: JobRecord,
    end: RecordedAttempt | undefined,
    note: string | undefined,
  ): Promise<StateUpdate> {
    let final = record;
    if (end && record.attempts) {
      final = recordAttempt(record, end);
      await writeJobRecord(final, this.deps.context.modes.file, false);
    }
    const state = withAttempts(update.state, final);
    return { ...update, state: note ? { ...state, retryNote: note } : state };
  }
}

/** Not terminal until SLURM's end is final: a waiter must not take an end a restart or retry follows. */
function stillEnding(state: JobState): JobState {
  const raw = `${state.raw ?? state.status}; waiting for SLURM's final state before a restart or retry`;
  return { ...state, status: 'completing', raw } as JobState;
}

/** The job is open again in its next attempt: pending, saying which attempt and why (retries and dependents). */
export function reopenedUpdate(
  update: Pick<StateUpdate, 'id'>,
  record: JobRecord,
  attempt: RecordedAttempt,
  why?: string,
): StateUpdate {
  const reason = why ?? `attempt ${attempt.number} submitted`;
  const state = withAttempts({ status: 'pending', reason }, record);
  return { id: update.id, state, final: false, missingSince: undefined };
}

/** A state with the job's attempts (when there were several), its policy's maxAttempts and its restarts. */
function withAttempts(state: JobState, record: JobRecord): JobState {
  const attempts = attemptsOf(record);
  const restarts = restartsOf(attempts);
  const latest = attempts.findLast((attempt) => attempt.cause === 'restart');
  const line = restarts > 0 ? describeRestart(restarts, record.maxRestarts, latest?.after) : undefined;
  // restart-review.ts has said it already when the poll read an outcome.
  const raw = line && !state.raw?.includes(line) ? [state.raw, line].filter(Boolean).join('; ') : state.raw;
  return {
    ...state,
    ...(attempts.length > 1 ? { attempts: publicAttempts(attempts) } : {}),
    ...(record.retry ? { maxAttempts: record.retry.maxAttempts } : {}),
    ...(restarts > 0
      ? { restarts, ...(record.maxRestarts !== undefined ? { maxRestarts: record.maxRestarts } : {}) }
      : {}),
    ...(raw !== undefined ? { raw } : {}),
  };
}

/** Attempts counted against maxAttempts: restarts count against maxRestarts, and upstream-retried ones not at all. */
function retriesOf(attempts: readonly RecordedAttempt[]): number {
  return attempts.filter((attempt) => attempt.cause !== 'restart' && attempt.cause !== 'upstream-retried')
    .length;
}

/** How the polled attempt ended, for its entry in the record. */
function attemptEnd(attempt: RecordedAttempt, state: JobState): RecordedAttempt {
  return {
    ...attempt,
    endedAs: state.status,
    endNote: describeJobState(state),
    ...(state.node ? { node: state.node } : {}),
    ...(state.startedAt ? { startedAt: state.startedAt } : {}),
    ...(state.endedAt ? { endedAt: state.endedAt } : {}),
  };
}

/** The driver's retries: resubmissions through `run`, the index updated through `registry`. */
export function driverRetries(
  run: ResubmitContext['run'],
  registry: { withStore<T>(work: (store: JobStore) => T): T },
  modes: ResubmitContext['modes'],
  commandTimeoutMs: number | undefined,
  limits: ClusterLimitsReader,
): JobRetries {
  return new JobRetries({
    context: { run, modes, ...(commandTimeoutMs !== undefined ? { commandTimeoutMs } : {}) },
    limits,
    setAttempt: (id, schedulerId, state) =>
      registry.withStore((store) => store.setAttempt(id, schedulerId, state)),
  });
}
