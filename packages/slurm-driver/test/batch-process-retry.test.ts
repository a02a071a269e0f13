import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asJobId } from '@hpc/core';
import { describe, expect, it } from 'vitest';
import { processRecordOf, processSchedulerId, processSubmission } from '../src/batch-process-retry.ts';
import { batchProcessRows, markRetried, retriedIndexes } from '../src/batch-record.ts';
import { queryIdOf, schedulerIdOf } from '../src/batch-status.ts';
import { recordAttempt } from '../src/job-attempts.ts';
import { JOB_RECORD_VERSION, type JobRecord, jobsFromRecord, writeJobRecord } from '../src/job-record.ts';

/** A batch of 45 processes, 20 per task, over two slices (tasks 0-1 in 4711, task 2 in 4712). */
function batchRecord(dir: string, retry = true): JobRecord {
  return {
    version: JOB_RECORD_VERSION,
    driver: 'slurm',
    token: 'abcd',
    name: 'sweep',
    jobDir: dir,
    createdAt: '2026-12-03T10:00:00.000Z',
    submittedAt: '2026-12-03T10:00:01.000Z',
    host: 'login',
    pid: 1,
    id: '4711',
    batch: {
      slices: [
        { arrayId: '4711', offset: 0, tasks: 2 },
        { arrayId: '4712', offset: 2, tasks: 1 },
      ],
      count: 45,
      processesPerTask: 20,
    },
    ...(retry ? { retry: { maxAttempts: 3, on: ['out-of-memory' as const] }, resources: { mem: '1G' } } : {}),
  };
}

describe('retrying one process of a batch', () => {
  it('its own record: the batch policy and resources, its task as attempt 1, its place for sbatch', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hpc-bpr-'));
    const batch = batchRecord(dir);
    const record = processRecordOf(
      { id: asJobId('4712_0+3'), jobDir: join(dir, 'p', '43'), batchIndex: 43 },
      batch,
    );
    expect(record).toMatchObject({
      id: '4712_0',
      jobDir: join(dir, 'p', '43'),
      retry: batch.retry,
      resources: { mem: '1G' },
      batchProcess: { index: 43, taskOffset: 2, arrayTask: 0, taskId: '4712_0' },
    });
    // The batch's script as a one-task array; the runner runs only process 43, keeping its task id.
    expect(processSubmission(record as never)).toEqual({
      script: join(dir, 'job.sh'),
      options: ['--array=0'],
      scriptArgs: ['2', '--process', '43', '--task-id', '4712_0'],
    });
    // sbatch --parsable answers the array's id; the attempt is that array's task.
    expect(processSchedulerId(record as JobRecord, '4790')).toBe('4790_0');
    expect(processSchedulerId(record as JobRecord, '4790_0')).toBe('4790_0');
    expect(processSchedulerId(batch, '4790')).toBe('4790');
  });

  it('no record for a batch without a retry policy', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hpc-bpr-'));
    const job = { id: asJobId('4711_0+1'), jobDir: join(dir, 'p', '1'), batchIndex: 1 };
    expect(processRecordOf(job, batchRecord(dir, false))).toBeUndefined();
  });

  it('status asks SLURM about a retried process under its current attempt, others under their task', () => {
    expect(schedulerIdOf({ id: asJobId('4711_1+5'), batchIndex: 25 })).toBe('4711_1');
    expect(queryIdOf({ id: asJobId('4711_1+5'), batchIndex: 25 })).toBe('4711');
    const retried = { id: asJobId('4711_1+5'), batchIndex: 25, schedulerId: '4790_1' };
    expect(schedulerIdOf(retried)).toBe('4790_1');
    expect(queryIdOf(retried)).toBe('4790');
  });

  it('a rebuilt index gives a retried process its current attempt (one readdir for the batch)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hpc-bpr-'));
    const batch = batchRecord(dir);
    expect(retriedIndexes(dir)).toEqual([]);
    const row = batchProcessRows(batch.batch as NonNullable<JobRecord['batch']>, dir)[21];
    const own = processRecordOf({ ...(row as NonNullable<typeof row>) }, batch) as JobRecord;
    mkdirSync(own.jobDir, { recursive: true });
    await writeJobRecord(
      recordAttempt(own, { number: 2, cause: 'retry', schedulerId: '4790_1' }),
      0o600,
      false,
    );
    markRetried(dir, 21, 0o700);
    expect(retriedIndexes(dir)).toEqual([21]);
    const rows = jobsFromRecord(batch, 'folder');
    expect(rows[21]).toMatchObject({ id: '4711_1+1', schedulerId: '4790_1' });
    expect(rows[20]?.schedulerId).toBeUndefined();
    expect(rows.filter((r) => r.schedulerId !== undefined)).toHaveLength(1);
  });
});
