import { type CrateDigest, HpcError, JobFileUnreadableError } from '@hpc/core';

/** The crate holds something that is not a Process (the root must be a registered Process subclass). */
export class NotAProcessError extends HpcError {
  readonly _tag = 'NotAProcessError';
  constructor(
    readonly file: string,
    readonly found: string,
  ) {
    super(
      `${file} does not hold a Process but ${found}; serialize an instance of a registered Process subclass`,
    );
  }
}

/** process.exit() was called inside run(): the container turns it into a recorded failure. */
export class ExitCalledError extends HpcError {
  readonly _tag = 'ExitCalledError';
  constructor(readonly code: number | string | null | undefined) {
    super(`run() called process.exit(${code ?? ''}); return a value or throw instead`);
  }
}

/** run() did not finish within the grace period after the job was interrupted. */
export class InterruptedError extends HpcError {
  readonly _tag = 'InterruptedError';
  constructor(readonly reason: string) {
    super(`the job was interrupted (${reason}) and run() did not finish in time`);
  }
}

/** Staging found a class the node could not import (registered without `module`). */
export class MissingModuleError extends HpcError {
  readonly _tag = 'MissingModuleError';
  constructor(readonly typeIds: string[]) {
    super(
      `cannot tell the compute node which module defines ${typeIds.map((id) => `'${id}'`).join(', ')}: register with registerProcess(Class, { module: import.meta.url }) or pass { imports: ['/path/to/module.js'] }`,
    );
  }
}

/** An HDF5 crate holds several objects (or none) and no object path was given. */
export class ObjectPathRequiredError extends HpcError {
  readonly _tag = 'ObjectPathRequiredError';
  constructor(
    readonly file: string,
    readonly storedPaths: string[],
  ) {
    super(
      `${file} holds ${storedPaths.length} objects; name the one to run (JobContainer(file, { object }) or node-runner --object): ${storedPaths.join(', ') || 'none'}`,
    );
  }
}

/**
 * The crate in the job folder is not the one that was submitted: its SHA-256 differs from the
 * digest recorded at submission (edited in place or replaced since). The job refuses to run it.
 */
export class CrateChangedError extends HpcError {
  readonly _tag = 'CrateChangedError';
  constructor(
    readonly file: string,
    readonly expected: CrateDigest,
    readonly actual: CrateDigest,
  ) {
    super(
      `${file} is not the crate that was submitted (submitted ${expected}, now ${actual}): the crate changed after submission; resubmit`,
    );
  }
}

/** The batch's bundle is not the one its manifest was written with (replaced since submission). */
export class BundleChangedError extends HpcError {
  readonly _tag = 'BundleChangedError';
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `${file} is not the bundle that was submitted (bundle id ${expected} at submission, now ${actual}): it was replaced after submission; resubmit the batch`,
    );
  }
}

/** One process of a submitJobs() list cannot be staged: nothing of the batch was created. */
export class BatchProcessError extends HpcError {
  readonly _tag = 'BatchProcessError';
  constructor(
    readonly index: number,
    readonly count: number,
    cause: unknown,
  ) {
    super(
      `process ${index} of the ${count} given to submitJobs() cannot be submitted, so none was: ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
  }
}

/** A batch.json that cannot be read or is not a batch manifest. */
export class BatchManifestError extends HpcError {
  readonly _tag = 'BatchManifestError';
  constructor(
    readonly file: string,
    readonly detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(`the batch manifest ${file} ${detail}; the batch cannot run (resubmit it)`, options);
  }
}

/** An outcome.json that cannot be read: truncated, garbled, of another version, or unreadable. */
export class OutcomeUnreadableError extends JobFileUnreadableError {
  readonly _tag = 'OutcomeUnreadableError';
  constructor(file: string, detail: string, options: { cause?: unknown } = {}) {
    super(file, detail, `cannot read the job outcome ${file}: ${detail}`, options);
  }
}

/** A checkpoint.json that cannot be read, is not a checkpoint record, or belongs to another submission. */
export class CheckpointRecordError extends HpcError {
  readonly _tag = 'CheckpointRecordError';
  constructor(
    readonly file: string,
    readonly detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(
      `the checkpoint record ${file} cannot be used: ${detail}; remove it (and checkpoint-*.bin) to restart from the submitted crate`,
      options,
    );
  }
}

declare module '@hpc/core' {
  /** This file's error tags, for `isHpcError(error, tag)` (checked at compile time). */
  interface HpcErrorTags {
    BatchManifestError: BatchManifestError;
    BatchProcessError: BatchProcessError;
    CheckpointRecordError: CheckpointRecordError;
    BundleChangedError: BundleChangedError;
    CrateChangedError: CrateChangedError;
    ExitCalledError: ExitCalledError;
    InterruptedError: InterruptedError;
    MissingModuleError: MissingModuleError;
    NotAProcessError: NotAProcessError;
    ObjectPathRequiredError: ObjectPathRequiredError;
    OutcomeUnreadableError: OutcomeUnreadableError;
  }
}
