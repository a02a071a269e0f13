import { describe, expect, it } from 'vitest';
import { describeJobState, describeRestart, type JobState } from '../src/index.ts';

describe('a restarted job in its status line', () => {
  it('says which restart of how many, and after what', () => {
    expect(describeRestart(2, 3, 'time-limit')).toBe('restart 2/3 after time-limit');
    expect(describeRestart(1, undefined)).toBe('restart 1');
    const state: JobState = {
      status: 'pending',
      reason: 'BeginTime',
      restarts: 2,
      maxRestarts: 3,
      attempts: [
        { number: 1, cause: 'submitted' },
        { number: 2, cause: 'restart', after: 'time-limit' },
        { number: 3, cause: 'restart', after: 'preempted' },
      ],
    };
    expect(describeJobState(state)).toBe('pending (BeginTime); restart 2/3 after preempted');
    expect(describeJobState({ status: 'running' })).toBe('running');
    expect(describeJobState({ status: 'completed', restarts: 0 })).toBe('completed');
  });
});
