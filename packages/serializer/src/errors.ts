import { describeErrno, HpcError } from '@hpc/core';

/** A value that cannot be stored: a function, a symbol, an unregistered class instance... */
export class UnsupportedValueError extends HpcError {
  readonly _tag = 'UnsupportedValueError';
  constructor(
    readonly propertyPath: string,
    readonly what: string,
    hint: string,
  ) {
    super(`cannot serialize ${what} at ${propertyPath}: ${hint}`);
  }
}

/** The file is not one of ours (wrong magic), or not a format this reader knows. */
export class NotASerializedFileError extends HpcError {
  readonly _tag = 'NotASerializedFileError';
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file} is not an @hpc serialized file: ${detail}`);
  }
}

export class UnsupportedFormatVersionError extends HpcError {
  readonly _tag = 'UnsupportedFormatVersionError';
  constructor(
    readonly file: string,
    readonly version: number,
    readonly supported: number,
    readonly objectPath?: string,
    /** For an older version: how to read it anyway (an explicit opt-in option), if there is one. */
    options: { legacyOption?: string } = {},
  ) {
    const where = objectPath ? `${file}:${objectPath}` : file;
    super(
      version > supported
        ? `${where} was written in format version ${version}, but this @hpc/serializer reads up to version ${supported}: upgrade @hpc/serializer`
        : `${where} was written in format version ${version} by an older @hpc, without checksums, so damage to it would go unnoticed: re-create it with this version${options.legacyOption ? ` (to read it once for that, pass { ${options.legacyOption}: true })` : ''}`,
    );
  }
}

/** Truncated, damaged, or structurally impossible content. */
export class CorruptFileError extends HpcError {
  readonly _tag = 'CorruptFileError';
  /** The object inside the file (HDF5 crates hold several), when known. */
  readonly objectPath: string | undefined;
  constructor(
    readonly file: string,
    detail: string,
    options: { cause?: unknown; objectPath?: string } = {},
  ) {
    super(`${options.objectPath ? `${file}:${options.objectPath}` : file} is corrupt: ${detail}`, {
      cause: options.cause,
    });
    this.objectPath = options.objectPath;
  }
}

/** The file names a class id that this process has not registered. */
export class UnknownTypeError extends HpcError {
  readonly _tag = 'UnknownTypeError';
  constructor(
    readonly file: string,
    readonly typeId: string,
    readonly registeredIds: string[],
    readonly objectPath?: string,
  ) {
    const where = objectPath ? `${file}:${objectPath}` : file;
    const known = registeredIds.length ? registeredIds.join(', ') : 'none';
    super(
      `${where} holds an instance of '${typeId}', which is not registered in this process (registered: ${known}). Import the module that calls registerProcess/registerClass for it before loading.`,
    );
  }
}

/** A stored object tries to set a key that would change prototypes on revival. */
export class ForbiddenKeyError extends HpcError {
  readonly _tag = 'ForbiddenKeyError';
  constructor(
    readonly file: string,
    readonly key: string,
    readonly typeId: string,
  ) {
    super(`${file} is refused: an instance of '${typeId}' has the forbidden key '${key}'`);
  }
}

export class FileMissingError extends HpcError {
  readonly _tag = 'FileMissingError';
  constructor(
    readonly file: string,
    options: { cause?: unknown } = {},
  ) {
    super(`${file} does not exist`, options);
  }
}

/** The file exists but cannot be read: permission denied, an input/output error... */
export class FileReadError extends HpcError {
  readonly _tag = 'FileReadError';
  constructor(
    readonly file: string,
    /** The errno code ('EACCES', 'EIO', ...). */
    readonly code: string | undefined,
    options: { cause?: unknown; detail?: string } = {},
  ) {
    super(
      `cannot read ${file}: ${options.detail ?? describeErrno(code)}; check the file's permissions and its disk`,
      { cause: options.cause },
    );
  }
}

/** A file's content is valid, but this process cannot allocate the memory it needs. */
export class InsufficientMemoryError extends HpcError {
  readonly _tag = 'InsufficientMemoryError';
  readonly bytes: number | undefined;
  constructor(
    readonly file: string,
    what: string,
    options: { bytes?: number; writing?: boolean; cause?: unknown } = {},
  ) {
    const size = options.bytes === undefined ? '' : `${options.bytes} bytes for `;
    super(
      `not enough memory to ${options.writing ? 'write' : 'load'} ${file}: allocating ${size}${what} failed; run where more memory is available`,
      { cause: options.cause },
    );
    this.bytes = options.bytes;
  }
}

declare module '@hpc/core' {
  /** This file's error tags, for `isHpcError(error, tag)` (checked at compile time). */
  interface HpcErrorTags {
    CorruptFileError: CorruptFileError;
    FileMissingError: FileMissingError;
    FileReadError: FileReadError;
    ForbiddenKeyError: ForbiddenKeyError;
    InsufficientMemoryError: InsufficientMemoryError;
    NotASerializedFileError: NotASerializedFileError;
    UnknownTypeError: UnknownTypeError;
    UnsupportedFormatVersionError: UnsupportedFormatVersionError;
    UnsupportedValueError: UnsupportedValueError;
  }
}
