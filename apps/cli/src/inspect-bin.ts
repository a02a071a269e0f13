import { Serializer } from '@hpc/serializer';

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
 * The typed array kinds by the code the binary format stores (packages/serializer/src/typed-arrays.ts).
 * TODO(serializer): import this table (or a manifest describer) from @hpc/serializer once exported.
 */
const TYPED_ARRAY_KINDS = [
  ['Int8Array', 1],
  ['Uint8Array', 1],
  ['Uint8ClampedArray', 1],
  ['Int16Array', 2],
  ['Uint16Array', 2],
  ['Int32Array', 4],
  ['Uint32Array', 4],
  ['Float32Array', 4],
  ['Float64Array', 8],
  ['BigInt64Array', 8],
  ['BigUint64Array', 8],
] as const;

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
      const kind = TYPED_ARRAY_KINDS[code];
      const elementBytes = kind?.[1] ?? 1;
      return {
        index,
        dtype: kind?.[0] ?? `unknown code ${code}`,
        shape: [Math.floor(bytes / elementBytes)],
        bytes,
        offset,
        codec: 'none',
      };
    }),
  };
}
