import type { StoredTypedArray } from '../typed-arrays.ts';
import type { CrateAccess } from './crate-access.ts';
import { checkHdf5Signature } from './file/hdf5-signature.ts';
import { readObjectInfo, type StoredObjectInfo } from './format/layout-reader.ts';
import { loadObject, readObjectArray } from './format/object-load.ts';
import { normalizeObjectPath } from './format/object-path.ts';
import { listObjectPaths } from './format/object-tree.ts';
import type { PropertyPath } from './format/property-path.ts';
import { loadH5Runtime } from './h5wasm-runtime.ts';
import type { ReadArrayOptions } from './object-options.ts';

/** ObjectSerializer's read side: load, readArray (one setup: format/object-load.ts), list, has, info. */
export class ObjectReader {
  private readonly access: CrateAccess;

  constructor(access: CrateAccess) {
    this.access = access;
  }

  async load(objectPath: string): Promise<unknown> {
    const { file, options } = this.access;
    return loadObject(file, normalizeObjectPath(file, objectPath), options);
  }

  async readArray(
    objectPath: string,
    property: PropertyPath,
    range: ReadArrayOptions,
  ): Promise<StoredTypedArray> {
    const { file, options } = this.access;
    return readObjectArray(file, normalizeObjectPath(file, objectPath), property, range, options);
  }

  async list(): Promise<string[]> {
    const { access } = this;
    if (!(await access.fileExists())) return [];
    await checkHdf5Signature(access.file);
    const runtime = await loadH5Runtime();
    return access.withFile(runtime, access.file, 'r', undefined, 'list objects', (file) =>
      listObjectPaths(runtime.module, file, access.file),
    );
  }

  async has(objectPath: string): Promise<boolean> {
    const { access } = this;
    const path = normalizeObjectPath(access.file, objectPath);
    if (!(await access.fileExists())) return false;
    await checkHdf5Signature(access.file, path);
    return access.holdsObject(await loadH5Runtime(), path);
  }

  async info(objectPath: string): Promise<StoredObjectInfo> {
    const { access } = this;
    const path = normalizeObjectPath(access.file, objectPath);
    await checkHdf5Signature(access.file, path);
    const runtime = await loadH5Runtime();
    return access.withFile(runtime, access.file, 'r', path, 'read the object header', (file) =>
      readObjectInfo(runtime.module, file, access.file, path),
    );
  }
}
