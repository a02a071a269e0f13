/** One array dataset of a stored object, when the serializer reports its layout. */
export interface H5ArrayInfo {
  name: string;
  dtype: string;
  shape: number[];
  chunks?: number[] | null;
  codec?: string | null;
  bytes?: number;
  storedBytes?: number;
}

export interface H5ObjectInfo {
  path: string;
  formatVersion: number;
  rootType: string | null;
  types: string[];
  codec: string | null;
  createdAt: string | null;
  arrays: H5ArrayInfo[] | null;
}

export interface H5CrateInfo {
  format: 'hdf5';
  file: string;
  sizeBytes: number;
  objects: H5ObjectInfo[];
}

/**
 * An HDF5 crate's stored objects from their group attributes only (ObjectSerializer.list/info):
 * no structure is decoded, no class revived, nothing imported. h5wasm loads here and only here.
 */
export async function inspectH5Crate(file: string, sizeBytes: number): Promise<H5CrateInfo> {
  const { ObjectSerializer } = await import('@hpc/serializer');
  const crate = new ObjectSerializer(file);
  const objects: H5ObjectInfo[] = [];
  for (const path of await crate.list()) {
    const info = await crate.info(path);
    objects.push({
      path,
      formatVersion: info.formatVersion,
      rootType: info.rootType ?? null,
      types: info.typeIds,
      codec: info.codec ?? null,
      createdAt: info.createdAt ?? null,
      arrays: info.arrays,
    });
  }
  return { format: 'hdf5', file, sizeBytes, objects };
}
