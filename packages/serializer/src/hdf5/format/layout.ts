/**
 * The on-disk layout of an HDF5 crate (documented for Python users in the package README):
 *
 *   /                                 attrs hpc_layout = "hpc-objects", hpc_format_version
 *   /<object path>/                   one group per stored object, attrs:
 *       hpc_format_version  int32     LAYOUT_FORMAT_VERSION; readers refuse newer versions
 *       hpc_type            string    class id of the root object ("" for a plain value)
 *       hpc_types           string    JSON array of every class id inside
 *       hpc_codec           string    codec of the array datasets, e.g. "blosc-lz4 level=5 shuffle=byte"
 *       hpc_created_at      string    ISO 8601
 *       hpc_structure_crc32 uint32    CRC-32 of the structure dataset's bytes (version 2)
 *       hpc_header_crc32    uint32    CRC-32 of the UTF-8 JSON [hpc_type, hpc_types, hpc_codec,
 *                                     hpc_created_at]: those strings live in the global heap,
 *                                     which HDF5 does not checksum (version 2)
 *     structure             uint8[]   UTF-8 JSON of the value, large arrays replaced by references
 *     arrays/0, arrays/1...           1-D chunked datasets, one per large typed array, real dtype;
 *                                     attr hpc_typed_array = the JS kind ("Float64Array", ...),
 *                                     attr hpc_crc32 uint32[chunks] = CRC-32 of each chunk's
 *                                     uncompressed little-endian bytes (version 2; a contiguous
 *                                     dataset is one chunk; the last chunk covers only its elements)
 *
 * HDF5 1.10 checksums object headers (where these attributes live) but not raw data, contiguous
 * data or the v1 B-tree chunk index: the CRC-32s cover every byte that decides what load returns.
 */
export const LAYOUT_NAME = 'hpc-objects';
export const LAYOUT_FORMAT_VERSION = 2;
/** Version 1 objects carry no checksums: read only with ObjectSerializerOptions[LEGACY_OPTION]. */
export const UNVERIFIED_FORMAT_VERSION = 1;
export const LEGACY_OPTION = 'acceptVersion1WithoutChecksums';

export const ATTR_LAYOUT = 'hpc_layout';
export const ATTR_VERSION = 'hpc_format_version';
export const ATTR_TYPE = 'hpc_type';
export const ATTR_TYPES = 'hpc_types';
export const ATTR_CODEC = 'hpc_codec';
export const ATTR_CREATED_AT = 'hpc_created_at';
export const ATTR_ARRAY_KIND = 'hpc_typed_array';
export const ATTR_CRC32 = 'hpc_crc32';
export const ATTR_STRUCTURE_CRC32 = 'hpc_structure_crc32';
export const ATTR_HEADER_CRC32 = 'hpc_header_crc32';

/** The text hpc_header_crc32 covers: the object's string attributes, in this order. */
export function headerChecksumText(fields: readonly (string | undefined)[]): string {
  return JSON.stringify(fields.map((field) => field ?? null));
}

export const STRUCTURE_DATASET = 'structure';
export const ARRAYS_GROUP = 'arrays';

export function arrayDatasetName(index: number): string {
  return `${ARRAYS_GROUP}/${index}`;
}

/** Dataset references in a structure must stay inside the object's group. */
export function isSafeDatasetName(name: string): boolean {
  return (
    /^[\w.-]+(\/[\w.-]+)*$/.test(name) &&
    !name.split('/').some((segment) => segment === '..' || segment === '.')
  );
}

/** h5wasm writes file format versions that HDF5 1.10 (Debian 12, many clusters) reads. */
export const LIBVER_BOUNDS: ['v108', 'v110'] = ['v108', 'v110'];
