import { asJobId, computeJobStats, type JobDescription, type JobStatsInput } from '@hpc/core';
import { describe, expect, it } from 'vitest';
import { renderJobProgress } from '../src/job-progress.ts';
import { renderJobDescription } from '../src/show-view.ts';
import { renderStatsCsv, renderStatsTable } from '../src/stats-view.ts';
import { createStyle } from '../src/terminal-style.ts';

const PLAIN = createStyle(false);
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

function oomJob(): JobDescription {
  return {
    id: asJobId('4711'),
    driver: 'slurm',
    name: 'Fit\u001b]0;owned\u0007',
    state: { status: 'failed', cause: 'out-of-memory', node: 'n2', raw: 'OUT_OF_MEMORY' },
    history: [
      { phase: 'submitted', at: '2026-12-03T08:00:00.000Z', durationMs: 3_200 },
      { phase: 'started', at: '2026-12-03T08:00:03.200Z', durationMs: 41_000 },
      { phase: 'ended', at: '2026-12-03T08:00:44.200Z' },
    ],
    node: 'n2',
    requested: { memBytes: 2 * GiB, timeLimitMs: 600_000, cpus: 2 },
    scheduler: {
      source: 'sacct',
      maxRssBytes: 1946 * MiB,
      totalCpuMs: 30_000,
      reqMemBytes: 2 * GiB,
      allocCpus: 2,
      elapsedMs: 41_000,
      nodes: 'n2',
    },
    efficiency: {
      cpu: { cpuMs: 30_000, cpus: 2, wallMs: 41_000, ratio: 30_000 / 82_000, from: 'sacct' },
      memory: { peakBytes: 1946 * MiB, requestedBytes: 2 * GiB, ratio: 1946 / 2048, from: 'sacct' },
      time: { wallMs: 41_000, limitMs: 600_000, ratio: 41_000 / 600_000, from: 'sacct' },
    },
    progress: { done: 420, total: 1000, message: 'fitting step', at: '2026-12-03T08:00:40.000Z' },
    failure: {
      class: 'out-of-memory',
      diagnosis: 'Ran out of memory: peak 1.9 GiB of 2.0 GiB requested, on n2 after 41s.',
    },
    remoteError: { name: 'Error', message: 'boom', stack: 'Error: boom\n    at run (/home/u/fit.ts:12:5)' },
    logs: {
      stdout: { file: '/jobs/4711/job.out', tail: 'step 419\nstep 420' },
      stderr: { file: '/jobs/4711/job.err', tail: 'oom-kill \u001b[2J event' },
    },
    jobDir: '/jobs/4711',
    scriptPath: '/jobs/4711/job.sbatch',
    crate: '/jobs/4711/process.bin',
    crateDigest: 'sha256:abc',
    attempts: [
      { number: 1, cause: 'submitted', endedAs: 'failed', node: 'n2' },
      { number: 2, cause: 'retry', after: 'out-of-memory', changed: { mem: '4G' } },
    ],
  };
}

describe('renderJobProgress', () => {
  it('draws a bar with the percentage, message and counts', () => {
    expect(renderJobProgress({ done: 420, total: 1000, message: 'fitting step', at: 'x' })).toBe(
      '[███░░░] 42% fitting step 420/1000',
    );
    expect(renderJobProgress({ done: 7, at: 'x' })).toBe('7');
    expect(renderJobProgress({ done: 1.5, total: 3, at: 'x' }, 4)).toBe('[██░░] 50% 1.5/3');
  });
});

describe('hpc show rendering', () => {
  it('puts history, requested vs used with efficiency, failure, error, logs and crate on one screen', () => {
    const text = renderJobDescription(oomJob(), PLAIN, 100).join('\n');
    expect(text).toContain(
      'history   submitted 2026-12-03 08:00:00 (waited 3.2s) → started 2026-12-03 08:00:03 (ran 41s) → ended 2026-12-03 08:00:44',
    );
    expect(text).toContain('progress  [████████░░░░░░░░░░░░] 42% fitting step 420/1000');
    expect(text).toMatch(/time\s+10m00s\s+41s\s+7%/);
    expect(text).toMatch(/memory\s+2\.0 GiB\s+1\.9 GiB peak\s+95%/);
    expect(text).toMatch(/cpus\s+2\s+30s CPU\s+37%/);
    expect(text).toContain(
      'sacct     MaxRSS 1.9 GiB · TotalCPU 30s · ReqMem 2.0 GiB · AllocCPUS 2 · Elapsed 41s · NodeList n2',
    );
    expect(text).toContain("(used: SLURM's figures)");
    expect(text).toContain('failure   out-of-memory');
    expect(text).toContain('Ran out of memory: peak 1.9 GiB of 2.0 GiB requested');
    expect(text).toContain('at run (/home/u/fit.ts:12:5)');
    expect(text).toContain('    step 420');
    expect(text).toContain('script    /jobs/4711/job.sbatch');
    expect(text).toContain('digest    sha256:abc');
    expect(text).toContain('attempt 2');
  });

  it('escapes control bytes from the data (name, log lines)', () => {
    const text = renderJobDescription(oomJob(), PLAIN).join('\n');
    expect(text).not.toContain('\u001b');
    expect(text).not.toContain('\u0007');
    expect(text).toContain('Fit\\x1b]0;owned\\x07');
    expect(text).toContain('oom-kill \\x1b[2J event');
  });
});

describe('hpc stats rendering', () => {
  const runs: JobStatsInput[] = Array.from({ length: 6 }, (_, i) => ({
    name: i < 5 ? 'Fit' : '=HYPERLINK("x")',
    state: { status: 'completed' },
    usage: {
      wallMs: 60_000,
      userCpuMs: 30_000,
      systemCpuMs: 0,
      peakRssBytes: 1300 * MiB,
      taskPeakRssBytes: 1300 * MiB,
    },
    requested: { memBytes: 16 * GiB, timeLimitMs: 3_600_000 },
  }));

  it('shows a row per class and the suggestions', () => {
    const lines = renderStatsTable(computeJobStats(runs), PLAIN, 200);
    expect(lines[0]).toMatch(
      /^CLASS\s+RUNS\s+STATES\s+WALL p50\/p95\/max\s+LIMIT\s+PEAK p50\/p95\/max\s+MEM\s+CPU EFF$/,
    );
    expect(lines[1]).toMatch(
      /^Fit\s+5\s+5 completed\s+1m00s \/ 1m00s \/ 1m00s\s+1h00m\s+1\.3 GiB \/ 1\.3 GiB \/ 1\.3 GiB\s+16\.0 GiB\s+50%$/,
    );
    expect(lines).toContain('Fit: asked mem=16G, p95 peak 1.3 GiB over 5 runs → mem=2G');
    expect(lines).toContain('Fit: asked time=01:00:00, p95 wall 1m over 5 runs → time=00:02:00');
    expect(lines.at(-1)).toBe('6 jobs in 2 classes');
  });

  it('writes CSV with raw numbers, quoting and no formula cells', () => {
    const csv = renderStatsCsv(computeJobStats(runs)).split('\n');
    expect(csv[0]).toBe(
      'class,runs,completed,failed,other,wall_p50_s,wall_p95_s,wall_max_s,time_limit_s,peak_p50_bytes,peak_p95_bytes,peak_max_bytes,mem_requested_bytes,cpus,cpu_efficiency_p50,suggestion',
    );
    expect(csv[1]).toBe(
      `Fit,5,5,0,0,60,60,60,3600,${1300 * MiB},${1300 * MiB},${1300 * MiB},${16 * GiB},,0.500,mem=2G time=00:02:00`,
    );
    expect(csv[2]?.startsWith(`"'=HYPERLINK(""x"")",1,`)).toBe(true);
  });
});
