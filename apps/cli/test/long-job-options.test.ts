import { describe, expect, it } from 'vitest';
import { longJobOptions } from '../src/long-job-options.ts';

describe('hpc submit: restart, retry and dependency flags', () => {
  it('turns the flags into SubmitOptions', () => {
    expect(
      longJobOptions({
        'max-restarts': '5',
        retry: '3',
        'retry-on': 'out-of-memory,process-error',
        after: ['4711,4712', ' 4713 '],
        'after-any': ['9_1'],
      }),
    ).toEqual({
      maxRestarts: 5,
      retry: { maxAttempts: 3, on: ['out-of-memory', 'process-error'] },
      after: ['4711', '4712', '4713'],
      afterAny: ['9_1'],
    });
  });

  it('--retry alone retries what is not the job’s own fault', () => {
    expect(longJobOptions({ retry: '2' }).retry).toEqual({
      maxAttempts: 2,
      on: ['out-of-memory', 'timeout', 'node-fail', 'preempted', 'lost'],
    });
  });

  it('refuses what it cannot mean, naming the flag', () => {
    expect(() => longJobOptions({ retry: 'two' })).toThrow(
      /--retry expects a whole number from 1 to 100, got 'two'/,
    );
    expect(() => longJobOptions({ retry: '0' })).toThrow(/--retry expects a whole number from 1/);
    expect(() => longJobOptions({ 'retry-on': 'timeout' })).toThrow(/--retry-on needs --retry/);
    expect(() => longJobOptions({ retry: '2', 'retry-on': 'timeout,oom' })).toThrow(
      /--retry-on: 'oom' is not a failure that can be retried; use a comma list of out-of-memory, timeout/,
    );
    expect(() => longJobOptions({ after: [','] })).toThrow(/--after expects job ids/);
    expect(() => longJobOptions({ 'max-restarts': '-1' })).toThrow(
      /--max-restarts expects a whole number from 0/,
    );
  });
});
