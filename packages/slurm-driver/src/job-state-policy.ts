import { JOB_FILES, stateFromOutcome, stoppedAtTimeLimitWarning } from '@hpc/container';
import { isTerminalState, type JobState, type RunOutcome } from '@hpc/core';
import type { StateUpdate, StoredJob } from './job-store.ts';
import { SETUP_FAILED_EXIT_CODE } from './sbatch-script.ts';
import { mapSlurmState, type SlurmJobReport } from './slurm-state.ts';

/** What one poll knows about one open job: the status policy's whole input. */
export interface JobStateEvidence {
  /** The tracked job: its id, last state and since when SLURM has not known it. */
  job: Pick<StoredJob, 'id' | 'state' | 'missingSince'>;
  /** Its outcome.json, when one was read (and did not decide the state on its own). */
  outcome: RunOutcome | undefined;
  /** squeue's row for it, if squeue still holds it. */
  queued: SlurmJobReport | undefined;
  /** sacct's row for it, if sacct was asked and has one. */
  accounted: SlurmJobReport | undefined;
  /** Whether sacct was asked and answered this poll (a missing row then means "never recorded"). */
  sacctAnswered: boolean;
  /** Accounting is off: squeue is the only source. */
  squeueOnly: boolean;
  /** This poll's time (ms since epoch). */
  now: number;
  /** How long a COMPLETED job may lack its outcome.json before it is lost. */
  outcomeGraceMs: number;
  /** How long a job may be unknown to squeue and sacct before it is lost. */
  missingGraceMs: number;
}

/**
 * The status policy: the state of one open job from its outcome file, squeue and sacct, and whether
 * that state is final. Pure (no I/O, no clock): StatusPoller gathers the evidence and saves the answer.
 */
export function decideJobState(input: JobStateEvidence): StateUpdate {
  const { job, outcome, queued, accounted, sacctAnswered, squeueOnly, now } = input;
  const fromQueue = queued && mapSlurmState(queued);
  const fromAccounting = accounted && mapSlurmState(accounted);
  let slurm: JobState | undefined;
  let authoritative = false;
  if (fromQueue && !isTerminalState(fromQueue)) {
    slurm = fromQueue; // the controller's live view wins (also over an older sacct record of a requeued job)
  } else if (fromAccounting && isTerminalState(fromAccounting)) {
    slurm = fromAccounting;
    authoritative = true;
  } else if (fromQueue) {
    // Finished in squeue. If sacct has a (stale) row it lags and will have the exit code soon; if
    // it has none at all (held jobs that were never eligible are never recorded) squeue is final.
    slurm = fromQueue;
    authoritative = squeueOnly || (sacctAnswered && !accounted);
  } else if (fromAccounting) {
    slurm = fromAccounting; // gone from squeue but sacct still says PENDING/RUNNING: it lags, ask again
  } else if (squeueOnly && job.state && isTerminalState(job.state)) {
    return { id: job.id, state: job.state, final: true, missingSince: undefined };
  }

  if (!slurm) {
    if (!squeueOnly && !sacctAnswered) {
      return {
        id: job.id,
        state: unknown(job, 'SLURM did not answer for it this time'),
        final: false,
        missingSince: job.missingSince,
      };
    }
    const since = job.missingSince ?? now;
    if (now - since >= input.missingGraceMs) {
      const where = squeueOnly ? 'squeue (accounting is off)' : 'squeue or sacct';
      return {
        id: job.id,
        state: {
          status: 'lost',
          reason: `${where} no longer knows job ${job.id} and it wrote no ${JOB_FILES.outcome}`,
        },
        final: true,
        missingSince: since,
      };
    }
    return {
      id: job.id,
      state: unknown(job, 'not (yet) visible in squeue or sacct'),
      final: false,
      missingSince: since,
    };
  }
  if (!isTerminalState(slurm)) return { id: job.id, state: slurm, final: false, missingSince: undefined };

  if (
    outcome &&
    stoppedAtTimeLimitWarning(outcome) &&
    (slurm.status === 'failed' || slurm.status === 'completed')
  ) {
    // The node-runner stopped run() at SLURM's time-limit warning (SIGUSR1) and exited itself.
    const raw = `${slurm.raw ?? ''}; stopped at the time-limit warning (SIGUSR1)`;
    return {
      id: job.id,
      state: { ...slurm, status: 'timeout', raw },
      final: authoritative,
      missingSince: undefined,
    };
  }
  if (slurm.status === 'completed' && !outcome) {
    const since = job.missingSince ?? now;
    if (now - since < input.outcomeGraceMs) {
      return {
        id: job.id,
        state: {
          ...slurm,
          status: 'completing',
          raw: `${slurm.raw ?? 'COMPLETED'}; waiting for ${JOB_FILES.outcome}`,
        },
        final: false,
        missingSince: since,
      };
    }
    const reason = `SLURM reports ${slurm.raw ?? 'COMPLETED'} but the job wrote no ${JOB_FILES.outcome} (see job.err)`;
    return {
      id: job.id,
      state: { ...slurm, status: 'lost', reason },
      final: authoritative,
      missingSince: since,
    };
  }
  if (slurm.status === 'failed' && slurm.cause === 'exit-code' && !outcome) {
    const code = slurm.exitCode;
    const state: JobState =
      code === SETUP_FAILED_EXIT_CODE
        ? {
            ...slurm,
            cause: 'infrastructure',
            message:
              'the job script failed before the node-runner started (module load / conda activate); see job.err',
          }
        : {
            ...slurm,
            message: `exited with code ${code ?? '?'} without writing ${JOB_FILES.outcome}; see job.err`,
          };
    return { id: job.id, state, final: authoritative, missingSince: undefined };
  }
  return { id: job.id, state: slurm, final: authoritative, missingSince: undefined };
}

/**
 * The state an outcome file decides on its own: ok, or a failure of run() or of the plumbing. A run
 * ended by a signal is left to SLURM, which knows whether it was a timeout, a cancel or a node.
 */
export function decisiveOutcomeState(outcome: RunOutcome): JobState | undefined {
  if (outcome.status === 'failed' && outcome.kind === 'infrastructure' && outcome.reason === 'signalled')
    return undefined;
  const raw =
    outcome.status === 'ok'
      ? 'COMPLETED (outcome ok)'
      : outcome.kind === 'process'
        ? 'FAILED (run() threw)'
        : `FAILED (${outcome.reason})`;
  return { ...stateFromOutcome(outcome), raw };
}

/**
 * A state an outcome decided, with the node SLURM named while the job ran (squeue's NodeList) over
 * the outcome's hostname(): they differ when nodes are FQDNs or several slurmd share one host.
 */
export function withSlurmNode(decided: JobState, last: JobState | undefined): JobState {
  const ran = last?.status === 'running' || last?.status === 'completing';
  return ran && last.node ? { ...decided, node: last.node } : decided;
}

function unknown(job: JobStateEvidence['job'], reason: string): JobState {
  return { status: 'unknown', reason: `${reason}${job.state ? `; last seen ${job.state.status}` : ''}` };
}
