import {
  blockedState,
  type DependencyEdge,
  type DependencySettlement,
  InvalidJobSettingError,
  type JobDependencies,
  JobNotFoundError,
  type JobState,
  normalizeAfterEach,
  normalizeDependencies,
  refuseUnknownUpstreams,
  settleDependencies,
} from '@hpc/core';

/**
 * Dependencies on the local driver, emulated: a dependent is held in this process's queue
 * ('pending', reason 'Dependency') until its upstreams have ended, then released or recorded
 * 'blocked'; one whose upstream had already ended the wrong way is blocked at once and never
 * runs. Like every queued local job, a held one does not outlive the submitting process.
 */

/** The upstreams' states as the driver sees them; JobNotFoundError for an id it does not track. */
export type UpstreamState = (id: string) => Promise<JobState>;

/** A submission's dependencies, checked and settled now. */
export interface CheckedDependencies {
  /** The shared edges (after/afterAny/afterNotOk). */
  edges: DependencyEdge[];
  /** afterEach as given (checked), one per process. */
  afterEach: string[] | undefined;
  settled: DependencySettlement;
}

/** First wait between looks at the upstreams; it grows to POLL_MAX_MS. */
const POLL_MIN_MS = 100;
const POLL_MAX_MS = 1_000;

export class DependencyGate {
  constructor(private readonly stateOf: UpstreamState) {}

  /**
   * Checks the options (malformed ids, contradictions, ids this driver does not track) and
   * settles the shared edges now; nothing exists yet when this throws.
   */
  async check(
    options: JobDependencies & { afterEach?: readonly string[] },
    batch?: { count: number; processesPerTask: number },
  ): Promise<CheckedDependencies> {
    const edges = normalizeDependencies(options);
    const afterEach = batch ? normalizeAfterEach(options.afterEach, batch.count) : undefined;
    if (!batch && options.afterEach !== undefined)
      throw new InvalidJobSettingError(
        'afterEach',
        options.afterEach,
        'invalid-value',
        'afterEach is for submitJobs; use after with submitJob',
      );
    if (afterEach && batch && batch.processesPerTask !== 1)
      throw new InvalidJobSettingError(
        'afterEach',
        `with processesPerTask ${batch.processesPerTask}`,
        'invalid-value',
        'on the local driver afterEach needs one process per task (processesPerTask 1)',
      );
    const states = await this.states([...edges.map((edge) => edge.upstream), ...(afterEach ?? [])]);
    refuseUnknownUpstreams(edges, (id) => states.has(id), 'local');
    refuseUnknownUpstreams(eachEdges(afterEach), (id) => states.has(id), 'local');
    return { edges, afterEach, settled: settleDependencies(edges, (id) => states.get(id)) };
  }

  /** Resolves once the edges are settled: 'run', or the blocked state to record. */
  async whenSettled(
    edges: readonly DependencyEdge[],
    stop: () => boolean,
  ): Promise<'run' | JobState | undefined> {
    let wait = POLL_MIN_MS;
    for (;;) {
      if (stop()) return undefined;
      const states = await this.states(edges.map((edge) => edge.upstream));
      const settled = settleDependencies(edges, (id) => states.get(id));
      if (settled.decision === 'run') return 'run';
      if (settled.decision === 'blocked') return blockedState(settled.edge, settled.upstreamState);
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(POLL_MAX_MS, Math.round(wait * 1.5));
    }
  }

  /** The states of these ids; an id the driver does not track is left out. */
  private async states(ids: readonly string[]): Promise<Map<string, JobState>> {
    const states = new Map<string, JobState>();
    for (const id of new Set(ids)) {
      try {
        states.set(id, await this.stateOf(id));
      } catch (error) {
        if (!(error instanceof JobNotFoundError)) throw error;
      }
    }
    return states;
  }
}

/** afterEach as edges: process i waits for afterEach[i] to complete. */
export function eachEdges(afterEach: readonly string[] | undefined): DependencyEdge[] {
  return (afterEach ?? []).map((upstream, index) => ({
    kind: 'after',
    upstream,
    option: `afterEach[${index}]`,
  }));
}

/** The 'blocked' state of a dependent whose shared edges can never be satisfied, right away. */
export function blockedNow(settled: DependencySettlement): JobState | undefined {
  if (settled.decision !== 'blocked') return undefined;
  return blockedState(settled.edge, settled.upstreamState, {
    raw: `never started: ${settled.edge.upstream} had already ended ${settled.upstreamState.status}`,
  });
}
