import { open } from 'node:fs/promises';
import { FileMissingError, ObjectSerializer, Serializer } from '@hpc/serializer';
import { ObjectPathRequiredError } from './errors.ts';

const HDF5_MAGIC = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A crate is a binary Serializer file, or one object of an HDF5 file written by ObjectSerializer. */
export async function loadCrate(file: string, object?: string): Promise<unknown> {
  if (await isHdf5File(file)) {
    const serializer = new ObjectSerializer(file);
    return serializer.load(object ?? (await onlyObjectIn(serializer, file)));
  }
  return Serializer.deserializeFromFile(file);
}

async function isHdf5File(file: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new FileMissingError(file, { cause: error });
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

/** Without an object path, an HDF5 crate must hold exactly one object. */
async function onlyObjectIn(serializer: ObjectSerializer, file: string): Promise<string> {
  const stored = await serializer.list();
  if (stored.length === 1) return stored[0] as string;
  throw new ObjectPathRequiredError(file, stored);
}
