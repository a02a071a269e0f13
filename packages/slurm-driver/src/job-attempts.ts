import type { JobAttempt } from '@hpc/core';

/**
 * The attempts behind one job id, kept in its job.json (`attempts`): retries that resubmit it and
 * restarts from a checkpoint append here. A record without the field stands for one attempt, the
 * first submission, under the record's own id.
 */

/** An attempt as job.json keeps it: the token its sbatch was tagged with (`--comment=hpc:<token>`). */
export interface RecordedAttempt extends JobAttempt {
  token?: string;
  /** Every sbatch option it was submitted with on top of the job script's (all changes so far). */
  options?: Record<string, string>;
}

/** What these functions need of a record (job.json's fields). */
export interface AttemptRecord {
  id?: string;
  submittedAt?: string;
  attempts?: readonly RecordedAttempt[];
}

/** Every attempt, oldest first; the first submission when none were recorded. */
export function attemptsOf(record: AttemptRecord): RecordedAttempt[] {
  if (record.attempts && record.attempts.length > 0) return [...record.attempts];
  return [
    {
      number: 1,
      cause: 'submitted',
      ...(record.id !== undefined ? { schedulerId: record.id } : {}),
      ...(record.submittedAt !== undefined ? { submittedAt: record.submittedAt } : {}),
    },
  ];
}

/** The attempt running or queued now (the last one). */
export function currentAttempt(record: AttemptRecord): RecordedAttempt {
  const all = attemptsOf(record);
  return all[all.length - 1] as RecordedAttempt;
}

/**
 * The record with `attempt` in its list: a new number is appended (the implicit first attempt is
 * written out first), a known number is updated field by field (its scheduler id, how it ended).
 */
export function recordAttempt<R extends AttemptRecord>(
  record: R,
  attempt: RecordedAttempt,
): R & { attempts: RecordedAttempt[] } {
  const all = attemptsOf(record);
  const index = all.findIndex((known) => known.number === attempt.number);
  if (index >= 0) all[index] = { ...all[index], ...attempt };
  else all.push(attempt);
  all.sort((a, b) => a.number - b.number);
  return { ...record, attempts: all };
}

/** The scheduler id status questions go to: the current attempt's, else the record's own. */
export function currentSchedulerId(record: AttemptRecord): string | undefined {
  return currentAttempt(record).schedulerId ?? record.id;
}

/** Attempts as users see them (the tokens are plumbing). */
export function publicAttempts(attempts: readonly RecordedAttempt[]): JobAttempt[] {
  return attempts.map(({ token: _token, options: _options, ...attempt }) => attempt);
}
