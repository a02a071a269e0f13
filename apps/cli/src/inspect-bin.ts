import { Serializer, typedArrayConstructor } from '@hpc/serializer';

/** One out-of-line array of a binary crate, as its manifest describes it. */
export interface BinArrayInfo {
  index: number;
  dtype: string;
  shape: [number];
  bytes: number;
  offset: number;
  codec: 'none';
}

export interface BinCrateInfo {
  format: 'hpc-binary';
  file: string;
  sizeBytes: number;
  createdAt: string | null;
  rootType: string | null;
  types: string[];
  arrays: BinArrayInfo[];
}

/**
 * A binary crate's contents from its manifest alone (readManifest checks the header, length and
 * checksum): nothing is decoded into objects, no class is revived, nothing is imported.
 */
export async function inspectBinCrate(file: string, sizeBytes: number): Promise<BinCrateInfo> {
  const manifest = await Serializer.readManifest(file);
  return {
    format: 'hpc-binary',
    file,
    sizeBytes,
    createdAt: manifest.createdAt ?? null,
    rootType: manifest.rootType ?? null,
    types: manifest.types,
    arrays: manifest.arrays.map(([code, offset, bytes], index) => {
      const kind = typedArrayConstructor(code);
      return {
        index,
        dtype: kind?.name ?? `unknown code ${code}`,
        shape: [Math.floor(bytes / (kind?.BYTES_PER_ELEMENT ?? 1))],
        bytes,
        offset,
        codec: 'none',
      };
    }),
  };
}
