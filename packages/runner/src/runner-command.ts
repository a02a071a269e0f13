import { fileURLToPath } from 'node:url';
import { formatRunnerArgs, type RunnerArgs } from './runner-args.ts';

/** The built, self-contained runner (dist/node-runner.mjs), from source or from dist alike. */
export const nodeRunnerPath = fileURLToPath(new URL('../dist/node-runner.mjs', import.meta.url));

export interface RunnerCommandOptions extends RunnerArgs {
  /** Node binary on the compute node (default: the one running this process). */
  nodePath?: string;
  runnerPath?: string;
}

/** The exact command (file + argument array, never a shell string) that runs one job. */
export function runnerCommand(options: RunnerCommandOptions): { file: string; args: string[] } {
  return {
    file: options.nodePath ?? process.execPath,
    args: [options.runnerPath ?? nodeRunnerPath, ...formatRunnerArgs(options)],
  };
}
