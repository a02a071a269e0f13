import { CorruptFileError, NotASerializedFileError } from '../errors.ts';
import { detectFileFormat } from '../file-format.ts';

/**
 * Checks the file is HDF5 before h5wasm sees it, so a missing, empty or foreign file gets a
 * precise typed error instead of an HDF5 stack.
 */
export async function checkHdf5Signature(file: string, objectPath?: string): Promise<void> {
  const { format, size } = await detectFileFormat(file);
  if (format === 'hdf5') return;
  if (size === 0) throw new CorruptFileError(file, 'the file is empty', objectPath ? { objectPath } : {});
  throw new NotASerializedFileError(
    file,
    format === 'hpc-binary'
      ? 'it is an @hpc binary crate; read it with Serializer.deserializeFromFile'
      : 'it is not an HDF5 file (no HDF5 signature); ObjectSerializer reads and writes HDF5 crates only',
  );
}
