import { statSync } from 'node:fs';
import { CorruptFileError, FileMissingError } from '../../errors.ts';
import { reviveInstances } from '../../object-graph.ts';
import type { StoredTypedArray } from '../../typed-arrays.ts';
import { parallelReadsAvailable, readInParallel } from '../accel/read-pool.ts';
import { checkHdf5Signature } from '../file/hdf5-signature.ts';
import { withH5File } from '../h5-session.ts';
import { type H5File, type H5Runtime, loadH5Runtime } from '../h5wasm-runtime.ts';
import { type DatasetRead, type FailRead, forEachSlice, readArrayDataset } from './array-dataset.ts';
import {
  checkDeclaredSizes,
  type InspectContext,
  type InspectedArray,
  inspectArrayDataset,
  type ReadLimits,
} from './array-inspect.ts';
import { checksumsEnabled } from './chunk-checksums.ts';
import { constructorFor, type TypedArrayName } from './dtypes.ts';
import { isSafeDatasetName, STRUCTURE_DATASET } from './layout.ts';
import {
  checkReadRange,
  checkTypesRegistered,
  decodeStructureText,
  readObjectHeader,
  type StoredObjectHeader,
  structureRead,
} from './layout-reader.ts';
import { type PropertyPath, parsePropertyPath, resolvePropertyPath } from './property-path.ts';
import { type DatasetRef, decodeStructure, parseStructure, scanStructure } from './tagged-json-decode.ts';

/**
 * Reading objects back (ObjectSerializer.load and readArray): header, links, structure (verified
 * against its CRC-32), class ids, every dataset's claims and the sizes they add up to are checked
 * before any array is allocated; arrays are then read and verified chunk by chunk, large ones by
 * worker threads.
 */
export interface LoadOptions {
  maxArrayBytes: number;
  maxCompressionRatio: number;
  sliceBytes: number;
  readThreads: number;
  acceptVersion1WithoutChecksums: boolean;
}

/** Reads at least this large go to the worker threads. */
const PARALLEL_READ_MIN_BYTES = 16 << 20;

/** One object's reading: the crate, the object, the instance, the limits. */
class ObjectReading {
  readonly context: InspectContext;
  readonly fail: FailRead;
  readonly verify = checksumsEnabled();
  private readonly runtime: H5Runtime;
  private readonly options: LoadOptions;

  // No parameter properties (the package's sources are also run with type stripping only).
  constructor(runtime: H5Runtime, crate: string, objectPath: string, options: LoadOptions) {
    this.runtime = runtime;
    this.options = options;
    const limits: ReadLimits = {
      maxArrayBytes: options.maxArrayBytes,
      maxCompressionRatio: options.maxCompressionRatio,
      sliceBytes: options.sliceBytes,
      fileBytes: fileSize(crate),
    };
    this.context = { crate, objectPath, limits };
    this.fail = (detail) => {
      throw new CorruptFileError(crate, detail, { objectPath });
    };
  }

  session<T>(operation: string, use: (file: H5File) => T): T {
    const { crate, objectPath } = this.context;
    return withH5File(this.runtime, { path: crate, mode: 'r', crate, objectPath, operation }, use);
  }

  /** The header, then the structure (the same size checks as arrays, and its CRC-32), parsed. */
  structure(file: H5File) {
    const { module } = this.runtime;
    const { crate, objectPath } = this.context;
    const header = readObjectHeader(
      module,
      file,
      crate,
      objectPath,
      this.options.acceptVersion1WithoutChecksums,
    );
    const structure = this.inspect(file, header, {
      name: STRUCTURE_DATASET,
      kind: 'Uint8Array',
      length: undefined,
    });
    // The structure is written uncompressed: text longer than the file was not written by us (a
    // gzip-compressed structure of spaces would otherwise decompress to 600 MiB from a few KiB).
    if (structure.declaredBytes > this.context.limits.fileBytes)
      this.fail(
        `the structure dataset declares ${structure.declaredBytes} bytes, more than the ${this.context.limits.fileBytes}-byte file holds`,
      );
    checkDeclaredSizes(this.context, [structure]);
    const read = this.verify
      ? structureRead(structure.read, header)
      : { ...structure.read, checks: undefined };
    const text = decodeStructureText(read.count, this.fail, (sink) =>
      forEachSlice(module, file.file_id, read, this.options.sliceBytes, this.fail, sink),
    );
    return { header, structure, parsed: parseStructure(text, this.fail) };
  }

  inspect(
    file: H5File,
    header: StoredObjectHeader,
    claim: {
      name: string;
      kind: TypedArrayName;
      length: number | undefined;
      range?: { start: number; count: number };
    },
  ): InspectedArray {
    if (!isSafeDatasetName(claim.name))
      this.fail(`the structure refers to dataset ${JSON.stringify(claim.name)} outside the object`);
    const checksummed = this.verify && header.structureCrc !== undefined && claim.name !== STRUCTURE_DATASET;
    return inspectArrayDataset(this.runtime.module, file, this.context, { ...claim, checksummed });
  }

  /** Large chunked reads go to the workers (a contiguous dataset is one checksummed unit). */
  parallel(read: DatasetRead): boolean {
    return (
      this.options.readThreads > 1 &&
      read.count * read.bytesPerElement >= PARALLEL_READ_MIN_BYTES &&
      (!read.checks || read.checks.unit === read.chunk) &&
      parallelReadsAvailable()
    );
  }

  readHere(file: H5File, kind: TypedArrayName, read: DatasetRead, into?: StoredTypedArray): StoredTypedArray {
    return readArrayDataset(
      this.runtime.module,
      file.file_id,
      kind,
      read,
      this.options.sliceBytes,
      this.fail,
      into,
    );
  }

  /** Reads a large range with the calling thread and the read workers. */
  async readLarge(kind: TypedArrayName, read: DatasetRead): Promise<StoredTypedArray> {
    const { crate, objectPath } = this.context;
    let array: StoredTypedArray;
    try {
      array = new (constructorFor(kind))(read.count) as StoredTypedArray;
    } catch (error) {
      throw new CorruptFileError(crate, `an array of ${read.count} elements is too large to allocate`, {
        cause: error,
        objectPath,
      });
    }
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    const { sliceBytes, readThreads } = this.options;
    await this.session(`read dataset ${read.path}`, (file) =>
      readInParallel({ crate, objectPath, read, sliceBytes }, bytes, readThreads, (part) => {
        const offset = array.byteOffset + (part.start - read.start) * read.bytesPerElement;
        this.readHere(
          file,
          kind,
          part,
          new (constructorFor(kind))(array.buffer, offset, part.count) as StoredTypedArray,
        );
      }),
    );
    return array;
  }
}

function fileSize(crate: string): number {
  try {
    return statSync(crate).size;
  } catch (error) {
    throw new FileMissingError(crate, { cause: error });
  }
}

/** ObjectSerializer.load: the whole object, registered class instances revived. */
export async function loadObject(crate: string, objectPath: string, options: LoadOptions): Promise<unknown> {
  await checkHdf5Signature(crate, objectPath);
  const reading = new ObjectReading(await loadH5Runtime(), crate, objectPath, options);
  const { fail } = reading;
  // 1. Check the header, structure, class ids and every dataset it names; read the small ones.
  const { parsed, arrays, large } = reading.session('read the object', (file) => {
    const { header, structure, parsed } = reading.structure(file);
    const needs = scanStructure(parsed, fail);
    checkTypesRegistered(crate, objectPath, needs.typeIds);
    const inspected = new Map<string, { ref: DatasetRef; array: InspectedArray }>();
    for (const ref of needs.refs) {
      if (inspected.has(ref.name)) fail(`dataset ${ref.name} is referenced twice`);
      inspected.set(ref.name, { ref, array: reading.inspect(file, header, ref) });
    }
    checkDeclaredSizes(reading.context, [structure, ...[...inspected.values()].map((entry) => entry.array)]);
    const arrays = new Map<string, { ref: DatasetRef; array: StoredTypedArray }>();
    const large: { ref: DatasetRef; read: DatasetRead }[] = [];
    for (const { ref, array } of inspected.values()) {
      if (reading.parallel(array.read)) large.push({ ref, read: array.read });
      else arrays.set(ref.name, { ref, array: reading.readHere(file, ref.kind, array.read) });
    }
    return { parsed, arrays, large };
  });
  // 2. Large arrays: decompressed by worker threads, each with its own wasm instance.
  for (const { ref, read } of large)
    arrays.set(ref.name, { ref, array: await reading.readLarge(ref.kind, read) });
  // 3. Rebuild the value (pure JS, no file access) and give instances their registered classes.
  const decoded = decodeStructure(parsed, {
    loadDataset: (name, kind, length) => {
      const entry = arrays.get(name);
      if (!entry || entry.ref.kind !== kind || entry.ref.length !== length)
        return fail(`dataset ${name} is referenced inconsistently`);
      return entry.array;
    },
    corrupt: fail,
  });
  reviveInstances(crate, decoded.instances, objectPath);
  return decoded.root;
}

/** ObjectSerializer.readArray: part of one stored typed array, the object itself not revived. */
export async function readObjectArray(
  crate: string,
  objectPath: string,
  property: PropertyPath,
  range: { start?: number; count?: number },
  options: LoadOptions,
): Promise<StoredTypedArray> {
  const steps = parsePropertyPath(property, { file: crate, objectPath });
  await checkHdf5Signature(crate, objectPath);
  const reading = new ObjectReading(await loadH5Runtime(), crate, objectPath, options);
  const { fail } = reading;
  const found = reading.session('read an array', (file) => {
    const { header, structure, parsed } = reading.structure(file);
    // Datasets become empty placeholders: only the one asked for is read.
    const placeholders = new Map<object, DatasetRef>();
    const decoded = decodeStructure(parsed, {
      loadDataset: (name, kind, length) => {
        const placeholder = new (constructorFor(kind))(0) as StoredTypedArray;
        placeholders.set(placeholder, { name, kind, length });
        return placeholder;
      },
      corrupt: fail,
    });
    const target = resolvePropertyPath(decoded.root, steps, { file: crate, objectPath });
    const stored = placeholders.get(target);
    const what = { crate, objectPath, what: String(property) };
    const { start, count } = checkReadRange(
      range.start,
      range.count,
      stored ? stored.length : target.length,
      what,
    );
    if (!stored) return { inline: target.slice(start, start + count) as StoredTypedArray };
    const array = reading.inspect(file, header, { ...stored, range: { start, count } });
    checkDeclaredSizes(reading.context, [structure, array]);
    if (reading.parallel(array.read)) return { large: { kind: stored.kind, read: array.read } };
    return { inline: reading.readHere(file, stored.kind, array.read) };
  });
  if (found.inline) return found.inline;
  const { kind, read } = found.large as { kind: TypedArrayName; read: DatasetRead };
  return reading.readLarge(kind, read);
}
