import { asJobId, type RunOutcome } from '@hpc/core';
import { describe, expect, it } from 'vitest';
import { decideProcessState, queryIdOf, schedulerIdOf } from '../src/batch-status.ts';
import type { JobStateEvidence } from '../src/job-state-policy.ts';

const evidence = (id: string, report: Partial<JobStateEvidence> = {}): JobStateEvidence => ({
  job: { id: asJobId(id), state: undefined, missingSince: undefined },
  outcome: undefined,
  queued: undefined,
  accounted: undefined,
  sacctAnswered: true,
  squeueOnly: false,
  now: 1_000_000,
  outcomeGraceMs: 5000,
  missingGraceMs: 60_000,
  ...report,
});

const no = () => false;

describe('batch process states', () => {
  it('asks SLURM for the task, by its array', () => {
    expect(schedulerIdOf({ id: asJobId('4711_3+2'), batchIndex: 8 })).toBe('4711_3');
    expect(queryIdOf({ id: asJobId('4711_3+2'), batchIndex: 8 })).toBe('4711');
    expect(queryIdOf({ id: asJobId('4711_3'), batchIndex: 3 })).toBe('4711');
    expect(queryIdOf({ id: asJobId('4711_3') })).toBe('4711_3');
  });

  it('a running task: the started process runs, the others wait for it', () => {
    const queued = { state: 'RUNNING', reason: 'None', name: 'b' };
    expect(decideProcessState(evidence('9_0+0', { queued }), true, no).state.status).toBe('running');
    expect(decideProcessState(evidence('9_0+1', { queued }), false, no).state).toMatchObject({
      status: 'pending',
      reason: 'waiting for earlier processes in its task 9_0',
    });
  });

  it("a killed task: each unfinished process reports the task's fate", () => {
    const timeout = { state: 'TIMEOUT', exitCode: '0:0', name: 'b' };
    expect(decideProcessState(evidence('9_0+1', { accounted: timeout }), true, no).state.status).toBe(
      'timeout',
    );
    const cancelled = { state: 'CANCELLED by 0', exitCode: '0:0', name: 'b' };
    const signalled = {
      status: 'failed',
      kind: 'infrastructure',
      reason: 'signalled',
    } as unknown as RunOutcome;
    expect(
      decideProcessState(evidence('9_0+2', { accounted: cancelled, outcome: signalled }), true, no).state
        .status,
    ).toBe('cancelled');
    const oom = { state: 'OUT_OF_MEMORY', exitCode: '0:125', name: 'b' };
    expect(decideProcessState(evidence('9_0+3', { accounted: oom }), false, no).state).toMatchObject({
      status: 'failed',
    });
  });

  it('a task cancelled while pending vanishes from SLURM: its cancel marker says cancelled', () => {
    expect(decideProcessState(evidence('9_4'), false, () => true)).toMatchObject({
      state: { status: 'cancelled', by: 'request' },
      final: true,
    });
    expect(decideProcessState(evidence('9_4'), false, no).state.status).toBe('unknown');
  });

  it('a task that COMPLETED without this process’s outcome: lost, saying so', () => {
    const completed = { state: 'COMPLETED', exitCode: '0:0', name: 'b' };
    const late = evidence('9_1+0', {
      accounted: completed,
      job: { id: asJobId('9_1+0'), state: undefined, missingSince: 0 },
    });
    const state = decideProcessState(late, false, no).state;
    expect(state).toMatchObject({ status: 'lost' });
    expect((state as { reason: string }).reason).toMatch(/task 9_1 ended .*never started.*tasks\/9_1\.err/);
  });
});
