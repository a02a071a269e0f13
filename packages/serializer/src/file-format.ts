import { open } from 'node:fs/promises';
import { HDF5_MAGIC, MAGIC } from './binary-format.ts';
import { FileMissingError } from './errors.ts';

export type FileFormat = 'hpc-binary' | 'hdf5' | 'other';

/** HDF5 looks for its signature at 0, 512, 1024, 2048... (after a user block). */
const HDF5_SIGNATURE_OFFSETS = [0, 512, 1024, 2048, 4096];

/**
 * What a file is, from its bytes (never its name): an @hpc binary crate, an HDF5 file, or
 * something else. The one place that knows the magic numbers; nothing is decoded.
 */
export async function detectFileFormat(file: string): Promise<{ format: FileFormat; size: number }> {
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
    const head = Buffer.alloc(8);
    for (const offset of HDF5_SIGNATURE_OFFSETS) {
      if (offset + 8 > size) break;
      await handle.read(head, 0, 8, offset);
      if (offset === 0 && head.equals(MAGIC)) return { format: 'hpc-binary', size };
      if (head.equals(HDF5_MAGIC)) return { format: 'hdf5', size };
    }
    return { format: 'other', size };
  } finally {
    await handle.close();
  }
}
