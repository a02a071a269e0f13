import { open } from 'node:fs/promises';
import { FileMissingError, NotASerializedFileError, Serializer } from '@hpc/serializer';

const HDF5_MAGIC = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A crate is a binary Serializer file, or one object of an HDF5 file written by ObjectSerializer. */
export async function loadCrate(file: string, object?: string): Promise<unknown> {
  if (await isHdf5File(file)) {
    // TODO(issue 3): import ObjectSerializer directly once it is exported.
    const { ObjectSerializer } = (await import('@hpc/serializer')) as unknown as {
      ObjectSerializer?: new (file: string) => { load(path: string): Promise<unknown> };
    };
    if (!ObjectSerializer) throw new NotASerializedFileError(file, 'HDF5 crates need ObjectSerializer, which this build lacks');
    return new ObjectSerializer(file).load(object ?? '/');
  }
  return Serializer.deserializeFromFile(file);
}

async function isHdf5File(file: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new FileMissingError(file, { cause: error });
    throw error;
  }
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await handle.read(head, 0, 8, 0);
    return bytesRead === 8 && head.equals(HDF5_MAGIC);
  } finally {
    await handle.close();
  }
}
