import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asJobId } from '@hpc/core';
import { describe, expect, it } from 'vitest';
import { JobStore } from '../src/job-store.ts';

describe('JobStore', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'hpc-store-')), 'jobs.sqlite');

  it('keeps jobs and their last state across instances and processes', () => {
    const store = new JobStore(path);
    store.add({ id: asJobId('11'), name: 'a', jobDir: '/j/a', submittedAt: '2026-01-01T00:00:00.000Z' });
    store.add({ id: asJobId('12'), name: 'b', jobDir: '/j/b', submittedAt: '2026-01-01T00:00:01.000Z' });
    store.update([
      {
        id: asJobId('11'),
        state: { status: 'completed', exitCode: 0 },
        final: true,
        missingSince: undefined,
      },
      { id: asJobId('12'), state: { status: 'running' }, final: true, missingSince: 5 },
    ]);
    store.close();

    const again = new JobStore(path);
    expect(again.get('11')).toMatchObject({ terminal: true, state: { status: 'completed' } });
    // 'final' is only honoured for terminal states.
    expect(again.get('12')).toMatchObject({ terminal: false, state: { status: 'running' }, missingSince: 5 });
    expect(again.active().map((job) => job.id)).toEqual(['12']);
    again.close();

    // Another process (plain node, no test runner) reads the same file.
    const script = `const { DatabaseSync } = require('node:sqlite'); const db = new DatabaseSync(${JSON.stringify(path)});
      console.log(JSON.stringify(db.prepare('SELECT id, terminal FROM slurm_jobs ORDER BY id').all()));`;
    const rows = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
    expect(rows).toEqual([
      { id: '11', terminal: 1 },
      { id: '12', terminal: 0 },
    ]);
  });

  it('replaces the record of a reused job id and forgets jobs', () => {
    const store = new JobStore(path);
    store.add({ id: asJobId('11'), name: 'new', jobDir: '/j/new', submittedAt: '2026-02-01T00:00:00.000Z' });
    expect(store.get('11')).toMatchObject({ name: 'new', terminal: false, state: undefined });
    expect(store.remove('11')).toBe(true);
    expect(store.get('11')).toBeUndefined();
    store.close();
  });
});
