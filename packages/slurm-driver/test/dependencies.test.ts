import { asJobId, type JobId, type JobState, normalizeDependencies } from '@hpc/core';
import { describe, expect, it } from 'vitest';
import { planBatch } from '../src/batch-plan.ts';
import { sliceOptions } from '../src/batch-submit.ts';
import { blockedIds } from '../src/blocked-record.ts';
import { checkedEdges, dependencyOptions, dependencySpecOf } from '../src/dependency-resolution.ts';
import { markBlockedDependents } from '../src/dependent-states.ts';
import { JOB_RECORD_VERSION, type JobRecord, jobsFromRecord } from '../src/job-record.ts';
import type { StateUpdate, StoredJob } from '../src/job-store.ts';

function row(id: string, batchIndex?: number): StoredJob {
  return {
    id: asJobId(id),
    driver: 'slurm',
    name: 'x',
    jobDir: `/jobs/${id}`,
    submittedAt: '2026-01-01T00:00:00Z',
    state: undefined,
    terminal: false,
    missingSince: undefined,
    ...(batchIndex !== undefined ? { batchIndex } : {}),
  };
}

const rows = new Map([
  ['1', row('1')],
  ['2', row('2')],
  ['7_3+1', row('7_3+1', 7)],
]);
const registry = { get: (id: string) => rows.get(id) };

describe('sbatch options for live upstreams', () => {
  it('one type:id:id per kind, packed processes by their task, and --kill-on-invalid-dep=yes', () => {
    const edges = normalizeDependencies({ after: ['1', '7_3+1'], afterAny: ['2'] });
    expect(dependencyOptions(dependencySpecOf(edges, registry))).toEqual([
      '--dependency=afterok:1:7_3,afterany:2',
      '--kill-on-invalid-dep=yes',
    ]);
    expect(dependencyOptions(dependencySpecOf([], registry))).toEqual([]);
  });

  it('refuses an unknown id, and these options next to slurmArgs.dependency', () => {
    expect(() => checkedEdges({ after: ['3'] }, registry)).toThrow(/after\[0\].*job 3 is not tracked/);
    expect(() => checkedEdges({ after: ['1'], slurmArgs: { dependency: 'afterok:2' } }, registry)).toThrow(
      /slurmArgs\.dependency/,
    );
    expect(checkedEdges({ slurmArgs: { dependency: 'afterok:2' } }, registry)).toEqual([]);
  });

  it('a slice carries its own dependency next to the user one and the slice chain', () => {
    const plan = planBatch({
      processes: 4,
      processesPerTask: 1,
      limits: { maxArraySize: 1001, maxJobCount: 100 },
    });
    const options = sliceOptions(plan, 0, [], {
      token: 'ab'.repeat(8),
      dependencyOf: (index) => (index === 0 ? 'aftercorr:4711' : undefined),
    });
    expect(options).toContain('--dependency=aftercorr:4711');
    expect(options).toContain('--kill-on-invalid-dep=yes');
    expect(sliceOptions(plan, 0, [], { token: 'ab'.repeat(8) })).not.toContain('--kill-on-invalid-dep=yes');
  });
});

describe('the status path: dependents SLURM cancelled', () => {
  const failed: JobState = { status: 'failed', cause: 'out-of-memory' };
  const edgesOf = (job: StoredJob) =>
    job.id === '10' || job.id === '11' || job.id === '12'
      ? normalizeDependencies({ after: [job.id === '12' ? '2' : '1'] })
      : undefined;
  const update = (id: string, state: JobState): StateUpdate => ({
    id: asJobId(id),
    state,
    final: true,
    missingSince: undefined,
  });
  const lookups = { job: (id: string) => rows.get(id) ?? row(id), edgesOf };

  it('a cancelled dependent of a failed upstream is blocked naming it; a pending one is cancelled too', () => {
    const states = new Map<JobId, JobState>([[asJobId('1'), failed]]);
    const { updates, cancel } = markBlockedDependents(
      [
        update('10', { status: 'cancelled', raw: 'CANCELLED (Dependency)' }),
        update('11', { status: 'pending', reason: 'DependencyNeverSatisfied' }),
        update('13', { status: 'cancelled', by: '0' }),
      ],
      states,
      lookups,
    );
    expect(updates[0]).toMatchObject({
      final: true,
      state: {
        status: 'blocked',
        upstream: '1',
        upstreamStatus: 'failed',
        upstreamDetail: 'out-of-memory',
        raw: 'CANCELLED (Dependency)',
      },
    });
    expect(updates[1]?.state).toMatchObject({ status: 'blocked', upstream: '1' });
    expect(cancel).toEqual(['11']);
    // No dependencies: a cancel stays a cancel.
    expect(updates[2]?.state).toEqual({ status: 'cancelled', by: '0' });
  });

  it('a cancelled dependent whose upstream has not ended (in our view) stays open for the next poll', () => {
    const states = new Map<JobId, JobState>([[asJobId('2'), { status: 'running' }]]);
    const { updates, cancel } = markBlockedDependents(
      [update('12', { status: 'cancelled' })],
      states,
      lookups,
    );
    expect(updates[0]).toMatchObject({ final: false, state: { status: 'cancelled' } });
    expect(cancel).toEqual([]);
  });
});

describe('the status path: dependents of a retried upstream', () => {
  const edgesOf = () => normalizeDependencies({ after: ['1'] });
  const killed: JobState = { status: 'cancelled', raw: 'CANCELLED (Dependency)' };
  const update = (state: JobState): StateUpdate => ({
    id: asJobId('20'),
    state,
    final: true,
    missingSince: undefined,
  });
  const lookups = (queued: string, now: string) => ({
    job: (id: string) => rows.get(id) ?? row(id),
    edgesOf,
    queuedSpecOf: () => queued,
    specOf: () => now,
  });

  it('SLURM cancelled it for an attempt the upstream retried: submitted again on the new attempt', () => {
    const states = new Map<JobId, JobState>([[asJobId('1'), { status: 'pending' }]]);
    const { updates, resubmit } = markBlockedDependents(
      [update(killed)],
      states,
      lookups('afterok:1', 'afterok:31'),
    );
    expect(resubmit).toEqual([
      { id: '20', jobDir: '/jobs/20', spec: 'afterok:31', upstream: '1', state: killed },
    ]);
    expect(updates[0]).toMatchObject({ final: false });
  });

  it('the upstream is done after its retry: submitted again with no dependency', () => {
    const states = new Map<JobId, JobState>([[asJobId('1'), { status: 'completed' }]]);
    const { resubmit } = markBlockedDependents([update(killed)], states, lookups('afterok:1', 'afterok:1'));
    expect(resubmit.map((request) => request.spec)).toEqual(['']);
  });

  it('down a chain: the dependent of a dependent that stays open (or is submitted again) waits, never blocked', () => {
    const chain = {
      job: (id: string) => rows.get(id) ?? row(id),
      edgesOf: (job: StoredJob) => normalizeDependencies({ after: [job.id === '21' ? '20' : '1'] }),
      queuedSpecOf: () => 'afterok:1',
      specOf: () => 'afterok:1',
    };
    const states = new Map<JobId, JobState>([[asJobId('1'), { status: 'pending' }]]);
    const second: StateUpdate = { ...update(killed), id: asJobId('21') };
    // Listed before its upstream: the order of the poll's rows does not matter.
    const { updates } = markBlockedDependents([second, update(killed)], states, chain);
    expect(updates.map((u) => [u.id, u.state.status, u.final])).toEqual([
      ['21', 'cancelled', false],
      ['20', 'cancelled', false],
    ]);
  });

  it('not when our view of the upstream lags (same SLURM ids), a user cancelled it, or the upstream failed for good', () => {
    const running = new Map<JobId, JobState>([[asJobId('1'), { status: 'running' }]]);
    expect(
      markBlockedDependents([update(killed)], running, lookups('afterok:1', 'afterok:1')).resubmit,
    ).toEqual([]);
    const byUser: JobState = { status: 'cancelled', by: 'alice', raw: 'CANCELLED by 1000' };
    expect(
      markBlockedDependents([update(byUser)], running, lookups('afterok:1', 'afterok:31')).resubmit,
    ).toEqual([]);
    const failed = new Map<JobId, JobState>([[asJobId('1'), { status: 'failed', cause: 'exit-code' }]]);
    const settled = markBlockedDependents([update(killed)], failed, lookups('afterok:1', 'afterok:1'));
    expect(settled.resubmit).toEqual([]);
    expect(settled.updates[0]?.state).toMatchObject({ status: 'blocked', upstream: '1' });
  });
});

describe('blocked records', () => {
  it('index rows from job.json: one id, or one per process of a blocked batch, each final', () => {
    const state: JobState = { status: 'blocked', upstream: '1', upstreamStatus: 'failed' };
    const record: JobRecord = {
      version: JOB_RECORD_VERSION,
      driver: 'slurm',
      token: 'cd'.repeat(8),
      name: 'n',
      jobDir: '/jobs/n',
      createdAt: '2026-01-01T00:00:00Z',
      host: 'h',
      pid: 1,
      id: `blocked-${'cd'.repeat(8)}`,
      finalState: state,
    };
    expect(jobsFromRecord(record, 'n')).toEqual([
      {
        id: `blocked-${'cd'.repeat(8)}`,
        name: 'n',
        jobDir: '/jobs/n',
        submittedAt: record.createdAt,
        folder: 'n',
        state,
      },
    ]);
    const batch = jobsFromRecord({ ...record, blockedCount: 3 }, 'n');
    expect(batch.map((job) => job.id)).toEqual(blockedIds(record.token, 3));
    expect(batch.map((job) => job.id)).toEqual([0, 1, 2].map((i) => `blocked-${'cd'.repeat(8)}-${i}`));
    expect(batch.every((job) => job.state === state)).toBe(true);
  });
});
