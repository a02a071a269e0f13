import { stat } from 'node:fs/promises';
import { FileMissingError } from '../errors.ts';
import type { StoredTypedArray } from '../typed-arrays.ts';
import { defaultWriteThreads } from './accel/compress-pool.ts';
import { defaultReadThreads } from './accel/read-pool.ts';
import { type AtomicUpdateOptions, updateFileAtomically } from './file/atomic-update.ts';
import { copyFileExcept } from './file/file-rewrite.ts';
import { checkHdf5Signature } from './file/hdf5-signature.ts';
import { arrayWriter } from './format/array-writer.ts';
import { checksumsEnabled } from './format/chunk-checksums.ts';
import { type CodecOptions, resolveCodec } from './format/codecs.ts';
import { arrayDatasetName } from './format/layout.ts';
import { readObjectInfo, type StoredObjectInfo } from './format/layout-reader.ts';
import { prepareParents, writeFileHeader, writeObjectGroup } from './format/layout-writer.ts';
import { loadObject, readObjectArray } from './format/object-load.ts';
import { normalizeObjectPath } from './format/object-path.ts';
import { isObjectGroup, listObjectPaths, resolvePath } from './format/object-tree.ts';
import type { PropertyPath } from './format/property-path.ts';
import { encodeStructure } from './format/tagged-json-encode.ts';
import { type SessionRequest, withH5File } from './h5-session.ts';
import {
  type H5File,
  type H5Runtime,
  loadH5Runtime,
  loadH5WriteRuntime,
  retireRuntime,
} from './h5wasm-runtime.ts';
import { checkArgument, InvalidArgumentError, ObjectExistsError } from './hdf5-errors.ts';

export interface ObjectSerializerOptions {
  /** Wait this long for another process writing the same file (default 60 s), then FileLockedError. */
  lockTimeoutMs?: number;
  /** fsync before a write returns (default true). */
  durable?: boolean;
  /** Refuse to allocate any one array larger than this on read (default 64 GiB). */
  maxArrayBytes?: number;
  /**
   * On read, compressed datasets may declare at most this many times the file's size (default
   * 65536; the codecs reach at most ~18,000x on all-zero data, blosc2 with 64 MiB chunks ~900,000x).
   * A small file declaring a huge array is refused before anything is allocated.
   */
  maxCompressionRatio?: number;
  /**
   * Load objects of layout version 1 (written by @hpc before checksums), unverified (default false:
   * refused with UnsupportedFormatVersionError). For reading an old crate once to re-create it.
   */
  acceptVersion1WithoutChecksums?: boolean;
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
/** Above what every codec measured on all-zero data (blosc-zstd level 9: ~18,000x). */
const DEFAULT_MAX_COMPRESSION_RATIO = 65_536;
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
      maxCompressionRatio: options.maxCompressionRatio ?? DEFAULT_MAX_COMPRESSION_RATIO,
      acceptVersion1WithoutChecksums: options.acceptVersion1WithoutChecksums ?? false,
      sliceBytes: options.sliceBytes ?? DEFAULT_SLICE_BYTES,
      readThreads: options.readThreads ?? defaultReadThreads(),
      writeThreads: options.writeThreads ?? defaultWriteThreads(),
    };
    const { readThreads, writeThreads, sliceBytes, maxCompressionRatio } = this.options;
    const refuse = (detail: string) => {
      throw new InvalidArgumentError(file, undefined, detail);
    };
    if (!Number.isInteger(readThreads) || readThreads < 1 || readThreads > 64)
      refuse(`readThreads ${readThreads} is out of range: use 1 to 64`);
    if (!Number.isInteger(writeThreads) || writeThreads < 1 || writeThreads > 64)
      refuse(`writeThreads ${writeThreads} is out of range: use 1 to 64`);
    if (!Number.isSafeInteger(sliceBytes) || sliceBytes < 4096 || sliceBytes > 1 << 30)
      refuse(`sliceBytes ${sliceBytes} is out of range: use 4 KiB to 1 GiB`);
    if (!(maxCompressionRatio >= 1)) refuse(`maxCompressionRatio ${maxCompressionRatio} must be at least 1`);
  }

  /** Stores `value` at `objectPath` (a group path such as '/my_process'), creating the file if needed. */
  async serialize(value: unknown, objectPath: string, options: ObjectSerializeOptions = {}): Promise<void> {
    const path = normalizeObjectPath(this.file, objectPath);
    const codec = checkArgument(this.file, path, () => resolveCodec(options));
    const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1024 || chunkBytes > 64 << 20) {
      throw new InvalidArgumentError(
        this.file,
        path,
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
    const arrays = { codec, chunkBytes, sliceBytes: this.options.sliceBytes, checksums: checksumsEnabled() };
    const writer = await loadH5WriteRuntime();

    await updateFileAtomically(
      this.file,
      this.updateOptions(),
      async ({ tempPath, existed, copyOriginal }) => {
        let replacing = false;
        if (existed) {
          const { module } = writer;
          replacing = this.withFile(writer, this.file, 'r', path, 'inspect', (file) => {
            const { kind } = resolvePath(module, file, path);
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
    return (await loadObject(this.file, path, this.options)) as T;
  }

  /** Reads part of one stored typed array without loading the object: `property` is 'values', 'data.samples[2]' or ['data', 'samples', 2]. */
  async readArray(
    objectPath: string,
    property: PropertyPath,
    options: ReadArrayOptions = {},
  ): Promise<StoredTypedArray> {
    const path = normalizeObjectPath(this.file, objectPath);
    return readObjectArray(this.file, path, property, options, this.options);
  }

  /** Stored object paths, depth-first; [] when the file does not exist yet. */
  async list(): Promise<string[]> {
    if (!(await this.fileExists())) return [];
    await checkHdf5Signature(this.file);
    const runtime = await loadH5Runtime();
    return this.withFile(runtime, this.file, 'r', undefined, 'list objects', (file) =>
      listObjectPaths(runtime.module, file, this.file),
    );
  }

  async has(objectPath: string): Promise<boolean> {
    const path = normalizeObjectPath(this.file, objectPath);
    if (!(await this.fileExists())) return false;
    await checkHdf5Signature(this.file, path);
    return this.holdsObject(await loadH5Runtime(), path);
  }

  /** Whether the file has an object (a group we wrote, reached by hard links) at `path`. */
  private holdsObject(runtime: H5Runtime, path: string): boolean {
    const { module } = runtime;
    return this.withFile(runtime, this.file, 'r', path, 'look up the object', (file) => {
      return resolvePath(module, file, path).kind === 'group' && isObjectGroup(module, file.file_id, path);
    });
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
            distrust: () => retireRuntime(runtime),
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
    mode: SessionRequest['mode'],
    objectPath: string | undefined,
    operation: string,
    use: (file: H5File) => T,
  ): T {
    return withH5File(runtime, { path, mode, crate: this.file, objectPath, operation }, use);
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
