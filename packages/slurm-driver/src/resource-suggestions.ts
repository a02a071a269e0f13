import { type SubmitTarget, withSuggestedResources } from '@hpc/container';
import type { SuggestionCaps } from '@hpc/core';
import type { ClusterLimitsReader } from './cluster-limits-reader.ts';
import { slurmJobStats } from './job-inspection.ts';
import type { SLURMSubmitOptions } from './job-preparation.ts';
import type { JobRegistry } from './job-registry.ts';
import type { SlurmArgs } from './sbatch-options.ts';

/**
 * `resources: 'suggested'` on SLURM: the class's history from the job index (its folders' job.json
 * and outcome.json, no scheduler call), capped by the target partition's MaxMemPerNode and MaxTime
 * (`scontrol show partition`, read once per driver; unreadable: no caps, sbatch has the last word).
 */
export class ResourceSuggestions {
  constructor(
    private readonly registry: JobRegistry,
    private readonly limits: ClusterLimitsReader,
  ) {}

  apply<O extends SLURMSubmitOptions>(settings: O, first: SubmitTarget | undefined): Promise<O> {
    return withSuggestedResources(settings, first, {
      history: async (name) => slurmJobStats(this.registry, {}, name).classes[0],
      caps: (slurmArgs) => this.caps(slurmArgs),
    });
  }

  private async caps(slurmArgs: SlurmArgs | undefined): Promise<SuggestionCaps | undefined> {
    const partition = slurmArgs?.partition;
    try {
      const limits = await this.limits.partition(typeof partition === 'string' ? partition : undefined);
      if (!limits) return undefined;
      return {
        partition: limits.name,
        maxMemMiB: limits.maxMemPerNodeMiB,
        maxTimeMs: limits.maxTimeMinutes !== undefined ? limits.maxTimeMinutes * 60_000 : undefined,
      };
    } catch {
      return undefined;
    }
  }
}
