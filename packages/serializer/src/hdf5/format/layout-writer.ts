import { crc32 } from 'node:zlib';
import { WasmHeapExhaustedError } from '../accel/worker-errors.ts';
import type { H5File, H5Group, H5Module } from '../h5wasm-runtime.ts';
import { ObjectExistsError } from '../hdf5-errors.ts';
import type { ArrayLayoutOptions } from './array-dataset.ts';
import type { ArrayWriter } from './array-writer.ts';
import { checksumOf } from './chunk-checksums.ts';
import {
  ARRAYS_GROUP,
  ATTR_ARRAY_KIND,
  ATTR_CODEC,
  ATTR_CRC32,
  ATTR_CREATED_AT,
  ATTR_HEADER_CRC32,
  ATTR_LAYOUT,
  ATTR_STRUCTURE_CRC32,
  ATTR_TYPE,
  ATTR_TYPES,
  ATTR_VERSION,
  headerChecksumText,
  LAYOUT_FORMAT_VERSION,
  LAYOUT_NAME,
  STRUCTURE_DATASET,
} from './layout.ts';
import { parentPaths } from './object-path.ts';
import { isObjectGroup, resolvePath } from './object-tree.ts';
import type { StructureEncoding } from './tagged-json-encode.ts';

export interface ObjectGroupInput {
  objectPath: string;
  encoding: StructureEncoding;
  arrays: ArrayLayoutOptions;
  /** Writes each large array's dataset (see array-writer.ts). */
  writeArray: ArrayWriter;
}

/** Marks a new file as an @hpc crate (root attributes). */
export function writeFileHeader(file: H5File): void {
  file.create_attribute(ATTR_LAYOUT, LAYOUT_NAME);
  file.create_attribute(ATTR_VERSION, LAYOUT_FORMAT_VERSION, null, '<i');
}

/** Creates missing parent groups; refuses to nest an object inside another object or a dataset. */
export function prepareParents(module: H5Module, file: H5File, fileName: string, objectPath: string): void {
  for (const parent of parentPaths(objectPath)) {
    const { kind } = resolvePath(module, file, parent);
    if (kind === 'missing') {
      module.create_group(file.file_id, parent, false);
      continue;
    }
    if (kind !== 'group') {
      throw new ObjectExistsError(
        fileName,
        objectPath,
        `${parent} is a ${kind}, so nothing can be stored below it`,
      );
    }
    if (isObjectGroup(module, file.file_id, parent)) {
      throw new ObjectExistsError(
        fileName,
        objectPath,
        `${parent} is a stored object, and objects cannot be nested inside objects`,
      );
    }
  }
}

type WriteMetadata = Parameters<H5Module['create_dataset']>[3];

const utf8 = new TextEncoder();

/**
 * The structure text as a 1-D uint8 dataset, contiguous and uncompressed (read whole and usually
 * small, so every reader opens it). The text is encoded straight into the wasm heap: no UTF-8
 * copy in JS that h5wasm would copy again. ASCII text (most JSON) takes one pass; other text is
 * measured first.
 */
function writeStructure(
  module: H5Module,
  file: H5File,
  path: string,
  json: string,
  checksums: boolean,
): number {
  let bytes = Math.max(1, json.length);
  let pointer = heapAlloc(module, bytes);
  try {
    let { read, written } = utf8.encodeInto(json, module.HEAPU8.subarray(pointer, pointer + bytes));
    if (read < json.length) {
      module._free(pointer);
      pointer = 0;
      bytes = Buffer.byteLength(json, 'utf8');
      pointer = heapAlloc(module, bytes);
      ({ read, written } = utf8.encodeInto(json, module.HEAPU8.subarray(pointer, pointer + bytes)));
    }
    const shape = [BigInt(written)];
    // What h5wasm's Group.create_dataset passes for dtype '<B', shape [written], no chunks.
    const metadata = {
      vlen: false,
      signed: false,
      littleEndian: true,
      type: module.H5T_class_t.H5T_INTEGER.value,
      size: 1,
      shape,
      maxshape: shape,
      chunks: null,
      compression: 0,
      compression_opts: [],
      track_order: false,
    };
    module.create_dataset(file.file_id, path, BigInt(pointer), metadata as unknown as WriteMetadata);
    return checksumOf(module.HEAPU8.subarray(pointer, pointer + written), checksums);
  } finally {
    if (pointer) module._free(pointer);
  }
}

function heapAlloc(module: H5Module, bytes: number): number {
  const pointer = module._malloc(bytes);
  if (!pointer)
    throw new WasmHeapExhaustedError(
      bytes,
      `the wasm heap could not allocate ${bytes} bytes for the object structure`,
    );
  return pointer;
}

/**
 * Writes one object's group: attributes, the structure dataset and its CRC-32, one dataset per
 * large array with the CRC-32 of each chunk.
 */
export async function writeObjectGroup(
  module: H5Module,
  file: H5File,
  input: ObjectGroupInput,
): Promise<void> {
  module.create_group(file.file_id, input.objectPath, false);
  const group = file.get(input.objectPath) as H5Group;
  group.create_attribute(ATTR_VERSION, LAYOUT_FORMAT_VERSION, null, '<i');
  const header = [
    input.encoding.rootType ?? '',
    JSON.stringify(input.encoding.typeIds),
    input.arrays.codec.label,
    new Date().toISOString(),
  ] as const;
  group.create_attribute(ATTR_TYPE, header[0]);
  group.create_attribute(ATTR_TYPES, header[1]);
  group.create_attribute(ATTR_CODEC, header[2]);
  group.create_attribute(ATTR_CREATED_AT, header[3]);
  group.create_attribute(ATTR_HEADER_CRC32, crc32(headerChecksumText(header)), null, '<I');

  const { json } = input.encoding;
  const structurePath = `${input.objectPath}/${STRUCTURE_DATASET}`;
  const structureCrc = writeStructure(module, file, structurePath, json, input.arrays.checksums);
  group.create_attribute(ATTR_STRUCTURE_CRC32, structureCrc, null, '<I');

  if (input.encoding.datasets.length === 0) return;
  group.create_group(ARRAYS_GROUP);
  for (const { name, view, kind } of input.encoding.datasets) {
    const slash = name.lastIndexOf('/');
    const parent = group.get(name.slice(0, slash)) as H5Group;
    const leaf = name.slice(slash + 1);
    const crcs = await input.writeArray(parent, leaf, view, kind);
    const dataset = parent.get(leaf) as H5Group;
    dataset.create_attribute(ATTR_ARRAY_KIND, kind);
    dataset.create_attribute(ATTR_CRC32, crcs, [crcs.length], '<I');
  }
}
