import { describe, expect, it } from 'vitest';
import { jobHistory } from '../src/job-description.ts';
import { jobEfficiency } from '../src/job-efficiency.ts';
import { parseMemoryRequest, requestedResourcesOf } from '../src/requested-resources.ts';
import type { SchedulerUsage } from '../src/scheduler-usage.ts';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

describe('jobEfficiency (seff / reportseff definitions)', () => {
  const usage = {
    wallMs: 10_000,
    userCpuMs: 12_000,
    systemCpuMs: 3_000,
    peakRssBytes: 512 * MiB,
    taskPeakRssBytes: 600 * MiB,
  };
  const scheduler: SchedulerUsage = {
    source: 'sacct',
    maxRssBytes: 700 * MiB,
    totalCpuMs: 16_000,
    reqMemBytes: 4 * GiB,
    allocCpus: 2,
    elapsedMs: 11_000,
    timeLimitMs: 600_000,
  };

  it("takes the runner's figures first and SLURM's allocation for the CPUs", () => {
    const efficiency = jobEfficiency({
      usage,
      scheduler,
      requested: { memBytes: 2 * GiB, timeLimitMs: 60_000 },
    });
    // 15 s of CPU over 2 CPUs × 10 s.
    expect(efficiency.cpu).toEqual({ cpuMs: 15_000, cpus: 2, wallMs: 10_000, ratio: 0.75, from: 'runner' });
    // 512 MiB of the 2 GiB asked for (the request wins over SLURM's ReqMem).
    expect(efficiency.memory).toEqual({
      peakBytes: 512 * MiB,
      requestedBytes: 2 * GiB,
      ratio: 0.25,
      from: 'runner',
    });
    expect(efficiency.time).toEqual({
      wallMs: 10_000,
      limitMs: 60_000,
      ratio: 10_000 / 60_000,
      from: 'runner',
    });
  });

  it("falls back to SLURM's figures when the runner measured nothing (killed, setup failure)", () => {
    const efficiency = jobEfficiency({ scheduler });
    expect(efficiency.cpu).toEqual({
      cpuMs: 16_000,
      cpus: 2,
      wallMs: 11_000,
      ratio: 16_000 / 22_000,
      from: 'sacct',
    });
    expect(efficiency.memory?.ratio).toBe((700 * MiB) / (4 * GiB));
    expect(efficiency.memory?.from).toBe('sacct');
    expect(efficiency.time?.ratio).toBe(11_000 / 600_000);
  });

  it('uses the requested CPUs without SLURM, 1 when nobody says; leaves out what cannot be computed', () => {
    expect(jobEfficiency({ usage, requested: { cpus: 4 } }).cpu?.ratio).toBe(15_000 / 40_000);
    expect(jobEfficiency({ usage }).cpu?.ratio).toBe(1.5);
    expect(jobEfficiency({ usage })).not.toHaveProperty('memory');
    expect(jobEfficiency({ usage })).not.toHaveProperty('time');
    expect(jobEfficiency({})).toEqual({});
    expect(jobEfficiency({ usage: { ...usage, wallMs: 0 } })).not.toHaveProperty('cpu');
  });
});

describe('requestedResourcesOf', () => {
  it('reads cpus-per-task, mem and time', () => {
    expect(requestedResourcesOf({ 'cpus-per-task': '4', mem: '16G', time: '01:30:00' })).toEqual({
      cpus: 4,
      memBytes: 16 * GiB,
      timeLimitMs: 5_400_000,
    });
    expect(requestedResourcesOf({ 'cpus-per-task': 2, 'mem-per-cpu': '500M', time: '90' })).toEqual({
      cpus: 2,
      memBytes: 1000 * MiB,
      timeLimitMs: 5_400_000,
    });
    expect(requestedResourcesOf(undefined)).toEqual({});
    expect(requestedResourcesOf({ mem: '0', time: 'UNLIMITED', 'cpus-per-task': 'x' })).toEqual({});
  });

  it("reads sbatch's memory units (megabytes by default)", () => {
    expect(parseMemoryRequest('2048')).toBe(2048 * MiB);
    expect(parseMemoryRequest('1.5G')).toBe(1.5 * GiB);
    expect(parseMemoryRequest('300MB')).toBe(300 * MiB);
    expect(parseMemoryRequest('12k')).toBe(12 * 1024);
    expect(parseMemoryRequest('lots')).toBeUndefined();
  });
});

describe('jobHistory', () => {
  const now = Date.parse('2026-12-03T08:10:00Z');
  it('gives each step the time to the next, the current one to now', () => {
    expect(
      jobHistory(
        { submittedAt: '2026-12-03T08:00:00Z', startedAt: '2026-12-03T08:00:03Z' },
        { status: 'running' },
        now,
      ),
    ).toEqual([
      { phase: 'submitted', at: '2026-12-03T08:00:00Z', durationMs: 3_000 },
      { phase: 'started', at: '2026-12-03T08:00:03Z', durationMs: 597_000 },
    ]);
    const ended = jobHistory(
      {
        submittedAt: '2026-12-03T08:00:00Z',
        startedAt: '2026-12-03T08:00:03Z',
        endedAt: '2026-12-03T08:01:00Z',
      },
      { status: 'completed' },
      now,
    );
    expect(ended.map((step) => step.durationMs)).toEqual([3_000, 57_000, undefined]);
  });

  it("leaves out a pending job's estimated start (squeue's, possibly in the future)", () => {
    const times = { submittedAt: '2026-12-03T08:00:00Z', startedAt: '2026-12-03T08:20:00Z' };
    expect(jobHistory(times, { status: 'pending' }, now)).toEqual([
      { phase: 'submitted', at: '2026-12-03T08:00:00Z', durationMs: 600_000 },
    ]);
    expect(jobHistory(times, { status: 'running' }, now)).toHaveLength(1);
  });
});
