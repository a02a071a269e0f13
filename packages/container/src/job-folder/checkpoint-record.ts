import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { asFileWriteError, type CrateDigest, errnoCode, isCrateDigest, writeFileAtomic } from '@hpc/core';
import { CheckpointRecordError } from '../errors.ts';
import { jobPaths } from './job-files.ts';

export const CHECKPOINT_RECORD_VERSION = 1;

/**
 * checkpoint.json: the crate the next run of a job loads instead of the submitted one, written by
 * the node-runner after checkpoint(). The submitted crate (process.bin) stays as it was; this
 * record names the saved one (`checkpoint-<n>.bin`) and its digest, and the digest of the crate
 * that was submitted, so a record from another job (or one edited since) is refused.
 */
export interface CheckpointRecord {
  version: typeof CHECKPOINT_RECORD_VERSION;
  /** File name in the job folder. */
  crate: string;
  digest: CrateDigest;
  /** The submitted crate's digest (the node-runner's --crate-digest). */
  submittedDigest: CrateDigest;
  /** Restarts so far: what the next run sees as ctx.restarts. */
  restarts: number;
  savedAt: string;
  reason: 'time-limit' | 'preempted';
}

/** The job's checkpoint record, or undefined when none was saved; throws CheckpointRecordError when damaged. */
export async function readCheckpointRecord(jobDir: string): Promise<CheckpointRecord | undefined> {
  const file = jobPaths(jobDir).checkpoint;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw new CheckpointRecordError(file, (error as Error).message, { cause: error });
  }
  let record: Partial<CheckpointRecord>;
  try {
    record = JSON.parse(text) as Partial<CheckpointRecord>;
  } catch (error) {
    throw new CheckpointRecordError(file, `it is not valid JSON (${text.length} bytes)`, { cause: error });
  }
  if (
    record?.version !== CHECKPOINT_RECORD_VERSION ||
    typeof record.crate !== 'string' ||
    !/^checkpoint-\d+\.bin$/.test(record.crate) ||
    !isCrateDigest(record.digest) ||
    !isCrateDigest(record.submittedDigest) ||
    !Number.isSafeInteger(record.restarts)
  )
    throw new CheckpointRecordError(file, 'it is not a checkpoint record of this @hpc version');
  return record as CheckpointRecord;
}

/** The saved crate's path. */
export function checkpointCratePath(jobDir: string, record: Pick<CheckpointRecord, 'crate'>): string {
  return join(jobDir, record.crate);
}

/**
 * Commits a saved crate: one atomic write of checkpoint.json (the crate file is already complete
 * on disk), then the previous checkpoint's crate is removed. Until the rename the old record (or
 * none) stands, so a crash or a failed write leaves the job as it was.
 */
export async function commitCheckpoint(
  jobDir: string,
  record: CheckpointRecord,
  previous: CheckpointRecord | undefined,
  mode: number,
): Promise<void> {
  const file = jobPaths(jobDir).checkpoint;
  try {
    await writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`, { mode });
  } catch (error) {
    throw asFileWriteError(error, file, 'write the checkpoint record');
  }
  if (previous && previous.crate !== record.crate)
    await unlink(checkpointCratePath(jobDir, previous)).catch(() => {});
}
