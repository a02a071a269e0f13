import { errnoCode, type InfrastructureFailure, isHpcError, type RunOutcome, toRemoteError } from '@hpc/core';

/** An infrastructure failure as the outcome records it: the reason, the error, and its errno. */
export function infrastructure(reason: InfrastructureFailure, error: unknown) {
  const errno = errnoCode(error);
  return {
    status: 'failed' as const,
    kind: 'infrastructure' as const,
    reason,
    error: toRemoteError(error),
    ...(errno ? { errno } : {}),
  };
}

/** Loader errors (by `_tag`) that mean something other than a damaged crate. */
const REASON_BY_TAG: Readonly<Record<string, InfrastructureFailure>> = {
  FileMissingError: 'crate-missing',
  CrateChangedError: 'crate-changed',
  BundleChangedError: 'crate-changed',
  BatchManifestError: 'crate-corrupt',
  CheckpointRecordError: 'crate-changed',
  UnknownTypeError: 'unknown-type',
  NotAProcessError: 'not-a-process',
  ObjectNotFoundError: 'object-missing',
  ObjectPathRequiredError: 'object-missing',
  InvalidObjectPathError: 'object-missing',
  FileWriteError: 'io-error',
  FileReadError: 'io-error',
  FileLockedError: 'io-error',
};

/**
 * Why loading a crate failed, for the outcome. Every other typed error of a loader is about the
 * crate's content (CorruptFileError, NotASerializedFileError, an unsupported version or codec,
 * a forbidden key, a refused HDF5 feature...): 'crate-corrupt'. A system error reading the file
 * is 'crate-missing' (ENOENT) or 'io-error'. Only an untyped error is 'internal': the loader should
 * have typed it, so it is our bug.
 */
export function classifyLoadError(error: unknown): InfrastructureFailure {
  if (isHpcError(error)) return REASON_BY_TAG[error._tag] ?? 'crate-corrupt';
  const errno = errnoCode(error);
  if (errno === 'ENOENT') return 'crate-missing';
  if (errno) return 'io-error';
  return 'internal';
}

/** True when an outcome says the job was stopped at its time-limit warning (it had checkpoint()). */
export function stoppedAtTimeLimitWarning(outcome: RunOutcome): boolean {
  return (
    outcome.status === 'failed' && outcome.kind === 'infrastructure' && outcome.interruption === 'time-limit'
  );
}

/** True when an outcome says the run checkpointed and its object was saved for the next run. */
export function savedForRestart(outcome: RunOutcome | undefined): boolean {
  return (
    outcome?.status === 'failed' &&
    outcome.kind === 'infrastructure' &&
    outcome.reason === 'signalled' &&
    outcome.checkpoint?.saved === true
  );
}
