import type { SLURMSubmitOptions } from './job-preparation.ts';

/** The driver's default options under a submit's own: per-submit options win; slurmArgs and env are merged. */
export function mergeSubmitDefaults(
  defaults: SLURMSubmitOptions = {},
  options: SLURMSubmitOptions,
): SLURMSubmitOptions {
  return {
    ...defaults,
    ...options,
    slurmArgs: { ...defaults.slurmArgs, ...options.slurmArgs },
    env: { ...defaults.env, ...options.env },
  };
}
