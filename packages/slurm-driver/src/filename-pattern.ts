import { InvalidJobSettingError } from './errors.ts';

/**
 * A path as SLURM must be given it for `--output` / `--error` (and `--input`), which are filename
 * patterns (`sbatch(1)`, "filename pattern"): `%j`, `%x`, `%u`, `%5a`... are replaced when the job
 * starts, so a folder named `run%j` or `100% done` would be written somewhere else (or nowhere: the
 * job then dies with no logs). `%%` is SLURM's literal `%`, so every `%` is doubled.
 *
 * A backslash anywhere turns substitution off and slurmstepd then drops every backslash from the
 * name (src/slurmd/common/fname.c, verified on the dev cluster), so a path containing one cannot be
 * given to SLURM at all: it is refused, naming the setting it came from.
 */
export function slurmFilenamePattern(setting: string, path: string): string {
  if (path.includes('\\')) {
    throw new InvalidJobSettingError(
      setting,
      path,
      'invalid-value',
      "SLURM removes every '\\' from --output/--error paths, so job logs could not be written there; use a folder without backslashes",
    );
  }
  return path.replaceAll('%', '%%');
}
