import { describe, expect, it } from 'vitest';
import type { JobState } from '../src/job-state.ts';
import { computeJobStats, type JobStatsInput, percentiles } from '../src/job-stats.ts';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const completed: JobState = { status: 'completed' };

function run(
  name: string,
  peakMiB: number,
  wallS: number,
  requested = { memBytes: 16 * GiB, timeLimitMs: 3_600_000 },
  state = completed,
): JobStatsInput {
  return {
    name,
    state,
    usage: {
      wallMs: wallS * 1000,
      userCpuMs: wallS * 500,
      systemCpuMs: 0,
      peakRssBytes: peakMiB * MiB,
      taskPeakRssBytes: peakMiB * MiB,
    },
    requested,
  };
}

describe('percentiles (nearest rank)', () => {
  it('takes the smallest value with at least q of the runs at or below it', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100, shuffled order
    expect(percentiles(values)).toEqual({ runs: 100, p50: 50, p95: 95, max: 100 });
    expect(percentiles([7])).toEqual({ runs: 1, p50: 7, p95: 7, max: 7 });
    expect(percentiles([1, 2, 3, 4])).toEqual({ runs: 4, p50: 2, p95: 4, max: 4 });
    expect(percentiles([])).toBeUndefined();
  });
});

describe('computeJobStats', () => {
  it('groups by class with states, percentiles, CPU efficiency and a memory suggestion', () => {
    // 48 runs peaking 1000..1330 MiB (p95 ≈ 1.3 GiB) of 16G asked, 100..147 s of a 1 h limit.
    const fits = Array.from({ length: 48 }, (_, i) => run('Fit', 1000 + Math.round((i * 330) / 47), 100 + i));
    const failed = run('Fit', 900, 10, undefined, { status: 'failed', cause: 'process-error' });
    const stats = computeJobStats([...fits, failed, run('Other', 10, 1)]);
    expect(stats.jobs).toBe(50);
    const fit = stats.classes[0];
    expect(fit?.name).toBe('Fit');
    expect(fit?.count).toBe(49);
    expect(fit?.states).toEqual({ completed: 48, failed: 1 });
    expect(fit?.peakBytes).toEqual({ runs: 49, p50: 1161 * MiB, p95: 1316 * MiB, max: 1330 * MiB });
    expect(fit?.wallMs?.max).toBe(147_000);
    expect(fit?.requested).toEqual({ memBytes: 16 * GiB, timeLimitMs: 3_600_000 });
    // userCpu = wall / 2, one CPU: 0.5.
    expect(fit?.cpuEfficiency).toEqual({ p50: 0.5, runs: 49 });
    // max(1316 MiB × 1.5, 1330 MiB × 1.2) = 1974 MiB → 2G; 147 s × 1.5 → 4 min.
    expect(fit?.suggestions).toEqual([
      {
        option: 'mem',
        asked: '16G',
        suggested: '2G',
        text: 'Fit: asked mem=16G, p95 peak 1.3 GiB over 49 runs → mem=2G',
      },
      {
        option: 'time',
        asked: '01:00:00',
        suggested: '00:04:00',
        text: 'Fit: asked time=01:00:00, p95 wall 2m25s over 49 runs → time=00:04:00',
      },
    ]);
  });

  it('suggests nothing for fewer than minRuns runs, or a request close to the use', () => {
    const few = Array.from({ length: 4 }, () => run('Few', 100, 10));
    expect(computeJobStats(few).classes[0]?.suggestions).toEqual([]);
    expect(computeJobStats(few, { minRuns: 4 }).classes[0]?.suggestions).toHaveLength(2);
    const snug = Array.from({ length: 10 }, () =>
      run('Snug', 500, 2000, { memBytes: 1 * GiB, timeLimitMs: 3_600_000 }),
    );
    expect(computeJobStats(snug).classes[0]?.suggestions).toEqual([]);
  });

  it('never suggests less than the highest peak plus a margin, and more after running out of memory', () => {
    // One outlier at 3 GiB among small runs: the suggestion covers it.
    const runs = [...Array.from({ length: 19 }, () => run('Spiky', 200, 10)), run('Spiky', 3072, 10)];
    const [mem] = computeJobStats(runs).classes[0]?.suggestions ?? [];
    expect(mem?.suggested).toBe('4G'); // 3 GiB × 1.2 = 3.6 GiB → 4G
    const oom = { status: 'failed', cause: 'out-of-memory' } as const;
    const tight = Array.from({ length: 6 }, (_, i) =>
      run('Tight', 1000, 10, { memBytes: 1024 * MiB, timeLimitMs: 600_000 }, i === 0 ? oom : completed),
    );
    const [more] = computeJobStats(tight).classes[0]?.suggestions ?? [];
    expect(more).toMatchObject({ option: 'mem', asked: '1G', suggested: '2G' });
    expect(more?.text).toContain('(some ran out of memory)');
  });

  it("does not shorten the limit of a class that timed out; uses sacct's figures without the runner's", () => {
    const timedOut = [
      ...Array.from({ length: 9 }, () => run('Slow', 10, 10)),
      run('Slow', 10, 3600, undefined, { status: 'timeout' }),
    ];
    expect(computeJobStats(timedOut).classes[0]?.suggestions.map((s) => s.option)).toEqual(['mem']);
    const killed: JobStatsInput = {
      name: 'Killed',
      state: {
        status: 'failed',
        cause: 'out-of-memory',
        scheduler: {
          source: 'sacct',
          maxRssBytes: 300 * MiB,
          elapsedMs: 5000,
          totalCpuMs: 2500,
          reqMemBytes: 300 * MiB,
          allocCpus: 1,
        },
      },
    };
    const stats = computeJobStats([killed]).classes[0];
    expect(stats?.peakBytes?.max).toBe(300 * MiB);
    expect(stats?.wallMs?.max).toBe(5000);
    expect(stats?.requested.memBytes).toBe(300 * MiB);
    expect(stats?.cpuEfficiency?.p50).toBe(0.5);
  });
});
