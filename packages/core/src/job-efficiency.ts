import type { RequestedResources } from './failure-diagnosis.ts';
import type { RunUsage } from './run-outcome.ts';
import type { SchedulerUsage } from './scheduler-usage.ts';

/** Where a used figure came from: the node-runner's own measurement, or the scheduler's accounting. */
export type FigureSource = 'runner' | 'sacct';

export interface CpuEfficiency {
  /** User plus system CPU time. */
  cpuMs: number;
  cpus: number;
  wallMs: number;
  /** cpuMs ÷ (cpus × wallMs): 1 means every CPU was busy the whole time. */
  ratio: number;
  from: FigureSource;
}

export interface MemoryEfficiency {
  peakBytes: number;
  requestedBytes: number;
  /** peakBytes ÷ requestedBytes. */
  ratio: number;
  from: FigureSource;
}

export interface TimeEfficiency {
  wallMs: number;
  limitMs: number;
  /** wallMs ÷ limitMs. */
  ratio: number;
  from: FigureSource;
}

/** seff's and reportseff's three figures; each is absent when a number it needs is not known. */
export interface JobEfficiency {
  cpu?: CpuEfficiency;
  memory?: MemoryEfficiency;
  time?: TimeEfficiency;
}

export interface EfficiencyInput {
  /** The node-runner's figures (outcome.json): used first. */
  usage?: RunUsage | undefined;
  /** The scheduler's (sacct): used for what the runner did not measure, and for what was given. */
  scheduler?: SchedulerUsage | undefined;
  /** What the job asked for (its sbatch options). */
  requested?: RequestedResources | undefined;
}

/**
 * CPU efficiency = CPU time ÷ (cpus × wall), memory = peak ÷ requested, time = wall ÷ limit, as
 * seff and reportseff define them. Used figures come from the runner when it measured them, else
 * from sacct; the CPUs are those SLURM allocated, else those asked for, else 1 (SLURM's default
 * and the local driver's one process); memory and limit are those asked for, else SLURM's.
 */
export function jobEfficiency({ usage, scheduler, requested }: EfficiencyInput): JobEfficiency {
  const efficiency: JobEfficiency = {};
  const from: FigureSource = usage ? 'runner' : 'sacct';
  const wallMs = usage?.wallMs ?? scheduler?.elapsedMs;
  const cpuMs = usage ? usage.userCpuMs + usage.systemCpuMs : scheduler?.totalCpuMs;
  const cpus = scheduler?.allocCpus ?? requested?.cpus ?? 1;
  if (cpuMs !== undefined && wallMs !== undefined && wallMs > 0)
    efficiency.cpu = { cpuMs, cpus, wallMs, ratio: cpuMs / (cpus * wallMs), from };
  const peakBytes = usage?.peakRssBytes ?? scheduler?.maxRssBytes;
  const requestedBytes = requested?.memBytes ?? scheduler?.reqMemBytes;
  if (peakBytes !== undefined && requestedBytes !== undefined && requestedBytes > 0)
    efficiency.memory = {
      peakBytes,
      requestedBytes,
      ratio: peakBytes / requestedBytes,
      from: usage?.peakRssBytes !== undefined ? 'runner' : 'sacct',
    };
  const limitMs = requested?.timeLimitMs ?? scheduler?.timeLimitMs;
  if (wallMs !== undefined && limitMs !== undefined && limitMs > 0)
    efficiency.time = { wallMs, limitMs, ratio: wallMs / limitMs, from };
  return efficiency;
}
