import type { ArrayLayoutOptions } from './array-dataset.ts';
import type { ArrayWriter } from './array-writer.ts';
import type { H5File, H5Group, H5Module } from './h5wasm-runtime.ts';
import { ObjectExistsError } from './hdf5-errors.ts';
import {
  ARRAYS_GROUP,
  ATTR_ARRAY_KIND,
  ATTR_CODEC,
  ATTR_CREATED_AT,
  ATTR_LAYOUT,
  ATTR_TYPE,
  ATTR_TYPES,
  ATTR_VERSION,
  LAYOUT_FORMAT_VERSION,
  LAYOUT_NAME,
  STRUCTURE_DATASET,
} from './layout.ts';
import { isObjectGroup, objectKind } from './layout-reader.ts';
import { parentPaths } from './object-path.ts';
import type { StructureEncoding } from './tagged-json.ts';

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
    const kind = objectKind(module, file, parent);
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

/** Writes one object's group: attributes, the structure dataset, one dataset per large array. */
export async function writeObjectGroup(
  module: H5Module,
  file: H5File,
  input: ObjectGroupInput,
): Promise<void> {
  module.create_group(file.file_id, input.objectPath, false);
  const group = file.get(input.objectPath) as H5Group;
  group.create_attribute(ATTR_VERSION, LAYOUT_FORMAT_VERSION, null, '<i');
  group.create_attribute(ATTR_TYPE, input.encoding.rootType ?? '');
  group.create_attribute(ATTR_TYPES, JSON.stringify(input.encoding.typeIds));
  group.create_attribute(ATTR_CODEC, input.arrays.codec.label);
  group.create_attribute(ATTR_CREATED_AT, new Date().toISOString());

  const json = Buffer.from(input.encoding.json, 'utf8');
  const structure = new Uint8Array(json.buffer, json.byteOffset, json.byteLength);
  // Read whole and usually small: contiguous and uncompressed, so every reader opens it.
  group.create_dataset({
    name: STRUCTURE_DATASET,
    data: structure,
    shape: [structure.byteLength],
    dtype: '<B',
  });

  if (input.encoding.datasets.length === 0) return;
  group.create_group(ARRAYS_GROUP);
  for (const { name, view, kind } of input.encoding.datasets) {
    const slash = name.lastIndexOf('/');
    const parent = group.get(name.slice(0, slash)) as H5Group;
    const leaf = name.slice(slash + 1);
    await input.writeArray(parent, leaf, view, kind);
    (parent.get(leaf) as H5Group).create_attribute(ATTR_ARRAY_KIND, kind);
  }
}
