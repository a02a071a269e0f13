import { parseSlurmTimeMs, type RetryCause, type RetryPolicy } from '@hpc/core';
import type { PartitionLimits } from './cluster-config.ts';

/**
 * The resources of a retry: more memory after 'out-of-memory', a longer limit after 'timeout',
 * another node after 'node-fail', the same otherwise, capped by the partition's limits. Pure.
 */

/** Default factors of RetryPolicy.escalate. */
export const DEFAULT_ESCALATION = { mem: 2, time: 1.5 } as const;

/** What the previous attempt was given, by sbatch option (`mem`, `mem-per-cpu`, `time`, `exclude`, …). */
export type SbatchResources = Readonly<Record<string, string>>;

/** The retry's sbatch options (all changes since the first attempt), or why none can fit. */
export type RetryResources =
  | { kind: 'fits'; changed: Record<string, string>; options: Record<string, string> }
  | { kind: 'impossible'; reason: string };

const MIB: Record<string, number> = { K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024 };

/** sbatch's memory text ('200M', '4G', '512' = MiB, '1.5g') in MiB; undefined when it is not one. */
export function parseMemMiB(text: string | number | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT])?B?$/i.exec(String(text).trim());
  if (!match) return undefined;
  return Number(match[1]) * (MIB[(match[2] ?? 'M').toUpperCase()] ?? 1);
}

/** MiB as sbatch reads it, whole: '4G' when it is whole GiB, else '300M' (rounded up). */
export function formatMem(mib: number): string {
  const whole = Math.ceil(mib);
  return whole % 1024 === 0 ? `${whole / 1024}G` : `${whole}M`;
}

/** A time limit as sbatch reads it, in whole minutes (SLURM's granularity): '00:03:00', '1-02:00:00'. */
export function formatTimeLimit(ms: number): string {
  const minutes = Math.ceil(ms / 60_000);
  const two = (n: number) => String(n).padStart(2, '0');
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const clock = `${two(hours)}:${two(minutes % 60)}:00`;
  return days > 0 ? `${days}-${clock}` : clock;
}

/** What the escalation needs to know besides the policy. */
export interface EscalationInput {
  cause: RetryCause;
  policy: RetryPolicy;
  /** The first attempt's resources with every later attempt's changes applied. */
  current: SbatchResources;
  /** The time limit the timed-out attempt had, when SLURM said (it wins over `current.time`). */
  timeLimitMs?: number;
  /** Memory the attempt had when no mem was asked for (the cluster's DefMemPerCPU × CPUs), MiB. */
  defaultMemMiB?: number;
  /** The node the failed attempt ran on ('node-fail': excluded next time). */
  node?: string;
  partition?: PartitionLimits;
}

/** The next attempt's resources (see RetryResources). */
export function escalate(input: EscalationInput): RetryResources {
  const { cause, policy, current } = input;
  let changed: Record<string, string> = {};
  if (cause === 'out-of-memory') {
    const result = moreMemory(input, policy.escalate?.mem ?? DEFAULT_ESCALATION.mem);
    if (typeof result === 'string') return { kind: 'impossible', reason: result };
    changed = result;
  } else if (cause === 'timeout') {
    const result = longerLimit(input, policy.escalate?.time ?? DEFAULT_ESCALATION.time);
    if (typeof result === 'string') return { kind: 'impossible', reason: result };
    changed = result;
  } else if (cause === 'node-fail' && input.node) {
    const excluded = new Set((current.exclude ?? '').split(',').filter(Boolean));
    for (const node of input.node.split(',')) excluded.add(node);
    changed = { exclude: [...excluded].join(',') };
  }
  return { kind: 'fits', changed, options: { ...current, ...changed } };
}

function moreMemory(input: EscalationInput, factor: number): Record<string, string> | string {
  const perCpu = input.current['mem-per-cpu'] !== undefined && input.current.mem === undefined;
  const key = perCpu ? 'mem-per-cpu' : 'mem';
  const now = parseMemMiB(input.current[key]) ?? (perCpu ? undefined : input.defaultMemMiB);
  if (now === undefined)
    return 'retry not possible: the memory the job had is unknown (no slurmArgs.mem and no DefMemPerCPU); set slurmArgs.mem';
  const wanted = Math.ceil(now * factor);
  const cpus = perCpu ? Number(input.current['cpus-per-task'] ?? 1) || 1 : 1;
  const cap = input.partition?.maxMemPerNodeMiB;
  if (cap === undefined || wanted * cpus <= cap) return { [key]: formatMem(wanted) };
  const capped = Math.floor(cap / cpus);
  if (capped > now) return { [key]: formatMem(capped) };
  return `retry not possible: ${key} ${formatMem(wanted)} exceeds partition ${input.partition?.name}'s MaxMemPerNode ${cap}M`;
}

function longerLimit(input: EscalationInput, factor: number): Record<string, string> | string {
  const now =
    input.timeLimitMs ??
    (input.current.time !== undefined ? parseSlurmTimeMs(input.current.time) : undefined) ??
    (input.partition?.maxTimeMinutes !== undefined ? input.partition.maxTimeMinutes * 60_000 : undefined);
  if (now === undefined)
    return 'retry not possible: the time limit the job had is unknown; set slurmArgs.time';
  const wanted = Math.ceil((now * factor) / 60_000) * 60_000;
  const cap =
    input.partition?.maxTimeMinutes !== undefined ? input.partition.maxTimeMinutes * 60_000 : undefined;
  if (cap === undefined || wanted <= cap) return { time: formatTimeLimit(wanted) };
  if (cap > now) return { time: formatTimeLimit(cap) };
  return `retry not possible: time ${formatTimeLimit(wanted)} exceeds partition ${input.partition?.name}'s MaxTime ${formatTimeLimit(cap)}`;
}
