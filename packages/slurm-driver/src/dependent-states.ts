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
import { dependencySpecOf } from './dependency-resolution.ts';
import { currentAttempt } from './job-attempts.ts';
import { type JobRecord, readJobRecord } from './job-record.ts';
import type { StateUpdate, StoredJob } from './job-store.ts';

/**
 * The status path's part of dependencies: SLURM cancels a dependent whose upstream failed
 * (`--kill-on-invalid-dep=yes`), and sacct then says only CANCELLED. A cancelled (or still
 * pending) job with dependencies is checked against its upstreams' states: when one can never
 * satisfy it, it is 'blocked', naming that upstream. A pending one is cancelled too, so nothing
 * waits forever (SLURM ignores a dependency on an id it has purged, and a packed task COMPLETES
 * whatever its processes did). A cancelled one whose upstreams have not all ended stays open, so
 * the next poll decides once they have.
 *
 * A retried upstream carries its dependents: SLURM cancels a dependent when the upstream's failed
 * attempt ends, but under our one id the upstream is open again (or done). A single job SLURM
 * cancelled for its dependency, whose upstreams can all still satisfy it, is submitted again
 * (dependent-resubmit.ts) waiting on their SLURM ids now, when those differ from the ones it was
 * queued against (otherwise our view lags SLURM's, and the next poll decides).
 */

/** Where the refinement reads what it needs: a job's row and its upstreams. */
export interface DependentLookups {
  job(id: string): StoredJob | undefined;
  /** The job's edges (job.json; a batch process: its batch's, plus its afterEach upstream). */
  edgesOf(job: StoredJob): DependencyEdge[] | undefined;
  /** The `--dependency` value the job's current attempt was queued with ('' for none). */
  queuedSpecOf?(job: StoredJob): string;
  /** The `--dependency` value for open edges, by their upstreams' SLURM ids now. */
  specOf?(open: readonly DependencyEdge[]): string;
}

/** A dependent to submit again, waiting on `spec` ('' when its upstreams have all satisfied it). */
export interface DependentResubmission {
  id: JobId;
  jobDir: string;
  spec: string;
  /** The upstream that was retried (or is done), for the attempt's note. */
  upstream: string;
  /** The state SLURM ended the dependent's attempt in (kept if it cannot be submitted again). */
  state: JobState;
}

/**
 * Maybe SLURM's own cancel of a dependent for its dependency (`--kill-on-invalid-dep`): squeue says
 * `CANCELLED (DependencyNeverSatisfied)`, sacct `CANCELLED` with reason Dependency or None. A
 * user's scancel is `CANCELLED by <uid>` in sacct, but a plain `CANCELLED` in squeue: the driver
 * asks sacct before it submits again (dependent-resubmit.ts).
 */
function cancelledForDependency(state: JobState): boolean {
  return (
    state.status === 'cancelled' && !state.by && /^CANCELLED\S*( \(Dependency\w*\))?$/.test(state.raw ?? '')
  );
}

/** Pure: the updates with blocked dependents marked, the pending ones to cancel, and those to submit again. */
export function markBlockedDependents(
  updates: readonly StateUpdate[],
  states: ReadonlyMap<JobId, JobState>,
  lookups: DependentLookups,
): { updates: StateUpdate[]; cancel: string[]; resubmit: DependentResubmission[] } {
  const cancel: string[] = [];
  const now = new Map(updates.map((update) => [update.id as string, update.state]));
  const stateOf = (id: string) => now.get(id) ?? states.get(id as JobId) ?? lookups.job(id)?.state;
  const resubmit = resubmissionsOf(updates, stateOf, lookups);
  // A dependent submitted again is open: its own dependents wait for it (and follow it next poll).
  const reopened = new Set<string>(resubmit.map((request) => request.id));
  for (const id of reopened) now.set(id, { status: 'pending' });
  keepWaitingOpen(updates, now, stateOf, lookups);
  const refined = updates.map((update) => {
    const { state } = update;
    if (reopened.has(update.id)) return { ...update, final: false };
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
  return { updates: refined, cancel, resubmit };
}

/**
 * A cancelled dependent whose upstreams have not all ended stays open (decided by a later poll),
 * so its own dependents wait for it rather than count it cancelled: taken as pending in `now`,
 * down the chain.
 */
function keepWaitingOpen(
  updates: readonly StateUpdate[],
  now: Map<string, JobState>,
  stateOf: (id: string) => JobState | undefined,
  lookups: DependentLookups,
): void {
  const waiting = updates.filter((update) => update.state.status === 'cancelled');
  for (let changed = true; changed; ) {
    changed = false;
    for (const { id } of waiting) {
      if (now.get(id)?.status === 'pending') continue;
      const job = lookups.job(id);
      const edges = job && lookups.edgesOf(job);
      if (!edges?.length || settleDependencies(edges, stateOf).decision !== 'wait') continue;
      now.set(id, { status: 'pending' });
      changed = true;
    }
  }
}

/**
 * Single jobs SLURM cancelled for their dependency whose upstreams can all still satisfy them, when
 * the SLURM ids to wait on now differ from those they were queued against.
 */
function resubmissionsOf(
  updates: readonly StateUpdate[],
  stateOf: (id: string) => JobState | undefined,
  lookups: DependentLookups,
): DependentResubmission[] {
  const { queuedSpecOf, specOf } = lookups;
  if (!queuedSpecOf || !specOf) return [];
  const out: DependentResubmission[] = [];
  for (const { id, state } of updates) {
    if (!cancelledForDependency(state)) continue;
    const job = lookups.job(id);
    const edges = job?.batchIndex === undefined ? job && lookups.edgesOf(job) : undefined;
    if (!job || !edges?.length) continue;
    const settled = settleDependencies(edges, stateOf);
    if (settled.decision === 'blocked') continue;
    const spec = settled.decision === 'run' ? '' : specOf(settled.open);
    if (spec === queuedSpecOf(job)) continue;
    const candidates = settled.decision === 'run' ? edges : settled.open;
    const retried = candidates.find((edge) => lookups.job(edge.upstream)?.schedulerId !== undefined);
    const upstream = (retried ?? candidates[0])?.upstream ?? '';
    out.push({ id: job.id, jobDir: job.jobDir, spec, upstream, state });
  }
  return out;
}

/** Submits the dependents again (dependent-resubmit.ts): their updates, by id. */
export type ResubmitDependents = (
  requests: readonly DependentResubmission[],
) => Promise<ReadonlyMap<string, StateUpdate>>;

/**
 * The driver's side: job.json read once per batch folder per poll, then one scancel for the
 * pending dependents that can never run (errors ignored: SLURM may have cancelled them already),
 * and the dependents of retried upstreams submitted again.
 */
export async function refineDependents(
  updates: readonly StateUpdate[],
  states: ReadonlyMap<JobId, JobState>,
  job: (id: string) => StoredJob | undefined,
  run: CommandRunner,
  resubmitDependents?: ResubmitDependents,
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
    ...(resubmitDependents
      ? {
          queuedSpecOf: (row: StoredJob) => queuedDependency(recordOf(row.jobDir)),
          specOf: (open: readonly DependencyEdge[]) => dependencySpecOf(open, { get: job }),
        }
      : {}),
  });
  if (refined.cancel.length > 0) await run('scancel', refined.cancel).catch(() => undefined);
  if (!resubmitDependents || refined.resubmit.length === 0) return refined.updates;
  const resubmitted = await resubmitDependents(refined.resubmit);
  return refined.updates.map((update) => resubmitted.get(update.id) ?? update);
}

/** The `--dependency` value the record's current attempt was queued with ('' for none). */
function queuedDependency(record: JobRecord | undefined): string {
  if (!record) return '';
  const current = currentAttempt(record);
  return (current.number === 1 ? record.dependencySpec : current.options?.dependency) ?? '';
}

function safely<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
