import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * A worker thread's script beside the calling module: `<name>.ts` when running from sources, the
 * built entry `hdf5-<name>.js` in dist, or `hdf5-<name>.mjs` beside a bundle. Undefined if none
 * is there (a bundle shipped without it): callers then do the work on their own thread.
 */
export function workerScript(name: string, base: string): URL | undefined {
  for (const candidate of [`./${name}.ts`, `./hdf5-${name}.js`, `./hdf5-${name}.mjs`]) {
    const url = new URL(candidate, base);
    if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) return url;
  }
  return undefined;
}
