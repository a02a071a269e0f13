import { globToRegExp, type JobState, parseDuration, planForget, selectJobsToClean } from '@hpc/core';
import { describe, expect, it } from 'vitest';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-03T12:00:00Z');
const endedDaysAgo = (days: number, status: 'completed' | 'failed' = 'completed'): JobState =>
  (status === 'failed'
    ? { status, cause: 'exit-code', endedAt: new Date(NOW - days * DAY).toISOString() }
    : { status, endedAt: new Date(NOW - days * DAY).toISOString() }) as JobState;

describe('parseDuration', () => {
  it('reads a number and one unit', () => {
    expect(parseDuration('30d', '--older-than')).toBe(30 * DAY);
    expect(parseDuration('12h', '--older-than')).toBe(12 * 3_600_000);
    expect(parseDuration('90m', '--older-than')).toBe(90 * 60_000);
    expect(parseDuration('45s', '--older-than')).toBe(45_000);
    expect(parseDuration('2w', '--older-than')).toBe(14 * DAY);
    expect(parseDuration('1.5h', '--older-than')).toBe(5_400_000);
  });

  it.each(['30', 'd', '-1d', '1d12h', '30 days', '', '1y'])('refuses %j naming the option', (text) => {
    expect(() => parseDuration(text, '--older-than')).toThrow(
      expect.objectContaining({ _tag: 'InvalidOption', option: '--older-than' }),
    );
  });
});

describe('selectJobsToClean', () => {
  const candidates = [
    { id: 'old', name: 'Fit', states: [endedDaysAgo(40)] },
    { id: 'recent', name: 'Fit', states: [endedDaysAgo(2)] },
    { id: 'old-failed', name: 'Sweep', states: [endedDaysAgo(40, 'failed')] },
    { id: 'running', name: 'Fit', states: [{ status: 'running' } as JobState] },
    { id: 'no-end', name: 'Fit', states: [{ status: 'completed' } as JobState] },
    // A batch: its last process ended 10 days ago, so it is not older than 30 days.
    { id: 'batch', name: 'Sweep', states: [endedDaysAgo(50), endedDaysAgo(10)] },
    { id: 'old-batch', name: 'Sweep', states: [endedDaysAgo(50), endedDaysAgo(45, 'failed')] },
  ];

  it('selects finished jobs whose last end is older than the cutoff and says why the others are kept', () => {
    const choice = selectJobsToClean(candidates, { olderThanMs: 30 * DAY, now: NOW });
    expect(choice.selected).toEqual(['old', 'old-failed', 'old-batch']);
    expect(choice.kept).toEqual([
      { id: 'recent', reason: 'too-recent' },
      { id: 'running', reason: 'not-final' },
      { id: 'no-end', reason: 'end-unknown' },
      { id: 'batch', reason: 'too-recent' },
    ]);
  });

  it('filters by state (every process of a batch) and by name, without mentioning what does not match', () => {
    const completed = selectJobsToClean(candidates, {
      olderThanMs: 30 * DAY,
      now: NOW,
      states: new Set(['completed']),
    });
    expect(completed.selected).toEqual(['old']);
    expect(completed.kept.map((entry) => entry.id)).toEqual(['recent', 'no-end', 'batch']);
    const sweeps = selectJobsToClean(candidates, {
      olderThanMs: 30 * DAY,
      now: NOW,
      name: globToRegExp('Sw*'),
    });
    expect(sweeps.selected).toEqual(['old-failed', 'old-batch']);
    expect(sweeps.kept).toEqual([{ id: 'batch', reason: 'too-recent' }]);
  });
});

describe('planForget', () => {
  const rows = [
    { id: '100', folder: '/h/jobs/a' },
    { id: '4711_0', folder: '/h/jobs/batch' },
    { id: '4711_1+0', folder: '/h/jobs/batch' },
    { id: '4711_1+1', folder: '/h/jobs/batch' },
    // The batch's second array (MaxArraySize): the same folder.
    { id: '4712_0', folder: '/h/jobs/batch' },
    { id: 'blocked-t-0', folder: '/h/jobs/blocked' },
    { id: 'blocked-t-1', folder: '/h/jobs/blocked' },
  ];

  it('a job id is its folder; a batch id is the whole batch folder with every process of it', () => {
    const plan = planForget(['100', '4711', '4712'], rows);
    expect(plan.refused).toEqual([]);
    expect(plan.units).toEqual([
      { id: '100', ids: ['100'], jobDir: '/h/jobs/a' },
      { id: '4711', ids: ['4711_0', '4711_1+0', '4711_1+1', '4712_0'], jobDir: '/h/jobs/batch' },
    ]);
  });

  it('refuses one process or task of a batch, naming the batch to forget instead', () => {
    const plan = planForget(['4711_0', '4711_1', '4711_1+1', 'blocked-t-0'], rows);
    expect(plan.units).toEqual([]);
    expect(plan.refused.map((refusal) => [refusal.id, refusal.reason])).toEqual([
      ['4711_0', 'batch-member'],
      ['4711_1', 'batch-member'],
      ['4711_1+1', 'batch-member'],
      ['blocked-t-0', 'batch-member'],
    ]);
    expect(plan.refused[0]?.message).toContain('hpc forget 4711');
    expect(plan.refused[3]?.message).toContain('give all 2 of its ids together');
  });

  it('a shared folder goes when every one of its ids is given; an unknown id is refused', () => {
    const plan = planForget(['blocked-t-0', 'blocked-t-1', '999'], rows);
    expect(plan.units).toEqual([
      { id: 'blocked-t-0', ids: ['blocked-t-0', 'blocked-t-1'], jobDir: '/h/jobs/blocked' },
    ]);
    expect(plan.refused).toEqual([
      { id: '999', reason: 'not-tracked', message: '999 is not a tracked job or batch' },
    ]);
  });
});
