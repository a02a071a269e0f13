import { crc32 } from 'node:zlib';
import { registeredClassById, registeredClassIds } from '@hpc/process';
import { CorruptFileError, UnknownTypeError, UnsupportedFormatVersionError } from '../../errors.ts';
import type { H5Dataset, H5File, H5Module } from '../h5wasm-runtime.ts';
import { InvalidArgumentError, ObjectNotFoundError, unverifiedFormatError } from '../hdf5-errors.ts';
import type { DatasetRead, FailRead } from './array-dataset.ts';
import { readIntegerAttribute, readStringAttribute } from './attributes.ts';
import { describeFilters, type StoredFilter } from './codecs.ts';
import { typedArrayNameForDtype } from './dtypes.ts';
import {
  ARRAYS_GROUP,
  ATTR_CODEC,
  ATTR_CREATED_AT,
  ATTR_HEADER_CRC32,
  ATTR_STRUCTURE_CRC32,
  ATTR_TYPE,
  ATTR_TYPES,
  ATTR_VERSION,
  headerChecksumText,
  LAYOUT_FORMAT_VERSION,
  UNVERIFIED_FORMAT_VERSION,
} from './layout.ts';
import { checkOwnLinks, isObjectGroup, linkKind, listObjectPaths, resolveOwnPath } from './object-tree.ts';

/** What an object's group says about it, without reading its data. */
export interface StoredObjectInfo {
  objectPath: string;
  formatVersion: number;
  /** Class id of the root object; undefined for a plain value. */
  rootType: string | undefined;
  typeIds: string[];
  codec: string | undefined;
  createdAt: string | undefined;
  /** Every array dataset of the object, from its metadata (no data is read). */
  arrays: StoredArrayInfo[];
}

/** One array dataset's layout as HDF5 tools will see it. */
export interface StoredArrayInfo {
  /** Path relative to the object, e.g. 'arrays/0'. */
  name: string;
  /** The typed array it holds (Float64Array, BigInt64Array, ...), or the HDF5 class when foreign. */
  dtype: string;
  shape: number[];
  chunks: number[] | null;
  /** The filter pipeline, e.g. 'blosc lz4 level=5 shuffle'. */
  codec: string;
  /** Uncompressed size. */
  bytes: number;
}

/** What load needs from an object's group: that it is one of ours, in a version we read. */
export interface StoredObjectHeader {
  objectPath: string;
  formatVersion: number;
  /** CRC-32 of the structure text; undefined when the object is not verified (version 1). */
  structureCrc: number | undefined;
}

/** Finds the object's group (through hard links only) and checks it is one of ours. */
function openObjectGroup(module: H5Module, file: H5File, crate: string, objectPath: string): number {
  const kind = resolveOwnPath(module, file, crate, objectPath, objectPath);
  const stored = () => listObjectPaths(module, file, crate);
  if (kind !== 'group') {
    const detail = kind === 'missing' ? 'no object is stored there' : `it is a ${kind}, not a stored object`;
    throw new ObjectNotFoundError(crate, objectPath, stored(), detail);
  }
  if (!isObjectGroup(module, file.file_id, objectPath)) {
    throw new ObjectNotFoundError(
      crate,
      objectPath,
      stored(),
      `the group exists but is not an @hpc object (no ${ATTR_VERSION} attribute)`,
    );
  }
  const version = readIntegerAttribute(module, file.file_id, objectPath, ATTR_VERSION);
  if (version === undefined || version < 1)
    throw new CorruptFileError(crate, `${ATTR_VERSION} is not a positive integer`, { objectPath });
  if (version > LAYOUT_FORMAT_VERSION)
    throw new UnsupportedFormatVersionError(crate, version, LAYOUT_FORMAT_VERSION, objectPath);
  return version;
}

/**
 * The checks load and readArray make before reading: the object is one of ours, holds no link
 * (soft, external, user-defined) anywhere, and is in a version we verify; version 1 only when
 * `acceptUnverified` (it has no checksums).
 */
export function readObjectHeader(
  module: H5Module,
  file: H5File,
  crate: string,
  objectPath: string,
  acceptUnverified: boolean,
): StoredObjectHeader {
  const formatVersion = openObjectGroup(module, file, crate, objectPath);
  checkOwnLinks(module, file, crate, objectPath);
  if (formatVersion === UNVERIFIED_FORMAT_VERSION) {
    if (!acceptUnverified) throw unverifiedFormatError(crate, objectPath, formatVersion);
    return { objectPath, formatVersion, structureCrc: undefined };
  }
  const names = module.get_attribute_names(file.file_id, objectPath);
  const structureCrc = names.includes(ATTR_STRUCTURE_CRC32)
    ? readIntegerAttribute(module, file.file_id, objectPath, ATTR_STRUCTURE_CRC32)
    : undefined;
  if (structureCrc === undefined || structureCrc < 0 || structureCrc > 0xffffffff)
    throw new CorruptFileError(crate, `the group has no uint32 ${ATTR_STRUCTURE_CRC32} attribute`, {
      objectPath,
    });
  return { objectPath, formatVersion, structureCrc };
}

/** Finds the object's group, checks it is one of ours, and describes it (also version 1 objects). */
export function readObjectInfo(
  module: H5Module,
  file: H5File,
  crate: string,
  objectPath: string,
): StoredObjectInfo {
  const formatVersion = openObjectGroup(module, file, crate, objectPath);
  const names = module.get_attribute_names(file.file_id, objectPath);
  const text = (name: string) =>
    names.includes(name) ? readStringAttribute(module, file.file_id, objectPath, name) : undefined;
  const rootType = text(ATTR_TYPE);
  const typesText = text(ATTR_TYPES);
  const codec = text(ATTR_CODEC);
  const createdAt = text(ATTR_CREATED_AT);
  if (formatVersion !== UNVERIFIED_FORMAT_VERSION) {
    // These strings live in HDF5's global heap, which nothing checksums: ours covers them.
    const stored = names.includes(ATTR_HEADER_CRC32)
      ? readIntegerAttribute(module, file.file_id, objectPath, ATTR_HEADER_CRC32)
      : undefined;
    if (stored === undefined)
      throw new CorruptFileError(crate, `the group has no uint32 ${ATTR_HEADER_CRC32} attribute`, {
        objectPath,
      });
    if (crc32(headerChecksumText([rootType, typesText, codec, createdAt])) !== stored)
      throw new CorruptFileError(
        crate,
        `checksum mismatch in the object's attributes (${ATTR_TYPE}, ${ATTR_TYPES}, ${ATTR_CODEC}, ${ATTR_CREATED_AT})`,
        { objectPath },
      );
  }
  return {
    objectPath,
    formatVersion,
    rootType: rootType ? rootType : undefined,
    typeIds: parseTypeIds(crate, objectPath, typesText),
    codec,
    createdAt,
    arrays: describeArrays(module, file, objectPath),
  };
}

function parseTypeIds(crate: string, objectPath: string, text: string | undefined): string[] {
  let typeIds: unknown = [];
  if (text !== undefined) {
    try {
      typeIds = JSON.parse(text);
    } catch (error) {
      throw new CorruptFileError(crate, `${ATTR_TYPES} is not a JSON array`, { cause: error, objectPath });
    }
  }
  if (!Array.isArray(typeIds) || !typeIds.every((id) => typeof id === 'string'))
    throw new CorruptFileError(crate, `${ATTR_TYPES} is not an array of class ids`, { objectPath });
  return typeIds;
}

function describeArrays(module: H5Module, file: H5File, objectPath: string): StoredArrayInfo[] {
  const folder = `${objectPath}/${ARRAYS_GROUP}`;
  if (linkKind(module, file.file_id, folder) !== 'group') return [];
  const names = (module.get_names(file.file_id, folder, false) as string[]).sort(
    (a, b) => Number(a) - Number(b) || a.localeCompare(b),
  );
  const arrays: StoredArrayInfo[] = [];
  for (const name of names) {
    const path = `${folder}/${name}`;
    if (linkKind(module, file.file_id, path) !== 'dataset') continue;
    const dataset = file.get(path) as H5Dataset;
    const meta = dataset.metadata;
    const shape = meta.shape ?? [];
    arrays.push({
      name: `${ARRAYS_GROUP}/${name}`,
      dtype: typedArrayNameForDtype(meta) ?? `HDF5 class ${meta.type}, ${meta.size} bytes`,
      shape,
      chunks: meta.chunks ?? null,
      codec: describeFilters(dataset.filters as StoredFilter[]),
      bytes: shape.reduce((product, extent) => product * extent, 1) * meta.size,
    });
  }
  return arrays;
}

/** Refuses before any array is read when the structure names classes this process has not registered. */
export function checkTypesRegistered(crate: string, objectPath: string, typeIds: Iterable<string>): void {
  for (const id of typeIds) {
    if (!registeredClassById(id)) throw new UnknownTypeError(crate, id, registeredClassIds(), objectPath);
  }
}

/** The structure text's read, verified against the group's CRC-32 (one unit: the whole text). */
export function structureRead(read: DatasetRead, header: StoredObjectHeader): DatasetRead {
  const { structureCrc } = header;
  if (structureCrc === undefined) return { ...read, checks: undefined };
  const checks = { crcs: Uint32Array.of(structureCrc), firstUnit: 0, unit: read.count, length: read.count };
  return { ...read, checks };
}

/**
 * Decodes the structure text from the bytes `read` gives, in one piece when they come as one
 * slice (no copy into JS first); a text longer than JavaScript strings can hold is refused.
 */
export function decodeStructureText(
  total: number,
  fail: FailRead,
  read: (sink: (bytes: Uint8Array, done: number, count: number) => void) => void,
): string {
  let text = '';
  let whole: Buffer | undefined;
  try {
    read((bytes, done, count) => {
      if (done === 0 && count === total) {
        text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
        return;
      }
      whole ??= Buffer.allocUnsafe(total);
      whole.set(bytes, done);
    });
    return whole ? whole.toString('utf8') : text;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_STRING_TOO_LONG')
      return fail(`the object structure (${total} bytes) is longer than a JavaScript string can be`);
    throw error;
  }
}

/** The elements [start, start + count) of an array of `length`, checked; count defaults to the rest. */
export function checkReadRange(
  start: number | undefined,
  count: number | undefined,
  length: number,
  where: { crate: string; objectPath: string; what: string },
): { start: number; count: number } {
  const first = start ?? 0;
  const many = count ?? Math.max(0, length - first);
  if (
    !Number.isSafeInteger(first) ||
    !Number.isSafeInteger(many) ||
    first < 0 ||
    many < 0 ||
    first + many > length
  ) {
    throw new InvalidArgumentError(
      where.crate,
      where.objectPath,
      `cannot read elements [${first}, ${first + many}) of ${where.what}, which holds ${length}`,
    );
  }
  return { start: first, count: many };
}
