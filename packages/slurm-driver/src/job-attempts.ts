import type { JobAttempt } from '@hpc/core';
import type { JobRecord } from './job-record.ts';

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

// Restarts from a checkpoint (restart-review.ts) use these read-modify-write helpers.

/** Only the attempts written down ([] while the job has had one): restarts count from these. */
export function recordedAttempts(record: Pick<JobRecord, 'attempts'> | undefined): readonly JobAttempt[] {
  return record?.attempts ?? [];
}

/** Restarts from a checkpoint among the attempts. */
export function restartsOf(attempts: readonly JobAttempt[]): number {
  return attempts.filter((attempt) => attempt.cause === 'restart').length;
}

/** What is known of the attempt that just ended, merged into the last one recorded. */
export type EndedAttempt = Pick<JobAttempt, 'startedAt' | 'endedAt' | 'node' | 'endedAs' | 'endNote'>;

/**
 * The record with `next` appended (numbered after the last) and `ended` merged into the attempt
 * before it. Pure. Without attempts so far, the first is the submission itself.
 */
export function withAttempt(
  record: JobRecord,
  next: Omit<JobAttempt, 'number'>,
  ended: EndedAttempt = {},
): JobRecord {
  const attempts = [...recordedAttempts(record)];
  if (attempts.length === 0) {
    attempts.push({
      number: 1,
      cause: 'submitted',
      ...(record.id !== undefined ? { schedulerId: record.id } : {}),
      ...(record.submittedAt !== undefined ? { submittedAt: record.submittedAt } : {}),
    });
  }
  const last = attempts.length - 1;
  attempts[last] = { ...(attempts[last] as JobAttempt), ...definedOnly(ended) };
  attempts.push({ number: attempts.length + 1, ...next });
  return { ...record, attempts };
}

/** The record with `ended` merged into its last attempt (the job's end, once it has one). Pure. */
export function withLastAttemptEnded(record: JobRecord, ended: EndedAttempt): JobRecord {
  const attempts = [...recordedAttempts(record)];
  const last = attempts.at(-1);
  if (!last) return record;
  attempts[attempts.length - 1] = { ...last, ...definedOnly(ended) };
  return { ...record, attempts };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
