import { join } from 'node:path';
import { hpcHome, type RetryPolicy, type Sharing } from '@hpc/core';

/** Where the local driver keeps its job folders by default: `<home>/local` ($HPC_HOME, else ~/.hpc). */
export function defaultLocalRoot(home: string = hpcHome()): string {
  return join(home, 'local');
}

export interface LocalDriverOptions {
  /** Folder for job folders (default defaultLocalRoot(): $HPC_HOME/local, i.e. ~/.hpc/local). */
  root?: string;
  /** Jobs run at once (default: the number of cores). */
  concurrency?: number;
  /** Node binary for the runner (default: this process's). */
  nodePath?: string;
  /** The runner script (default: @hpc/runner's runner bundle, dist/node-runner.mjs). */
  runnerPath?: string;
  /** Between SIGTERM and SIGKILL on cancel or time limit (default 5 s). */
  killGraceMs?: number;
  /**
   * Who may read job folders and their files (default $HPC_SHARE, else 'private': folders 0700,
   * files 0600). 'group' (0750/0640) for projects whose group reads results.
   */
  share?: Sharing;
  /** Relaunches of every submitJob() without its own `retry` (local-retries.ts). */
  retry?: RetryPolicy;
}
