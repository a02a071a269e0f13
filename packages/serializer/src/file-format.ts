import { HDF5_MAGIC, MAGIC } from './bin/binary-format.ts';
import { asReadError, openForReading } from './read-fully.ts';

export type FileFormat = 'hpc-binary' | 'hdf5' | 'other';

/** HDF5 looks for its signature at 0, 512, 1024, 2048... (after a user block). */
const HDF5_SIGNATURE_OFFSETS = [0, 512, 1024, 2048, 4096];

/**
 * What a file is, from its bytes (never its name): an @hpc binary crate, an HDF5 file, or
 * something else. The one place that knows the magic numbers; nothing is decoded. A missing,
 * unreadable or non-regular file (folder, pipe) gets a typed error.
 */
export async function detectFileFormat(file: string): Promise<{ format: FileFormat; size: number }> {
  const { handle, size } = await openForReading(file);
  try {
    const head = Buffer.alloc(8);
    for (const offset of HDF5_SIGNATURE_OFFSETS) {
      if (offset + 8 > size) break;
      await handle.read(head, 0, 8, offset);
      if (offset === 0 && head.equals(MAGIC)) return { format: 'hpc-binary', size };
      if (head.equals(HDF5_MAGIC)) return { format: 'hdf5', size };
    }
    return { format: 'other', size };
  } catch (error) {
    throw asReadError(error, file);
  } finally {
    await handle.close();
  }
}
