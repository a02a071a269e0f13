import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeOutcome } from '@hpc/container';
import { asJobId, type RunOutcome } from '@hpc/core';
import { describe, expect, it } from 'vitest';
import type { CommandRunner } from '../src/command-runner.ts';
import { JobStore } from '../src/job-store.ts';
import { StatusPoller, type StatusPollerOptions } from '../src/status-poller.ts';
import { userNameOfUid } from '../src/user-names.ts';

/**
 * A scripted scheduler for the poller's decisions (lag windows, missing accounting, lost jobs),
 * which the real cluster produces only with bad timing. The real thing runs in the .int tests.
 */
function harness(jobCount: number, options: StatusPollerOptions = {}) {
  const store = new JobStore(':memory:');
  for (let i = 1; i <= jobCount; i++)
    store.add({ id: asJobId(String(i)), name: `j${i}`, jobDir: `/jobs/${i}`, submittedAt: 'x' });
  const calls: { command: string; args: readonly string[] }[] = [];
  const outcomes = new Map<string, RunOutcome>();
  const replies: Record<string, { stdout?: string; stderr?: string; exitCode?: number }> = {
    squeue: {},
    sacct: {},
  };
  const run: CommandRunner = async (command, args) => {
    calls.push({ command, args });
    const reply = replies[command] ?? {};
    return {
      command,
      args,
      exitCode: reply.exitCode ?? 0,
      stdout: reply.stdout ?? '',
      stderr: reply.stderr ?? '',
      durationMs: 1,
    };
  };
  let clock = 1_000_000;
  const poller = new StatusPoller(store, run, {
    minIntervalMs: 0,
    now: () => clock,
    readOutcome: async (jobDir) => outcomes.get(jobDir),
    ...options,
  });
  return {
    store,
    poller,
    calls,
    outcomes,
    replies,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

const ok = (): RunOutcome => ({
  version: 1,
  status: 'ok',
  resultFile: 'result.bin',
  startedAt: 'a',
  finishedAt: 'b',
  durationMs: 5,
  host: 'n1',
  pid: 1,
});
const squeueRow = (id: number, state: string, reason = 'None') =>
  `${id}|${state}|${reason}|n1|2026-01-01T00:00:00|N/A|job`;
const sacctRow = (id: number, state: string, exitCode = '0:0') =>
  `${id}|${state}|${exitCode}|None|n1|2026-01-01T00:00:00|Unknown|Unknown|0|UNLIMITED||00:00:00|500M|1|job`;

describe('StatusPoller', () => {
  it('answers 1,000 jobs with one squeue (--me) and one sacct (a time window), lists bounded', async () => {
    const h = harness(1000);
    h.replies.squeue = {
      stdout: Array.from({ length: 500 }, (_, i) => squeueRow(i + 1, 'RUNNING')).join('\n'),
    };
    h.replies.sacct = {
      stdout: Array.from({ length: 500 }, (_, i) => sacctRow(i + 501, 'CANCELLED by 0')).join('\n'),
    };
    const states = await h.poller.poll();
    expect(h.calls.map((c) => c.command)).toEqual(['squeue', 'sacct']);
    expect(h.calls[0]?.args).toContain('--me');
    expect(h.calls[1]?.args.some((arg) => arg.startsWith('--starttime='))).toBe(true);
    // A time window asks for allocations only: step rows of every job in it would cost 15x.
    expect(h.calls[1]?.args).toContain('--allocations');
    expect(h.calls.flatMap((c) => c.args).every((arg) => arg.length < 200)).toBe(true);
    expect(states.size).toBe(1000);
    expect(states.get(asJobId('1'))?.status).toBe('running');
    expect(states.get(asJobId('1000'))).toMatchObject({ status: 'cancelled', by: userNameOfUid('0') });
    expect(h.poller.lastStats).toMatchObject({ squeueCalls: 1, sacctCalls: 1, jobsAsked: 1000 });

    // Terminal states are cached: the next poll asks only about the 500 running ones, and not sacct.
    h.calls.length = 0;
    await h.poller.poll();
    expect(h.calls.map((c) => c.command)).toEqual(['squeue']);
    expect(h.poller.lastStats).toMatchObject({ fromCache: 500, jobsAsked: 500 });
  });

  it('reads outcome files first and asks nothing when they settle every job', async () => {
    const h = harness(2);
    h.outcomes.set('/jobs/1', ok());
    h.outcomes.set('/jobs/2', {
      ...ok(),
      status: 'failed',
      kind: 'process',
      error: { name: 'Error', message: 'boom' },
    } as RunOutcome);
    const states = await h.poller.poll();
    expect(h.calls).toEqual([]);
    expect(states.get(asJobId('1'))?.status).toBe('completed');
    expect(states.get(asJobId('2'))).toMatchObject({
      status: 'failed',
      cause: 'process-error',
      exitCode: 1,
      message: 'Error: boom',
    });
  });

  it('handles the window where squeue has dropped a job and sacct still lags', async () => {
    const h = harness(1, { outcomeGraceMs: 5000 });
    h.replies.sacct = { stdout: sacctRow(1, 'RUNNING') };
    expect((await h.poller.poll()).get(asJobId('1'))?.status).toBe('running');
    expect(h.store.get('1')?.terminal).toBe(false);

    // sacct catches up: COMPLETED, but no outcome yet: completing until the grace is over, then lost.
    h.replies.sacct = { stdout: sacctRow(1, 'COMPLETED') };
    expect((await h.poller.poll()).get(asJobId('1'))).toMatchObject({ status: 'completing' });
    h.advance(6000);
    expect((await h.poller.poll()).get(asJobId('1'))).toMatchObject({ status: 'lost' });
    expect(h.store.get('1')?.terminal).toBe(true);
  });

  it("prefers squeue's terminal state over a lagging sacct, without caching it", async () => {
    const h = harness(1);
    h.replies.squeue = { stdout: squeueRow(1, 'FAILED', 'NonZeroExitCode') };
    h.replies.sacct = { stdout: sacctRow(1, 'RUNNING') };
    expect((await h.poller.poll()).get(asJobId('1'))).toMatchObject({ status: 'failed', cause: 'exit-code' });
    expect(h.store.get('1')?.terminal).toBe(false);
    h.replies.sacct = { stdout: sacctRow(1, 'FAILED', '7:0') };
    expect((await h.poller.poll()).get(asJobId('1'))).toMatchObject({ status: 'failed', exitCode: 7 });
    expect(h.store.get('1')?.terminal).toBe(true);
  });

  it("takes squeue's terminal state as final when sacct has no record at all (held, never eligible)", async () => {
    const h = harness(1);
    h.replies.squeue = { stdout: squeueRow(1, 'CANCELLED', 'JobHeldUser') };
    expect((await h.poller.poll()).get(asJobId('1'))).toMatchObject({ status: 'cancelled' });
    expect(h.store.get('1')?.terminal).toBe(true);
  });

  it('calls a job that exited 3 before the runner started a setup failure', async () => {
    const h = harness(1);
    h.replies.sacct = { stdout: sacctRow(1, 'FAILED', '3:0') };
    expect((await h.poller.poll()).get(asJobId('1'))).toMatchObject({
      status: 'failed',
      cause: 'infrastructure',
      exitCode: 3,
    });
  });

  it("keeps the job's own name over sacct's early 'allocation', and sacct's figures in the final state", async () => {
    const h = harness(1);
    h.replies.sacct = {
      stdout: [
        '1|FAILED|3:0|None|n1|2026-01-01T00:00:00|2026-01-01T00:00:01|2026-01-01T00:00:03|2|00:10:00||00:00.020|500M|1|allocation',
        '1.batch|FAILED|3:0||n1|2026-01-01T00:00:01|2026-01-01T00:00:01|2026-01-01T00:00:03|2||1234K|00:00.020||1|batch',
      ].join('\n'),
    };
    const state = (await h.poller.poll()).get(asJobId('1'));
    expect(state).toMatchObject({ status: 'failed', cause: 'infrastructure', name: 'j1' });
    expect(state?.scheduler).toEqual({
      source: 'sacct',
      maxRssBytes: 1234 * 1024,
      totalCpuMs: 20,
      reqMemBytes: 500 * 1024 ** 2,
      allocCpus: 1,
      elapsedMs: 2000,
      timeLimitMs: 600_000,
      nodes: 'n1',
    });
    expect(h.store.get('1')?.state).toEqual(state);
    expect(h.calls.map((call) => call.command)).toEqual(['squeue', 'sacct']);
  });

  it('works from squeue alone when accounting is disabled', async () => {
    const h = harness(2);
    h.replies.squeue = { stdout: squeueRow(1, 'TIMEOUT', 'TimeLimit') };
    h.replies.sacct = { exitCode: 1, stderr: 'sacct: error: Slurm accounting storage is disabled' };
    const states = await h.poller.poll();
    expect(states.get(asJobId('1'))?.status).toBe('timeout');
    expect(h.poller.accountingAvailable).toBe(false);
    h.calls.length = 0;
    await h.poller.poll();
    expect(h.calls.map((c) => c.command)).toEqual(['squeue']);
    expect(h.store.get('1')?.terminal).toBe(true);
  });

  it('calls a job lost when neither squeue nor sacct knows it for missingGraceMs', async () => {
    const h = harness(1, { missingGraceMs: 30_000 });
    expect((await h.poller.poll()).get(asJobId('1'))?.status).toBe('unknown');
    h.advance(31_000);
    expect((await h.poller.poll()).get(asJobId('1'))).toMatchObject({ status: 'lost' });
  });

  it('treats a single purged id (squeue exit 1) as absent from squeue', async () => {
    const h = harness(1);
    h.replies.squeue = { exitCode: 1, stderr: 'slurm_load_jobs error: Invalid job id specified' };
    h.replies.sacct = { stdout: sacctRow(1, 'OUT_OF_MEMORY', '0:125') };
    expect((await h.poller.poll()).get(asJobId('1'))).toMatchObject({
      status: 'failed',
      cause: 'out-of-memory',
    });
  });

  it('shares one round trip between concurrent callers and honours the minimum interval', async () => {
    const h = harness(3, { minIntervalMs: 10_000 });
    h.replies.squeue = { stdout: [1, 2, 3].map((id) => squeueRow(id, 'PENDING', 'Priority')).join('\n') };
    await Promise.all([h.poller.poll(), h.poller.poll(), h.poller.poll()]);
    await h.poller.poll();
    expect(h.calls.length).toBe(1);
    h.poller.invalidate();
    await h.poller.poll();
    expect(h.calls.length).toBe(2);
  });
});

describe('StatusPoller with outcome files on disk', () => {
  it('reports a truncated outcome.json as unknown, naming the file, and answers every other job', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hpc-poller-'));
    const store = new JobStore(':memory:');
    for (const id of ['1', '2', '3']) {
      mkdirSync(join(root, id));
      store.add({ id: asJobId(id), name: `j${id}`, jobDir: join(root, id), submittedAt: 'x' });
    }
    await writeOutcome(join(root, '1'), ok());
    writeFileSync(join(root, '2', 'outcome.json'), JSON.stringify(ok()).slice(0, 30));
    const run: CommandRunner = async (command, args) => ({
      command,
      args,
      exitCode: 0,
      stdout: command === 'squeue' ? `2|COMPLETED|None|n1|x|x|j2\n3|RUNNING|None|n1|x|x|j3` : '',
      stderr: '',
      durationMs: 1,
    });
    const states = await new StatusPoller(store, run, { minIntervalMs: 0 }).poll();
    expect(states.get(asJobId('1'))?.status).toBe('completed');
    expect(states.get(asJobId('3'))?.status).toBe('running');
    const damaged = states.get(asJobId('2'));
    expect(damaged).toMatchObject({
      status: 'unknown',
      unreadable: {
        file: join(root, '2', 'outcome.json'),
        message: expect.stringMatching(/^it is not valid JSON/),
      },
    });
    expect(damaged && 'reason' in damaged && damaged.reason).toContain(join(root, '2', 'outcome.json'));
    expect(store.get('2')?.terminal).toBe(false);
  });
});
