import { HpcError } from './errors.ts';

/**
 * A file could not be written (or its folder created): the disk is full, the quota is used up,
 * the folder vanished or is read-only. Names the file and says, in words, what the system said
 * ("no space left on device") and what to do; the errno code stays in `code`.
 */
export class FileWriteError extends HpcError {
  readonly _tag = 'FileWriteError';
  constructor(
    readonly file: string,
    /** The errno code ('ENOSPC', 'EDQUOT', 'ENOENT', ...), when the system gave one. */
    readonly code: string | undefined,
    /** What was being done, e.g. 'write', 'create the folder for'. */
    readonly operation: string,
    options: { cause?: unknown } = {},
  ) {
    super(`cannot ${operation} ${file}: ${describeErrno(code)}; ${remedyFor(code)}`, options);
  }
}

const DESCRIPTIONS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'the folder does not exist (it may have been removed while writing)',
  ENOTDIR: 'a part of the path is not a folder',
  EMFILE: 'too many open files in this process',
  ENFILE: 'too many open files on this system',
  EIO: 'input/output error',
  EFBIG: 'the file is too large for this file system',
  ENAMETOOLONG: 'the file name is too long',
};

const REMEDIES: Record<string, string> = {
  ENOSPC: 'free space on that file system or write somewhere else',
  EDQUOT: 'free space within your quota (see `quota -s`) or write somewhere else',
  EROFS: 'write to a writable folder',
  EACCES: "check the folder's owner and permissions",
  EPERM: "check the folder's owner and permissions",
  ENOENT: 'recreate the folder or write somewhere else',
  ENOTDIR: 'check the path',
  EMFILE: 'close files you no longer need, or raise `ulimit -n`',
  ENFILE: 'retry later',
  EIO: 'check the disk or file system (see `dmesg`)',
  EFBIG: 'write to a file system that holds files this large',
  ENAMETOOLONG: 'use a shorter name or path',
};

/** The system's reason in words, e.g. 'no space left on device' for ENOSPC. */
export function describeErrno(code: string | undefined): string {
  return (code && DESCRIPTIONS[code]) ?? (code ? `system error ${code}` : 'unknown system error');
}

function remedyFor(code: string | undefined): string {
  return (code && REMEDIES[code]) ?? 'check the path and the file system';
}

/** The errno code of a Node system error, if it is one. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/**
 * Turns a Node system error met while writing `file` into a FileWriteError; typed @hpc errors and
 * anything that is not a system error pass through unchanged.
 */
export function asFileWriteError(error: unknown, file: string, operation = 'write'): unknown {
  if (error instanceof HpcError) return error;
  const code = errnoCode(error);
  return code ? new FileWriteError(file, code, operation, { cause: error }) : error;
}
