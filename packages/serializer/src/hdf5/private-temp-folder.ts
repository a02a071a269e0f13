import { lstatSync, mkdirSync } from 'node:fs';
import module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * This user's folder in the system temp folder (`hpc-serializer-<uid>`), for files written once and
 * reused by later processes (the SIMD Blosc plugin, V8's compile cache). Undefined if it is not
 * safely ours (another user's, or open to others) or cannot be made: callers then do without it.
 */
export function privateTempFolder(tempRoot = tmpdir()): string | undefined {
  try {
    const uid = process.getuid?.();
    const base = join(tempRoot, `hpc-serializer-${uid ?? 'user'}`);
    mkdirSync(base, { recursive: true, mode: 0o700 });
    const owner = lstatSync(base);
    if (!owner.isDirectory() || (uid !== undefined && owner.uid !== uid) || (owner.mode & 0o077) !== 0)
      return undefined;
    return base;
  } catch {
    return undefined;
  }
}

/**
 * A fresh process spends ~10-40 ms compiling h5wasm's 4 MB of JavaScript before its first HDF5
 * call; Node's compile cache (22.1+) keeps that code in our private folder for the next process.
 * Process-wide and only if nobody enabled one already (NODE_COMPILE_CACHE, the program itself);
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off. V8 checks each entry against the source it compiles.
 */
export function enableCompileCacheOnce(tempRoot?: string): void {
  const enable = (module as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
  if (!enable || module.getCompileCacheDir?.() !== undefined) return;
  const base = privateTempFolder(tempRoot);
  if (!base) return;
  try {
    enable(join(base, 'compile-cache'));
  } catch {
    // A cache is only an optimisation.
  }
}
