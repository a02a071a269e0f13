import type { RunUsage } from '@hpc/core';
import { monotonicMs } from './monotonic-clock.ts';

/**
 * Internal, for benchmarks/figures-overhead.bench.ts only: `HPC_RUNNER_NO_FIGURES=1` turns the
 * runner's own figures and ctx.progress() recording off, to measure what they cost per task.
 */
export const FIGURES_OFF_ENV = 'HPC_RUNNER_NO_FIGURES';

export function figuresOff(): boolean {
  return process.env[FIGURES_OFF_ENV] === '1';
}

/** A meter for one run, or none with the benchmark's switch (the outcome then has no `usage`). */
export function startUsageMeter(): UsageMeter | undefined {
  return figuresOff() ? undefined : new UsageMeter();
}

/** How often resident memory is sampled while run() runs (the process's own peak in a packed task). */
const RSS_SAMPLE_MS = 250;

/**
 * What one run used, measured by the node-runner itself, so it does not depend on site
 * accounting: wall time, user and system CPU, and peak resident memory. In a packed task
 * several processes share one Node process: CPU is the difference over this run, the process's
 * peak is the highest RSS sampled during it, and the task's peak (getrusage's maxrss) is kept too.
 */
export class UsageMeter {
  private readonly startedAt = monotonicMs();
  private readonly cpuAtStart = process.cpuUsage();
  private peakRss = process.memoryUsage.rss();
  private readonly sampler: NodeJS.Timeout;

  constructor() {
    this.sampler = setInterval(() => this.sample(), RSS_SAMPLE_MS);
    this.sampler.unref();
  }

  /** Stops sampling and returns the figures (idempotent enough: later calls measure again). */
  stop(): RunUsage {
    clearInterval(this.sampler);
    this.sample();
    const cpu = process.cpuUsage(this.cpuAtStart);
    return {
      wallMs: round(monotonicMs() - this.startedAt),
      userCpuMs: round(cpu.user / 1_000),
      systemCpuMs: round(cpu.system / 1_000),
      peakRssBytes: this.peakRss,
      // maxRSS is in KiB (getrusage(2)). process.resourceUsage, not node:process's export: building
      // that module's ES facade reads every getter of `process` (report, stdin...), ~2 ms at start.
      taskPeakRssBytes: process.resourceUsage().maxRSS * 1024,
    };
  }

  private sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peakRss) this.peakRss = rss;
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
