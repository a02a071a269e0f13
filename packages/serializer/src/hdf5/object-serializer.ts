import type { StoredTypedArray } from '../typed-arrays.ts';
import { CrateAccess } from './crate-access.ts';
import type { StoredObjectInfo } from './format/layout-reader.ts';
import type { PropertyPath } from './format/property-path.ts';
import {
  type ObjectSerializeOptions,
  type ObjectSerializerOptions,
  type ReadArrayOptions,
  resolveSerializerOptions,
} from './object-options.ts';
import { ObjectReader } from './object-reader.ts';
import { ObjectWriter } from './object-writer.ts';

export type { ObjectSerializeOptions, ObjectSerializerOptions, ReadArrayOptions } from './object-options.ts';

/**
 * Many objects per HDF5 file, each under its own group path, with large typed arrays as chunked,
 * compressed datasets (Blosc lz4 + byte shuffle by default) that h5py, h5dump and HDFView open.
 *
 *   const crate = new ObjectSerializer('crates.h5');
 *   await crate.serialize(new MyProcess('Sample Data', values), '/my_process');
 *   const loaded = await crate.load<MyProcess>('/my_process');
 *
 * Loading never runs or imports code: only classes registered in this process are revived,
 * without their constructors. Writes are atomic (copy, change, fsync, rename) under a lock file.
 */
export class ObjectSerializer {
  readonly file: string;
  private readonly reader: ObjectReader;
  private readonly writer: ObjectWriter;

  constructor(file: string, options: ObjectSerializerOptions = {}) {
    this.file = file;
    const access = new CrateAccess(file, resolveSerializerOptions(file, options));
    this.reader = new ObjectReader(access);
    this.writer = new ObjectWriter(access);
  }

  /** Stores `value` at `objectPath` (a group path such as '/my_process'), creating the file if needed. */
  serialize(value: unknown, objectPath: string, options: ObjectSerializeOptions = {}): Promise<void> {
    return this.writer.serialize(value, objectPath, options);
  }

  /** Reads the object at `objectPath` back, reviving registered class instances. */
  async load<T = unknown>(objectPath: string): Promise<T> {
    return (await this.reader.load(objectPath)) as T;
  }

  /** Reads part of one stored typed array without loading the object: `property` is 'values', 'data.samples[2]' or ['data', 'samples', 2]. */
  readArray(
    objectPath: string,
    property: PropertyPath,
    options: ReadArrayOptions = {},
  ): Promise<StoredTypedArray> {
    return this.reader.readArray(objectPath, property, options);
  }

  /** Stored object paths, depth-first; [] when the file does not exist yet. */
  list(): Promise<string[]> {
    return this.reader.list();
  }

  has(objectPath: string): Promise<boolean> {
    return this.reader.has(objectPath);
  }

  /** What the object's group records (class ids, codec, format version), without reading its data. */
  info(objectPath: string): Promise<StoredObjectInfo> {
    return this.reader.info(objectPath);
  }

  /** Removes the object (the file is rewritten without it, so its space is returned). False when absent. */
  delete(objectPath: string): Promise<boolean> {
    return this.writer.delete(objectPath);
  }
}
