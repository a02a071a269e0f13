import { batchTaskOf } from '@hpc/core';
import { decideJobState, type JobStateEvidence } from './job-state-policy.ts';
import type { StateUpdate, StoredJob } from './job-store.ts';

/**
 * The id SLURM knows a tracked row by: a batch process's task (`4711_3+2` -> `4711_3`), or, once
 * the process was retried on its own, its current attempt's (`4790_3`); a job's current attempt,
 * or the job itself. squeue and sacct answer per task; every process of a task reads the same report.
 */
export function schedulerIdOf(job: Pick<StoredJob, 'id' | 'batchIndex' | 'schedulerId'>): string {
  return job.schedulerId ?? (job.batchIndex === undefined ? job.id : batchTaskOf(job.id));
}

/** The id to ask squeue / sacct for: a batch process's array (`4711_3` -> `4711`: one id per slice). */
export function queryIdOf(job: Pick<StoredJob, 'id' | 'batchIndex' | 'schedulerId'>): string {
  const id = schedulerIdOf(job);
  if (job.batchIndex === undefined) return id;
  return id.slice(0, id.indexOf('_'));
}

/**
 * A batch process's state when its outcome.json does not decide: its task's state (decideJobState
 * with the task's reports), where a running task that has not started this process yet (no
 * `p/<index>` folder) leaves it pending, and a task that ended without its outcome gives it the
 * task's fate: timeout, cancelled, out of memory, node failure, or lost when the task COMPLETED.
 * A process whose cancel was asked for and whose task SLURM no longer knows was cancelled.
 */
export function decideProcessState(
  evidence: JobStateEvidence,
  started: boolean,
  cancelRequested: () => boolean,
): StateUpdate {
  if (!evidence.queued && !evidence.accounted && cancelRequested()) {
    // SLURM drops an array task cancelled while pending from squeue and sacct alike.
    const raw = 'CANCELLED (cancel requested; SLURM keeps no record of a task cancelled while pending)';
    return {
      id: evidence.job.id,
      state: { status: 'cancelled', by: 'request', raw },
      final: true,
      missingSince: undefined,
    };
  }
  const update = decideJobState(evidence);
  const state = update.state;
  const task = batchTaskOf(evidence.job.id);
  if (state.status === 'running' && !started) {
    return {
      ...update,
      final: false,
      state: {
        status: 'pending',
        reason: `waiting for earlier processes in its task ${task}`,
        ...(state.raw ? { raw: state.raw } : {}),
      },
    };
  }
  if (state.status === 'lost' && evidence.queued === undefined && evidence.accounted === undefined)
    return update;
  if (state.status === 'lost') {
    const reason = `its task ${task} ended (${state.raw ?? 'COMPLETED'}) without this process's outcome.json (${started ? 'it started: see its stderr.log' : 'it never started'}; see tasks/${task}.err)`;
    return { ...update, state: { ...state, reason } };
  }
  if (state.status === 'failed' && state.cause === 'exit-code' && !evidence.outcome) {
    const message = `its task ${task} exited with code ${state.exitCode ?? '?'} without this process's outcome.json; see tasks/${task}.err`;
    return { ...update, state: { ...state, message } };
  }
  return update;
}
