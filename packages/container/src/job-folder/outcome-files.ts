import { readFile } from 'node:fs/promises';
import {
  asFileWriteError,
  errnoCode,
  fileModes,
  RUN_OUTCOME_VERSION,
  type RunOutcome,
  writeFileAtomic,
} from '@hpc/core';
import { Serializer } from '@hpc/serializer';
import { OutcomeUnreadableError } from '../errors.ts';
import { jobPaths } from './job-files.ts';

/**
 * The outcome a container wrote, or undefined while there is none (still running, or lost).
 * One that cannot be read (truncated, garbled, another version, permission) throws an
 * OutcomeUnreadableError naming the file, so a status listing can show that one job and go on.
 */
export async function readOutcome(jobDir: string): Promise<RunOutcome | undefined> {
  const file = jobPaths(jobDir).outcome;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw new OutcomeUnreadableError(file, (error as Error).message, { cause: error });
  }
  let outcome: RunOutcome;
  try {
    outcome = JSON.parse(text) as RunOutcome;
  } catch (error) {
    throw new OutcomeUnreadableError(
      file,
      `it is not valid JSON (${text.length} bytes; truncated or damaged)`,
      {
        cause: error,
      },
    );
  }
  if (typeof outcome !== 'object' || outcome === null || typeof outcome.status !== 'string')
    throw new OutcomeUnreadableError(file, 'it is not an outcome record (no status)');
  if (outcome.version !== RUN_OUTCOME_VERSION) {
    throw new OutcomeUnreadableError(
      file,
      `it has outcome version ${String(outcome.version)}; this @hpc reads ${RUN_OUTCOME_VERSION}`,
    );
  }
  return outcome;
}

/** Writes the outcome atomically; a failure is a FileWriteError naming outcome.json. */
export async function writeOutcome(
  jobDir: string,
  outcome: RunOutcome,
  mode: number = fileModes().file,
): Promise<void> {
  const file = jobPaths(jobDir).outcome;
  try {
    await writeFileAtomic(file, `${JSON.stringify(outcome, null, 2)}\n`, { mode });
  } catch (error) {
    throw asFileWriteError(error, file, 'write the job outcome');
  }
}

/** The value run() returned, read from the job folder. */
export async function readResult<T = unknown>(jobDir: string): Promise<T> {
  return Serializer.deserializeFromFile<T>(jobPaths(jobDir).result);
}
