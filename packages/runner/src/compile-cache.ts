import { lstatSync, mkdirSync } from 'node:fs';
import module from 'node:module';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The compile cache of the runner's tasks. dist/node-runner-compile-cache.mjs (compile-cache-preload.ts),
 * preloaded (`node --import`) before the runner bundle by the command runnerCommand builds, turns on Node's compile cache so the bundle's ~250 kB are not
 * compiled again by every task (measured: ~2.5 ms of a ~55 ms trivial task). A preload, because the
 * cache must be on before the bundle itself is compiled. Never fails a job: without a usable
 * folder, or on a Node without module.enableCompileCache, the runner just compiles as before.
 */

/** `$HPC_HOME/cache/node-compile` (HPC_HOME as @hpc/core's hpcHome() reads it: else ~/.hpc). */
export function compileCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HPC_HOME ? resolve(env.HPC_HOME) : join(homedir(), '.hpc');
  return join(home, 'cache', 'node-compile');
}

/**
 * Creates `dir` (0700) if needed; true only when it is a real folder (not a link) that this user
 * owns and no one else may write: cached code is run, so no one else may plant it.
 */
export function isPrivateFolder(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(dir);
    const uid = process.getuid?.();
    return stat.isDirectory() && (uid === undefined || stat.uid === uid) && (stat.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

export function enableRunnerCompileCache(env: NodeJS.ProcessEnv = process.env): string | undefined {
  // NODE_COMPILE_CACHE set: Node already uses that folder.
  if (env.NODE_COMPILE_CACHE || env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  if (typeof module.enableCompileCache !== 'function') return undefined;
  const dir = compileCacheDir(env);
  if (!isPrivateFolder(dir)) return undefined;
  try {
    const { status, directory } = module.enableCompileCache(dir);
    return status === module.constants.compileCacheStatus.FAILED ? undefined : directory;
  } catch {
    return undefined;
  }
}
