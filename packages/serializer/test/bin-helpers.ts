import { type HpcErrorTag, isHpcError } from '@hpc/core';
import { expect } from 'vitest';
import { alignUp, encodeHeader, FORMAT_VERSION, HEADER_BYTES } from '../src/bin/binary-format.ts';
import { OutOfLineSerializer } from '../src/bin/v8-payload.ts';

/** A .bin crate built by hand, bypassing the writer's checks, as a hostile or broken writer would. */
export interface CraftedCrate {
  /** The decoded payload: [root, [object, classId, ...]] (default [{ a: 1 }, []]). */
  payload?: unknown;
  /** Manifest arrays (default none); the rest of the manifest is filled in. */
  arrays?: unknown[];
  /** The whole manifest as text, instead of one built from `arrays`. */
  manifestText?: string;
  /** Bytes after the structure's alignment padding (the arrays' region). */
  data?: Uint8Array;
  version?: number;
  flags?: number;
  /** Patched after the checksum (bytes 36-39 are not under it). */
  reserved?: number;
  /** Typed arrays at least this large in `payload` become out-of-line references (default: none). */
  inlineLimit?: number;
  /** Defaults to the real length. */
  totalLength?: number;
}

export function craftCrate(crate: CraftedCrate = {}): Buffer {
  const serializer = new OutOfLineSerializer(crate.inlineLimit ?? Number.POSITIVE_INFINITY);
  serializer.writeHeader();
  serializer.writeValue(crate.payload ?? [{ a: 1 }, []]);
  const meta = serializer.releaseBuffer();
  const manifest = Buffer.from(
    crate.manifestText ?? JSON.stringify({ types: [], arrays: crate.arrays ?? [], createdAt: '' }),
  );
  const preambleEnd = HEADER_BYTES + manifest.length + meta.length;
  const padding = crate.data ? Buffer.alloc(alignUp(preambleEnd) - preambleEnd) : Buffer.alloc(0);
  const data = crate.data ?? new Uint8Array(0);
  const header = encodeHeader(
    {
      version: crate.version ?? FORMAT_VERSION,
      flags: crate.flags ?? 0,
      manifestLength: manifest.length,
      metaLength: meta.length,
      totalLength: crate.totalLength ?? preambleEnd + padding.length + data.byteLength,
    },
    manifest,
    meta,
  );
  if (crate.reserved !== undefined) header.writeUInt32LE(crate.reserved, 36);
  return Buffer.concat([header, manifest, meta, padding, data]);
}

/** The typed error `promise` rejects with (failing the test if it resolves or throws untyped). */
export async function expectTagged(promise: Promise<unknown>, tag: HpcErrorTag, text?: RegExp) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isHpcError(error, tag), `expected ${tag}, got ${String(error)}`).toBe(true);
  if (text) expect(String((error as Error).message)).toMatch(text);
  return error as Error & Record<string, unknown>;
}

/** A .bin file's regions, found by reading it as the README documents it (not with the reader). */
export interface Regions {
  header: Record<'magic' | 'version' | 'flags' | 'lengths' | 'crc32' | 'reserved', [number, number]>;
  manifest: [number, number];
  structure: [number, number];
  /** Zeros before the first array, and between arrays. */
  padding: [number, number][];
  arrays: [number, number][];
  manifestJson: { arrays: [number, number, number, number][] };
}

export function regionsOf(bytes: Buffer): Regions {
  const manifestLength = bytes.readUInt32LE(12);
  const metaLength = Number(bytes.readBigUInt64LE(16));
  const manifestEnd = 40 + manifestLength;
  const preambleEnd = manifestEnd + metaLength;
  const manifestJson = JSON.parse(bytes.subarray(40, manifestEnd).toString('utf8'));
  const dataStart = Math.ceil(preambleEnd / 8) * 8;
  const arrays: [number, number][] = [];
  const padding: [number, number][] = [];
  let end = manifestJson.arrays.length ? preambleEnd : dataStart;
  for (const [, offset, byteLength] of manifestJson.arrays) {
    if (dataStart + offset > end) padding.push([end, dataStart + offset]);
    arrays.push([dataStart + offset, dataStart + offset + byteLength]);
    end = dataStart + offset + byteLength;
  }
  return {
    header: {
      magic: [0, 8],
      version: [8, 10],
      flags: [10, 12],
      lengths: [12, 32],
      crc32: [32, 36],
      reserved: [36, 40],
    },
    manifest: [40, manifestEnd],
    structure: [manifestEnd, preambleEnd],
    padding,
    arrays,
    manifestJson,
  };
}
