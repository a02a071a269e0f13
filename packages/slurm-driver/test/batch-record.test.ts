import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileModes } from '@hpc/core';
import { describe, expect, it } from 'vitest';
import {
  type BatchRecordFields,
  batchDirOfProcess,
  batchFieldsProblem,
  batchProcessIdOf,
  batchProcessRows,
} from '../src/batch-record.ts';
import { JOB_RECORD_VERSION, type JobRecord, jobsFromRecord, parseJobRecord } from '../src/job-record.ts';
import { JobRegistry } from '../src/job-registry.ts';
import { JobStore } from '../src/job-store.ts';

const twoSlices: BatchRecordFields = {
  slices: [
    { arrayId: '4711', offset: 0, tasks: 1001 },
    { arrayId: '4712', offset: 1001, tasks: 199 },
  ],
  count: 1200,
  processesPerTask: 1,
};

describe('batch ids and rows', () => {
  it('one process per task: the id is the task id, each slice counting from 0', () => {
    expect(batchProcessIdOf(twoSlices, 0)).toBe('4711_0');
    expect(batchProcessIdOf(twoSlices, 1000)).toBe('4711_1000');
    expect(batchProcessIdOf(twoSlices, 1001)).toBe('4712_0');
    expect(batchProcessIdOf(twoSlices, 1199)).toBe('4712_198');
  });

  it('packed: <array>_<task>+<place>', () => {
    const packed = { slices: [{ arrayId: '9', offset: 0, tasks: 3 }], count: 45, processesPerTask: 20 };
    expect(batchProcessIdOf(packed, 0)).toBe('9_0+0');
    expect(batchProcessIdOf(packed, 21)).toBe('9_1+1');
    expect(batchProcessIdOf(packed, 44)).toBe('9_2+4');
    expect(batchFieldsProblem(packed)).toBeUndefined();
  });

  it('rows carry p/<index> folders; 10,000 are built in well under 50 ms', () => {
    const big = {
      slices: Array.from({ length: 10 }, (_, i) => ({
        arrayId: String(100 + i),
        offset: i * 1000,
        tasks: 1000,
      })),
      count: 10_000,
      processesPerTask: 1,
    };
    const started = performance.now();
    const rows = batchProcessRows(big, '/jobs/b');
    expect(performance.now() - started).toBeLessThan(50);
    expect(rows).toHaveLength(10_000);
    expect(rows[9999]).toEqual({ id: '109_999', jobDir: '/jobs/b/p/9999', batchIndex: 9999 });
    expect(new Set(rows.map((row) => row.id)).size).toBe(10_000);
    expect(batchDirOfProcess('/jobs/b/p/9999')).toBe('/jobs/b');
  });

  it('refuses batch fields that do not add up', () => {
    expect(batchFieldsProblem({ ...twoSlices, count: 1300 })).toMatch(/do not match/);
    expect(batchFieldsProblem({ ...twoSlices, slices: [] })).toMatch(/empty/);
    expect(batchFieldsProblem({ ...twoSlices, slices: [{ arrayId: '1', offset: 5, tasks: 1200 }] })).toMatch(
      /in order/,
    );
    const record = { version: JOB_RECORD_VERSION, token: 't', name: 'n', jobDir: '/j', createdAt: 'c' };
    expect(() => parseJobRecord(JSON.stringify({ ...record, batch: { count: 0 } }), '/j/job.json')).toThrow(
      /job\.json.*batch\.count/,
    );
  });
});

describe('batch rows in the job index', () => {
  const record = (jobDir: string): JobRecord => ({
    version: JOB_RECORD_VERSION,
    driver: 'slurm',
    token: 'a'.repeat(16),
    name: 'sweep',
    jobDir,
    createdAt: '2026-01-01T00:00:00Z',
    host: 'h',
    pid: 1,
    id: '4711',
    submittedAt: '2026-01-01T00:00:01Z',
    batch: twoSlices,
  });

  it('a batch record stands for one row per process; processesOf finds a task and an array', () => {
    const store = new JobStore(':memory:');
    const rows = jobsFromRecord(record('/jobs/b'), 'b');
    expect(rows).toHaveLength(1200);
    store.transaction(() => {
      for (const row of rows) store.add(row);
    });
    expect(store.get('4712_3')).toMatchObject({ jobDir: '/jobs/b/p/1004', batchIndex: 1004 });
    expect(store.processesOf('4711')).toHaveLength(1001);
    expect(store.processesOf('4712_3').map((job) => job.id)).toEqual(['4712_3']);
    expect(store.processesOf('471')).toHaveLength(0);
    expect(store.folders().get('b')).toBe('job');
  });

  it('a fresh index is rebuilt from the batch folder: 10,000 rows', async () => {
    const home = mkdtempSync(join(tmpdir(), 'hpc-batch-rows-'));
    const root = join(home, 'slurm', 'jobs');
    const registry = new JobRegistry({ root, home, modes: fileModes('private'), storePath: ':memory:' });
    const submission = await registry.begin('sweep', root);
    const big = {
      slices: Array.from({ length: 10 }, (_, i) => ({
        arrayId: String(500 + i),
        offset: i * 1000,
        tasks: 1000,
      })),
      count: 10_000,
      processesPerTask: 1,
    };
    const started = performance.now();
    await registry.confirmBatch(submission, { id: '500', batch: big });
    const confirmMs = performance.now() - started;
    expect(confirmMs).toBeLessThan(500);
    expect(registry.get('509_999')?.batchIndex).toBe(9999);
    registry.close();
    const other = new JobRegistry({ root, home, modes: fileModes('private'), storePath: ':memory:' });
    expect(other.jobs()).toHaveLength(10_000);
    expect(other.get('503_7')?.jobDir).toBe(join(submission.jobDir, 'p', '3007'));
    other.close();
  });
});
