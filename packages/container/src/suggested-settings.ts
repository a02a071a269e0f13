import {
  applySuggestedResources,
  type ProcessClassStats,
  type ResourcesChoice,
  type SuggestionCaps,
  suggestedOptionsOf,
  withSuggestedRecord,
} from '@hpc/core';
import { crateTypeIds, normalizeTarget, type SubmitTarget, sanitizeName } from './stage-job.ts';

type Args = Readonly<Record<string, string | number | boolean | undefined>>;

/** What a driver gives `resources: 'suggested'`: the class's history, and its partition's caps. */
export interface SuggestionSources<A extends Args> {
  /** The class's stats over the tracked jobs (undefined: it never ran). */
  history(name: string): Promise<ProcessClassStats | undefined>;
  /** The limits of the partition these sbatch options go to (SLURM), undefined when unknown. */
  caps?(slurmArgs: A | undefined): Promise<SuggestionCaps | undefined>;
}

/**
 * A submit's settings with `resources: 'suggested'` applied: mem and time from the class's
 * history (read once per submit call, whatever the number of processes) and what was applied
 * attached for the job's record (recordedRequestOf). Settings without it come back as they are.
 * `first` is the (first) target, whose class the history is looked up by, as staging names it.
 */
export async function withSuggestedResources<
  O extends { name?: string | undefined; resources?: ResourcesChoice | undefined; slurmArgs?: A | undefined },
  A extends Args,
>(settings: O, first: SubmitTarget | undefined, sources: SuggestionSources<A>): Promise<O> {
  const options = suggestedOptionsOf(settings.resources);
  if (options.length === 0) return settings;
  const name = await jobClassName(first, settings.name);
  const history = await sources.history(name);
  const caps = await sources.caps?.(settings.slurmArgs);
  const applied = applySuggestedResources(settings.slurmArgs, { name, history, options, caps });
  return withSuggestedRecord({ ...settings, slurmArgs: applied.slurmArgs }, applied.resources);
}

/** The job name staging gives this target (its class, or the crate's first class), or the given one. */
export async function jobClassName(
  target: SubmitTarget | undefined,
  name: string | undefined,
): Promise<string> {
  if (name !== undefined) return sanitizeName(name);
  if (target === undefined) return 'job';
  const source = normalizeTarget(target);
  if (source.process) return sanitizeName(source.process.constructor.name);
  return sanitizeName((await crateTypeIds(source.crate).catch(() => undefined))?.[0] ?? 'job');
}
