import { parseSlurmTimeMs, type SchedulerUsage } from '@hpc/core';

/** SLURM's size suffixes are binary: 1K = 1024 bytes (sacct MaxRSS '1096K', ReqMem '500M', '4G'). */
const SIZE_FACTORS: Readonly<Record<string, number>> = {
  '': 1,
  K: 1024,
  M: 1024 ** 2,
  G: 1024 ** 3,
  T: 1024 ** 4,
  P: 1024 ** 5,
};

/**
 * A size as sacct prints it ('1096K', '2.50M', '4G', '0'); ReqMem's older per-node/per-CPU suffix
 * ('500Mn', '500Mc') is returned as `perCpu`. Undefined for '' and anything unreadable.
 */
export function parseSlurmSize(text: string): { bytes: number; perCpu: boolean } | undefined {
  const match = /^(\d+(?:\.\d+)?)([KMGTP]?)([nc]?)$/i.exec(text.trim());
  if (!match) return undefined;
  const [, number = '', unit = '', per = ''] = match;
  const factor = SIZE_FACTORS[unit.toUpperCase()] ?? 1;
  return { bytes: Math.round(Number(number) * factor), perCpu: per.toLowerCase() === 'c' };
}

/**
 * sacct's TotalCPU / UserCPU: '[D-][HH:]MM:SS[.mmm]' ('00:01.234', '02:03:04', '1-02:03:04').
 * Undefined for '' and anything unreadable.
 */
export function parseCpuTimeMs(text: string): number | undefined {
  const match = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!match) return undefined;
  const [, days = '0', hours = '0', minutes = '0', seconds = '0', fraction = ''] = match;
  const ms = fraction ? Math.round(Number(`0.${fraction}`) * 1000) : 0;
  return ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 + Number(seconds) * 1000 + ms;
}

/** sacct's Timelimit in ms; undefined for 'UNLIMITED', 'Partition_Limit' and anything unreadable. */
export function parseTimeLimitMs(text: string): number | undefined {
  // Most rows say UNLIMITED or Partition_Limit: answered without a thrown error (10,000 throws cost ~90 ms).
  if (!/^\d/.test(text.trim())) return undefined;
  try {
    return parseSlurmTimeMs(text);
  } catch {
    return undefined;
  }
}

/** The columns of one sacct allocation row that say what the job was given and used. */
export interface SacctFigureColumns {
  totalCpu: string;
  reqMem: string;
  allocCpus: string;
  elapsedRaw: string;
  timeLimit: string;
  nodes: string;
}

/** The scheduler's figures from an allocation row (MaxRSS comes from its step rows: addStepRss). */
export function schedulerUsageOf(columns: SacctFigureColumns): SchedulerUsage {
  const usage: SchedulerUsage = { source: 'sacct' };
  const totalCpuMs = parseCpuTimeMs(columns.totalCpu);
  if (totalCpuMs !== undefined) usage.totalCpuMs = totalCpuMs;
  const cpus = /^\d+$/.test(columns.allocCpus.trim()) ? Number(columns.allocCpus.trim()) : undefined;
  if (cpus !== undefined && cpus > 0) usage.allocCpus = cpus;
  const mem = parseSlurmSize(columns.reqMem);
  if (mem && mem.bytes > 0) usage.reqMemBytes = mem.perCpu ? mem.bytes * (cpus ?? 1) : mem.bytes;
  if (/^\d+$/.test(columns.elapsedRaw.trim())) usage.elapsedMs = Number(columns.elapsedRaw.trim()) * 1000;
  const limit = parseTimeLimitMs(columns.timeLimit);
  if (limit !== undefined) usage.timeLimitMs = limit;
  const nodes = columns.nodes.trim();
  if (nodes && nodes !== 'None assigned' && nodes !== '(null)') usage.nodes = nodes;
  return usage;
}

/** A step row's MaxRSS ('1096K') raises the job's: the job's peak is its largest step's. */
export function addStepRss(usage: SchedulerUsage, maxRss: string): void {
  const size = parseSlurmSize(maxRss);
  if (size && (usage.maxRssBytes === undefined || size.bytes > usage.maxRssBytes))
    usage.maxRssBytes = size.bytes;
}
