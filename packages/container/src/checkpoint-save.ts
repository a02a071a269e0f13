import { join } from 'node:path';
import { type CheckpointNote, type CrateDigest, crateDigestOf, createCrateHash } from '@hpc/core';
import { isProcess, type Process, type RunContext } from '@hpc/process';
import { Serializer } from '@hpc/serializer';
import { digestOfFile, verifyCrate, writeCrate } from './crate-copy.ts';
import { CheckpointRecordError } from './errors.ts';
import {
  CHECKPOINT_RECORD_VERSION,
  type CheckpointRecord,
  checkpointCratePath,
  commitCheckpoint,
  readCheckpointRecord,
} from './job-folder/checkpoint-record.ts';
import { jobPaths } from './job-folder/job-files.ts';

/** A run that may be restarted from its checkpoint: how often in all. */
export interface RestartSettings {
  maxRestarts: number;
}

export interface CheckpointRequest {
  process: Process;
  context: RunContext;
  jobDir: string;
  /** File mode of the saved crate and record. */
  mode: number;
  reason: 'time-limit' | 'preempted';
  signal: 'SIGUSR1' | 'SIGTERM';
  signalAt: Date;
  /** The checkpoint this run was revived from, if any. */
  previous: CheckpointRecord | undefined;
  /** The submitted crate's digest, when the driver gave it. */
  submittedDigest: CrateDigest | undefined;
  /** Unset: checkpoint() is called, nothing is saved (the driver does not restart this job). */
  restart: RestartSettings | undefined;
}

/**
 * Calls checkpoint(), then saves the object itself (its fields as they are now), or the Process
 * checkpoint() returned, as the job's next crate: a new `checkpoint-<n>.bin`, committed by one
 * atomic write of checkpoint.json. Never throws: a failing checkpoint() or save is in the note,
 * and then nothing changed on disk (the previous crate stays the one the next run would load).
 */
export async function checkpointForRestart(request: CheckpointRequest): Promise<CheckpointNote> {
  const { process, context, reason, signal, previous, restart } = request;
  const started = Date.now();
  const base = { signal, reason, signalAt: request.signalAt.toISOString() };
  const took = () => ({ checkpointMs: Date.now() - started });
  let returned: unknown;
  try {
    returned = await process.checkpoint?.(context);
  } catch (error) {
    context.logger.error('checkpoint() failed:', error);
    return { ...base, ...took(), saved: false, error: `checkpoint() threw: ${messageOf(error)}` };
  }
  const checkpointMs = took();
  const restarts = (previous?.restarts ?? 0) + 1;
  if (!restart) return { ...base, ...checkpointMs, saved: false, error: 'this run is not restarted' };
  if (restarts > restart.maxRestarts)
    return {
      ...base,
      ...checkpointMs,
      saved: false,
      error: `no restart left (maxRestarts ${restart.maxRestarts})`,
    };
  const next = isProcess(returned) ? returned : process;
  const crate = `checkpoint-${restarts}.bin`;
  try {
    const submittedDigest =
      request.submittedDigest ??
      previous?.submittedDigest ??
      (await digestOfFile(jobPaths(request.jobDir).crate));
    const digest = await writeCrate(Serializer.encode(next), join(request.jobDir, crate), request.mode);
    const record: CheckpointRecord = {
      version: CHECKPOINT_RECORD_VERSION,
      crate,
      digest,
      submittedDigest,
      restarts,
      savedAt: new Date().toISOString(),
      reason,
    };
    await commitCheckpoint(request.jobDir, record, previous, request.mode);
  } catch (error) {
    context.logger.error('saving the checkpointed object failed:', error);
    return { ...base, ...checkpointMs, saved: false, error: `saving the object failed: ${messageOf(error)}` };
  }
  const requeue = reason === 'preempted' ? 'scheduler-requeue' : 'driver-requeue';
  return { ...base, ...checkpointMs, saved: true, restarts, requeue };
}

/**
 * The object a restarted job resumes from: the crate checkpoint.json names, checked against its
 * digest, and the record bound to this job's submitted crate. Undefined when no checkpoint was
 * saved; throws (CheckpointRecordError, CrateChangedError) for anything else: never a guess.
 */
export async function loadCheckpointed(
  jobDir: string,
  submittedCrate: string,
  submittedDigest: CrateDigest | undefined,
): Promise<{ target: unknown; record: CheckpointRecord } | undefined> {
  const record = await readCheckpointRecord(jobDir);
  if (!record) return undefined;
  const submitted = submittedDigest ?? (await digestOfFile(submittedCrate));
  if (record.submittedDigest !== submitted)
    throw new CheckpointRecordError(
      jobPaths(jobDir).checkpoint,
      `it was saved for another submission (crate ${record.submittedDigest}; this job's is ${submitted})`,
    );
  const file = checkpointCratePath(jobDir, record);
  await verifyCrate(file, record.digest);
  return { target: await Serializer.deserializeFromFile(file), record };
}

/**
 * A batch process's stand-in for a crate digest (its bundle holds many processes): the SHA-256 of
 * its bundle's id and its place, so a checkpoint is bound to exactly that process of that batch.
 */
export function bundleEntryDigest(bundleId: string, index: number): CrateDigest {
  return crateDigestOf(createCrateHash().update(`${bundleId}#${index}`));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
