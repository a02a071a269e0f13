import { expandSlurmId } from './array-ids.ts';
import { addStepRss, parseTimeLimitMs, schedulerUsageOf } from './sacct-figures.ts';
import type { SlurmJobReport } from './slurm-state.ts';
import { slurmTime } from './squeue-parse.ts';

/**
 * sacct fields, name last (a name may contain '|'). JobIDRaw keeps array tasks apart ('18', not
 * '10_7'); ElapsedRaw (seconds) and Timelimit ('00:02:00', 'UNLIMITED', 'Partition_Limit') say how
 * long a TIMEOUT job ran against its limit. MaxRSS, TotalCPU, ReqMem and AllocCPUS are the
 * scheduler's figures of a finished job (MaxRSS is only on its step rows, `<id>.batch`).
 */
export const SACCT_FIELDS = [
  'JobIDRaw',
  'State',
  'ExitCode',
  'Reason',
  'NodeList',
  'Submit',
  'Start',
  'End',
  'ElapsedRaw',
  'Timelimit',
  'MaxRSS',
  'TotalCPU',
  'ReqMem',
  'AllocCPUS',
  'JobName',
];
const NAME_COLUMN = SACCT_FIELDS.length - 1;

/** Up to this many ids sacct is asked by id; beyond, by a time window (the list would grow without bound). */
export const SACCT_MAX_IDS = 200;

export interface SacctQuery {
  /** Job ids, or array ids (`sacct -j 4711` lists every task of array 4711). */
  ids: readonly string[];
  /** SLURM local time the earliest of them was submitted: used instead of the ids when they are many. */
  since?: string;
  /** Batch tasks among them: the id column is JobID (`4711_3`), not JobIDRaw (a task's own number). */
  tasks?: boolean;
}

/**
 * The sacct arguments for the given jobs, as '|'-separated text. Not `--allocations`: the step
 * rows carry MaxRSS (one more row per job, same call; 22.05 answers 2 jobs in 92 ms either way).
 */
export function sacctArgs(query: readonly string[] | SacctQuery): string[] {
  const { ids, since, tasks } = Array.isArray(query)
    ? { ids: query as readonly string[] }
    : (query as SacctQuery);
  const which = ids.length > SACCT_MAX_IDS && since ? `--starttime=${since}` : `--jobs=${ids.join(',')}`;
  const fields = tasks ? ['JobID', ...SACCT_FIELDS.slice(1)] : SACCT_FIELDS;
  return ['--noheader', '--parsable2', which, `--format=${fields.join(',')}`];
}

/**
 * Parses `sacct -n --parsable2 --format=SACCT_FIELDS`. When one id has several rows (a job
 * requeued, or an id reused after the controller's state was wiped) the last row wins: sacct lists
 * them oldest first. A step row (`4711.batch`, `4711_3.batch`) follows its job's row and gives it
 * its MaxRSS; it is no report of its own.
 */
export function parseSacct(text: string): Map<string, SlurmJobReport> {
  const reports = new Map<string, SlurmJobReport>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const fields = line.split('|');
    if (fields.length < SACCT_FIELDS.length) continue;
    const [
      id = '',
      state = '',
      exitCode = '',
      reason = '',
      nodes = '',
      submit = '',
      start = '',
      end = '',
      elapsed = '',
      timeLimit = '',
      maxRss = '',
      totalCpu = '',
      reqMem = '',
      allocCpus = '',
    ] = fields;
    const step = id.indexOf('.');
    if (step >= 0) {
      const usage = reports.get(id.slice(0, step).trim())?.usage;
      if (usage) addStepRss(usage, maxRss);
      continue;
    }
    const report: SlurmJobReport = {
      state: state.trim(),
      exitCode: exitCode.trim(),
      name: fields.slice(NAME_COLUMN).join('|'),
      usage: schedulerUsageOf({ totalCpu, reqMem, allocCpus, elapsedRaw: elapsed, timeLimit, nodes }),
    };
    if (reason.trim()) report.reason = reason.trim();
    if (nodes.trim()) report.nodes = nodes.trim();
    const submittedAt = slurmTime(submit);
    if (submittedAt) report.submittedAt = submittedAt;
    const startedAt = slurmTime(start);
    if (startedAt) report.startedAt = startedAt;
    const endedAt = slurmTime(end);
    if (endedAt) report.endedAt = endedAt;
    if (/^\d+$/.test(elapsed.trim())) report.elapsedMs = Number(elapsed.trim()) * 1000;
    const timeLimitMs = parseTimeLimitMs(timeLimit);
    if (timeLimitMs !== undefined) report.timeLimitMs = timeLimitMs;
    // A batch's still-pending tasks come as one row, `4711_[3-999]`: one report per task.
    for (const key of id.includes('[') ? expandedIds(id) : [id.trim()]) reports.set(key, report);
  }
  return reports;
}

function expandedIds(id: string): string[] {
  try {
    return expandSlurmId(id);
  } catch {
    return [];
  }
}
