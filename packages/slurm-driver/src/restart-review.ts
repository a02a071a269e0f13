import { readCheckpointRecord, savedForRestart } from '@hpc/container';
import {
  type CheckpointNote,
  describeRestart,
  isTerminalState,
  type JobAttempt,
  type JobState,
  RESTART_EXIT_CODE,
  type RunOutcome,
} from '@hpc/core';
import type { CommandRunner } from './command-runner.ts';
import {
  type EndedAttempt,
  recordedAttempts,
  restartsOf,
  withAttempt,
  withLastAttemptEnded,
} from './job-attempts.ts';
import { type JobRecord, readJobRecord, writeJobRecord } from './job-record.ts';
import type { StateUpdate, StoredJob } from './job-store.ts';

export interface RestartReviewOptions {
  run: CommandRunner;
  /** Mode of job.json when an attempt is added. */
  fileMode: number;
  commandTimeoutMs?: number;
  now?: () => number;
}

/**
 * The restart side of a status poll, for a job whose run wrote an outcome: when the run saved its
 * checkpoint (outcome.checkpoint.saved) and SLURM has it queued again ('node-requeue',
 * 'scheduler-requeue'), the new attempt goes into job.json; when the node could not requeue it
 * (exit 75, 'driver-requeue') the driver runs `scontrol requeue` itself and the job is 'requeued',
 * not finished. Every state of a job with attempts carries them, and its line says
 * 'restart 2/3 after time-limit'. A batch process is left as it is (restarts are for single jobs).
 */
export async function reviewRestart(
  job: Pick<StoredJob, 'id' | 'jobDir' | 'batchIndex' | 'schedulerId'>,
  outcome: RunOutcome | undefined,
  update: StateUpdate,
  options: RestartReviewOptions,
): Promise<StateUpdate> {
  if (!outcome) return update;
  if (job.batchIndex !== undefined) return withBatchRestarts(job.jobDir, update);
  let record: JobRecord | undefined;
  try {
    record = readJobRecord(job.jobDir);
  } catch {
    return update; // An unreadable record is reported by the registry; the state stands.
  }
  if (!record) return update;
  let attempts = recordedAttempts(record);
  const note = outcome.checkpoint;
  const fresh =
    savedForRestart(outcome) &&
    note?.restarts !== undefined &&
    !attempts.some((attempt) => attempt.number === (note.restarts as number) + 1);
  if (!fresh || !note) {
    if (update.final && attempts.length > 0 && !attempts.at(-1)?.endedAs)
      attempts = await recordLastEnd(record, outcome, update.state, options.fileMode);
    return withRestarts(update, attempts, record.maxRestarts);
  }

  const now = new Date((options.now ?? Date.now)()).toISOString();
  const ended: EndedAttempt = {
    startedAt: outcome.startedAt,
    endedAt: outcome.finishedAt,
    node: outcome.host,
    endedAs: 'requeued',
    endNote: `checkpointed at ${note.signal} (${note.reason}) in ${note.checkpointMs} ms`,
  };
  // The current attempt's SLURM id: a job resubmitted (a retry, a restart after a preemption) has its own.
  const schedulerId = job.schedulerId ?? job.id;
  const next = { cause: 'restart' as const, after: note.reason, schedulerId, submittedAt: now };
  if (note.requeue === 'driver-requeue') {
    // The node could not requeue it: it exits 75, and once SLURM says it ended, the driver requeues it.
    if (!isTerminalState(update.state)) return withRestarts(update, attempts, record.maxRestarts);
    const problem = await requeue(schedulerId, options);
    if (problem !== undefined) {
      const raw = `${update.state.raw ?? ''}; its checkpoint was saved, but scontrol requeue ${schedulerId} failed: ${problem}`;
      return withRestarts({ ...update, state: { ...update.state, raw } }, attempts, record.maxRestarts);
    }
    attempts =
      (await appendAttempt(job.jobDir, { ...next, mechanism: 'driver-requeue' }, ended, options.fileMode)) ??
      attempts;
    const state: JobState = {
      status: 'requeued',
      raw: `REQUEUED (scontrol requeue by the driver: the run checkpointed and exited ${RESTART_EXIT_CODE})`,
    };
    return withRestarts(
      { ...update, state, final: false, missingSince: undefined },
      attempts,
      record.maxRestarts,
    );
  }
  if (!queuedAgain(update.state, note, outcome)) return withRestarts(update, attempts, record.maxRestarts);
  const mechanism = note.requeue ?? 'node-requeue';
  attempts = (await appendAttempt(job.jobDir, { ...next, mechanism }, ended, options.fileMode)) ?? attempts;
  return withRestarts(update, attempts, record.maxRestarts);
}

/**
 * SLURM has the job again after the checkpointed run: pending (BeginTime, after a requeue), or
 * running a run that started after that one ended. Until then the old run may still be ending.
 */
function queuedAgain(state: JobState, note: CheckpointNote, outcome: RunOutcome): boolean {
  if (state.status === 'pending' || state.status === 'requeued') return true;
  if (state.status !== 'running' && state.status !== 'completing') return false;
  const started = state.startedAt ? Date.parse(state.startedAt) : Number.NaN;
  return started >= Math.max(Date.parse(outcome.finishedAt), Date.parse(note.signalAt)) - 1_000;
}

/** The state with the job's attempts, restart count and one line on the latest restart. */
function withRestarts(
  update: StateUpdate,
  attempts: readonly JobAttempt[],
  maxRestarts: number | undefined,
): StateUpdate {
  const restarts = restartsOf(attempts);
  if (attempts.length === 0) return update;
  const latest = [...attempts].reverse().find((attempt) => attempt.cause === 'restart');
  const line = restarts > 0 ? describeRestart(restarts, maxRestarts, latest?.after) : undefined;
  const raw = [update.state.raw, line].filter(Boolean).join('; ');
  const state: JobState = {
    ...update.state,
    attempts,
    restarts,
    ...(maxRestarts !== undefined ? { maxRestarts } : {}),
    ...(raw ? { raw } : {}),
  };
  return { ...update, state };
}

/**
 * A batch process (its task requeued on its own by the node, or by SLURM on preemption): its
 * restarts so far, from the checkpoint record in its folder. Its attempts are not recorded.
 */
async function withBatchRestarts(processDir: string, update: StateUpdate): Promise<StateUpdate> {
  const record = await readCheckpointRecord(processDir).catch(() => undefined);
  if (!record) return update;
  const line = describeRestart(record.restarts, undefined, record.reason);
  const raw = [update.state.raw, line].filter(Boolean).join('; ');
  return { ...update, state: { ...update.state, restarts: record.restarts, raw } };
}

/** The job's end in its last attempt (once, when its state becomes final); the attempts as they are now. */
async function recordLastEnd(
  record: JobRecord,
  outcome: RunOutcome,
  state: JobState,
  fileMode: number,
): Promise<readonly JobAttempt[]> {
  // An outcome that saved a checkpoint is the previous run's: the job's end is SLURM's then.
  const own = !savedForRestart(outcome);
  const updated = withLastAttemptEnded(record, {
    startedAt: own ? outcome.startedAt : state.startedAt,
    endedAt: own ? outcome.finishedAt : state.endedAt,
    node: own ? outcome.host : state.node,
    endedAs: state.status,
  });
  await writeJobRecord(updated, fileMode, false).catch(() => {});
  return recordedAttempts(updated);
}

/** undefined when `scontrol requeue` took it, else what SLURM said. */
async function requeue(id: string, options: RestartReviewOptions): Promise<string | undefined> {
  try {
    const result = await options.run('scontrol', ['requeue', id], {
      ...(options.commandTimeoutMs !== undefined ? { timeoutMs: options.commandTimeoutMs } : {}),
    });
    return result.exitCode === 0 ? undefined : result.stderr.trim() || `exit code ${result.exitCode}`;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Appends an attempt to the job.json in `jobDir`; returns the attempts now recorded (undefined: no record). */
export async function appendAttempt(
  jobDir: string,
  next: Omit<JobAttempt, 'number'>,
  ended: EndedAttempt,
  fileMode: number,
): Promise<readonly JobAttempt[] | undefined> {
  const record = readJobRecord(jobDir);
  if (!record) return undefined;
  const updated = withAttempt(record, next, ended);
  await writeJobRecord(updated, fileMode, false);
  return recordedAttempts(updated);
}
