import { isTerminalState, type JobState } from './job-state.ts';
import { RETRY_CAUSES, type RetryCause, type RetryPolicy } from './long-jobs.ts';
import { InvalidOptionError } from './option-errors.ts';

/**
 * Checks a `retry` option (SubmitOptions.retry or a driver's default) before anything is
 * submitted and returns it; throws an InvalidOptionError naming the field and what to write.
 */
export function checkRetryPolicy(retry: unknown, option = 'retry'): RetryPolicy | undefined {
  if (retry === undefined) return undefined;
  if (typeof retry !== 'object' || retry === null || Array.isArray(retry))
    throw new InvalidOptionError({
      option,
      value: retry,
      allowed: 'an object { maxAttempts, on: [...], escalate? }',
      remedy: "write e.g. retry: { maxAttempts: 2, on: ['out-of-memory'] }",
    });
  const { maxAttempts, on, escalate } = retry as Partial<RetryPolicy>;
  if (typeof maxAttempts !== 'number' || !Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw new InvalidOptionError({
      option: `${option}.maxAttempts`,
      value: maxAttempts,
      allowed: 'a whole number of at least 1 (attempts in all, the first included)',
    });
  if (!Array.isArray(on) || on.some((cause) => !RETRY_CAUSES.includes(cause as RetryCause)))
    throw new InvalidOptionError({
      option: `${option}.on`,
      value: on,
      allowed: `a list of ${RETRY_CAUSES.join(', ')}`,
    });
  for (const key of ['mem', 'time'] as const) {
    const factor = escalate?.[key];
    if (factor !== undefined && (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1))
      throw new InvalidOptionError({
        option: `${option}.escalate.${key}`,
        value: factor,
        allowed: 'a factor of at least 1 (1 = the same again)',
      });
  }
  return retry as RetryPolicy;
}

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
