import type { JobAttempt } from '@hpc/core';
import { type JobRecord, readJobRecord, writeJobRecord } from './job-record.ts';

/**
 * The attempts behind one job id, kept in its job.json (`attempts`, oldest first, numbered from 1):
 * restarts from a checkpoint, retries, resubmissions. Read-modify-write of the record; the first
 * attempt (the submission) is filled in from the record when the second is added.
 */
export function attemptsOf(record: Pick<JobRecord, 'attempts'> | undefined): readonly JobAttempt[] {
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
  const attempts = [...attemptsOf(record)];
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
  const attempts = [...attemptsOf(record)];
  const last = attempts.at(-1);
  if (!last) return record;
  attempts[attempts.length - 1] = { ...last, ...definedOnly(ended) };
  return { ...record, attempts };
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
  return attemptsOf(updated);
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
