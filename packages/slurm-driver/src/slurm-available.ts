import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * True when SLURM's `sbatch` is on PATH (or in `binDir`): the signal to pick the SLURM driver by
 * default, and the local driver otherwise. Checks the file only; it does not contact the controller.
 */
export function isSlurmAvailable(options: { binDir?: string; path?: string } = {}): boolean {
  const folders = options.binDir
    ? [options.binDir]
    : (options.path ?? process.env.PATH ?? '').split(delimiter);
  return folders.some((folder) => {
    if (!folder) return false;
    try {
      accessSync(join(folder, 'sbatch'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
