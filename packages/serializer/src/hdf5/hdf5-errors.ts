import { escapeUnsafeText, HpcError, isHpcError } from '@hpc/core';
import { CorruptFileError, UnsupportedFormatVersionError } from '../errors.ts';
import { LAYOUT_FORMAT_VERSION, LEGACY_OPTION } from './format/layout.ts';

/** Errors specific to HDF5 crates (ObjectSerializer). The format-neutral ones live in ../errors.ts. */

function where(file: string, objectPath?: string): string {
  return objectPath ? `${file}:${objectPath}` : file;
}

/** Text from a file (a link target, a file name) as an error shows it: quoted, escaped, cut short. */
export function quoteFromFile(text: string): string {
  const shown = text.length > 200 ? `${text.slice(0, 200)}...` : text;
  return JSON.stringify(escapeUnsafeText(shown));
}

/**
 * Part of an object would be read from somewhere else: another file (an external link, external
 * raw storage, a virtual dataset) or another place in this one (a soft or user-defined link).
 * Refused before any of its data is read.
 */
export class ExternalReferenceError extends HpcError {
  readonly _tag = 'ExternalReferenceError';
  constructor(
    readonly file: string,
    readonly objectPath: string | undefined,
    /** The HDF5 path of the link or dataset inside the file. */
    readonly entry: string,
    detail: string,
  ) {
    super(
      `${where(file, objectPath)}: ${entry} ${detail}; refused: an @hpc object is read only from its own group in its own file (rewrite it without links or external storage, e.g. with h5py)`,
    );
  }
}

/** @hpc/core's brand (a registered symbol), which makes isHpcError true. */
const HPC_ERROR_BRAND = Symbol.for('@hpc/error');

/**
 * A caller's argument out of range (an element range, a property path; bad options are
 * InvalidOptionError): a RangeError,
 * as JavaScript callers expect, that is also an @hpc error (isHpcError, `_tag`, file, object path).
 */
export class InvalidArgumentError extends RangeError {
  readonly _tag = 'InvalidArgumentError';
  readonly [HPC_ERROR_BRAND] = true;
  constructor(
    readonly file: string,
    readonly objectPath: string | undefined,
    detail: string,
  ) {
    super(`${where(file, objectPath)}: ${detail}`);
    this.name = 'InvalidArgumentError';
  }
}

/**
 * An object of layout version 1, written by an older @hpc without checksums, so damage to it would
 * go unnoticed. The same class and wording as the .bin format's (UnsupportedFormatVersionError).
 */
export function unverifiedFormatError(
  file: string,
  objectPath: string,
  version: number,
): UnsupportedFormatVersionError {
  const error = new UnsupportedFormatVersionError(file, version, LAYOUT_FORMAT_VERSION, objectPath);
  error.message = `${file}:${objectPath} was written in format version ${version} by an older @hpc, without checksums, so damage to it would go unnoticed: re-create it with this version (to read it once for that, pass { ${LEGACY_OPTION}: true } to new ObjectSerializer)`;
  return error;
}

/** No object is stored at this path in the file. */
export class ObjectNotFoundError extends HpcError {
  readonly _tag = 'ObjectNotFoundError';
  constructor(
    readonly file: string,
    readonly objectPath: string,
    readonly storedPaths: string[],
    detail = 'no object is stored there',
  ) {
    const known = storedPaths.length
      ? storedPaths.slice(0, 20).join(', ') + (storedPaths.length > 20 ? ', ...' : '')
      : 'none';
    super(
      `${where(file, objectPath)}: ${detail} (stored objects: ${known}); check the path, or list() the file`,
    );
  }
}

/** serialize() would replace an existing object without { overwrite: true }. */
export class ObjectExistsError extends HpcError {
  readonly _tag = 'ObjectExistsError';
  constructor(
    readonly file: string,
    readonly objectPath: string,
    detail = 'an object is already stored there',
  ) {
    super(
      `${where(file, objectPath)}: ${detail}; pass { overwrite: true } to replace it, or choose another path`,
    );
  }
}

/** An object path that cannot name an object (empty segments, '.', '..', not absolute...). */
export class InvalidObjectPathError extends HpcError {
  readonly _tag = 'InvalidObjectPathError';
  constructor(
    readonly file: string,
    readonly objectPath: string,
    detail: string,
  ) {
    super(
      `${JSON.stringify(objectPath)} is not a valid object path in ${file}: ${detail} (use a path like '/my_process' or '/runs/3/fit')`,
    );
  }
}

/** Another process holds the file's write lock for longer than we were willing to wait. */
export class FileLockedError extends HpcError {
  readonly _tag = 'FileLockedError';
  constructor(
    readonly file: string,
    readonly lockFile: string,
    readonly holder: string,
    readonly waitedMs: number,
  ) {
    super(
      `${file} is being written by another process (${holder}); waited ${waitedMs} ms for ${lockFile}. Retry later, raise lockTimeoutMs, or delete ${lockFile} if that process is gone`,
    );
  }
}

/** A stored dataset uses a filter or codec this reader cannot decode safely. */
export class UnsupportedCodecError extends HpcError {
  readonly _tag = 'UnsupportedCodecError';
  constructor(
    readonly file: string,
    readonly objectPath: string | undefined,
    readonly dataset: string,
    detail: string,
  ) {
    super(`${where(file, objectPath)}: dataset ${dataset} cannot be read: ${detail}`);
  }
}

/** An HDF5 library failure that is not (known to be) file corruption: I/O, permissions, a bug. */
export class Hdf5Error extends HpcError {
  readonly _tag = 'Hdf5Error';
  constructor(
    readonly file: string,
    readonly objectPath: string | undefined,
    readonly operation: string,
    readonly hdf5Stack: string,
    options: { cause?: unknown } = {},
  ) {
    super(
      `${where(file, objectPath)}: HDF5 failed to ${operation}: ${summarizeHdf5Stack(hdf5Stack)}`,
      options,
    );
  }
}

/**
 * h5wasm's throwing handler throws an Error whose message is HDF5's whole error stack. Keep the
 * outermost and innermost frames' descriptions: "H5Fopen(): unable to open file ... truncated file".
 */
export function summarizeHdf5Stack(stack: string): string {
  const frames = [...stack.matchAll(/#\d+: .*? in ([\w]+)\(\): (.*)/g)].map((m) => `${m[1]}(): ${m[2]}`);
  if (frames.length === 0) return stack.trim().split('\n')[0] ?? stack;
  if (frames.length === 1) return frames[0] as string;
  return `${frames[0]} ... ${frames.at(-1)}`;
}

function isHdf5Stack(error: unknown): error is Error {
  return error instanceof Error && error.message.includes('HDF5-DIAG');
}

/** Messages in HDF5's innermost frames that mean the bytes on disk are damaged or cut short. */
const CORRUPTION_MARKERS = [
  'truncated file',
  'file signature not found',
  'bad object header',
  'incorrect metadata checksum',
  'bad local heap',
  'bad global heap',
  'not a B-tree node',
  'wrong B-tree signature',
  'bad symbol table',
  'unable to load superblock',
  'addr overflow',
  'address overflow',
  'exceeds eoa',
  'past end of',
  'filter returned failure',
  "can't read data",
  'unable to read',
  'bad value from',
  'unable to decode',
  'out of bounds',
  'invalid',
];

/**
 * Turns whatever h5wasm threw into a typed error naming the file and object. Non-HDF5 errors
 * (our own typed errors, programming errors) pass through untouched.
 */
export function translateHdf5Error(
  error: unknown,
  file: string,
  objectPath: string | undefined,
  operation: string,
): unknown {
  if (isHpcError(error)) return error;
  if (error instanceof Error && error.name === 'RuntimeError' && error.message.includes('Aborted')) {
    return new Hdf5Error(file, objectPath, operation, `the wasm HDF5 library aborted: ${error.message}`, {
      cause: error,
    });
  }
  if (!isHdf5Stack(error)) return error;
  const stack = error.message;
  const lower = stack.toLowerCase();
  if (
    CORRUPTION_MARKERS.some((marker) => lower.includes(marker.toLowerCase())) &&
    !lower.includes('permission denied')
  ) {
    return new CorruptFileError(file, `HDF5 could not ${operation} (${summarizeHdf5Stack(stack)})`, {
      cause: error,
      objectPath,
    });
  }
  return new Hdf5Error(file, objectPath, operation, stack, { cause: error });
}

/** delete/overwrite rewrite the file; this file holds something the rewrite cannot copy faithfully. */
export class CannotRewriteError extends HpcError {
  readonly _tag = 'CannotRewriteError';
  constructor(
    readonly file: string,
    readonly objectPath: string,
    readonly blockingPath: string,
    detail: string,
  ) {
    super(
      `cannot remove ${objectPath} from ${file}: removing an object rewrites the file, and ${blockingPath} ${detail}. The file is unchanged; remove the object with h5py (del f['${objectPath}']) or store objects in a separate file`,
    );
  }
}

declare module '@hpc/core' {
  /** This file's error tags, for `isHpcError(error, tag)` (checked at compile time). */
  interface HpcErrorTags {
    CannotRewriteError: CannotRewriteError;
    ExternalReferenceError: ExternalReferenceError;
    FileLockedError: FileLockedError;
    Hdf5Error: Hdf5Error;
    InvalidObjectPathError: InvalidObjectPathError;
    ObjectExistsError: ObjectExistsError;
    ObjectNotFoundError: ObjectNotFoundError;
    UnsupportedCodecError: UnsupportedCodecError;
  }
}
