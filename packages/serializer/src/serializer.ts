import { FileWriteError, isHpcError } from '@hpc/core';
import type { LayoutOptions } from './bin/bin-layout.ts';
import { readCrate, readCrateManifest } from './bin/bin-reader.ts';
import { encodeCrate, writeCrate } from './bin/bin-writer.ts';
import type { CrateManifest } from './bin/binary-format.ts';
import { InsufficientMemoryError, UnsupportedValueError } from './errors.ts';

export interface SerializeOptions {
  /** fsync before returning (default true). Turn off for scratch files you can regenerate. */
  durable?: boolean;
  /** Typed arrays at least this large are stored out of line, unframed (default 64 KiB). */
  inlineArrayBytes?: number;
}

export type DeserializeOptions = LayoutOptions;

const DEFAULT_INLINE_ARRAY_BYTES = 64 * 1024;

/**
 * One object graph per file, fast: v8's structured serialization for the structure, large typed
 * arrays written straight from their memory, registered class instances revived on read, and
 * every byte under a CRC-32 that each read verifies (layout: binary-format.ts).
 */
// biome-ignore lint/complexity/noStaticOnlyClass: the public API is `Serializer.serializeToFile(...)`, as users know it.
export class Serializer {
  /** Writes `value` to `path` atomically (temp file, fsync, rename); returns what its manifest says. */
  static async serializeToFile(
    value: unknown,
    path: string,
    options: SerializeOptions = {},
  ): Promise<CrateManifest> {
    try {
      return await writeCrate(path, value, {
        durable: options.durable ?? true,
        inlineArrayBytes: options.inlineArrayBytes ?? DEFAULT_INLINE_ARRAY_BYTES,
      });
    } catch (error) {
      throw asEncodeError(error, path);
    }
  }

  /** Reads a file written by serializeToFile; never runs or imports code from it. */
  static deserializeFromFile<T = unknown>(path: string, options: DeserializeOptions = {}): Promise<T> {
    return readCrate<T>(path, options);
  }

  /** The manifest (class ids, arrays) of a file, without decoding it. Drivers use it to find modules. */
  static readManifest(path: string, options: DeserializeOptions = {}): Promise<CrateManifest> {
    return readCrateManifest(path, options);
  }

  /** The file's bytes as pieces (large arrays are not copied; their checksums are a pass over them). */
  static encode(value: unknown, options: SerializeOptions = {}): Uint8Array[] {
    try {
      return encodeCrate(value, options.inlineArrayBytes ?? DEFAULT_INLINE_ARRAY_BYTES).pieces;
    } catch (error) {
      throw asEncodeError(error);
    }
  }
}

/** Write failures are already FileWriteErrors; what else can fail is the path, the value or the memory. */
function asEncodeError(error: unknown, path?: string): unknown {
  if (isHpcError(error)) return error;
  if (path !== undefined && /^ERR_INVALID_ARG/.test(String((error as { code?: unknown }).code)))
    return new FileWriteError(path, undefined, 'write', { cause: error });
  if (error instanceof RangeError && /allocation failed/i.test(error.message))
    return new InsufficientMemoryError(path ?? 'a value', 'its serialized form', {
      writing: true,
      cause: error,
    });
  return new UnsupportedValueError('$', 'a value', `serializing it failed: ${String(error)}`);
}
