import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asJobId, type CheckpointNote, type JobState, type RunOutcome } from '@hpc/core';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CommandRunner } from '../src/command-runner.ts';
import { restartsOf, withAttempt } from '../src/job-attempts.ts';
import { type JobRecord, readJobRecord } from '../src/job-record.ts';
import type { StateUpdate } from '../src/job-store.ts';
import { reviewRestart } from '../src/restart-review.ts';
import { writeCounterRecord } from './job-record-fixture.ts';

/**
 * The driver's side of checkpoint and requeue, decided from a job's outcome, SLURM's state and its
 * job.json. `scontrol requeue` is scripted here; the real cluster runs in checkpoint-requeue.int.test.ts.
 */
const id = asJobId('4711');
let jobDir: string;
let calls: string[][];
let requeueAnswer: { exitCode: number; stderr: string };
const run: CommandRunner = async (command, args) => {
  calls.push([command, ...args]);
  return { command, args, stdout: '', durationMs: 1, ...requeueAnswer };
};
const options = () => ({ run, fileMode: 0o600, now: () => Date.parse('2026-12-03T08:00:00Z') });

beforeEach(async () => {
  jobDir = mkdtempSync(join(tmpdir(), 'hpc-restart-review-'));
  calls = [];
  requeueAnswer = { exitCode: 0, stderr: '' };
  await writeCounterRecord(jobDir, id);
});

function checkpointed(note: Partial<CheckpointNote> = {}): RunOutcome {
  return {
    version: 1,
    status: 'failed',
    kind: 'infrastructure',
    reason: 'signalled',
    interruption: 'time-limit',
    error: { name: 'Error', message: 'stopped' },
    startedAt: '2026-12-03T07:01:00Z',
    finishedAt: '2026-12-03T07:01:30Z',
    durationMs: 30_000,
    host: 'n1',
    pid: 7,
    checkpoint: {
      signal: 'SIGUSR1',
      reason: 'time-limit',
      signalAt: '2026-12-03T07:01:29Z',
      checkpointMs: 4,
      saved: true,
      restarts: 1,
      requeue: 'node-requeue',
      ...note,
    },
  };
}
const update = (state: JobState, final = false): StateUpdate => ({
  id,
  state,
  final,
  missingSince: undefined,
});
const job = () => ({ id, jobDir });

describe('reviewRestart', () => {
  it('records a node-requeue once SLURM has the job pending again, and shows the restart', async () => {
    const running = await reviewRestart(
      job(),
      checkpointed(),
      update({ status: 'running', startedAt: '2026-12-03T07:00:30' }),
      options(),
    );
    expect(running.state.restarts).toBeUndefined(); // still the old run: nothing recorded yet
    const pending = await reviewRestart(
      job(),
      checkpointed(),
      update({ status: 'pending', reason: 'BeginTime', raw: 'PENDING (BeginTime)' }),
      options(),
    );
    expect(pending.state).toMatchObject({
      status: 'pending',
      restarts: 1,
      maxRestarts: 3,
      raw: 'PENDING (BeginTime); restart 1/3 after time-limit',
    });
    expect(readJobRecord(jobDir)?.attempts).toEqual([
      {
        number: 1,
        cause: 'submitted',
        schedulerId: id,
        submittedAt: '2026-12-03T07:00:01Z',
        startedAt: '2026-12-03T07:01:00Z',
        endedAt: '2026-12-03T07:01:30Z',
        node: 'n1',
        endedAs: 'requeued',
        endNote: 'checkpointed at SIGUSR1 (time-limit) in 4 ms',
      },
      {
        number: 2,
        cause: 'restart',
        after: 'time-limit',
        schedulerId: id,
        submittedAt: '2026-12-03T08:00:00.000Z',
        mechanism: 'node-requeue',
      },
    ]);
    // Seen again (the next poll): not recorded twice.
    await reviewRestart(job(), checkpointed(), update({ status: 'running' }), options());
    expect(readJobRecord(jobDir)?.attempts).toHaveLength(2);
    expect(calls).toEqual([]);
  });

  it('requeues from the login side after exit 75, and the job is requeued, not over', async () => {
    const outcome = checkpointed({ requeue: 'driver-requeue' });
    const before = await reviewRestart(job(), outcome, update({ status: 'running' }), options());
    expect(before.state.status).toBe('running');
    expect(calls).toEqual([]);
    const failed = update(
      { status: 'timeout', raw: 'FAILED; stopped at the time-limit warning (SIGUSR1)', exitCode: 75 },
      true,
    );
    const reviewed = await reviewRestart(job(), outcome, failed, options());
    expect(calls).toEqual([['scontrol', 'requeue', '4711']]);
    expect(reviewed).toMatchObject({ final: false, state: { status: 'requeued', restarts: 1 } });
    expect(readJobRecord(jobDir)?.attempts?.[1]).toMatchObject({
      mechanism: 'driver-requeue',
      after: 'time-limit',
    });
  });

  it('leaves the end as SLURM says when the login-side requeue fails, saying why', async () => {
    requeueAnswer = { exitCode: 1, stderr: 'scontrol: error: Invalid job id specified' };
    const failed = update({ status: 'timeout', raw: 'FAILED' }, true);
    const reviewed = await reviewRestart(
      job(),
      checkpointed({ requeue: 'driver-requeue' }),
      failed,
      options(),
    );
    expect(reviewed.final).toBe(true);
    expect(reviewed.state.status).toBe('timeout');
    expect(reviewed.state.raw).toMatch(
      /scontrol requeue 4711 failed: scontrol: error: Invalid job id specified/,
    );
    expect(readJobRecord(jobDir)?.attempts).toBeUndefined();
  });

  it('does not restart a run that saved nothing, nor a preempted job SLURM cancelled for good', async () => {
    const unsaved = checkpointed({ saved: false, error: 'no restart left (maxRestarts 3)' });
    expect(
      (await reviewRestart(job(), unsaved, update({ status: 'timeout' }, true), options())).state.status,
    ).toBe('timeout');
    const preempted = checkpointed({ signal: 'SIGTERM', reason: 'preempted', requeue: 'scheduler-requeue' });
    expect(
      (await reviewRestart(job(), preempted, update({ status: 'preempted' }, true), options())).state,
    ).toMatchObject({ status: 'preempted' });
    expect(readJobRecord(jobDir)?.attempts).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it("fills in the last attempt's end once the job's state is final", async () => {
    await reviewRestart(job(), checkpointed(), update({ status: 'pending' }), options());
    const ok: RunOutcome = {
      version: 1,
      status: 'ok',
      resultFile: 'result.bin',
      startedAt: '2026-12-03T07:02:00Z',
      finishedAt: '2026-12-03T07:02:40Z',
      durationMs: 40_000,
      host: 'n2',
      pid: 8,
    };
    const done = await reviewRestart(
      job(),
      ok,
      update({ status: 'completed', raw: 'COMPLETED (outcome ok)' }, true),
      options(),
    );
    expect(done.state).toMatchObject({
      status: 'completed',
      restarts: 1,
      raw: 'COMPLETED (outcome ok); restart 1/3 after time-limit',
    });
    expect(readJobRecord(jobDir)?.attempts?.[1]).toMatchObject({
      endedAs: 'completed',
      startedAt: ok.startedAt,
      endedAt: ok.finishedAt,
      node: 'n2',
    });
  });
});

describe('job attempts', () => {
  it('numbers attempts in order and starts with the submission', () => {
    const record = readJobRecord(jobDir) as JobRecord;
    const once = withAttempt(record, { cause: 'restart', after: 'time-limit' }, { endedAs: 'requeued' });
    const twice = withAttempt(once, { cause: 'retry', after: 'out-of-memory', changed: { mem: '4G' } });
    expect(twice.attempts?.map((a) => [a.number, a.cause])).toEqual([
      [1, 'submitted'],
      [2, 'restart'],
      [3, 'retry'],
    ]);
    expect(twice.attempts?.[0]).toMatchObject({ schedulerId: id, endedAs: 'requeued' });
    expect(twice.attempts?.[1]?.endedAs).toBeUndefined();
    expect(twice.attempts?.[2]).toMatchObject({ changed: { mem: '4G' } });
    expect(restartsOf(twice.attempts ?? [])).toBe(1);
  });
});
