import {
  type BundleReader,
  detectFileFormat,
  ObjectSerializer,
  readBundleEntry,
  Serializer,
} from '@hpc/serializer';
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

/** Crate `index` of a bundle whose id must be `bundleId`; `reader`: the bundle already open (a packed task's). */
export interface BundleEntryRef {
  index: number;
  bundleId: string;
  reader?: BundleReader | undefined;
}

/** Entry `index` of a batch's bundle, refused when the bundle is not the one submitted. */
export async function loadBundleEntry(file: string, entry: BundleEntryRef): Promise<unknown> {
  if (entry.reader) {
    const { bundleId } = entry.reader.info;
    if (bundleId !== entry.bundleId) throw new BundleChangedError(file, entry.bundleId, bundleId);
    return entry.reader.read(entry.index);
  }
  const { value, info } = await readBundleEntry(file, entry.index);
  if (info.bundleId !== entry.bundleId) throw new BundleChangedError(file, entry.bundleId, info.bundleId);
  return value;
}
