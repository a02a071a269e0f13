import {
  type DependencyEdge,
  InvalidJobSettingError,
  type JobDependencies,
  type JobId,
  type JobState,
  normalizeDependencies,
  refuseUnknownUpstreams,
  SLURM_DEPENDENCY_TYPE,
  settleDependencies,
} from '@hpc/core';
import { schedulerIdOf } from './batch-status.ts';
import type { JobRegistry } from './job-registry.ts';

/**
 * A submission's dependencies on SLURM, settled on the client first: SLURM silently ignores an
 * `afterok` on an id it has already purged (measured on Slurm 22.05: the dependent just runs), and
 * leaves a dependent of a failed job PENDING forever without `--kill-on-invalid-dep`. So every
 * upstream's state is polled (the store and sacct know purged ids), and only upstreams that have
 * not ended go into `--dependency`, with `--kill-on-invalid-dep=yes`.
 */

/** What a submission does about its dependencies. */
export type DependencyResolution =
  | {
      blocked?: undefined;
      /** sbatch's command-line options ([] when nothing is left to wait for). */
      sbatch: string[];
      /** For job.json: the edges as given (the status path tells a blocked dependent by them), and the SLURM ids waited on. */
      record: { dependencies?: DependencyEdge[]; dependencySpec?: string };
    }
  | {
      blocked: { edge: DependencyEdge; upstreamState: JobState };
      record: { dependencies: DependencyEdge[] };
    };

/** The states of every tracked job, by one forced poll (purged ids answered from the store or sacct). */
export type StatesNow = () => Promise<ReadonlyMap<JobId, JobState>>;

/**
 * Checks the dependency options (refused before anything exists: malformed ids, ids this driver
 * does not track, contradictions) and decides from the upstreams' states: blocked, or what sbatch gets.
 */
export async function resolveDependencies(
  options: JobDependencies & { slurmArgs?: Record<string, unknown> | undefined },
  registry: JobRegistry,
  statesNow: StatesNow,
): Promise<DependencyResolution> {
  const edges = checkedEdges(options, registry);
  if (edges.length === 0) return { sbatch: [], record: {} };
  const states = await statesNow();
  const settled = settleDependencies(edges, (id) => states.get(id as JobId) ?? registry.get(id)?.state);
  if (settled.decision === 'blocked')
    return {
      blocked: { edge: settled.edge, upstreamState: settled.upstreamState },
      record: { dependencies: edges },
    };
  if (settled.decision === 'run') return { sbatch: [], record: { dependencies: edges } };
  const dependencySpec = dependencySpecOf(settled.open, registry);
  return { sbatch: dependencyOptions(dependencySpec), record: { dependencies: edges, dependencySpec } };
}

/** The edges of after/afterAny/afterNotOk, checked; refused next to a raw slurmArgs.dependency. */
export function checkedEdges(
  options: JobDependencies & { slurmArgs?: Record<string, unknown> | undefined },
  registry: Pick<JobRegistry, 'get'>,
): DependencyEdge[] {
  const edges = normalizeDependencies(options);
  if (edges.length > 0 && options.slurmArgs?.dependency !== undefined)
    throw new InvalidJobSettingError(
      'slurmArgs.dependency',
      options.slurmArgs.dependency,
      'invalid-value',
      'give dependencies either as after/afterAny/afterNotOk or as slurmArgs.dependency, not both',
    );
  refuseUnknownUpstreams(edges, (id) => registry.get(id) !== undefined, 'slurm');
  return edges;
}

/** `--dependency=afterok:1:2_3,afterany:4` and `--kill-on-invalid-dep=yes` for a dependency list. */
export function dependencyOptions(spec: string): string[] {
  return spec ? [`--dependency=${spec}`, '--kill-on-invalid-dep=yes'] : [];
}

/** SLURM's dependency list for the edges: one `type:id:id` per kind, in the kinds' order. */
export function dependencySpecOf(
  open: readonly DependencyEdge[],
  registry: Pick<JobRegistry, 'get'>,
): string {
  const byType = new Map<string, string[]>();
  for (const edge of open) {
    const job = registry.get(edge.upstream);
    // A packed batch process is known to SLURM as its task ('4711_3+2' waits for '4711_3').
    const id = job ? schedulerIdOf(job) : edge.upstream;
    const type = SLURM_DEPENDENCY_TYPE[edge.kind];
    const ids = byType.get(type) ?? [];
    if (!ids.includes(id)) ids.push(id);
    byType.set(type, ids);
  }
  return [...byType].map(([type, ids]) => `${type}:${ids.join(':')}`).join(',');
}
