import { asJobId, type RunOutcome } from '@hpc/core';
import { describe, expect, it } from 'vitest';
import { decideJobState, decisiveOutcomeState, type JobStateEvidence } from '../src/job-state-policy.ts';

const NOW = 1_000_000;
const id = asJobId('4711');
const base: JobStateEvidence = {
  job: { id, state: undefined, missingSince: undefined },
  outcome: undefined,
  queued: undefined,
  accounted: undefined,
  sacctAnswered: true,
  squeueOnly: false,
  now: NOW,
  outcomeGraceMs: 5_000,
  missingGraceMs: 60_000,
};
const common = { version: 1, startedAt: 'a', finishedAt: 'b', durationMs: 1, host: 'h', pid: 1 } as const;
const timeLimitStop: RunOutcome = {
  ...common,
  status: 'failed',
  kind: 'infrastructure',
  reason: 'signalled',
  interruption: 'time-limit',
  error: { name: 'InterruptedError', message: 'stopped' },
};
const pending = { state: 'PENDING', reason: 'Priority' };
const running = { state: 'RUNNING' };
const completed = { state: 'COMPLETED', exitCode: '0:0' };
const failed = (code: number) => ({ state: 'FAILED', exitCode: `${code}:0` });

type Row = [
  string,
  Partial<JobStateEvidence>,
  { status: string; final: boolean; missingSince?: number; text?: RegExp },
];

// One row per branch of the policy: evidence in, the state's status, finality and missing clock out.
const TABLE: Row[] = [
  [
    'live squeue state wins over an older sacct record',
    { queued: running, accounted: completed },
    { status: 'running', final: false },
  ],
  ['pending in squeue', { queued: pending }, { status: 'pending', final: false }],
  [
    'terminal in sacct is authoritative',
    { accounted: completed, outcome: okOutcome() },
    { status: 'completed', final: true },
  ],
  [
    'finished in squeue, sacct lags with a stale row',
    { queued: completed, accounted: running, outcome: okOutcome() },
    { status: 'completed', final: false },
  ],
  [
    'finished in squeue, sacct has no row: squeue is final',
    { queued: completed, outcome: okOutcome() },
    { status: 'completed', final: true },
  ],
  [
    'finished in squeue, accounting off: final',
    { queued: completed, squeueOnly: true, outcome: okOutcome() },
    { status: 'completed', final: true },
  ],
  [
    'gone from squeue, sacct still running: ask again',
    { accounted: running },
    { status: 'running', final: false },
  ],
  [
    'accounting off, unknown to squeue, last state terminal',
    { squeueOnly: true, job: { id, state: { status: 'completed' }, missingSince: undefined } },
    { status: 'completed', final: true },
  ],
  [
    'sacct did not answer: unknown, clock untouched',
    { sacctAnswered: false, job: { id, state: undefined, missingSince: 7 } },
    { status: 'unknown', final: false, missingSince: 7, text: /did not answer/ },
  ],
  [
    'unknown to both, the missing clock starts',
    {},
    { status: 'unknown', final: false, missingSince: NOW, text: /not \(yet\) visible/ },
  ],
  [
    'unknown to both past the grace: lost',
    { job: { id, state: undefined, missingSince: NOW - 60_000 } },
    { status: 'lost', final: true, missingSince: NOW - 60_000, text: /squeue or sacct no longer knows/ },
  ],
  [
    'accounting off, unknown past the grace: lost',
    { squeueOnly: true, job: { id, state: undefined, missingSince: NOW - 60_000 } },
    { status: 'lost', final: true, text: /accounting is off/ },
  ],
  [
    'stopped at the time-limit warning: timeout',
    { accounted: failed(2), outcome: timeLimitStop },
    { status: 'timeout', final: true, text: /SIGUSR1/ },
  ],
  [
    'COMPLETED without outcome.json within the grace: completing',
    { accounted: completed },
    { status: 'completing', final: false, missingSince: NOW, text: /waiting for outcome.json/ },
  ],
  [
    'COMPLETED without outcome.json past the grace: lost',
    { accounted: completed, job: { id, state: undefined, missingSince: NOW - 5_000 } },
    { status: 'lost', final: true, text: /wrote no outcome.json/ },
  ],
  [
    'the job script failed before the node-runner',
    { accounted: failed(3) },
    { status: 'failed', final: true, text: /module load \/ conda activate/ },
  ],
  [
    'a non-zero exit without outcome.json',
    { accounted: failed(9) },
    { status: 'failed', final: true, text: /exited with code 9 without writing outcome.json/ },
  ],
];

function okOutcome(): RunOutcome {
  return { ...common, status: 'ok', resultFile: 'result.bin' };
}

describe('decideJobState', () => {
  it.each(TABLE)('%s', (_name, evidence, expected) => {
    const update = decideJobState({ ...base, ...evidence });
    expect(update.id).toBe(id);
    expect(update.state.status).toBe(expected.status);
    expect(update.final).toBe(expected.final);
    if ('missingSince' in expected) expect(update.missingSince).toBe(expected.missingSince);
    if (expected.text) expect(JSON.stringify(update.state)).toMatch(expected.text);
  });

  it('is pure: the same evidence gives the same answer', () => {
    const evidence = { ...base, accounted: completed };
    expect(decideJobState(evidence)).toEqual(decideJobState(evidence));
  });
});

describe('decisiveOutcomeState', () => {
  it('decides ok and run() failures, leaves a signalled run to SLURM', () => {
    expect(decisiveOutcomeState(okOutcome())).toMatchObject({
      status: 'completed',
      raw: 'COMPLETED (outcome ok)',
    });
    expect(
      decisiveOutcomeState({
        ...common,
        status: 'failed',
        kind: 'process',
        error: { name: 'E', message: 'm' },
      }),
    ).toMatchObject({ status: 'failed', raw: 'FAILED (run() threw)' });
    expect(decisiveOutcomeState(timeLimitStop)).toBeUndefined();
  });
});
