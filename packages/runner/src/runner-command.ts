import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatRunnerArgs, type RunnerArgs } from './runner-args.ts';

/** The built, self-contained runner (dist/node-runner.mjs), from source or from dist alike. */
export const nodeRunnerPath = fileURLToPath(new URL('../dist/node-runner.mjs', import.meta.url));

/** The compile-cache preload built beside the runner (src/compile-cache.ts). */
export const COMPILE_CACHE_PRELOAD = 'node-runner-compile-cache.mjs';

export interface RunnerCommandOptions extends RunnerArgs {
  /** Node binary on the compute node (default: the one running this process). */
  nodePath?: string;
  runnerPath?: string;
}

/**
 * The exact command (file + argument array, never a shell string) that runs one job. When the
 * compile-cache preload sits beside the runner (a dist/ folder; not a lone copy of the bundle),
 * Node preloads it so the runner's code comes from the compile cache instead of being compiled.
 */
export function runnerCommand(options: RunnerCommandOptions): { file: string; args: string[] } {
  const runner = options.runnerPath ?? nodeRunnerPath;
  const preload = join(dirname(runner), COMPILE_CACHE_PRELOAD);
  return {
    file: options.nodePath ?? process.execPath,
    args: [
      ...(existsSync(preload) ? ['--import', pathToFileURL(preload).href] : []),
      runner,
      ...formatRunnerArgs(options),
    ],
  };
}
