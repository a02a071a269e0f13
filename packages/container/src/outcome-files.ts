import { readFile } from 'node:fs/promises';
import { RUN_OUTCOME_VERSION, type RunOutcome, writeFileAtomic } from '@hpc/core';
import { Serializer } from '@hpc/serializer';
import { jobPaths } from './job-paths.ts';

/** The outcome a container wrote, or undefined while there is none (still running, or lost). */
export async function readOutcome(jobDir: string): Promise<RunOutcome | undefined> {
  let text: string;
  try {
    text = await readFile(jobPaths(jobDir).outcome, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const outcome = JSON.parse(text) as RunOutcome;
  if (outcome.version !== RUN_OUTCOME_VERSION) {
    throw new Error(
      `${jobPaths(jobDir).outcome} has outcome version ${String(outcome.version)}; this @hpc reads ${RUN_OUTCOME_VERSION}`,
    );
  }
  return outcome;
}

export async function writeOutcome(jobDir: string, outcome: RunOutcome): Promise<void> {
  await writeFileAtomic(jobPaths(jobDir).outcome, `${JSON.stringify(outcome, null, 2)}\n`);
}

/** The value run() returned, read from the job folder. */
export async function readResult<T = unknown>(jobDir: string): Promise<T> {
  return Serializer.deserializeFromFile<T>(jobPaths(jobDir).result);
}
