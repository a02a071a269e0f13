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
