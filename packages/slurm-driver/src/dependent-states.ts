import {
  batchTaskOf,
  blockedState,
  type DependencyEdge,
  type JobId,
  type JobState,
  settleDependencies,
} from '@hpc/core';
import { batchDirOfProcess } from './batch-record.ts';
import type { CommandRunner } from './command-runner.ts';
import { readJobRecord } from './job-record.ts';
import type { StateUpdate, StoredJob } from './job-store.ts';

/**
 * The status path's part of dependencies: SLURM cancels a dependent whose upstream failed
 * (`--kill-on-invalid-dep=yes`), and sacct then says only CANCELLED. A cancelled (or still
 * pending) job with dependencies is checked against its upstreams' states: when one can never
 * satisfy it, it is 'blocked', naming that upstream. A pending one is cancelled too, so nothing
 * waits forever (SLURM ignores a dependency on an id it has purged, and a packed task COMPLETES
 * whatever its processes did). A cancelled one whose upstreams have not all ended stays open, so
 * the next poll decides once they have.
 */

/** Where the refinement reads what it needs: a job's row and its upstreams. */
export interface DependentLookups {
  job(id: string): StoredJob | undefined;
  /** The job's edges (job.json; a batch process: its batch's, plus its afterEach upstream). */
  edgesOf(job: StoredJob): DependencyEdge[] | undefined;
}

/** Pure: the updates with blocked dependents marked, and the pending ones to cancel. */
export function markBlockedDependents(
  updates: readonly StateUpdate[],
  states: ReadonlyMap<JobId, JobState>,
  lookups: DependentLookups,
): { updates: StateUpdate[]; cancel: string[] } {
  const cancel: string[] = [];
  const now = new Map(updates.map((update) => [update.id as string, update.state]));
  const stateOf = (id: string) => now.get(id) ?? states.get(id as JobId) ?? lookups.job(id)?.state;
  const refined = updates.map((update) => {
    const { state } = update;
    if (state.status !== 'cancelled' && state.status !== 'pending') return update;
    const job = lookups.job(update.id);
    const edges = job && lookups.edgesOf(job);
    if (!job || !edges?.length) return update;
    const settled = settleDependencies(edges, stateOf);
    if (settled.decision === 'blocked') {
      // A packed process shares its task with others: it is marked, not cancelled.
      if (state.status === 'pending' && job.id === batchTaskOf(job.id)) cancel.push(job.id);
      const raw = state.raw ?? state.status;
      return {
        ...update,
        state: blockedState(settled.edge, settled.upstreamState, {
          raw: state.status === 'pending' ? `${raw}; cancelled by @hpc` : raw,
          ...(state.endedAt ? { endedAt: state.endedAt } : {}),
        }),
        final: true,
      };
    }
    // Cancelled before its upstreams ended (as our view has them): decided by a later poll.
    if (state.status === 'cancelled' && settled.decision === 'wait') return { ...update, final: false };
    return update;
  });
  return { updates: refined, cancel };
}

/**
 * The driver's side: job.json read once per batch folder per poll, then one scancel for the
 * pending dependents that can never run (errors ignored: SLURM may have cancelled them already).
 */
export async function refineDependents(
  updates: readonly StateUpdate[],
  states: ReadonlyMap<JobId, JobState>,
  job: (id: string) => StoredJob | undefined,
  run: CommandRunner,
): Promise<StateUpdate[]> {
  if (!updates.some(({ state }) => state.status === 'cancelled' || state.status === 'pending'))
    return [...updates];
  const records = new Map<string, ReturnType<typeof readJobRecord>>();
  const recordOf = (dir: string) => {
    if (!records.has(dir))
      records.set(
        dir,
        safely(() => readJobRecord(dir)),
      );
    return records.get(dir);
  };
  const refined = markBlockedDependents(updates, states, {
    job,
    edgesOf: (row) => {
      if (row.batchIndex === undefined) return recordOf(row.jobDir)?.dependencies;
      const record = recordOf(batchDirOfProcess(row.jobDir));
      const upstream = record?.afterEach?.[row.batchIndex];
      const each: DependencyEdge[] = upstream
        ? [{ kind: 'after', upstream, option: `afterEach[${row.batchIndex}]` }]
        : [];
      return [...each, ...(record?.dependencies ?? [])];
    },
  });
  if (refined.cancel.length > 0) await run('scancel', refined.cancel).catch(() => undefined);
  return refined.updates;
}

function safely<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
