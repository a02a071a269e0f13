import { describe, expect, it } from 'vitest';
import { isHpcError } from '../src/errors.ts';
import type { JobState } from '../src/job-state.ts';
import { computeJobStats, type JobStatsInput, type ProcessClassStats } from '../src/job-stats.ts';
import { parseMemoryRequest } from '../src/requested-resources.ts';
import { parseSlurmTimeMs } from '../src/slurm-time.ts';
import {
  applySuggestedResources,
  recordedRequestOf,
  suggestedOptionsOf,
  withSuggestedRecord,
} from '../src/suggested-resources.ts';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const completed: JobState = { status: 'completed' };
const asked = { memBytes: 16 * GiB, timeLimitMs: 3_600_000 };

function run(peakMiB: number, wallS: number, state: JobState = completed): JobStatsInput {
  const usage = { wallMs: wallS * 1000, userCpuMs: 0, systemCpuMs: 0, peakRssBytes: peakMiB * MiB };
  return { name: 'Fit', state, usage: { ...usage, taskPeakRssBytes: peakMiB * MiB }, requested: asked };
}

function history(runs: JobStatsInput[]): ProcessClassStats | undefined {
  return computeJobStats(runs).classes[0];
}

/** 48 runs peaking 1000..1330 MiB in 100..147 s: `hpc stats` suggests mem=2G and time=00:04:00. */
const fitRuns = Array.from({ length: 48 }, (_, i) => run(1000 + Math.round((i * 330) / 47), 100 + i));
const both = ['mem', 'time'] as const;

describe('applySuggestedResources', () => {
  it('applies the history figures with enough runs, and says from how many and what was asked', () => {
    const stats = history(fitRuns);
    expect(stats?.suggestions.map((s) => s.suggested)).toEqual(['2G', '00:04:00']);
    const { slurmArgs, resources } = applySuggestedResources(
      { 'mem-per-cpu': '16G', time: '01:00:00', partition: 'debug' },
      { name: 'Fit', history: stats, options: both },
    );
    // --mem and --mem-per-cpu exclude each other: the per-CPU figure goes.
    expect(slurmArgs).toEqual({ mem: '2G', time: '00:04:00', partition: 'debug' });
    expect(resources.map((r) => r.text)).toEqual([
      'mem=2G suggested from 48 runs, asked 16G',
      'time=00:04:00 suggested from 48 runs, asked 01:00:00',
    ]);
    expect(resources[0]).toMatchObject({ option: 'mem', asked: '16G', applied: '2G', runs: 48 });
  });

  it('leaves the request as given with fewer than minRuns measured runs', () => {
    const args = { mem: '16G', time: '01:00:00' };
    const { slurmArgs, resources } = applySuggestedResources(args, {
      name: 'Fit',
      history: history(fitRuns.slice(0, 4)),
      options: both,
    });
    expect(slurmArgs).toEqual(args);
    expect(resources.every((r) => r.applied === undefined)).toBe(true);
    expect(resources[0]?.text).toBe('mem: 4 measured runs of Fit, 5 needed; asked 16G stands');
    const never = applySuggestedResources({}, { name: 'New', history: undefined, options: ['mem'] });
    expect(never.slurmArgs).toEqual({});
    expect(never.resources[0]?.text).toBe("mem: 0 measured runs of New, 5 needed; the site's default stands");
  });

  it('never goes below the highest peak plus its margin, and never lowers after an out-of-memory end', () => {
    // Runs near a 2G limit, two killed at it: what they needed is at least what they reached.
    const oom: JobState = { status: 'failed', cause: 'out-of-memory' };
    const runs = [...Array.from({ length: 6 }, () => run(1900, 50)), run(2048, 40, oom), run(2048, 40, oom)];
    const stats = history(runs);
    const raised = applySuggestedResources({ mem: '1G' }, { name: 'Fit', history: stats, options: ['mem'] });
    const applied = parseMemoryRequest(raised.slurmArgs.mem as string) as number;
    expect(applied).toBeGreaterThanOrEqual(2048 * MiB * 1.2);
    const kept = applySuggestedResources({ mem: '8G' }, { name: 'Fit', history: stats, options: ['mem'] });
    expect(kept.slurmArgs.mem).toBe('8G');
    // Without OOM a large ask comes down, but never under max × 1.2 whatever the p95.
    const spiky = history([...Array.from({ length: 30 }, () => run(100, 10)), run(1500, 10)]);
    const down = applySuggestedResources({ mem: '16G' }, { name: 'Fit', history: spiky, options: ['mem'] });
    expect(parseMemoryRequest(down.slurmArgs.mem as string)).toBeGreaterThanOrEqual(1500 * MiB * 1.2);
    expect(parseMemoryRequest(down.slurmArgs.mem as string)).toBeLessThan(16 * GiB);
  });

  it('keeps an explicit value the user did not hand over: { suggested: [mem] } leaves time', () => {
    const { slurmArgs, resources } = applySuggestedResources(
      { mem: '16G', time: '01:00:00' },
      { name: 'Fit', history: history(fitRuns), options: suggestedOptionsOf({ suggested: ['mem'] }) },
    );
    expect(slurmArgs).toEqual({ mem: '2G', time: '01:00:00' });
    expect(resources.map((r) => r.option)).toEqual(['mem']);
  });

  it('leaves time alone after a timeout and stays within the partition caps', () => {
    const timedOut = history([...fitRuns, run(1000, 3600, { status: 'timeout' })]);
    const { slurmArgs, resources } = applySuggestedResources(
      { mem: '16G', time: '01:00:00' },
      { name: 'Fit', history: timedOut, options: both, caps: { partition: 'short', maxMemMiB: 1500 } },
    );
    expect(slurmArgs).toEqual({ mem: '1500M', time: '01:00:00' });
    expect(resources.map((r) => r.text)).toEqual([
      "mem=1500M suggested from 49 runs, asked 16G (capped at partition short's MaxMemPerNode 1500M)",
      "time: 1 of Fit's runs timed out; asked 01:00:00 stands",
    ]);
    const capped = applySuggestedResources(
      { time: '01:00:00' },
      {
        name: 'Fit',
        history: history(fitRuns),
        options: ['time'],
        caps: { partition: 's', maxTimeMs: 120_000 },
      },
    );
    expect(parseSlurmTimeMs(capped.slurmArgs.time as string)).toBe(120_000);
  });
});

describe('suggestedOptionsOf / recordedRequestOf', () => {
  it('reads the choices and refuses anything else naming resources', () => {
    expect(suggestedOptionsOf(undefined)).toEqual([]);
    expect(suggestedOptionsOf('requested')).toEqual([]);
    expect(suggestedOptionsOf('suggested')).toEqual(['mem', 'time']);
    expect(suggestedOptionsOf({ suggested: ['time', 'time'] })).toEqual(['time']);
    for (const bad of ['suggest', { suggested: [] }, { suggested: ['cpus'] }, 5]) {
      let caught: unknown;
      try {
        suggestedOptionsOf(bad);
      } catch (error) {
        caught = error;
      }
      expect(isHpcError(caught, 'InvalidJobSettingError')).toBe(true);
      expect(String((caught as Error).message)).toMatch(/^invalid resources = .*use 'suggested'/);
    }
  });

  it('records what was applied beside the request, through the spreads a driver makes', () => {
    const resources = applySuggestedResources(
      { mem: '16G' },
      { name: 'Fit', history: history(fitRuns), options: ['mem'] },
    );
    const settings = {
      ...withSuggestedRecord({ name: 'Fit', slurmArgs: resources.slurmArgs }, resources.resources),
    };
    expect(recordedRequestOf(settings)).toEqual({ memBytes: 2 * GiB, suggested: resources.resources });
    expect(recordedRequestOf({ slurmArgs: { mem: '16G' } })).toEqual({ memBytes: 16 * GiB });
  });
});
