import { expandSlurmId } from './array-ids.ts';
import type { SlurmJobReport } from './slurm-state.ts';

/**
 * squeue's output format: job id, long state, reason, nodes, submit time, start time, then the
 * name last (a name may contain '|'; everything after the 6th '|' is the name).
 */
export const SQUEUE_FORMAT = '%i|%T|%r|%N|%V|%S|%j';

/**
 * Up to this many ids squeue is asked by id (`--jobs=`); beyond, this user's whole queue is read
 * (`--me`) and filtered: measured, `--jobs=<5,000 ids>` cost 612 ms, `--me` 87 ms, and the id list
 * would grow with the jobs tracked.
 */
export const SQUEUE_MAX_IDS = 50;

/** squeue prints a collapsed array's whole task list only with this in its environment. */
export const SQUEUE_ENV = { SLURM_BITSTR_LEN: '0' } as const;

/** The squeue arguments that list the given jobs (or arrays) in every state SLURM still remembers. */
export function squeueArgs(ids: readonly string[]): string[] {
  const which = ids.length > SQUEUE_MAX_IDS ? '--me' : `--jobs=${ids.join(',')}`;
  return ['--noheader', '--states=all', which, `--format=${SQUEUE_FORMAT}`];
}

/**
 * Parses `squeue -h -o SQUEUE_FORMAT` text into reports by job id. A collapsed record of an array's
 * pending tasks (`123_[8-999%50]`) gives one report per task (`123_8` ... `123_999`). Lines it cannot
 * read are skipped (a task list squeue cut short among them: run it with SLURM_BITSTR_LEN=0).
 */
export function parseSqueue(text: string): Map<string, SlurmJobReport> {
  const reports = new Map<string, SlurmJobReport>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const fields = line.split('|');
    if (fields.length < 7) continue;
    const [id = '', state = '', reason = '', nodes = '', submitted = '', started = ''] = fields;
    const report: SlurmJobReport = {
      state: state.trim(),
      reason: reason.trim(),
      name: fields.slice(6).join('|'),
    };
    if (nodes.trim()) report.nodes = nodes.trim();
    const submittedAt = slurmTime(submitted);
    if (submittedAt) report.submittedAt = submittedAt;
    const startedAt = slurmTime(started);
    if (startedAt) report.startedAt = startedAt;
    let ids: string[];
    try {
      ids = expandSlurmId(id);
    } catch {
      continue;
    }
    for (const taskId of ids) reports.set(taskId, report);
  }
  return reports;
}

/** SLURM's 'YYYY-MM-DDTHH:MM:SS' (local time) as given, or undefined for 'N/A' / 'Unknown' / 'None'. */
export function slurmTime(text: string | undefined): string | undefined {
  const trimmed = text?.trim() ?? '';
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(trimmed) ? trimmed : undefined;
}
