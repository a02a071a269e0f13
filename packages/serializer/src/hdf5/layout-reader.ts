import { registeredClassById, registeredClassIds } from '@hpc/process';
import { CorruptFileError, UnknownTypeError, UnsupportedFormatVersionError } from '../errors.ts';
import { forEachSlice } from './array-dataset.ts';
import { describeFilters, type StoredFilter, unreadableFilterReason } from './codecs.ts';
import { matchesDtype, type TypedArrayName, typedArrayNameForDtype } from './dtypes.ts';
import type { H5Dataset, H5File, H5Group, H5Module } from './h5wasm-runtime.ts';
import { ObjectNotFoundError, UnsupportedCodecError } from './hdf5-errors.ts';
import {
  ARRAYS_GROUP,
  ATTR_CODEC,
  ATTR_CREATED_AT,
  ATTR_TYPE,
  ATTR_TYPES,
  ATTR_VERSION,
  LAYOUT_FORMAT_VERSION,
  STRUCTURE_DATASET,
} from './layout.ts';

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

export interface ReadLimits {
  /** Refuse to allocate arrays larger than this (default 64 GiB). */
  maxArrayBytes: number;
  sliceBytes: number;
}

export type EntityKind = 'missing' | 'group' | 'dataset' | 'link or datatype';

/** What is at `path`; 'missing' also when a parent is not a group (HDF5 would report an error there). */
export function objectKind(module: H5Module, file: H5File, path: string): EntityKind {
  const segments = path.slice(1).split('/');
  let current = '';
  for (let i = 0; i < segments.length; i++) {
    current += `/${segments[i]}`;
    if (file.get(current) === null) return 'missing';
    const type = module.get_type(file.file_id, current);
    const last = i === segments.length - 1;
    if (type === module.H5O_TYPE_GROUP) {
      if (last) return 'group';
      continue;
    }
    if (!last) return 'missing';
    return type === module.H5O_TYPE_DATASET ? 'dataset' : 'link or datatype';
  }
  return 'missing';
}

export function isObjectGroup(module: H5Module, fileId: bigint, path: string): boolean {
  return module.get_attribute_names(fileId, path).includes(ATTR_VERSION);
}

/** Every stored object path, depth-first in name order; object groups are not descended into. */
export function listObjectPaths(module: H5Module, file: H5File): string[] {
  const found: string[] = [];
  const walk = (path: string): void => {
    const group = file.get(path) as H5Group;
    for (const name of group.keys()) {
      const child = path === '/' ? `/${name}` : `${path}/${name}`;
      if (module.get_type(file.file_id, child) !== module.H5O_TYPE_GROUP) continue;
      if (isObjectGroup(module, file.file_id, child)) found.push(child);
      else walk(child);
    }
  };
  walk('/');
  return found;
}

/** What load needs from an object's group: that it is one of ours, in a version we read, and its class ids. */
export interface StoredObjectHeader {
  objectPath: string;
  formatVersion: number;
  typeIds: string[];
}

/** Reads one attribute's value by name (no Attribute object: that would read its metadata twice). */
function attributeValue(group: H5Group, names: readonly string[], name: string): unknown {
  return names.includes(name) ? group.get_attribute(name, false) : undefined;
}

function stringValue(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Finds the object's group and checks it is one of ours, in a version we read; its attribute names. */
function openObjectGroup(
  module: H5Module,
  file: H5File,
  fileName: string,
  objectPath: string,
): { group: H5Group; names: string[]; header: StoredObjectHeader } {
  const kind = objectKind(module, file, objectPath);
  if (kind !== 'group') {
    const detail = kind === 'missing' ? 'no object is stored there' : `it is a ${kind}, not a stored object`;
    throw new ObjectNotFoundError(fileName, objectPath, listObjectPaths(module, file), detail);
  }
  const group = file.get(objectPath) as H5Group;
  const names = module.get_attribute_names(file.file_id, objectPath);
  if (!names.includes(ATTR_VERSION)) {
    throw new ObjectNotFoundError(
      fileName,
      objectPath,
      listObjectPaths(module, file),
      `the group exists but is not an @hpc object (no ${ATTR_VERSION} attribute)`,
    );
  }
  const versionValue = group.get_attribute(ATTR_VERSION, false);
  const version = Number(versionValue);
  if (!Number.isInteger(version) || version < 1) {
    throw new CorruptFileError(fileName, `${ATTR_VERSION} is ${JSON.stringify(String(versionValue))}`, {
      objectPath,
    });
  }
  if (version > LAYOUT_FORMAT_VERSION)
    throw new UnsupportedFormatVersionError(fileName, version, LAYOUT_FORMAT_VERSION, objectPath);
  let typeIds: unknown = [];
  const typesText = stringValue(attributeValue(group, names, ATTR_TYPES));
  if (typesText !== undefined) {
    try {
      typeIds = JSON.parse(typesText);
    } catch (error) {
      throw new CorruptFileError(fileName, `${ATTR_TYPES} is not a JSON array`, { cause: error, objectPath });
    }
  }
  if (!Array.isArray(typeIds) || !typeIds.every((id) => typeof id === 'string')) {
    throw new CorruptFileError(fileName, `${ATTR_TYPES} is not an array of class ids`, { objectPath });
  }
  return { group, names, header: { objectPath, formatVersion: version, typeIds } };
}

/** The header checks of readObjectInfo, without the descriptive attributes and the array listing. */
export function readObjectHeader(
  module: H5Module,
  file: H5File,
  fileName: string,
  objectPath: string,
): StoredObjectHeader {
  return openObjectGroup(module, file, fileName, objectPath).header;
}

/** Finds the object's group, checks it is one of ours, in a version we read, and describes it. */
export function readObjectInfo(
  module: H5Module,
  file: H5File,
  fileName: string,
  objectPath: string,
): StoredObjectInfo {
  const { group, names, header } = openObjectGroup(module, file, fileName, objectPath);
  const rootType = stringValue(attributeValue(group, names, ATTR_TYPE));
  return {
    objectPath,
    formatVersion: header.formatVersion,
    rootType: rootType ? rootType : undefined,
    typeIds: header.typeIds,
    codec: stringValue(attributeValue(group, names, ATTR_CODEC)),
    createdAt: stringValue(attributeValue(group, names, ATTR_CREATED_AT)),
    arrays: describeArrays(module, file, objectPath),
  };
}

function describeArrays(module: H5Module, file: H5File, objectPath: string): StoredArrayInfo[] {
  const folder = `${objectPath}/${ARRAYS_GROUP}`;
  if (objectKind(module, file, folder) !== 'group') return [];
  const names = (file.get(folder) as H5Group)
    .keys()
    .sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
  const arrays: StoredArrayInfo[] = [];
  for (const name of names) {
    const dataset = file.get(`${folder}/${name}`);
    if (!dataset || !('metadata' in dataset)) continue;
    const meta = (dataset as H5Dataset).metadata;
    const shape = meta.shape ?? [];
    arrays.push({
      name: `${ARRAYS_GROUP}/${name}`,
      dtype: typedArrayNameForDtype(meta) ?? `HDF5 class ${meta.type}, ${meta.size} bytes`,
      shape,
      chunks: meta.chunks ?? null,
      codec: describeFilters((dataset as H5Dataset).filters as StoredFilter[]),
      bytes: shape.reduce((product, extent) => product * extent, 1) * meta.size,
    });
  }
  return arrays;
}

/** Refuses before any data is read when the object needs classes this process has not registered. */
export function checkTypesRegistered(fileName: string, info: StoredObjectHeader): void {
  for (const id of info.typeIds) {
    if (!registeredClassById(id))
      throw new UnknownTypeError(fileName, id, registeredClassIds(), info.objectPath);
  }
}

/**
 * The structure text, decoded straight from the wasm heap when it fits one slice (no copy of the
 * bytes into JS first); larger ones are read slice by slice into one buffer.
 */
export function readStructureJson(
  module: H5Module,
  file: H5File,
  fileName: string,
  objectPath: string,
  limits: ReadLimits,
): string {
  const checked = inspectArrayDataset(
    module,
    file,
    fileName,
    objectPath,
    STRUCTURE_DATASET,
    'Uint8Array',
    undefined,
    limits,
  );
  let text = '';
  let whole: Buffer | undefined;
  forEachSlice(module, file.file_id, checked.path, 1, checked, limits.sliceBytes, (bytes, done, count) => {
    if (done === 0 && count === checked.count) {
      text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
      return;
    }
    whole ??= Buffer.allocUnsafe(checked.count);
    whole.set(bytes, done);
  });
  return whole ? whole.toString('utf8') : text;
}

/** The elements [start, start + count) of an array of `length`, checked; count defaults to the rest. */
export function checkReadRange(
  start: number | undefined,
  count: number | undefined,
  length: number,
  what: string,
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
    throw new RangeError(
      `cannot read elements [${first}, ${first + many}) of ${what}, which holds ${length}`,
    );
  }
  return { start: first, count: many };
}

/** A dataset read that passed every check, ready to run (here or in read workers). */
export interface CheckedRead {
  path: string;
  start: number;
  count: number;
  chunk: number;
  bytesPerElement: number;
}

/**
 * Checks everything the file claims about one 1-D dataset before anything is allocated: it is a
 * dataset, 1-D, of the expected kind and length, under the size limit, with filters we decode.
 */
export function inspectArrayDataset(
  module: H5Module,
  file: H5File,
  fileName: string,
  objectPath: string,
  relativeName: string,
  kind: TypedArrayName,
  expectedLength: number | undefined,
  limits: ReadLimits,
  range?: { start: number; count: number },
): CheckedRead {
  const path = `${objectPath}/${relativeName}`;
  const corrupt = (detail: string): never => {
    throw new CorruptFileError(fileName, `dataset ${path} ${detail}`, { objectPath });
  };
  if (objectKind(module, file, path) !== 'dataset') corrupt('is missing');
  const dataset = file.get(path) as H5Dataset;
  const meta = dataset.metadata;
  const shape = meta.shape;
  if (shape?.length !== 1) corrupt(`has shape ${JSON.stringify(shape)}, not one dimension`);
  const length = (shape as number[])[0] as number;
  if (expectedLength !== undefined && length !== expectedLength)
    corrupt(`holds ${length} elements, but the structure says ${expectedLength}`);
  if (!matchesDtype(kind, meta))
    corrupt(`has a dtype (class ${meta.type}, ${meta.size} bytes) that cannot hold a ${kind}`);
  const { start, count } = checkReadRange(range?.start, range?.count, length, `${fileName}:${path}`);
  const bytes = count * meta.size;
  if (bytes > limits.maxArrayBytes) {
    corrupt(
      `would need ${bytes} bytes, more than maxArrayBytes (${limits.maxArrayBytes}); raise the limit if the file is trusted`,
    );
  }
  const reason = unreadableFilterReason(dataset.filters as StoredFilter[]);
  if (reason) throw new UnsupportedCodecError(fileName, objectPath, path, reason);
  const chunk = meta.chunks?.[0] ?? Math.max(1, Math.floor((4 << 20) / meta.size));
  return { path, start, count, chunk, bytesPerElement: meta.size };
}
