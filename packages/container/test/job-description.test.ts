import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunOutcome } from '@hpc/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeJobFolder } from '../src/job-description.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpc-describe-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const logFile = async (stream: 'stdout' | 'stderr') => join(dir, stream === 'stdout' ? 'job.out' : 'job.err');

describe('describeJobFolder', () => {
  it("a job cancelled before it ran has no 'started' step, and says why it has no result", async () => {
    const job = await describeJobFolder({
      id: '7',
      driver: 'slurm',
      name: 'held',
      jobDir: dir,
      logFile,
      record: {
        driver: 'slurm',
        name: 'held',
        jobDir: dir,
        submittedAt: '2026-12-03T08:11:19',
        requested: {},
      },
      // sacct: Start = End = the cancel time, Elapsed 0, no node.
      state: {
        status: 'cancelled',
        by: '0',
        startedAt: '2026-12-03T08:11:22',
        endedAt: '2026-12-03T08:11:22',
        elapsedMs: 0,
      },
    });
    expect(job.history.map((step) => step.phase)).toEqual(['submitted', 'ended']);
    expect(job.failure).toMatchObject({ class: 'cancelled' });
    expect(job.failure?.diagnosis).toMatch(/^Was cancelled by 0/);
    expect(job.efficiency).toEqual({});
  });

  it("a finished run: the runner's usage, progress, error, log tails and efficiency against the request", async () => {
    const outcome: RunOutcome = {
      version: 1,
      status: 'failed',
      kind: 'process',
      error: { name: 'Error', message: 'boom', stack: 'Error: boom\n    at run (fit.ts:3:9)' },
      startedAt: '2026-12-03T08:00:03.000Z',
      finishedAt: '2026-12-03T08:00:13.000Z',
      durationMs: 10_000,
      host: 'n1',
      pid: 9,
      usage: {
        wallMs: 10_000,
        userCpuMs: 4_000,
        systemCpuMs: 1_000,
        peakRssBytes: 512 * 1024 ** 2,
        taskPeakRssBytes: 600 * 1024 ** 2,
      },
      progress: { done: 3, total: 4, at: '2026-12-03T08:00:12.000Z' },
    };
    await writeFile(join(dir, 'outcome.json'), JSON.stringify(outcome));
    await writeFile(join(dir, 'job.out'), Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n'));
    await writeFile(join(dir, 'job.err'), 'Error: boom\n');
    const job = await describeJobFolder({
      id: '8',
      driver: 'slurm',
      name: 'Fit',
      jobDir: dir,
      logFile,
      tailLines: 3,
      record: {
        driver: 'slurm',
        name: 'Fit',
        jobDir: dir,
        requested: { cpus: 2, memBytes: 1024 ** 3 },
        crateDigest: 'sha256:ab',
      },
      state: { status: 'failed', cause: 'process-error', node: 'n1' },
    });
    expect(job.usage?.userCpuMs).toBe(4_000);
    expect(job.efficiency.cpu?.ratio).toBe(0.25); // 5 s of CPU ÷ (2 × 10 s)
    expect(job.efficiency.memory?.ratio).toBe(0.5);
    expect(job.progress).toEqual(outcome.progress);
    expect(job.remoteError?.stack).toContain('fit.ts:3:9');
    expect(job.failure?.class).toBe('process-error');
    expect(job.logs.stdout.tail).toBe('line 27\nline 28\nline 29');
    expect(job.logs.stderr.tail).toBe('Error: boom');
    expect(job.history.map((step) => step.phase)).toEqual(['started', 'ended']);
    expect(job.crateDigest).toBe('sha256:ab');
  });
});
