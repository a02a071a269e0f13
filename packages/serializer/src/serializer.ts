import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { writeFileAtomic } from '@hpc/core';
import {
  alignUp,
  type CrateManifest,
  decodeHeader,
  encodeHeader,
  FORMAT_VERSION,
  HDF5_MAGIC,
  HEADER_BYTES,
  MAGIC,
} from './binary-format.ts';
import {
  CorruptFileError,
  FileMissingError,
  NotASerializedFileError,
  UnsupportedFormatVersionError,
  UnsupportedValueError,
} from './errors.ts';
import { type ClassInstance, reviveInstances, summarizeGraph } from './object-graph.ts';
import { readFully } from './read-fully.ts';
import { type StoredTypedArray, typedArrayCode, typedArrayConstructor } from './typed-arrays.ts';
import { OutOfLineDeserializer, OutOfLineSerializer } from './v8-payload.ts';

export interface SerializeOptions {
  /** fsync before returning (default true). Turn off for scratch files you can regenerate. */
  durable?: boolean;
  /** Typed arrays at least this large are stored out of line, unframed (default 64 KiB). */
  inlineArrayBytes?: number;
}

const DEFAULT_INLINE_ARRAY_BYTES = 64 * 1024;
const PADDING = new Uint8Array(8);

/**
 * One object graph per file, fast: v8's structured serialization for the structure, large typed
 * arrays written straight from their memory, registered class instances revived on read.
 */
// biome-ignore lint/complexity/noStaticOnlyClass: the public API is `Serializer.serializeToFile(...)`, as users know it.
export class Serializer {
  /** Writes `value` to `path` atomically (temp file, fsync, rename); returns what its manifest says. */
  static async serializeToFile(
    value: unknown,
    path: string,
    options: SerializeOptions = {},
  ): Promise<CrateManifest> {
    const { pieces, manifest } = encodeCrate(value, options);
    await writeFileAtomic(path, pieces, { durable: options.durable ?? true });
    return manifest;
  }

  /** Reads a file written by serializeToFile; never runs or imports code from it. */
  static async deserializeFromFile<T = unknown>(path: string): Promise<T> {
    const handle = await openForReading(path);
    try {
      const { manifest, meta, dataStart } = await readPreamble(handle, path);
      const arrays = await readArrays(handle, path, manifest, dataStart);
      return decodePayload<T>(path, meta, arrays);
    } finally {
      await handle.close();
    }
  }

  /** The manifest (class ids, arrays) of a file, without decoding it. Drivers use it to find modules. */
  static async readManifest(path: string): Promise<CrateManifest> {
    const handle = await openForReading(path);
    try {
      return (await readPreamble(handle, path)).manifest;
    } finally {
      await handle.close();
    }
  }

  /** The file's bytes as pieces (large arrays are not copied). */
  static encode(value: unknown, options: SerializeOptions = {}): Uint8Array[] {
    return encodeCrate(value, options).pieces;
  }
}

function encodeCrate(
  value: unknown,
  options: SerializeOptions,
): { pieces: Uint8Array[]; manifest: CrateManifest } {
  const summary = summarizeGraph(value);
  const serializer = new OutOfLineSerializer(options.inlineArrayBytes ?? DEFAULT_INLINE_ARRAY_BYTES);
  serializer.writeHeader();
  try {
    serializer.writeValue([value, flattenInstances(summary.instances)]);
  } catch (error) {
    throw new UnsupportedValueError(
      '$',
      'a value',
      `${(error as Error).message} (structured serialization refused it)`,
    );
  }
  const meta = serializer.releaseBuffer();
  const first = summary.instances[0];
  const rootType = first && first.object === value ? first.typeId : undefined;

  const arrays: CrateManifest['arrays'] = [];
  let offset = 0;
  for (const view of serializer.arrays) {
    arrays.push([typedArrayCode(view), offset, view.byteLength]);
    offset = alignUp(offset + view.byteLength);
  }
  const manifest: CrateManifest = {
    rootType,
    types: summary.typeIds,
    arrays,
    createdAt: new Date().toISOString(),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest), 'utf8');
  const preambleEnd = HEADER_BYTES + manifestBytes.byteLength + meta.byteLength;
  const dataStart = alignUp(preambleEnd);
  const totalLength = serializer.arrays.length ? dataStart + offset : preambleEnd;
  const header = encodeHeader({
    version: FORMAT_VERSION,
    flags: 0,
    manifestLength: manifestBytes.byteLength,
    metaLength: meta.byteLength,
    totalLength,
    crc32: crc32(meta, crc32(manifestBytes)),
  });

  const pieces: Uint8Array[] = [header, manifestBytes, meta];
  if (serializer.arrays.length) pieces.push(PADDING.subarray(0, dataStart - preambleEnd));
  for (const view of serializer.arrays) {
    pieces.push(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
    const pad = alignUp(view.byteLength) - view.byteLength;
    if (pad && view !== serializer.arrays.at(-1)) pieces.push(PADDING.subarray(0, pad));
  }
  return { pieces, manifest };
}

function flattenInstances(instances: readonly ClassInstance[]): unknown[] {
  const table: unknown[] = [];
  for (const { object, typeId } of instances) table.push(object, typeId);
  return table;
}

type FileHandle = Awaited<ReturnType<typeof open>>;

async function openForReading(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new FileMissingError(path, { cause: error });
    throw error;
  }
}

async function readPreamble(handle: FileHandle, path: string) {
  const { size } = await handle.stat();
  const head = await readFully(handle, 0, Math.min(size, HEADER_BYTES));
  if (head.byteLength < MAGIC.byteLength || !head.subarray(0, 8).equals(MAGIC)) {
    if (head.byteLength >= 8 && head.subarray(0, 8).equals(HDF5_MAGIC)) {
      throw new NotASerializedFileError(path, 'it is an HDF5 file; open it with ObjectSerializer');
    }
    throw new NotASerializedFileError(
      path,
      size === 0 ? 'the file is empty' : 'it does not start with the @hpc magic bytes',
    );
  }
  if (head.byteLength < HEADER_BYTES) throw new CorruptFileError(path, `truncated header (${size} bytes)`);
  const header = decodeHeader(head);
  if (header.version > FORMAT_VERSION)
    throw new UnsupportedFormatVersionError(path, header.version, FORMAT_VERSION);
  if (header.totalLength !== size) {
    throw new CorruptFileError(
      path,
      `the file is ${size} bytes but was written as ${header.totalLength} bytes (truncated or appended to)`,
    );
  }
  const preambleEnd = HEADER_BYTES + header.manifestLength + header.metaLength;
  if (preambleEnd > size) throw new CorruptFileError(path, 'header lengths point past the end of the file');
  const preamble = await readFully(handle, HEADER_BYTES, header.manifestLength + header.metaLength);
  const manifestBytes = preamble.subarray(0, header.manifestLength);
  const meta = preamble.subarray(header.manifestLength);
  if (crc32(meta, crc32(manifestBytes)) !== header.crc32)
    throw new CorruptFileError(path, 'checksum mismatch in the object structure');
  const manifest = parseManifest(path, manifestBytes);
  return { manifest, meta, dataStart: alignUp(preambleEnd), size };
}

function parseManifest(path: string, bytes: Buffer): CrateManifest {
  let manifest: CrateManifest;
  try {
    manifest = JSON.parse(bytes.toString('utf8')) as CrateManifest;
  } catch (error) {
    throw new CorruptFileError(path, 'the manifest is not valid JSON', { cause: error });
  }
  if (!manifest || !Array.isArray(manifest.types) || !Array.isArray(manifest.arrays)) {
    throw new CorruptFileError(path, 'the manifest lacks its types or arrays');
  }
  return manifest;
}

/** Allocates each out-of-line array only after checking it fits the file, then reads into it. */
async function readArrays(handle: FileHandle, path: string, manifest: CrateManifest, dataStart: number) {
  const { size } = await handle.stat();
  const arrays: StoredTypedArray[] = [];
  for (const [index, entry] of manifest.arrays.entries()) {
    const [code, offset, byteLength] = Array.isArray(entry) ? entry : [];
    const ctor = typeof code === 'number' ? typedArrayConstructor(code) : undefined;
    const valid =
      ctor !== undefined &&
      Number.isSafeInteger(offset) &&
      Number.isSafeInteger(byteLength) &&
      (offset as number) >= 0 &&
      (byteLength as number) >= 0 &&
      (offset as number) % 8 === 0 &&
      (byteLength as number) % ctor.BYTES_PER_ELEMENT === 0 &&
      dataStart + (offset as number) + (byteLength as number) <= size;
    if (!valid || !ctor)
      throw new CorruptFileError(path, `array ${index} has an impossible type, offset or length`);
    const array = new ctor((byteLength as number) / ctor.BYTES_PER_ELEMENT);
    await readFully(
      handle,
      dataStart + (offset as number),
      byteLength as number,
      new Uint8Array(array.buffer),
    );
    arrays.push(array);
  }
  return arrays;
}

function decodePayload<T>(path: string, meta: Buffer, arrays: readonly StoredTypedArray[]): T {
  let decoded: unknown;
  try {
    const deserializer = new OutOfLineDeserializer(meta, arrays);
    deserializer.readHeader();
    decoded = deserializer.readValue();
  } catch (error) {
    throw new CorruptFileError(path, `the object structure cannot be decoded (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 2 ||
    !Array.isArray(decoded[1]) ||
    decoded[1].length % 2 !== 0
  ) {
    throw new CorruptFileError(path, 'the payload is not [root, class table]');
  }
  const table = decoded[1] as unknown[];
  const instances: ClassInstance[] = [];
  for (let i = 0; i < table.length; i += 2) {
    const object = table[i];
    const typeId = table[i + 1];
    if (typeof object !== 'object' || object === null || typeof typeId !== 'string') {
      throw new CorruptFileError(path, `class table entry ${i / 2} is malformed`);
    }
    instances.push({ object, typeId });
  }
  reviveInstances(path, instances);
  return decoded[0] as T;
}
