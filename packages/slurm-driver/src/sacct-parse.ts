import { parseSlurmTimeMs } from '@hpc/core';
import { expandSlurmId } from './array-ids.ts';
import type { SlurmJobReport } from './slurm-state.ts';
import { slurmTime } from './squeue-parse.ts';

/**
 * sacct fields, name last (a name may contain '|'). JobIDRaw keeps array tasks apart ('18', not
 * '10_7'); ElapsedRaw (seconds) and Timelimit ('00:02:00', 'UNLIMITED', 'Partition_Limit') say how
 * long a TIMEOUT job ran against its limit.
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
  'JobName',
];

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

/** The sacct arguments for the allocations (-X: no steps) of the given jobs, as '|'-separated text. */
export function sacctArgs(query: readonly string[] | SacctQuery): string[] {
  const { ids, since, tasks } = Array.isArray(query)
    ? { ids: query as readonly string[] }
    : (query as SacctQuery);
  const which = ids.length > SACCT_MAX_IDS && since ? `--starttime=${since}` : `--jobs=${ids.join(',')}`;
  const fields = tasks ? ['JobID', ...SACCT_FIELDS.slice(1)] : SACCT_FIELDS;
  return ['--allocations', '--noheader', '--parsable2', which, `--format=${fields.join(',')}`];
}

/**
 * Parses `sacct -X -n --parsable2 --format=SACCT_FIELDS`. When one id has several rows (a job
 * requeued, or an id reused after the controller's state was wiped) the last row wins: sacct lists
 * them oldest first.
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
    ] = fields;
    const report: SlurmJobReport = {
      state: state.trim(),
      exitCode: exitCode.trim(),
      name: fields.slice(10).join('|'),
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
    const timeLimitMs = limitMs(timeLimit);
    if (timeLimitMs !== undefined) report.timeLimitMs = timeLimitMs;
    // A batch's still-pending tasks come as one row, `4711_[3-999]`: one report per task.
    for (const key of id.includes('[') ? expandedIds(id) : [id.trim()]) reports.set(key, report);
  }
  return reports;
}

/** sacct's Timelimit in ms; undefined for 'UNLIMITED', 'Partition_Limit' and anything unreadable. */
function limitMs(text: string): number | undefined {
  // Most rows say UNLIMITED or Partition_Limit: answered without a thrown error (10,000 throws cost ~90 ms).
  if (!/^\d/.test(text.trim())) return undefined;
  try {
    return parseSlurmTimeMs(text);
  } catch {
    return undefined;
  }
}

function expandedIds(id: string): string[] {
  try {
    return expandSlurmId(id);
  } catch {
    return [];
  }
}
