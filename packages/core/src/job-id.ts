import { InvalidOptionError } from './option-errors.ts';

/**
 * A scheduler's job id: SLURM's numeric id ('4711', '4711_3') or a local driver's ('local-12');
 * a process packed into a batch task adds its place in the task ('4711_3+2', batch-id.ts).
 */
export type JobId = string & { readonly __brand: 'JobId' };

export function asJobId(id: string | number): JobId {
  const text = String(id).trim();
  if (!/^[A-Za-z0-9_.+\-[\]]+$/.test(text))
    throw new InvalidOptionError({
      option: 'job id',
      value: String(id),
      allowed: "a scheduler's job id such as '4711', '4711_3', '4711_3+2' or 'local-12'",
      remedy: "pass an id 'hpc status' lists (not a job id: letters, digits and _.+-[] only)",
    });
  return text as JobId;
}
