import { describe, expect, it } from 'vitest';
import { describeView } from '../src/job-view.ts';

describe('hpc status of a retried job', () => {
  it('says which attempt runs, what changed and after what', () => {
    const attempts = [
      { number: 1, cause: 'submitted' as const, endedAs: 'failed' as const },
      { number: 2, cause: 'retry' as const, after: 'out-of-memory', changed: { mem: '4G' } },
    ];
    const view = {
      id: '4811',
      driver: 'slurm',
      name: 'Sim',
      state: { status: 'running' as const, attempts, maxAttempts: 3 },
    };
    expect(describeView(view)).toBe('running, attempt 2/3 (mem 4G after out-of-memory)');
    expect(describeView({ ...view, state: { status: 'running' } })).toBe('running');
  });
});
