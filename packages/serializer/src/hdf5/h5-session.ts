import { FileWriteError, isHpcError } from '@hpc/core';
import { CorruptFileError } from '../errors.ts';
import { LIBVER_BOUNDS } from './format/layout.ts';
import type { H5File, H5Runtime } from './h5wasm-runtime.ts';
import { retireRuntime } from './h5wasm-runtime.ts';
import { ExternalReferenceError, Hdf5Error, quoteFromFile, translateHdf5Error } from './hdf5-errors.ts';

/**
 * One HDF5 file open in one h5wasm instance, for one operation: the instance may open that file
 * (and `alsoAllowed`) meanwhile, the file is closed however the operation ends, and whatever
 * fails comes out as a typed error naming the crate and the object. An instance that trapped, or
 * that would not let go of the file, is retired (h5wasm-runtime.ts) before the error is thrown.
 */
export interface SessionRequest {
  /** The file h5wasm opens (the crate, or the temp copy being written). */
  path: string;
  mode: 'r' | 'a' | 'w';
  /** The crate, as errors name it. */
  crate: string;
  objectPath: string | undefined;
  /** What is being done, for errors: 'read the object', 'write the object'... */
  operation: string;
  /** Other files the instance may open meanwhile (a rewrite reads the original while writing the copy). */
  alsoAllowed?: readonly string[];
}

export function withH5File<T>(runtime: H5Runtime, request: SessionRequest, use: (file: H5File) => T): T {
  const { guard } = runtime;
  // What earlier calls left behind is theirs (a refused open they survived, a write they retried).
  guard.takeRefusals();
  guard.takeWriteFailure();
  guard.takeDamage();
  const release = guard.allow([request.path, ...(request.alsoAllowed ?? [])]);
  let file: H5File;
  try {
    file = new runtime.h5.File(request.path, request.mode, { libver: LIBVER_BOUNDS });
  } catch (error) {
    release();
    throw describeFailure(runtime, error, { ...request, operation: `open the file to ${request.operation}` });
  }
  const finish = (): void => {
    try {
      file.close();
    } catch {
      // HDF5 keeps a file it failed to close (a write that ran out of space): it cannot be reused.
      retireRuntime(runtime);
    }
    release();
    if (guard.holdsUnused(request.path)) retireRuntime(runtime);
  };
  let result: T;
  try {
    result = use(file);
  } catch (error) {
    finish();
    throw describeFailure(runtime, error, request);
  }
  if (!(result instanceof Promise)) {
    finish();
    // Nothing else ran meanwhile: an open refused without failing the call (a virtual dataset
    // reads unreachable sources as fill values) is this call's, and its result is not the file's.
    const refused = guard.takeRefusals()[0];
    if (refused) throw describeFailure(runtime, new Error('refused'), request, [refused]);
    return result;
  }
  // An async use (arrays compressed or read on other threads) keeps the file open until it settles.
  return result.then(
    (value) => {
      finish();
      return value;
    },
    (error: unknown) => {
      finish();
      throw describeFailure(runtime, error, request);
    },
  ) as T;
}

/** The typed error a failed operation surfaces as (see withH5File). */
export function describeFailure(
  runtime: H5Runtime,
  error: unknown,
  request: SessionRequest,
  refused = runtime.guard.takeRefusals(),
): unknown {
  const { guard } = runtime;
  const writeFailure = guard.takeWriteFailure();
  const damage = guard.takeDamage();
  const { crate, objectPath, operation } = request;
  if (guard.poisoned) retireRuntime(runtime);
  if (isHpcError(error)) return error;
  const first = refused[0];
  if (first) {
    return new ExternalReferenceError(
      crate,
      objectPath,
      first.activity ?? 'the object',
      `reads from another file (${quoteFromFile(first.path)})`,
    );
  }
  if (writeFailure && request.mode !== 'r')
    return new FileWriteError(crate, writeFailure.code, 'write', { cause: error });
  const where = objectPath === undefined ? {} : { objectPath };
  if (damage) return new CorruptFileError(crate, damage.detail, { cause: error, ...where });
  if (guard.poisoned) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    if (request.mode !== 'r')
      return new Hdf5Error(crate, objectPath, operation, `the wasm HDF5 library crashed: ${reason}`, {
        cause: error,
      });
    return new CorruptFileError(
      crate,
      `the HDF5 library crashed while trying to ${operation} (${reason}); it was restarted for later calls`,
      { cause: error, ...where },
    );
  }
  if (
    error instanceof RangeError &&
    /Array buffer allocation failed|Invalid typed array length/.test(error.message)
  )
    return new CorruptFileError(crate, `an array is too large to allocate (${error.message})`, {
      cause: error,
      ...where,
    });
  const translated = translateHdf5Error(error, crate, objectPath, operation);
  if (isHpcError(translated)) return translated;
  const message = error instanceof Error ? error.message : String(error);
  return new Hdf5Error(crate, objectPath, operation, message, { cause: error });
}
