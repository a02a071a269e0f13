import { HpcError } from '@hpc/core';

/**
 * SLURM's job array ids as squeue and sacct print them, and the task specs sbatch takes.
 *
 * squeue prints a running or finished task as `123_7` and the still-pending tasks of an array as
 * one collapsed record, `123_[8-999%50]`, `123_[0-99:3]` or `123_[1,4,9-10]`. It truncates that
 * expression at 64 characters (no closing bracket) unless `SLURM_BITSTR_LEN=0` is in its
 * environment (measured on 22.05: an irregular 149-task set printed 31 characters); the poller sets
 * it, and a truncated record is refused here rather than read as fewer tasks.
 */

/** One squeue/sacct id, read: a plain job, one array task, or the pending tasks of an array. */
export type SlurmIdForm =
  | { kind: 'job'; jobId: string }
  | { kind: 'task'; arrayId: string; task: number }
  | { kind: 'pending-tasks'; arrayId: string; tasks: number[] };

/** A task expression SLURM printed that cannot be read (truncated, or not SLURM's syntax). */
export class ArrayTaskSpecError extends HpcError {
  readonly _tag = 'ArrayTaskSpecError';
  constructor(
    readonly spec: string,
    readonly problem: string,
  ) {
    super(
      `cannot read the job array task list '${spec}': ${problem}. ` +
        'If squeue printed it, run squeue with SLURM_BITSTR_LEN=0 so it prints the whole list.',
    );
  }
}

/** More tasks than any SLURM accepts (MaxArraySize is at most 4,000,001): refuse before allocating. */
const MAX_TASKS = 4_000_001;

/** Reads an id as squeue's %i or sacct's JobID print it. */
export function readSlurmId(id: string): SlurmIdForm {
  const text = id.trim();
  const match = /^(\d+)_(.+)$/.exec(text);
  if (!match) return { kind: 'job', jobId: text };
  const [, arrayId = '', rest = ''] = match;
  if (/^\d+$/.test(rest)) return { kind: 'task', arrayId, task: Number(rest) };
  if (!rest.startsWith('[') || !rest.endsWith(']'))
    throw new ArrayTaskSpecError(text, 'the task list is cut off or not in brackets');
  return { kind: 'pending-tasks', arrayId, tasks: parseTaskSpec(rest.slice(1, -1)) };
}

/**
 * The task ids of a SLURM array expression: `0-999`, `0-99:3`, `1,4,9-10`, each optionally ending in
 * `%N` (the parallelism limit, ignored here). Ascending, without duplicates.
 */
export function parseTaskSpec(spec: string): number[] {
  const body = spec.replace(/%\d+$/, '');
  const tasks = new Set<number>();
  for (const part of body.split(',')) {
    const match = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part);
    if (!match) throw new ArrayTaskSpecError(spec, `'${part}' is not a task id, range or stepped range`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    const step = match[3] === undefined ? 1 : Number(match[3]);
    if (last < first || step < 1) throw new ArrayTaskSpecError(spec, `'${part}' is an empty range`);
    if (tasks.size + Math.floor((last - first) / step) + 1 > MAX_TASKS)
      throw new ArrayTaskSpecError(spec, `more than ${MAX_TASKS} tasks`);
    for (let task = first; task <= last; task += step) tasks.add(task);
  }
  return [...tasks].sort((a, b) => a - b);
}

/**
 * The compact `--array` value for these task ids (ascending runs joined: `0-999`, `0-4,7,9-12`),
 * with `%parallelism` when given.
 */
export function formatTaskSpec(tasks: readonly number[], parallelism?: number): string {
  const sorted = [...new Set(tasks)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    const first = sorted[i] as number;
    let last = first;
    while (i + 1 < sorted.length && sorted[i + 1] === last + 1) last = sorted[++i] as number;
    parts.push(last === first ? `${first}` : `${first}-${last}`);
    i++;
  }
  const spec = parts.join(',');
  return parallelism === undefined ? spec : `${spec}%${parallelism}`;
}

/** Every job or task id an squeue/sacct id stands for: `123`, `123_7`, or each pending `123_<i>`. */
export function expandSlurmId(id: string): string[] {
  const form = readSlurmId(id);
  if (form.kind === 'job') return [form.jobId];
  if (form.kind === 'task') return [`${form.arrayId}_${form.task}`];
  return form.tasks.map((task) => `${form.arrayId}_${task}`);
}

declare module '@hpc/core' {
  /** This file's error tags, for `isHpcError(error, tag)` (checked at compile time). */
  interface HpcErrorTags {
    ArrayTaskSpecError: ArrayTaskSpecError;
  }
}
