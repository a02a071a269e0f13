import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileModes } from '@hpc/core';
import { describe, expect, it } from 'vitest';
import type { CommandRunner } from '../src/command-runner.ts';
import { JOB_RECORD_VERSION, type JobRecord, readJobRecord } from '../src/job-record.ts';
import { JobRegistry } from '../src/job-registry.ts';
import { SubmissionReconciler } from '../src/submission-reconcile.ts';

const T0 = Date.parse('2026-12-02T08:00:00Z');
/** A pid no process has (Linux pids stay below 2^22). */
const DEAD_PID = 2 ** 22 + 7;

/**
 * The reconcile rules with a scripted squeue/sacct (their real output is in submission-lookup's
 * tests, the real thing in submission-safety.int.test.ts): when an intent is looked up, adopted,
 * kept, or dropped with its folder.
 */
function harness() {
  const home = mkdtempSync(join(tmpdir(), 'hpc-reconcile-'));
  const root = join(home, 'slurm', 'jobs');
  const registry = new JobRegistry({ root, home, modes: fileModes(), storePath: join(home, 'index.sqlite') });
  const calls: string[] = [];
  const replies = { squeue: '', sacct: '' };
  const run: CommandRunner = async (command, args) => {
    calls.push(command);
    return {
      command,
      args,
      exitCode: 0,
      stdout: replies[command as 'squeue' | 'sacct'] ?? '',
      stderr: '',
      durationMs: 1,
    };
  };
  let clock = T0;
  const reconciler = new SubmissionReconciler(registry, run, {
    lookupAfterMs: 40_000,
    graceMs: 300_000,
    retryMs: 30_000,
    now: () => clock,
  });
  /** An intent on disk and in the index, as another submitter left it. */
  const intent = (token: string, pid: number) => {
    const jobDir = join(root, `job-20261202-080000-${token}`);
    mkdirSync(jobDir, { recursive: true });
    const record: JobRecord = {
      version: JOB_RECORD_VERSION,
      driver: 'slurm',
      token,
      name: 'job',
      jobDir,
      createdAt: new Date(T0).toISOString(),
      host: hostname(),
      pid,
    };
    writeFileSync(join(jobDir, 'job.json'), JSON.stringify(record));
    registry.refresh();
    return jobDir;
  };
  return { registry, reconciler, calls, replies, intent, root, advance: (ms: number) => (clock += ms) };
}

const line = (id: number, token: string, state = 'PENDING', nodes = '') =>
  `${id}|2026-12-02T08:00:01|${state}|${nodes}|hpc:${token}|/jobs/job-${token}`;

describe('SubmissionReconciler', () => {
  it('a batch whose submitter died between slices: its arrays are cancelled in one scancel, the folder goes', async () => {
    const h = harness();
    const token = 'dddddddddddddddd';
    const jobDir = h.intent(token, DEAD_PID);
    writeFileSync(join(jobDir, 'batch.json'), '{}');
    h.replies.squeue = [line(51, token), line(52, `${token}0001`)].join('\n');
    const report = await h.reconciler.settle();
    expect(report.dropped).toEqual([{ token, jobDir }]);
    expect(h.calls).toEqual(['squeue', 'scancel']);
    expect(readdirSync(h.root)).toEqual([]);
    // A live submitter's batch (still staging, or between slices) is left alone for graceMs.
    const live = h.intent('eeeeeeeeeeeeeeee', process.ppid);
    writeFileSync(join(live, 'batch.json'), '{}');
    h.advance(60_000);
    expect((await h.reconciler.settle()).dropped).toEqual([]);
  });

  it('leaves a young intent of a live submitter alone (no scheduler call)', async () => {
    const h = harness();
    h.intent('aaaaaaaaaaaaaaaa', process.ppid);
    expect(await h.reconciler.settle()).toEqual({ adopted: [], dropped: [], kept: [] });
    expect(h.calls).toEqual([]);
  });

  it('adopts the job of a dead submitter found in the queue, exactly once', async () => {
    const h = harness();
    const jobDir = h.intent('bbbbbbbbbbbbbbbb', DEAD_PID);
    h.replies.squeue = line(41, 'bbbbbbbbbbbbbbbb');
    const report = await h.reconciler.settle();
    expect(report.adopted).toEqual([{ token: 'bbbbbbbbbbbbbbbb', id: '41', jobDir }]);
    expect(h.calls).toEqual(['squeue']);
    expect(readJobRecord(jobDir)).toMatchObject({ id: '41', idFrom: 'lookup' });
    expect(h.registry.jobs().map((job) => job.id)).toEqual(['41']);
    expect(h.registry.intents()).toEqual([]);
    h.calls.length = 0;
    expect((await h.reconciler.settle()).adopted).toEqual([]);
    expect(h.calls).toEqual([]);
  });

  it('asks accounting for the ones the queue has let go, and adopts from there', async () => {
    const h = harness();
    h.intent('cccccccccccccccc', DEAD_PID);
    h.replies.sacct = `42|2026-12-02T08:00:01|COMPLETED|n1||/jobs/job-cccccccccccccccc`;
    expect((await h.reconciler.settle()).adopted.map((a) => a.id)).toEqual(['42']);
    expect(h.calls).toEqual(['squeue', 'sacct']);
  });

  it('keeps an unknown intent through the grace period, then drops it with its folder', async () => {
    const h = harness();
    h.intent('dddddddddddddddd', DEAD_PID);
    expect((await h.reconciler.settle()).kept.length).toBe(1);
    h.calls.length = 0;
    h.advance(10_000);
    await h.reconciler.settle(); // looked up 10 s ago: not again yet
    expect(h.calls).toEqual([]);
    h.advance(300_000);
    expect((await h.reconciler.settle()).dropped.length).toBe(1);
    expect(readdirSync(h.root)).toEqual([]);
    expect(h.registry.intents()).toEqual([]);
  });

  it('never drops a folder that shows a run; adopts the id its outcome names', async () => {
    const h = harness();
    const ran = h.intent('eeeeeeeeeeeeeeee', DEAD_PID);
    writeFileSync(join(ran, 'job.out'), 'some output\n');
    const finished = h.intent('ffffffffffffffff', DEAD_PID);
    writeFileSync(
      join(finished, 'outcome.json'),
      JSON.stringify({
        version: 1,
        status: 'ok',
        resultFile: 'result.bin',
        startedAt: 'a',
        finishedAt: 'b',
        durationMs: 1,
        host: 'n1',
        pid: 1,
        jobId: '43',
      }),
    );
    h.advance(400_000);
    const report = await h.reconciler.settle();
    expect(report.adopted.map((a) => a.id)).toEqual(['43']);
    expect(report.kept.map((k) => k.jobDir)).toEqual([ran]);
    expect(report.dropped).toEqual([]);
  });

  it('looks up an old intent whatever its submitter, and keeps all when SLURM does not answer', async () => {
    const h = harness();
    h.intent('1111111111111111', process.ppid);
    h.advance(41_000);
    const failing: CommandRunner = async (command, args) => ({
      command,
      args,
      exitCode: 1,
      stdout: '',
      stderr: 'boom',
      durationMs: 1,
    });
    const reconciler = new SubmissionReconciler(h.registry, failing, { now: () => T0 + 41_000 });
    expect(await reconciler.settle()).toEqual({ adopted: [], dropped: [], kept: [] });
    expect(h.registry.intents().length).toBe(1);
  });
});
