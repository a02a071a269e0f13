import { open } from 'node:fs/promises';
import { HDF5_MAGIC } from '../binary-format.ts';
import { CorruptFileError, FileMissingError, NotASerializedFileError } from '../errors.ts';

/** HDF5 looks for its signature at 0, 512, 1024, 2048... (after a user block). */
const SIGNATURE_OFFSETS = [0, 512, 1024, 2048, 4096];

/**
 * Checks the file is HDF5 before h5wasm sees it, so a missing, empty or foreign file gets a
 * precise typed error instead of an HDF5 stack.
 */
export async function checkHdf5Signature(file: string, objectPath?: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new FileMissingError(file, { cause: error });
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) throw new CorruptFileError(file, 'the file is empty', objectPath ? { objectPath } : {});
    const head = Buffer.alloc(8);
    for (const offset of SIGNATURE_OFFSETS) {
      if (offset + 8 > size) break;
      await handle.read(head, 0, 8, offset);
      if (head.equals(HDF5_MAGIC)) return;
    }
    throw new NotASerializedFileError(
      file,
      'it is not an HDF5 file (no HDF5 signature); ObjectSerializer reads and writes HDF5 crates only',
    );
  } finally {
    await handle.close();
  }
}
