import { join } from 'node:path';
import { hpcHome } from '@hpc/core';
import { JobStoreError } from './cli-errors.ts';

/**
 * Where the SLURM driver keeps its state under $HPC_HOME (its defaults: the CLI never overrides
 * them): the job folders, which are the truth, and the SQLite store that indexes them.
 */
export function slurmJobsRoot(home: string): string {
  return join(home, 'slurm', 'jobs');
}

export function slurmStorePath(home: string): string {
  return join(home, 'slurm', 'jobs.sqlite');
}

/** SQLite's primary result codes for a damaged database: SQLITE_CORRUPT and SQLITE_NOTADB. */
const DAMAGED_DATABASE_CODES = new Set([11, 26]);
const MAX_CAUSES = 8;

/**
 * The SQLite error of a damaged store, anywhere in the error's cause chain (node:sqlite throws
 * it with code ERR_SQLITE_ERROR and SQLite's own errcode; a typed driver error keeps it as cause).
 */
export function damagedStoreError(error: unknown): { errstr: string; file: string | undefined } | undefined {
  let file: string | undefined;
  let current = error;
  for (let depth = 0; depth < MAX_CAUSES && typeof current === 'object' && current !== null; depth++) {
    const { code, errcode, errstr, cause } = current as {
      code?: unknown;
      errcode?: unknown;
      errstr?: unknown;
      cause?: unknown;
    };
    const named = (current as { file?: unknown }).file;
    if (file === undefined && typeof named === 'string') file = named;
    if (
      code === 'ERR_SQLITE_ERROR' &&
      typeof errcode === 'number' &&
      DAMAGED_DATABASE_CODES.has(errcode & 0xff)
    )
      return { errstr: typeof errstr === 'string' ? errstr : 'damaged database', file };
    current = cause;
  }
  return undefined;
}

/** A damaged SLURM store as the user needs to hear about it: which file, and the command that rebuilds it. */
export function explainStoreFailure(error: unknown, env: NodeJS.ProcessEnv): JobStoreError | undefined {
  const damaged = damagedStoreError(error);
  if (!damaged) return undefined;
  const home = hpcHome(env);
  const file = damaged.file ?? slurmStorePath(home);
  return new JobStoreError(
    `the SLURM job store ${file} is damaged (${damaged.errstr}): rebuild it from the job folders in ${slurmJobsRoot(home)} with 'hpc doctor --rebuild-store' (the damaged file is kept beside it)`,
    file,
    { cause: error },
  );
}
