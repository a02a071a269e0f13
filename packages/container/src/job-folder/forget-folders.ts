import {
  describeJobState,
  type ForgetOptions,
  type ForgetPlan,
  type ForgetRefusal,
  type ForgetReport,
  type ForgottenJob,
  isTerminalState,
  type JobState,
} from '@hpc/core';
import { buryFolder, folderOutsideHome, removeTombstone, sweepTombstones } from './job-tombstones.ts';

/** How one driver forgets: where its folders may be, what it knows of their states, its index. */
export interface ForgetSteps {
  /** Only folders whose real path is inside this one are ever deleted. */
  home: string;
  /** Where the tombstones go (and stale ones are swept). */
  jobsRoot: string;
  /** Every id's state now; an id without one has not finished as far as anyone knows. */
  states: ReadonlyMap<string, JobState>;
  /** Jobs that have not finished, with the upstream ids they name: their upstreams are kept. */
  waiting?: readonly { id: string; upstreams: readonly string[] }[];
  /** Before any folder is removed (the local driver records the ids as used). */
  beforeRemoval?(units: readonly ForgottenJob[]): Promise<void>;
  /** The folder is a tombstone now: drop its ids from the driver's index. */
  unindex(unit: ForgottenJob): void | Promise<void>;
  /** A stale tombstone of this folder name was found: drop whatever the index still has of it. */
  unindexFolder?(folder: string): void | Promise<void>;
}

/**
 * Carries out a forget plan (planForget): refuses each unit that has not finished or whose folder
 * is not safely inside the home, then per unit renames the folder to a tombstone, drops it from
 * the index and deletes the tombstone. Stale tombstones of an earlier crash are finished first.
 */
export async function forgetPlanned(
  plan: ForgetPlan,
  steps: ForgetSteps,
  options: ForgetOptions = {},
): Promise<ForgetReport> {
  const refused: ForgetRefusal[] = [...plan.refused];
  const ready: ForgottenJob[] = [];
  for (const unit of plan.units) {
    const refusal =
      unfinishedRefusal(unit, steps.states) ??
      dependentsRefusal(unit, steps.waiting ?? []) ??
      (await homeRefusal(unit, steps.home));
    if (refusal) refused.push(refusal);
    else ready.push(unit);
  }
  if (options.dryRun) return { removed: ready, refused };
  await sweepTombstones(steps.jobsRoot, (folder) => steps.unindexFolder?.(folder));
  if (ready.length) await steps.beforeRemoval?.(ready);
  const removed: ForgottenJob[] = [];
  for (const unit of ready) {
    let tombstone: string;
    try {
      tombstone = await buryFolder(unit.jobDir, steps.jobsRoot);
    } catch (error) {
      refused.push({
        id: unit.id,
        reason: 'failed',
        message: `${unit.id} was not forgotten: its folder ${unit.jobDir} could not be moved (${(error as Error).message})`,
      });
      continue;
    }
    await steps.unindex(unit);
    await removeTombstone(tombstone);
    removed.push(unit);
  }
  return { removed, refused };
}

function unfinishedRefusal(
  unit: ForgottenJob,
  states: ReadonlyMap<string, JobState>,
): ForgetRefusal | undefined {
  const open = unit.ids.filter((id) => {
    const state = states.get(id);
    return !state || !isTerminalState(state);
  });
  if (open.length === 0) return undefined;
  const first = states.get(open[0] as string);
  const what = first ? describeJobState(first) : 'state unknown';
  const which =
    unit.ids.length === 1
      ? `it is ${what}`
      : `${open.length} of its ${unit.ids.length} processes have not finished (${open[0]}: ${what})`;
  return {
    id: unit.id,
    reason: 'not-final',
    message: `${unit.id} was not forgotten: ${which}; cancel it (hpc cancel ${unit.id}) and forget it once it has ended, so nothing runs untracked`,
  };
}

/** The upstream ids a job record names (after, afterAny, afterNotOk, afterEach). */
export function upstreamsOf(record: {
  dependencies?: readonly { upstream: string }[] | undefined;
  afterEach?: readonly string[] | undefined;
}): string[] {
  return [...(record.dependencies ?? []).map((edge) => edge.upstream), ...(record.afterEach ?? [])];
}

/** An upstream names the unit when it is its id, one of its ids, or the batch ('4711') of one. */
function dependentsRefusal(
  unit: ForgottenJob,
  waiting: readonly { id: string; upstreams: readonly string[] }[],
): ForgetRefusal | undefined {
  const names = (upstream: string) =>
    upstream === unit.id || unit.ids.some((id) => id === upstream || id.startsWith(`${upstream}_`));
  const dependents = waiting.filter((job) => job.upstreams.some(names)).map((job) => job.id);
  if (dependents.length === 0) return undefined;
  return {
    id: unit.id,
    reason: 'has-dependents',
    message: `${unit.id} was not forgotten: ${dependents.join(', ')} ${dependents.length === 1 ? 'depends' : 'depend'} on it and ${dependents.length === 1 ? 'has' : 'have'} not finished; forget it once they have`,
  };
}

async function homeRefusal(unit: ForgottenJob, home: string): Promise<ForgetRefusal | undefined> {
  const problem = await folderOutsideHome(unit.jobDir, home);
  return problem
    ? { id: unit.id, reason: 'outside-home', message: `${unit.id} was not forgotten: ${problem}` }
    : undefined;
}
