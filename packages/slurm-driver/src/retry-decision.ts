import { isTerminalState, type JobState, type RetryCause, type RetryPolicy } from '@hpc/core';

/** Whether a job that just ended is retried: its failure's class, the policy, the attempts so far. Pure. */

/** The retry class of an ended attempt; undefined for an end no retry is for (completed, cancelled, blocked, …). */
export function retryCauseOf(state: JobState): RetryCause | undefined {
  switch (state.status) {
    case 'timeout':
      return 'timeout';
    case 'preempted':
      return 'preempted';
    case 'lost':
      return 'lost';
    case 'failed':
      if (state.cause === 'out-of-memory' || state.cause === 'node-fail' || state.cause === 'process-error')
        return state.cause;
      if (state.cause === 'exit-code') return 'exit-code';
      return undefined;
    default:
      return undefined;
  }
}

export type RetryDecision =
  | { kind: 'final'; note?: string }
  | { kind: 'retry'; cause: RetryCause; number: number };

/**
 * Retry when the attempt ended in a class the policy lists and attempts are left (`attempts` is
 * how many ran, this one included). A job whose retries ran out says so in `note`.
 */
export function decideRetry(
  state: JobState,
  policy: RetryPolicy | undefined,
  attempts: number,
): RetryDecision {
  if (!policy || !isTerminalState(state)) return { kind: 'final' };
  const cause = retryCauseOf(state);
  if (!cause || !policy.on.includes(cause)) return { kind: 'final' };
  if (attempts >= policy.maxAttempts)
    return { kind: 'final', note: `retries ran out: ${attempts} of ${policy.maxAttempts} attempts used` };
  return { kind: 'retry', cause, number: attempts + 1 };
}
