import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asJobId, type RunOutcome } from '@hpc/core';
import { describe, expect, it } from 'vitest';
import { type BatchSlice, batchProcessRows } from '../src/batch-record.ts';
import type { CommandRunner, RunOptions } from '../src/command-runner.ts';
import { JobStore } from '../src/job-store.ts';
import { StatusPoller } from '../src/status-poller.ts';

/** A store holding one batch's processes and a scripted squeue / sacct. */
function harness(count: number, processesPerTask: number, tasksPerSlice: number) {
  const batchDir = mkdtempSync(join(tmpdir(), 'hpc-batch-poll-'));
  const tasks = Math.ceil(count / processesPerTask);
  const slices: BatchSlice[] = [];
  for (let offset = 0, i = 0; offset < tasks; offset += tasksPerSlice, i++)
    slices.push({ arrayId: String(100 + i), offset, tasks: Math.min(tasksPerSlice, tasks - offset) });
  const store = new JobStore(':memory:');
  store.transaction(() => {
    for (const row of batchProcessRows({ slices, count, processesPerTask }, batchDir))
      store.add({ ...row, name: 'b', submittedAt: '2026-01-01T00:00:00Z' });
  });
  const calls: { command: string; args: readonly string[]; options: RunOptions | undefined }[] = [];
  const replies: Record<string, string> = { squeue: '', sacct: '' };
  const run: CommandRunner = async (command, args, options) => {
    calls.push({ command, args, options });
    return { command, args, exitCode: 0, stdout: replies[command] ?? '', stderr: '', durationMs: 1 };
  };
  const outcomes = new Map<string, RunOutcome>();
  const poller = new StatusPoller(store, run, {
    minIntervalMs: 0,
    now: () => 1_000_000,
    readOutcome: async (jobDir) => outcomes.get(jobDir),
  });
  return { batchDir, store, calls, replies, poller, outcomes };
}

const ok: RunOutcome = {
  version: 1,
  status: 'ok',
  resultFile: 'result.bin',
  startedAt: 'a',
  finishedAt: 'b',
  durationMs: 1,
  host: 'n1',
  pid: 1,
};
const row = (id: string, state: string) => `${id}|${state}|None|n1|2026-01-01T00:00:00|N/A|b`;
const acct = (id: string, state: string, exit = '0:0') =>
  `${id}|${state}|${exit}|None|n1|2026-01-01T00:00:00|Unknown|Unknown|0|UNLIMITED||00:00:00|500M|1|b`;

describe('StatusPoller with batches', () => {
  it('10,000 processes: one squeue by array id (whole task lists) and one sacct by array id', async () => {
    const h = harness(10_000, 1, 1000);
    // Array 100: tasks 0-1 running, 2-999 pending (one collapsed record); 101-108 pending; 109 has
    // left squeue, so sacct answers for it (by its array id) and its process 9000 wrote its outcome.
    h.replies.squeue = [
      row('100_0', 'RUNNING'),
      row('100_1', 'RUNNING'),
      row('100_[2-999]', 'PENDING'),
      ...Array.from({ length: 8 }, (_, i) => row(`${101 + i}_[0-999]`, 'PENDING')),
    ].join('\n');
    // Array 109 finished: sacct lists each of its tasks.
    h.replies.sacct = Array.from({ length: 1000 }, (_, t) =>
      acct(`109_${t}`, t === 7 ? 'TIMEOUT' : 'COMPLETED'),
    ).join('\n');
    mkdirSync(join(h.batchDir, 'p', '0'), { recursive: true });
    h.outcomes.set(join(h.batchDir, 'p', '9000'), ok);
    const started = performance.now();
    const states = await h.poller.poll();
    const ms = performance.now() - started;
    expect(h.calls.map((call) => call.command)).toEqual(['squeue', 'sacct']);
    const [squeue, sacct] = h.calls;
    expect(squeue?.args).toContain(`--jobs=${Array.from({ length: 10 }, (_, i) => 100 + i).join(',')}`);
    expect(squeue?.options?.env).toEqual({ SLURM_BITSTR_LEN: '0' });
    expect(sacct?.args).toContain('--jobs=109');
    expect(sacct?.args).toContain('--allocations');
    expect(sacct?.args.find((arg) => arg.startsWith('--format='))).toMatch(/^--format=JobID,/);
    expect(states.size).toBe(10_000);
    expect(states.get(asJobId('100_0'))?.status).toBe('running');
    expect(states.get(asJobId('100_1'))).toMatchObject({ status: 'pending', reason: /earlier processes/ });
    expect(states.get(asJobId('100_500'))?.status).toBe('pending');
    expect(states.get(asJobId('108_999'))?.status).toBe('pending');
    expect(states.get(asJobId('109_0'))?.status).toBe('completed');
    expect(states.get(asJobId('109_7'))?.status).toBe('timeout');
    expect(states.get(asJobId('109_8'))?.status).toBe('completing'); // waiting for its outcome.json
    expect(ms).toBeLessThan(1500);
    expect(h.poller.lastStats).toMatchObject({ squeueCalls: 1, sacctCalls: 1, fromOutcome: 1 });
  });

  it('a few arrays are asked by id: --jobs=<array ids>, never per task', async () => {
    const h = harness(45, 20, 1000);
    h.replies.squeue = row('100_[0-2]', 'PENDING');
    await h.poller.poll();
    expect(h.calls.map((call) => call.command)).toEqual(['squeue']);
    expect(h.calls[0]?.args).toContain('--jobs=100');
  });
});
