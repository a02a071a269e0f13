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
 * Whether a query asks for step rows (which carry MaxRSS and make TotalCPU real): for single jobs
 * by ids, yes (200 ids: 0.1-0.25 s either way on 22.05). Not by a time window: steps of every job
 * in it cost 8 s where allocations alone cost 0.55 s (45,000 jobs in the accounting database,
 * measured 2026-12-03); not for batch arrays: a 1,000-task array costs 0.2 s with steps, 0.07 s
 * without. Those polls stay as cheap as before; describeJob asks for one job's figures later.
 */
export function sacctAsksSteps(query: readonly string[] | SacctQuery): boolean {
  if (Array.isArray(query)) return query.length <= SACCT_MAX_IDS;
  const { ids, since, tasks } = query as SacctQuery;
  return !tasks && !(ids.length > SACCT_MAX_IDS && since);
}

/** The sacct arguments for the given jobs, as '|'-separated text; steps as sacctAsksSteps says. */
export function sacctArgs(query: readonly string[] | SacctQuery): string[] {
  const { ids, since, tasks } = Array.isArray(query)
    ? { ids: query as readonly string[] }
    : (query as SacctQuery);
  const which = ids.length > SACCT_MAX_IDS && since ? `--starttime=${since}` : `--jobs=${ids.join(',')}`;
  const fields = tasks ? ['JobID', ...SACCT_FIELDS.slice(1)] : SACCT_FIELDS;
  const steps = sacctAsksSteps(query) ? [] : ['--allocations'];
  return [...steps, '--noheader', '--parsable2', which, `--format=${fields.join(',')}`];
}

/**
 * Parses `sacct -n --parsable2 --format=SACCT_FIELDS`. When one id has several rows (a job
 * requeued, or an id reused after the controller's state was wiped) the last row wins: sacct lists
 * them oldest first. A step row (`4711.batch`, `4711_3.batch`) follows its job's row and gives it
 * its MaxRSS; it is no report of its own. `figures: false` for output without step rows.
 */
export function parseSacct(text: string, options: { figures?: boolean } = {}): Map<string, SlurmJobReport> {
  // Without step rows (--allocations) TotalCPU reads 00:00:00 and MaxRSS is empty: no figures then.
  const figures = options.figures ?? true;
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
    };
    if (figures)
      report.usage = schedulerUsageOf({ totalCpu, reqMem, allocCpus, elapsedRaw: elapsed, timeLimit, nodes });
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
