/**
 * Typed errors for the modules worker threads load from sources (accel/, array-dataset, the
 * h5wasm runtime and guard): those import nothing from other packages, so these carry
 * @hpc/core's brand (a registered symbol, which makes isHpcError true) instead of extending
 * HpcError. The tags are core's: 'Internal' as InternalError's.
 */
const HPC_ERROR_BRAND = Symbol.for('@hpc/error');

/** An invariant of our own code broke (a bug), as @hpc/core's InternalError says it. */
export class WorkerSafeInternalError extends Error {
  readonly _tag = 'Internal';
  readonly [HPC_ERROR_BRAND] = true;
  constructor(detail: string, options?: { cause?: unknown }) {
    super(`internal error (a bug in @hpc, please report it): ${detail}`, options);
    this.name = 'InternalError';
  }
}

/** The wasm heap (2 GiB at most) cannot hold what a call needs; the remedy says what to lower. */
export class WasmHeapExhaustedError extends Error {
  readonly _tag = 'WasmHeapExhaustedError';
  readonly [HPC_ERROR_BRAND] = true;
  readonly bytes: number;
  // No parameter properties here: worker threads load this file with Node's type stripping.
  constructor(bytes: number, detail: string) {
    super(detail);
    this.bytes = bytes;
    this.name = 'WasmHeapExhaustedError';
  }
}

/** A wasm plugin file is missing or is not what @hpc/serializer ships (an installation problem). */
export class Hdf5PluginError extends Error {
  readonly _tag = 'Hdf5PluginError';
  readonly [HPC_ERROR_BRAND] = true;
  constructor(detail: string) {
    super(detail);
    this.name = 'Hdf5PluginError';
  }
}

/**
 * The HDF5 library's diagnostic stack (HDF5-DIAG lines) as an error: not an @hpc error on purpose,
 * the session translates it (translateHdf5Error) into CorruptFileError, Hdf5Error, ...
 */
export class Hdf5DiagnosticReport extends Error {
  constructor(report: string, options?: { cause?: unknown }) {
    super(report, options);
    this.name = 'Error';
  }
}
