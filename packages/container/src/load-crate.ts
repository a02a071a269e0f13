import { detectFileFormat, ObjectSerializer, readBundleEntry, Serializer } from '@hpc/serializer';
import { BundleChangedError, ObjectPathRequiredError } from './errors.ts';

/** A crate is a binary Serializer file, or one object of an HDF5 file written by ObjectSerializer. */
export async function loadCrate(file: string, object?: string): Promise<unknown> {
  if ((await detectFileFormat(file)).format === 'hdf5') {
    const serializer = new ObjectSerializer(file);
    return serializer.load(object ?? (await onlyObjectIn(serializer, file)));
  }
  return Serializer.deserializeFromFile(file);
}

/** Without an object path, an HDF5 crate must hold exactly one object. */
async function onlyObjectIn(serializer: ObjectSerializer, file: string): Promise<string> {
  const stored = await serializer.list();
  if (stored.length === 1) return stored[0] as string;
  throw new ObjectPathRequiredError(file, stored);
}

/** Entry `index` of a batch's bundle, refused when the bundle is not the one submitted. */
export async function loadBundleEntry(
  file: string,
  entry: { index: number; bundleId: string },
): Promise<unknown> {
  const { value, info } = await readBundleEntry(file, entry.index);
  if (info.bundleId !== entry.bundleId) throw new BundleChangedError(file, entry.bundleId, info.bundleId);
  return value;
}
