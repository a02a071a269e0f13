import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where @hpc keeps its state: $HPC_HOME, or ~/.hpc. Job folders must be visible to the compute nodes. */
export function hpcHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.HPC_HOME ? resolve(env.HPC_HOME) : join(homedir(), '.hpc');
}
