import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where @hpc keeps its state: $HPC_HOME, else ~/.hpc. */
export function hpcHome(): string {
  return process.env.HPC_HOME || join(homedir(), '.hpc');
}
