import { stat } from 'node:fs/promises';
import { CorruptFileError, FileMissingError } from '../errors.ts';
import { reviveInstances } from '../object-graph.ts';
import type { StoredTypedArray } from '../typed-arrays.ts';
import { readArrayDataset } from './array-dataset.ts';
import { arrayWriter } from './array-writer.ts';
import { type AtomicUpdateOptions, updateFileAtomically } from './atomic-update.ts';
import { type CodecOptions, resolveCodec } from './codecs.ts';
import { defaultWriteThreads } from './compress-pool.ts';
import { constructorFor, type TypedArrayName } from './dtypes.ts';
import { copyFileExcept } from './file-rewrite.ts';
import { type H5File, type H5Runtime, loadH5Runtime, loadH5WriteRuntime } from './h5wasm-runtime.ts';
import { ObjectExistsError, translateHdf5Error } from './hdf5-errors.ts';
import { checkHdf5Signature } from './hdf5-signature.ts';
import { arrayDatasetName, isSafeDatasetName, LIBVER_BOUNDS } from './layout.ts';
import {
  type CheckedRead,
  checkReadRange,
  checkTypesRegistered,
  inspectArrayDataset,
  isObjectGroup,
  listObjectPaths,
  objectKind,
  type ReadLimits,
  readObjectHeader,
  readObjectInfo,
  readStructureJson,
  type StoredObjectInfo,
} from './layout-reader.ts';
import { prepareParents, writeFileHeader, writeObjectGroup } from './layout-writer.ts';
import { normalizeObjectPath } from './object-path.ts';
import { type PropertyPath, parsePropertyPath, resolvePropertyPath } from './property-path.ts';
import { defaultReadThreads, parallelReadsAvailable, readInParallel } from './read-pool.ts';
import {
  collectDatasetRefs,
  type DatasetRef,
  decodeStructure,
  encodeStructure,
  parseStructure,
} from './tagged-json.ts';

export interface ObjectSerializerOptions {
  /** Wait this long for another process writing the same file (default 60 s), then FileLockedError. */
  lockTimeoutMs?: number;
  /** fsync before a write returns (default true). */
  durable?: boolean;
  /** Refuse to allocate any one array larger than this on read (default 64 GiB). */
  maxArrayBytes?: number;
  /**
   * Bytes moved through the wasm heap per call (default 8 MiB: small enough to stay in cache between
   * HDF5 and the result, and each wasm heap keeps its largest slice for good; hard limit 2 GiB).
   */
  sliceBytes?: number;
  /**
   * Threads that decompress large arrays (>= 16 MiB) on read: the calling thread and
   * `readThreads - 1` workers, each with its own wasm instance (default: cores, at most 4).
   * 1 reads everything on the calling thread.
   */
  readThreads?: number;
  /**
   * Threads that write large Blosc arrays (>= 16 MiB): the calling thread, which runs HDF5 and
   * writes the file, and `writeThreads - 1` workers that compress (default: cores, at most 4).
   * 1 compresses on the calling thread.
   */
  writeThreads?: number;
}

export interface ObjectSerializeOptions extends CodecOptions {
  /** Replace an object already stored at the path (rewrites the file). Default false: ObjectExistsError. */
  overwrite?: boolean;
  /** HDF5 chunk size for array datasets (default 4 MiB; 1-4 MiB is the sweet spot). */
  chunkBytes?: number;
  /** Typed arrays at least this large become their own dataset (default 16 KiB); smaller ones are inline. */
  arrayThresholdBytes?: number;
}

export interface ReadArrayOptions {
  /** First element (default 0). */
  start?: number;
  /** Number of elements (default: to the end). */
  count?: number;
}

const DEFAULT_CHUNK_BYTES = 4 << 20;
const DEFAULT_ARRAY_THRESHOLD_BYTES = 16 << 10;
const DEFAULT_SLICE_BYTES = 8 << 20;
const DEFAULT_MAX_ARRAY_BYTES = 64 * 2 ** 30;
/** Reads at least this large go to the worker threads. */
const PARALLEL_READ_MIN_BYTES = 16 << 20;
/** Blosc fails on chunks under 128 bytes; arrays this small are always inline. */
const MIN_DATASET_BYTES = 1024;

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
  private readonly options: Required<ObjectSerializerOptions>;

  constructor(file: string, options: ObjectSerializerOptions = {}) {
    this.file = file;
    this.options = {
      lockTimeoutMs: options.lockTimeoutMs ?? 60_000,
      durable: options.durable ?? true,
      maxArrayBytes: options.maxArrayBytes ?? DEFAULT_MAX_ARRAY_BYTES,
      sliceBytes: options.sliceBytes ?? DEFAULT_SLICE_BYTES,
      readThreads: options.readThreads ?? defaultReadThreads(),
      writeThreads: options.writeThreads ?? defaultWriteThreads(),
    };
    if (
      !Number.isInteger(this.options.readThreads) ||
      this.options.readThreads < 1 ||
      this.options.readThreads > 64
    ) {
      throw new RangeError(`readThreads ${this.options.readThreads} is out of range: use 1 to 64`);
    }
    const { writeThreads } = this.options;
    if (!Number.isInteger(writeThreads) || writeThreads < 1 || writeThreads > 64) {
      throw new RangeError(`writeThreads ${writeThreads} is out of range: use 1 to 64`);
    }
    if (
      !Number.isSafeInteger(this.options.sliceBytes) ||
      this.options.sliceBytes < 4096 ||
      this.options.sliceBytes > 1 << 30
    ) {
      throw new RangeError(`sliceBytes ${this.options.sliceBytes} is out of range: use 4 KiB to 1 GiB`);
    }
  }

  /** Stores `value` at `objectPath` (a group path such as '/my_process'), creating the file if needed. */
  async serialize(value: unknown, objectPath: string, options: ObjectSerializeOptions = {}): Promise<void> {
    const path = normalizeObjectPath(this.file, objectPath);
    const codec = resolveCodec(options);
    const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1024 || chunkBytes > 64 << 20) {
      throw new RangeError(
        `chunkBytes ${chunkBytes} is out of range: use 1 KiB to 64 MiB (1-4 MiB reads and compresses best)`,
      );
    }
    const threshold = Math.max(
      MIN_DATASET_BYTES,
      options.arrayThresholdBytes ?? DEFAULT_ARRAY_THRESHOLD_BYTES,
    );

    // Everything that can be refused is refused before the file is touched.
    const encoding = encodeStructure(value, {
      datasetThresholdBytes: threshold,
      datasetName: arrayDatasetName,
    });
    const arrays = { codec, chunkBytes, sliceBytes: this.options.sliceBytes };
    const writer = await loadH5WriteRuntime();

    await updateFileAtomically(
      this.file,
      this.updateOptions(),
      async ({ tempPath, existed, copyOriginal }) => {
        let replacing = false;
        if (existed) {
          const { module } = writer;
          replacing = this.withFile(writer, this.file, 'r', path, 'inspect', (file) => {
            const kind = objectKind(module, file, path);
            if (kind === 'missing') return false;
            if (kind === 'group' && isObjectGroup(module, file.file_id, path)) {
              if (!options.overwrite) throw new ObjectExistsError(this.file, path);
              return true;
            }
            throw new ObjectExistsError(this.file, path, `a ${kind} that is not an @hpc object is there`);
          });
        }
        // Rewriting decodes and re-encodes every other object: the reading instance does that.
        if (replacing) this.rewriteWithout(await loadH5Runtime(), tempPath, path);
        else if (existed) await copyOriginal();
        const mode = existed ? 'a' : 'w';
        const { module } = writer;
        await this.withFile(writer, tempPath, mode, path, 'write the object', async (file) => {
          if (!existed) writeFileHeader(file);
          prepareParents(module, file, this.file, path);
          await writeObjectGroup(module, file, {
            objectPath: path,
            encoding,
            arrays,
            writeArray: arrayWriter(writer, arrays, this.options.writeThreads),
          });
        });
      },
    );
  }

  /** Reads the object at `objectPath` back, reviving registered class instances. */
  async load<T = unknown>(objectPath: string): Promise<T> {
    const path = normalizeObjectPath(this.file, objectPath);
    await checkHdf5Signature(this.file, path);
    const runtime = await loadH5Runtime();
    const { module } = runtime;
    const limits = this.limits();
    const corrupt = (detail: string): never => this.corrupt(path, detail);
    // 1. Check the header, class ids, structure and every dataset it names; read the small ones.
    const { parsed, arrays, large } = this.withFile(
      runtime,
      this.file,
      'r',
      path,
      'read the object',
      (file) => {
        checkTypesRegistered(this.file, readObjectHeader(module, file, this.file, path));
        const parsed = parseStructure(readStructureJson(module, file, this.file, path, limits), corrupt);
        const arrays = new Map<string, { ref: DatasetRef; array: StoredTypedArray }>();
        const large: { ref: DatasetRef; checked: CheckedRead }[] = [];
        for (const ref of collectDatasetRefs(parsed)) {
          if (!isSafeDatasetName(ref.name))
            corrupt(`the structure refers to dataset ${JSON.stringify(ref.name)} outside the object`);
          if (arrays.has(ref.name) || large.some((entry) => entry.ref.name === ref.name))
            corrupt(`dataset ${ref.name} is referenced twice`);
          const checked = inspectArrayDataset(
            module,
            file,
            this.file,
            path,
            ref.name,
            ref.kind,
            ref.length,
            limits,
          );
          if (this.shouldReadInParallel(checked)) large.push({ ref, checked });
          else
            arrays.set(ref.name, {
              ref,
              array: readArrayDataset(
                module,
                file.file_id,
                checked.path,
                ref.kind,
                checked,
                limits.sliceBytes,
              ),
            });
        }
        return { parsed, arrays, large };
      },
    );
    // 2. Large arrays: decompressed by worker threads, each with its own wasm instance.
    for (const { ref, checked } of large)
      arrays.set(ref.name, { ref, array: await this.readLarge(ref.kind, checked, path) });
    // 3. Rebuild the value (pure JS, no file access) and give instances their registered classes.
    const decoded = decodeStructure(parsed, {
      loadDataset: (name, kind, length) => {
        const entry = arrays.get(name);
        if (!entry || entry.ref.kind !== kind || entry.ref.length !== length)
          return corrupt(`dataset ${name} is referenced inconsistently`);
        return entry.array;
      },
      corrupt,
    });
    reviveInstances(this.file, decoded.instances, path);
    return decoded.root as T;
  }

  /** Reads part of one stored typed array without loading the object: `property` is 'values', 'data.samples[2]' or ['data', 'samples', 2]. */
  async readArray(
    objectPath: string,
    property: PropertyPath,
    options: ReadArrayOptions = {},
  ): Promise<StoredTypedArray> {
    const path = normalizeObjectPath(this.file, objectPath);
    const steps = parsePropertyPath(property);
    await checkHdf5Signature(this.file, path);
    const runtime = await loadH5Runtime();
    const { module } = runtime;
    const limits = this.limits();
    const corrupt = (detail: string): never => this.corrupt(path, detail);
    const found = this.withFile(runtime, this.file, 'r', path, 'read an array', (file) => {
      readObjectHeader(module, file, this.file, path);
      const parsed = parseStructure(readStructureJson(module, file, this.file, path, limits), corrupt);
      // Datasets become empty placeholders: only the one asked for is read.
      const placeholders = new Map<object, DatasetRef>();
      const decoded = decodeStructure(parsed, {
        loadDataset: (name, kind, length) => {
          const placeholder = new (constructorFor(kind))(0) as StoredTypedArray;
          placeholders.set(placeholder, { name, kind, length });
          return placeholder;
        },
        corrupt,
      });
      const target = resolvePropertyPath(decoded.root, steps, `${this.file}:${path}`);
      const stored = placeholders.get(target);
      const length = stored ? stored.length : target.length;
      const { start, count } = checkReadRange(
        options.start,
        options.count,
        length,
        `${String(property)} in ${this.file}:${path}`,
      );
      if (!stored) return { inline: target.slice(start, start + count) as StoredTypedArray };
      if (!isSafeDatasetName(stored.name))
        corrupt(`the structure refers to dataset ${JSON.stringify(stored.name)} outside the object`);
      const checked = inspectArrayDataset(
        module,
        file,
        this.file,
        path,
        stored.name,
        stored.kind,
        stored.length,
        limits,
        { start, count },
      );
      if (this.shouldReadInParallel(checked)) return { large: { kind: stored.kind, checked } };
      return {
        inline: readArrayDataset(module, file.file_id, checked.path, stored.kind, checked, limits.sliceBytes),
      };
    });
    if (found.inline) return found.inline;
    const { kind, checked } = found.large as { kind: TypedArrayName; checked: CheckedRead };
    return this.readLarge(kind, checked, path);
  }

  private shouldReadInParallel(checked: CheckedRead): boolean {
    return (
      this.options.readThreads > 1 &&
      checked.count * checked.bytesPerElement >= PARALLEL_READ_MIN_BYTES &&
      parallelReadsAvailable()
    );
  }

  private async readLarge(
    kind: TypedArrayName,
    checked: CheckedRead,
    objectPath: string,
  ): Promise<StoredTypedArray> {
    let array: StoredTypedArray;
    try {
      array = new (constructorFor(kind))(checked.count) as StoredTypedArray;
    } catch (error) {
      throw new CorruptFileError(
        this.file,
        `an array of ${checked.count} elements is too large to allocate`,
        { cause: error, objectPath },
      );
    }
    const { path, start, count, chunk, bytesPerElement } = checked;
    const { h5, module } = await loadH5Runtime();
    const sliceBytes = this.options.sliceBytes;
    let file: H5File | undefined;
    try {
      file = new h5.File(this.file, 'r');
      const fileId = file.file_id;
      await readInParallel(
        { file: this.file, path, start, count, chunk, bytesPerElement, sliceBytes },
        new Uint8Array(array.buffer, array.byteOffset, array.byteLength),
        this.options.readThreads,
        (from, length) => {
          const into = new (constructorFor(kind))(
            array.buffer,
            array.byteOffset + (from - start) * bytesPerElement,
            length,
          ) as StoredTypedArray;
          readArrayDataset(
            module,
            fileId,
            path,
            kind,
            { start: from, count: length, chunk },
            sliceBytes,
            into,
          );
        },
      );
    } catch (error) {
      throw translateHdf5Error(error, this.file, objectPath, `read dataset ${path}`);
    } finally {
      file?.close();
    }
    return array;
  }

  /** Stored object paths, depth-first; [] when the file does not exist yet. */
  async list(): Promise<string[]> {
    if (!(await this.fileExists())) return [];
    await checkHdf5Signature(this.file);
    const runtime = await loadH5Runtime();
    return this.withFile(runtime, this.file, 'r', undefined, 'list objects', (file) =>
      listObjectPaths(runtime.module, file),
    );
  }

  async has(objectPath: string): Promise<boolean> {
    const path = normalizeObjectPath(this.file, objectPath);
    if (!(await this.fileExists())) return false;
    await checkHdf5Signature(this.file, path);
    return this.holdsObject(await loadH5Runtime(), path);
  }

  /** Whether the file has an object (a group we wrote) at `path`. */
  private holdsObject(runtime: H5Runtime, path: string): boolean {
    const { module } = runtime;
    return this.withFile(
      runtime,
      this.file,
      'r',
      path,
      'look up the object',
      (file) => objectKind(module, file, path) === 'group' && isObjectGroup(module, file.file_id, path),
    );
  }

  /** What the object's group records (class ids, codec, format version), without reading its data. */
  async info(objectPath: string): Promise<StoredObjectInfo> {
    const path = normalizeObjectPath(this.file, objectPath);
    await checkHdf5Signature(this.file, path);
    const runtime = await loadH5Runtime();
    return this.withFile(runtime, this.file, 'r', path, 'read the object header', (file) =>
      readObjectInfo(runtime.module, file, this.file, path),
    );
  }

  /** Removes the object (the file is rewritten without it, so its space is returned). False when absent. */
  async delete(objectPath: string): Promise<boolean> {
    const path = normalizeObjectPath(this.file, objectPath);
    if (!(await this.fileExists())) return false;
    const runtime = await loadH5Runtime();
    return updateFileAtomically(this.file, this.updateOptions(), ({ tempPath }) => {
      const present = this.holdsObject(runtime, path);
      if (!present) throw new DeleteAbsent();
      this.rewriteWithout(runtime, tempPath, path);
      return true;
    }).catch((error: unknown) => {
      if (error instanceof DeleteAbsent) return false;
      throw error;
    });
  }

  private rewriteWithout(runtime: H5Runtime, tempPath: string, objectPath: string): void {
    this.withFile(runtime, this.file, 'r', objectPath, 'copy the file', (source) => {
      this.withFile(runtime, tempPath, 'w', objectPath, 'write the copy', (target) => {
        copyFileExcept(
          {
            module: runtime.module,
            fileName: this.file,
            removing: objectPath,
            sliceBytes: this.options.sliceBytes,
          },
          source,
          target,
          new Set([objectPath]),
        );
      });
    });
  }

  private withFile<T>(
    runtime: H5Runtime,
    path: string,
    mode: 'r' | 'a' | 'w',
    objectPath: string | undefined,
    operation: string,
    use: (file: H5File) => T,
  ): T {
    let file: H5File;
    try {
      file = new runtime.h5.File(path, mode, { libver: LIBVER_BOUNDS });
    } catch (error) {
      throw translateHdf5Error(error, this.file, objectPath, `open the file to ${operation}`);
    }
    const close = () => {
      try {
        file.close();
      } catch {
        // A failed write may leave nothing to close; the temp file is discarded anyway.
      }
    };
    let result: T;
    try {
      result = use(file);
    } catch (error) {
      close();
      throw this.failure(error, objectPath, operation);
    }
    if (!(result instanceof Promise)) {
      close();
      return result;
    }
    // An async use (writing arrays compressed on other threads) keeps the file open until it settles.
    return result.then(
      (value) => {
        close();
        return value;
      },
      (error: unknown) => {
        close();
        throw this.failure(error, objectPath, operation);
      },
    ) as T;
  }

  /** The error a failed file operation surfaces as. */
  private failure(error: unknown, objectPath: string | undefined, operation: string): unknown {
    if (
      error instanceof RangeError &&
      /Array buffer allocation failed|Invalid typed array length/.test(error.message)
    ) {
      return new CorruptFileError(this.file, `an array is too large to allocate (${error.message})`, {
        cause: error,
        ...(objectPath ? { objectPath } : {}),
      });
    }
    return translateHdf5Error(error, this.file, objectPath, operation);
  }

  private corrupt(objectPath: string, detail: string): never {
    throw new CorruptFileError(this.file, detail, { objectPath });
  }

  private limits(): ReadLimits {
    return { maxArrayBytes: this.options.maxArrayBytes, sliceBytes: this.options.sliceBytes };
  }

  private updateOptions(): AtomicUpdateOptions {
    return { timeoutMs: this.options.lockTimeoutMs, durable: this.options.durable };
  }

  private async fileExists(): Promise<boolean> {
    try {
      await stat(this.file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw new FileMissingError(this.file, { cause: error });
    }
  }
}

class DeleteAbsent extends Error {}
