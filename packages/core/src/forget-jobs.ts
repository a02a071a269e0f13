import type { JobId } from './job-id.ts';

/** forgetJobs(): how to forget. */
export interface ForgetOptions {
  /** Say what would be removed and refused; remove nothing. */
  dryRun?: boolean;
}

/**
 * Why an id was not forgotten. 'not-final': the job (or a process of the batch) may still change
 * state: cancel it and wait, then forget it. 'batch-member': the id is one process or task of a
 * batch, whose folder is shared: forget the batch. 'outside-home': its folder is not inside the
 * driver's home (or is a symbolic link): it is never deleted. 'has-dependents': a job that has not
 * finished names it in after/afterAny/afterNotOk/afterEach (forgotten, the dependent could wait
 * forever or lose why it was blocked). 'failed': the removal itself failed.
 */
export type ForgetRefusalReason =
  | 'not-tracked'
  | 'not-final'
  | 'batch-member'
  | 'outside-home'
  | 'has-dependents'
  | 'failed';

export interface ForgetRefusal {
  id: string;
  reason: ForgetRefusalReason;
  message: string;
}

/** One job folder removed, with every tracked id it stood for (a batch: all its processes). */
export interface ForgottenJob {
  /** As given: a job id, a batch id, or the first of the ids that together named a shared folder. */
  id: string;
  ids: JobId[];
  jobDir: string;
}

export interface ForgetReport {
  /** Removed (with dryRun: would be removed). */
  removed: ForgottenJob[];
  refused: ForgetRefusal[];
}

/** A tracked id and the job folder forgetting it removes (a batch's folder for each of its processes). */
export interface ForgetRow {
  id: string;
  folder: string;
}

/** What forgetting some given ids comes to: whole folders, each with the ids it holds, and refusals. */
export interface ForgetPlan {
  units: ForgottenJob[];
  refused: ForgetRefusal[];
}

/**
 * The folders some ids name. A folder holding one job goes when its id is given; a batch's folder
 * when the batch's id is given ('4711', 'local-12': the part before '_' of its processes' ids) or
 * every one of its ids is. One process or task of a batch alone is refused: the folder is shared.
 */
export function planForget(given: readonly string[], rows: readonly ForgetRow[]): ForgetPlan {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const byFolder = new Map<string, string[]>();
  for (const row of rows) byFolder.set(row.folder, [...(byFolder.get(row.folder) ?? []), row.id]);
  const givenSet = new Set(given);
  const units = new Map<string, ForgottenJob>();
  const refused: ForgetRefusal[] = [];
  const addUnit = (id: string, folder: string) => {
    if (!units.has(folder))
      units.set(folder, { id, ids: (byFolder.get(folder) ?? []) as JobId[], jobDir: folder });
  };
  for (const id of new Set(given)) {
    const row = byId.get(id);
    if (row) {
      const members = byFolder.get(row.folder) ?? [];
      if (members.length === 1 || members.every((member) => givenSet.has(member))) addUnit(id, row.folder);
      else refused.push(memberRefusal(id, members.length));
      continue;
    }
    const prefix = id.includes('_') ? `${id}+` : `${id}_`;
    const named = rows.filter((candidate) => candidate.id.startsWith(prefix));
    if (named.length === 0) {
      refused.push({ id, reason: 'not-tracked', message: `${id} is not a tracked job or batch` });
    } else if (id.includes('_')) {
      refused.push(memberRefusal(id, byFolder.get(named[0]?.folder ?? '')?.length ?? named.length));
    } else for (const folder of new Set(named.map((candidate) => candidate.folder))) addUnit(id, folder);
  }
  return { units: [...units.values()], refused };
}

function memberRefusal(id: string, processes: number): ForgetRefusal {
  const underscore = id.indexOf('_');
  const batch = underscore > 0 ? id.slice(0, underscore) : undefined;
  const how = batch
    ? `forget the whole batch: hpc forget ${batch}`
    : `give all ${processes} of its ids together to forget it`;
  return {
    id,
    reason: 'batch-member',
    message: `${id} is one part of a batch of ${processes} processes that share one folder; ${how}`,
  };
}
