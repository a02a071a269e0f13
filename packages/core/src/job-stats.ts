import { formatBytes } from './byte-size.ts';
import type { RequestedResources } from './failure-diagnosis.ts';
import { jobEfficiency } from './job-efficiency.ts';
import { formatRunTime, type JobState, type JobStatus } from './job-state.ts';
import type { RunUsage } from './run-outcome.ts';

/** One tracked job, as stats() sees it. */
export interface JobStatsInput {
  /** Its Process class (the job name: the class id unless the user named it). */
  name: string;
  state: JobState;
  usage?: RunUsage | undefined;
  requested?: RequestedResources | undefined;
}

/** Nearest-rank percentiles of the runs that measured the figure. */
export interface Percentiles {
  runs: number;
  p50: number;
  p95: number;
  max: number;
}

/** A request far from the use, and what to ask for instead. */
export interface ResourceSuggestion {
  option: 'mem' | 'time';
  /** What was asked (sbatch's form): '16G', '01:00:00'. */
  asked: string;
  suggested: string;
  /** 'Fit: asked mem=16G, p95 peak 1.3 GiB over 48 runs → mem=2G' */
  text: string;
}

export interface ProcessClassStats {
  name: string;
  count: number;
  states: Partial<Record<JobStatus, number>>;
  wallMs?: Percentiles;
  peakBytes?: Percentiles;
  /** The request most of its runs made. */
  requested: RequestedResources;
  /** CPU efficiency (seff's) of its runs: the median, and the share of runs measured. */
  cpuEfficiency?: { p50: number; runs: number };
  /** Runs that ran out of memory (their peak is a lower bound of what they needed). */
  outOfMemory?: number;
  suggestions: ResourceSuggestion[];
}

export interface JobStats {
  jobs: number;
  classes: ProcessClassStats[];
}

export interface JobStatsOptions {
  /** Fewer measured runs than this get no suggestion (default 5). */
  minRuns?: number;
}

/** Below the p95 times this and the highest seen times MAX_MARGIN, no suggestion goes. */
const P95_MARGIN = 1.5;
const MAX_MARGIN = 1.2;

/**
 * Per Process class over the tracked history: how many, in which states, wall time and peak memory
 * percentiles against what was asked, CPU efficiency, and a suggestion when the request is more
 * than twice what the runs need (or within 10% of the highest peak): never below the highest
 * observed figure plus a margin, never for fewer than `minRuns` measured runs.
 */
export function computeJobStats(jobs: Iterable<JobStatsInput>, options: JobStatsOptions = {}): JobStats {
  const groups = new Map<string, JobStatsInput[]>();
  let count = 0;
  for (const job of jobs) {
    count++;
    const group = groups.get(job.name);
    if (group) group.push(job);
    else groups.set(job.name, [job]);
  }
  const classes = [...groups].map(([name, runs]) => classStats(name, runs, options.minRuns ?? 5));
  classes.sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  return { jobs: count, classes };
}

function classStats(name: string, runs: readonly JobStatsInput[], minRuns: number): ProcessClassStats {
  const states: Partial<Record<JobStatus, number>> = {};
  const stats: ProcessClassStats = { name, count: runs.length, states, requested: {}, suggestions: [] };
  const walls: number[] = [];
  const peaks: number[] = [];
  const cpu: number[] = [];
  for (const run of runs) {
    states[run.state.status] = (states[run.state.status] ?? 0) + 1;
    const usage = run.usage;
    const wall = usage?.wallMs ?? run.state.scheduler?.elapsedMs;
    const peak = usage?.peakRssBytes ?? run.state.scheduler?.maxRssBytes;
    if (wall !== undefined && (usage || run.state.scheduler?.totalCpuMs !== undefined)) walls.push(wall);
    if (peak !== undefined) peaks.push(peak);
    const efficiency = jobEfficiency({ usage, scheduler: run.state.scheduler, requested: run.requested }).cpu;
    if (efficiency) cpu.push(efficiency.ratio);
    if (ranOutOfMemory(run)) stats.outOfMemory = (stats.outOfMemory ?? 0) + 1;
  }
  const requested = commonRequest(runs);
  stats.requested = requested;
  const wallMs = percentiles(walls);
  const peakBytes = percentiles(peaks);
  if (wallMs) stats.wallMs = wallMs;
  if (peakBytes) stats.peakBytes = peakBytes;
  const cpuP50 = percentiles(cpu);
  if (cpuP50) stats.cpuEfficiency = { p50: cpuP50.p50, runs: cpuP50.runs };
  if (peakBytes && peakBytes.runs >= minRuns && requested.memBytes !== undefined) {
    const suggestion = memorySuggestion(requested.memBytes, peakBytes, (stats.outOfMemory ?? 0) > 0);
    if (suggestion) stats.suggestions.push(suggestion);
  }
  if (wallMs && wallMs.runs >= minRuns && requested.timeLimitMs !== undefined && !states.timeout) {
    const suggestion = timeSuggestion(requested.timeLimitMs, wallMs);
    if (suggestion) stats.suggestions.push(suggestion);
  }
  return stats;
}

/** Nearest rank: the smallest value with at least q of the runs at or below it. */
export function percentiles(values: number[]): Percentiles | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number;
  return { runs: sorted.length, p50: rank(0.5), p95: rank(0.95), max: sorted[sorted.length - 1] as number };
}

/** Each figure of the request most runs made (the class's current request, usually). */
function commonRequest(runs: readonly JobStatsInput[]): RequestedResources {
  // A run that asked for nothing (the site's default) counts as a request of its own.
  const pick = (figure: (run: JobStatsInput) => number | undefined) => {
    const counts = new Map<number | undefined, number>();
    for (const run of runs) counts.set(figure(run), (counts.get(figure(run)) ?? 0) + 1);
    let best: number | undefined;
    let most = 0;
    for (const [value, n] of counts)
      if (n > most) {
        best = value;
        most = n;
      }
    return best;
  };
  const requested: RequestedResources = {};
  const memBytes = pick((run) => run.requested?.memBytes ?? run.state.scheduler?.reqMemBytes);
  const timeLimitMs = pick((run) => run.requested?.timeLimitMs ?? run.state.scheduler?.timeLimitMs);
  const cpus = pick((run) => run.state.scheduler?.allocCpus ?? run.requested?.cpus);
  if (memBytes !== undefined) requested.memBytes = memBytes;
  if (timeLimitMs !== undefined) requested.timeLimitMs = timeLimitMs;
  if (cpus !== undefined) requested.cpus = cpus;
  return requested;
}

function ranOutOfMemory(run: JobStatsInput): boolean {
  return run.state.status === 'failed' && run.state.cause === 'out-of-memory';
}

/** What the runs need, in bytes: the p95 peak and the highest one, each with its margin, rounded up. */
export function memoryFit(peaks: Percentiles): number {
  return roundMemory(Math.max(peaks.p95 * P95_MARGIN, peaks.max * MAX_MARGIN));
}

/** What the runs need, in ms: the p95 wall time and the longest, each with its margin, in whole minutes. */
export function timeFit(walls: Percentiles): number {
  // Whole minutes, at least one: SLURM's limits are checked about every 30 s anyway.
  const needed = Math.max(walls.p95 * P95_MARGIN, walls.max * MAX_MARGIN);
  return Math.max(60_000, Math.ceil(needed / 60_000) * 60_000);
}

function memorySuggestion(asked: number, peaks: Percentiles, oom: boolean): ResourceSuggestion | undefined {
  const suggested = memoryFit(peaks);
  const tooMuch = suggested <= asked / 2 && !oom;
  const tooLittle = oom || peaks.max >= asked * 0.9;
  if (!tooMuch && !(tooLittle && suggested > asked)) return undefined;
  const text = `asked mem=${memoryText(asked)}, p95 peak ${formatBytes(peaks.p95)} over ${peaks.runs} runs`;
  return {
    option: 'mem',
    asked: memoryText(asked),
    suggested: memoryText(suggested),
    text: `Fit: ${text}${oom ? ' (some ran out of memory)' : ''} → mem=${memoryText(suggested)}`,
  };
}

function timeSuggestion(asked: number, walls: Percentiles): ResourceSuggestion | undefined {
  const suggested = timeFit(walls);
  const tooMuch = suggested <= asked / 2;
  const tooLittle = walls.max >= asked * 0.9 && suggested > asked;
  if (!tooMuch && !tooLittle) return undefined;
  return {
    option: 'time',
    asked: slurmTimeText(asked),
    suggested: slurmTimeText(suggested),
    text: `Fit: asked time=${slurmTimeText(asked)}, p95 wall ${formatRunTime(walls.p95)} over ${walls.runs} runs → time=${slurmTimeText(suggested)}`,
  };
}

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/** Up to whole GiB from 1 GiB, else to 100 MiB steps (what people write in --mem). */
function roundMemory(bytes: number): number {
  return bytes >= GiB
    ? Math.ceil(bytes / GiB) * GiB
    : Math.max(100, Math.ceil(bytes / MiB / 100) * 100) * MiB;
}

/** sbatch's --mem form: '16G', '600M'. */
export function memoryText(bytes: number): string {
  if (bytes % GiB === 0) return `${bytes / GiB}G`;
  return `${Math.ceil(bytes / MiB)}M`;
}

/** sbatch's --time form: 'HH:MM:SS', 'D-HH:MM:SS' past a day. */
export function slurmTimeText(ms: number): string {
  const total = Math.ceil(ms / 1000);
  const days = Math.floor(total / 86_400);
  const two = (n: number) => String(n).padStart(2, '0');
  const clock = `${two(Math.floor((total % 86_400) / 3600))}:${two(Math.floor((total % 3600) / 60))}:${two(total % 60)}`;
  return days > 0 ? `${days}-${clock}` : clock;
}
