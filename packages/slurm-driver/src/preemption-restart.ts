import { readOutcome, savedForRestart } from '@hpc/container';
import { DEFAULT_MAX_RESTARTS, type JobAttempt, type JobState, type RunOutcome } from '@hpc/core';
import { recordedAttempts, restartsOf } from './job-attempts.ts';
import type { JobRecord } from './job-record.ts';

/**
 * PreemptMode=CANCEL: SLURM ends a preempted job PREEMPTED and never runs it again under its id.
 * A single job whose run saved its checkpoint at the preemption's SIGTERM, with restarts left, is
 * resubmitted from the login side instead (attempt-retries.ts: a new SLURM id, the same folder and
 * logical id, the saved checkpoint crate). A PreemptMode=REQUEUE partition never gets here: SLURM
 * has its job pending again, never PREEMPTED. The restart comes before any retry policy listing
 * 'preempted' and counts against maxRestarts only; without a saved checkpoint or restarts left,
 * the job's retry policy decides as for any other end.
 */

/** What the driver needs to restart a preempted job by resubmitting it. */
export interface PreemptionRestart {
  /** Restarts the job will have had once resubmitted (ctx.restarts of the next run). */
  restarts: number;
  maxRestarts: number;
  /** The preempted attempt's end, for its entry in job.json. */
  endNote: string;
}

/** The restart of a job SLURM ended PREEMPTED (its final state), when its outcome says the checkpoint was saved. */
export async function preemptionRestartOf(
  jobDir: string,
  record: JobRecord,
  state: JobState,
): Promise<PreemptionRestart | undefined> {
  if (state.status !== 'preempted' || record.batch) return undefined;
  // An unreadable outcome proves no saved checkpoint: the job ends as SLURM says.
  const outcome = await readOutcome(jobDir).catch(() => undefined);
  return restartAfterPreemption(outcome, recordedAttempts(record), record.maxRestarts);
}

/** Pure: a restart when the outcome saved a checkpoint at a preemption not restarted yet, and restarts are left. */
export function restartAfterPreemption(
  outcome: RunOutcome | undefined,
  attempts: readonly JobAttempt[],
  maxRestarts: number = DEFAULT_MAX_RESTARTS,
): PreemptionRestart | undefined {
  const note = outcome?.checkpoint;
  if (!savedForRestart(outcome) || !note || note.reason !== 'preempted' || note.restarts === undefined)
    return undefined;
  const restarts = restartsOf(attempts);
  // restarts >= note.restarts: the attempt restarting from this checkpoint was recorded already.
  if (restarts >= maxRestarts || restarts >= note.restarts) return undefined;
  return {
    restarts: restarts + 1,
    maxRestarts,
    endNote: `checkpointed at ${note.signal} (preempted) in ${note.checkpointMs} ms; PREEMPTED, resubmitted`,
  };
}
