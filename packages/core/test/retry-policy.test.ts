import { describe, expect, it } from 'vitest';
import { diagnoseFailure } from '../src/failure-diagnosis.ts';
import type { JobState } from '../src/job-state.ts';
import { checkRetryPolicy, decideRetry, retryCauseOf } from '../src/retry-policy.ts';

const oomState: JobState = { status: 'failed', cause: 'out-of-memory' };

describe('retry decision', () => {
  it('classes each end by what a retry can be asked for', () => {
    expect(retryCauseOf(oomState)).toBe('out-of-memory');
    expect(retryCauseOf({ status: 'failed', cause: 'process-error' })).toBe('process-error');
    expect(retryCauseOf({ status: 'failed', cause: 'exit-code', exitCode: 3 })).toBe('exit-code');
    expect(retryCauseOf({ status: 'failed', cause: 'node-fail' })).toBe('node-fail');
    expect(retryCauseOf({ status: 'timeout' })).toBe('timeout');
    expect(retryCauseOf({ status: 'preempted' })).toBe('preempted');
    expect(retryCauseOf({ status: 'lost', reason: 'gone' })).toBe('lost');
    expect(retryCauseOf({ status: 'failed', cause: 'infrastructure' })).toBeUndefined();
    expect(retryCauseOf({ status: 'cancelled' })).toBeUndefined();
    expect(retryCauseOf({ status: 'completed' })).toBeUndefined();
  });

  it('retries a listed failure while attempts are left, and says when they ran out', () => {
    const policy = { maxAttempts: 3, on: ['out-of-memory' as const] };
    expect(decideRetry(oomState, policy, 1)).toEqual({ kind: 'retry', cause: 'out-of-memory', number: 2 });
    expect(decideRetry(oomState, policy, 2)).toEqual({ kind: 'retry', cause: 'out-of-memory', number: 3 });
    expect(decideRetry(oomState, policy, 3)).toEqual({
      kind: 'final',
      note: 'retries ran out: 3 of 3 attempts used',
    });
    expect(decideRetry(oomState, undefined, 1)).toEqual({ kind: 'final' });
    expect(decideRetry({ status: 'running' }, policy, 1)).toEqual({ kind: 'final' });
  });

  it('never retries a run() exception unless process-error is listed', () => {
    const error: JobState = { status: 'failed', cause: 'process-error' };
    expect(decideRetry(error, { maxAttempts: 5, on: ['out-of-memory', 'timeout', 'node-fail'] }, 1)).toEqual({
      kind: 'final',
    });
    expect(decideRetry(error, { maxAttempts: 5, on: ['process-error'] }, 1)).toMatchObject({ kind: 'retry' });
  });
});

describe('checkRetryPolicy', () => {
  it('accepts a policy and refuses bad fields by name', () => {
    const policy = { maxAttempts: 2, on: ['timeout' as const], escalate: { time: 2 } };
    expect(checkRetryPolicy(policy)).toBe(policy);
    expect(checkRetryPolicy(undefined)).toBeUndefined();
    expect(() => checkRetryPolicy(3)).toThrow(/invalid option retry /);
    expect(() => checkRetryPolicy({ maxAttempts: 0, on: [] })).toThrow(/retry\.maxAttempts/);
    expect(() => checkRetryPolicy({ maxAttempts: 2, on: 'timeout' })).toThrow(/retry\.on/);
    expect(() => checkRetryPolicy({ maxAttempts: 2, on: ['oom'] })).toThrow(/out-of-memory, timeout/);
    expect(() => checkRetryPolicy({ maxAttempts: 2, on: [], escalate: { mem: 0.5 } })).toThrow(
      /retry\.escalate\.mem/,
    );
  });
});

describe('diagnosis of a job not retried', () => {
  it('keeps the reason in the paragraph, as written', () => {
    const reason = "retry not possible: mem 4000M exceeds partition short's MaxMemPerNode 2000M";
    expect(diagnoseFailure({ state: { ...oomState, retryNote: reason } })).toContain(`${reason}.`);
  });
});
