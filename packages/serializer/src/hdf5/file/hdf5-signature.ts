import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { describeErrno, errnoCode, isHpcError } from '@hpc/core';
import { HDF5_MAGIC } from '../../bin/binary-format.ts';
import { CorruptFileError, NotASerializedFileError } from '../../errors.ts';
import { detectFileFormat } from '../../file-format.ts';
import { Hdf5Error } from '../hdf5-errors.ts';

/**
 * Checks the file is HDF5 before h5wasm sees it, so a missing, empty or foreign file gets a
 * precise typed error instead of an HDF5 stack.
 */
export async function checkHdf5Signature(file: string, objectPath?: string): Promise<void> {
  // The common case, a signature at offset 0, in one synchronous read (~10 µs, where the
  // asynchronous open, stat, read and close cost ~0.3 ms); anything else takes the full check.
  if (startsWithHdf5Signature(file)) return;
  const { format, size } = await detectFileFormat(file).catch((error: unknown) => {
    const code = errnoCode(error);
    if (isHpcError(error) || !code) throw error;
    throw new Hdf5Error(file, objectPath, 'open the file', describeErrno(code), { cause: error });
  });
  if (format === 'hdf5') return;
  if (size === 0) throw new CorruptFileError(file, 'the file is empty', objectPath ? { objectPath } : {});
  throw new NotASerializedFileError(
    file,
    format === 'hpc-binary'
      ? 'it is an @hpc binary crate; read it with Serializer.deserializeFromFile'
      : 'it is not an HDF5 file (no HDF5 signature); ObjectSerializer reads and writes HDF5 crates only',
  );
}

function startsWithHdf5Signature(file: string): boolean {
  let fd: number;
  try {
    // Non-blocking, so a FIFO cannot hang the open; only a regular file takes this fast path.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    if (!fstatSync(fd).isFile()) return false;
    const head = Buffer.alloc(HDF5_MAGIC.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(HDF5_MAGIC);
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}
