/**
 * The error base every @hpc package throws. The brand is a registered symbol, so `isHpcError`
 * works even when two copies of @hpc/core are loaded (a bundled node-runner plus the user's copy).
 */
const HPC_ERROR = Symbol.for('@hpc/error');

export interface HpcErrorOptions {
  cause?: unknown;
}

export abstract class HpcError extends Error {
  /** Stable machine-readable tag, one per failure kind (e.g. 'UnknownTypeError'). */
  abstract readonly _tag: string;
  readonly [HPC_ERROR] = true;

  constructor(message: string, options: HpcErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** True for any @hpc error, optionally only those with one of the given tags. */
export function isHpcError<T extends HpcError = HpcError>(error: unknown, ...tags: string[]): error is T {
  if (typeof error !== 'object' || error === null || !(HPC_ERROR in error)) return false;
  return tags.length === 0 || tags.includes((error as HpcError)._tag);
}
