import { describe, expect, it } from 'vitest';
import type { PartitionLimits } from '../src/cluster-config.ts';
import {
  attemptsOf,
  currentAttempt,
  currentSchedulerId,
  publicAttempts,
  recordAttempt,
} from '../src/job-attempts.ts';
import { escalate, formatMem, formatTimeLimit, parseMemMiB } from '../src/retry-escalation.ts';
import { retryFields, withDefaults } from '../src/retry-settings.ts';

const short: PartitionLimits = { name: 'short', isDefault: false, maxTimeMinutes: 3, maxMemPerNodeMiB: 2000 };
const oom = { maxAttempts: 3, on: ['out-of-memory' as const] };

describe('memory and time texts', () => {
  it('reads sbatch memory in MiB and writes it back whole', () => {
    expect(parseMemMiB('200M')).toBe(200);
    expect(parseMemMiB('4G')).toBe(4096);
    expect(parseMemMiB('1.5g')).toBe(1536);
    expect(parseMemMiB('512')).toBe(512);
    expect(parseMemMiB(300)).toBe(300);
    expect(parseMemMiB('2048K')).toBe(2);
    expect(parseMemMiB('lots')).toBeUndefined();
    expect(formatMem(400)).toBe('400M');
    expect(formatMem(4096)).toBe('4G');
    expect(formatMem(300.2)).toBe('301M');
  });

  it('writes time limits in whole minutes', () => {
    expect(formatTimeLimit(90_000)).toBe('00:02:00');
    expect(formatTimeLimit(3 * 3_600_000)).toBe('03:00:00');
    expect(formatTimeLimit(36 * 3_600_000)).toBe('1-12:00:00');
  });
});

describe('escalate', () => {
  it('doubles memory after out-of-memory (or by escalate.mem), keeping the other options', () => {
    expect(
      escalate({ cause: 'out-of-memory', policy: oom, current: { mem: '200M', exclude: 'n3' } }),
    ).toEqual({
      kind: 'fits',
      changed: { mem: '400M' },
      options: { mem: '400M', exclude: 'n3' },
    });
    const triple = { ...oom, escalate: { mem: 3 } };
    expect(escalate({ cause: 'out-of-memory', policy: triple, current: { mem: '1G' } })).toMatchObject({
      changed: { mem: '3G' },
    });
    expect(
      escalate({
        cause: 'out-of-memory',
        policy: oom,
        current: { 'mem-per-cpu': '500M', 'cpus-per-task': '2' },
      }),
    ).toMatchObject({ changed: { 'mem-per-cpu': '1000M' } });
  });

  it('uses the default memory when none was asked for, and says so when even that is unknown', () => {
    expect(escalate({ cause: 'out-of-memory', policy: oom, current: {}, defaultMemMiB: 500 })).toMatchObject({
      changed: { mem: '1000M' },
    });
    expect(escalate({ cause: 'out-of-memory', policy: oom, current: {} })).toMatchObject({
      kind: 'impossible',
      reason: expect.stringMatching(/^retry not possible: the memory the job had is unknown/),
    });
  });

  it('caps memory at the partition limit, and refuses once the job is at it', () => {
    const capped = escalate({
      cause: 'out-of-memory',
      policy: oom,
      current: { mem: '1500M' },
      partition: short,
    });
    expect(capped).toMatchObject({ kind: 'fits', changed: { mem: '2000M' } });
    expect(
      escalate({ cause: 'out-of-memory', policy: oom, current: { mem: '2000M' }, partition: short }),
    ).toEqual({
      kind: 'impossible',
      reason: "retry not possible: mem 4000M exceeds partition short's MaxMemPerNode 2000M",
    });
    const perCpu = { 'mem-per-cpu': '1000M', 'cpus-per-task': '2' };
    expect(
      escalate({ cause: 'out-of-memory', policy: oom, current: perCpu, partition: short }),
    ).toMatchObject({
      kind: 'impossible',
    });
  });

  it('multiplies the limit after timeout (1.5 by default), from what SLURM said first, capped by MaxTime', () => {
    const policy = { maxAttempts: 2, on: ['timeout' as const] };
    expect(escalate({ cause: 'timeout', policy, current: { time: '10' } })).toMatchObject({
      changed: { time: '00:15:00' },
    });
    expect(
      escalate({ cause: 'timeout', policy, current: { time: '10' }, timeLimitMs: 120_000 }),
    ).toMatchObject({
      changed: { time: '00:03:00' },
    });
    expect(escalate({ cause: 'timeout', policy, current: { time: '2' }, partition: short })).toMatchObject({
      changed: { time: '00:03:00' },
    });
    expect(escalate({ cause: 'timeout', policy, current: { time: '3' }, partition: short })).toEqual({
      kind: 'impossible',
      reason: "retry not possible: time 00:05:00 exceeds partition short's MaxTime 00:03:00",
    });
    expect(escalate({ cause: 'timeout', policy, current: {} })).toMatchObject({ kind: 'impossible' });
  });

  it('excludes the failed node after node-fail, adding to what was excluded; same resources otherwise', () => {
    const policy = { maxAttempts: 2, on: ['node-fail' as const, 'preempted' as const] };
    expect(escalate({ cause: 'node-fail', policy, current: { exclude: 'n3' }, node: 'n1' })).toEqual({
      kind: 'fits',
      changed: { exclude: 'n3,n1' },
      options: { exclude: 'n3,n1' },
    });
    expect(escalate({ cause: 'preempted', policy, current: { mem: '1G' }, node: 'n1' })).toEqual({
      kind: 'fits',
      changed: {},
      options: { mem: '1G' },
    });
  });
});

describe('job attempts', () => {
  it('stands a record without attempts for its first submission, and appends or updates by number', () => {
    const record = { id: '10', submittedAt: '2026-01-01T00:00:00Z' };
    expect(attemptsOf(record)).toEqual([
      { number: 1, cause: 'submitted', schedulerId: '10', submittedAt: '2026-01-01T00:00:00Z' },
    ]);
    const two = recordAttempt(record, { number: 2, cause: 'retry', after: 'out-of-memory', token: 'ab' });
    expect(two.attempts?.map((a) => a.number)).toEqual([1, 2]);
    expect(currentAttempt(two)).toMatchObject({ number: 2, token: 'ab' });
    expect(currentSchedulerId(two)).toBe('10');
    const queued = recordAttempt(two, { number: 2, cause: 'retry', schedulerId: '11' });
    expect(currentAttempt(queued)).toMatchObject({ number: 2, after: 'out-of-memory', schedulerId: '11' });
    expect(currentSchedulerId(queued)).toBe('11');
    expect(record).not.toHaveProperty('attempts');
    expect(publicAttempts(queued.attempts ?? [])[1]).not.toHaveProperty('token');
  });
});

describe('retry settings', () => {
  it('keeps the policy and the resources a retry changes, only for more than one attempt', () => {
    const settings = {
      retry: { maxAttempts: 2, on: ['out-of-memory' as const] },
      slurmArgs: { mem: '200M', partition: 'short', 'cpus-per-task': 2, qos: 'x' },
    };
    expect(retryFields(settings)).toEqual({
      retry: settings.retry,
      resources: { mem: '200M', partition: 'short', 'cpus-per-task': '2' },
    });
    expect(retryFields({ retry: { maxAttempts: 1, on: [] } })).toEqual({});
    expect(() => retryFields({ retry: { maxAttempts: 2.5, on: [] } })).toThrow(/retry\.maxAttempts/);
  });

  it('lets a per-submit retry win over the driver default', () => {
    const driverRetry = { maxAttempts: 3, on: ['timeout' as const] };
    expect(withDefaults({}, {}, driverRetry).retry).toBe(driverRetry);
    const own = { maxAttempts: 1, on: [] };
    expect(withDefaults({ retry: own }, { slurmArgs: { mem: '1G' } }, driverRetry)).toMatchObject({
      retry: own,
      slurmArgs: { mem: '1G' },
    });
  });
});
