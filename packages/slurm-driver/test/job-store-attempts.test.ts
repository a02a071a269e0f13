import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { asJobId } from '@hpc/core';
import { describe, expect, it } from 'vitest';
import { schedulerIdOf } from '../src/batch-status.ts';
import { jobFromRecord } from '../src/job-record.ts';
import { JobStore } from '../src/job-store.ts';

describe('JobStore and retried jobs', () => {
  it('follows a new attempt: its SLURM id is polled, the job is open again under its first id', () => {
    const store = new JobStore(':memory:');
    const id = asJobId('40');
    store.add({ id, name: 'a', jobDir: '/j/a', submittedAt: '2026-01-01T00:00:00.000Z' });
    store.update([{ id, state: { status: 'failed', cause: 'out-of-memory' }, final: true, missingSince: 3 }]);
    expect(store.get(id)).toMatchObject({ terminal: true });
    store.setAttempt(id, '41', { status: 'pending', reason: 'attempt 2 submitted' });
    const job = store.get(id);
    expect(job).toMatchObject({ id: '40', schedulerId: '41', terminal: false, missingSince: undefined });
    expect(schedulerIdOf(job as never)).toBe('41');
    expect(store.active().map((row) => row.id)).toEqual(['40']);
    store.close();
  });

  it('adds the column to a schema-3 index and keeps its rows', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'hpc-store-v3-')), 'jobs.sqlite');
    const old = new DatabaseSync(path);
    old.exec(`CREATE TABLE slurm_jobs (id TEXT PRIMARY KEY, name TEXT NOT NULL, job_dir TEXT NOT NULL,
      submitted_at TEXT NOT NULL, state TEXT, terminal INTEGER NOT NULL DEFAULT 0, missing_since INTEGER,
      batch_index INTEGER);
      INSERT INTO slurm_jobs (id, name, job_dir, submitted_at) VALUES ('7', 'old', '/j/old', '2026-01-01');
      PRAGMA user_version = 3;`);
    old.close();
    const store = new JobStore(path);
    expect(store.get('7')).toMatchObject({ id: '7', name: 'old' });
    expect(store.get('7')).not.toHaveProperty('schedulerId');
    store.setAttempt(asJobId('7'), '8', { status: 'pending' });
    expect(store.get('7')?.schedulerId).toBe('8');
    store.close();
  });

  it('rebuilds the current attempt from job.json', () => {
    const record = {
      version: 2 as const,
      driver: 'slurm' as const,
      token: 'a'.repeat(16),
      name: 'r',
      jobDir: '/j/r',
      createdAt: '2026-01-01T00:00:00.000Z',
      host: 'h',
      pid: 1,
      id: '50',
      attempts: [
        { number: 1, cause: 'submitted' as const, schedulerId: '50' },
        { number: 2, cause: 'retry' as const, schedulerId: '57' },
      ],
    };
    expect(jobFromRecord(record, 'r')).toMatchObject({ id: '50', schedulerId: '57' });
    expect(jobFromRecord({ ...record, attempts: undefined } as never, 'r')).not.toHaveProperty('schedulerId');
  });
});
