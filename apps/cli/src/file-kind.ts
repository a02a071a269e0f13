import { open } from 'node:fs/promises';
import { InputFileError } from './cli-errors.ts';

export type CrateFileKind = 'hpc-binary' | 'hdf5' | 'other';

const HPC_MAGIC = Buffer.from([0x89, 0x48, 0x50, 0x43, 0x53, 0x45, 0x52, 0x0a]);
const HDF5_MAGIC = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** What a file is, from its first 8 bytes (not its name): an @hpc binary crate, HDF5, or neither. */
export async function detectFileKind(file: string): Promise<{ kind: CrateFileKind; size: number }> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what =
      code === 'ENOENT'
        ? 'file not found'
        : code === 'EISDIR'
          ? 'is a folder, not a file'
          : `cannot open (${code})`;
    throw new InputFileError(`${file}: ${what}`, file, { cause: error });
  }
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(8);
    const { bytesRead } = await handle.read(head, 0, 8, 0);
    if (bytesRead === 8 && head.equals(HPC_MAGIC)) return { kind: 'hpc-binary', size };
    if (bytesRead === 8 && head.equals(HDF5_MAGIC)) return { kind: 'hdf5', size };
    return { kind: 'other', size };
  } finally {
    await handle.close();
  }
}
