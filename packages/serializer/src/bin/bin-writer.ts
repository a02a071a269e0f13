import { type PositionalWrite, writeFileAtomic } from '@hpc/core';
import { typedArrayCode } from '../typed-arrays.ts';
import {
  type ArrayEntry,
  alignUp,
  type CrateManifest,
  encodeHeader,
  FORMAT_VERSION,
  HEADER_BYTES,
  MAX_CRC32,
} from './binary-format.ts';
import { crc32Of, writeChecksummed } from './checksummed-io.ts';
import { type EncodedStructure, encodeStructure } from './v8-payload.ts';

/** A structure and where each of its out-of-line arrays goes, from the data start. */
interface Planned extends EncodedStructure {
  offsets: number[];
}

function plan(value: unknown, inlineArrayBytes: number): Planned {
  const structure = encodeStructure(value, inlineArrayBytes);
  const offsets: number[] = [];
  let offset = 0;
  for (const view of structure.arrays) {
    offsets.push(offset);
    offset = alignUp(offset + view.byteLength); // each array 8-byte aligned, in order
  }
  return { ...structure, offsets };
}

export interface WriteOptions {
  durable: boolean;
  inlineArrayBytes: number;
}

/**
 * Below this many out-of-line bytes the file is built as pieces in memory (checksums first, a
 * pass over little data); above it the arrays are streamed to their places with their checksums
 * computed during the writes, and the header and manifest written last (see checksummed-io.ts).
 */
const STREAM_ARRAY_BYTES = 8 << 20;
const PADDING = new Uint8Array(8);

/** Writes `value` to `path` atomically; returns what its manifest says. */
export async function writeCrate(
  path: string,
  value: unknown,
  options: WriteOptions,
): Promise<CrateManifest> {
  const structure = plan(value, options.inlineArrayBytes);
  const arrayBytes = structure.arrays.reduce((total, view) => total + view.byteLength, 0);
  if (arrayBytes < STREAM_ARRAY_BYTES) {
    const { pieces, manifest } = framePieces(structure);
    await writeFileAtomic(path, pieces, { durable: options.durable });
    return manifest;
  }
  let manifest: CrateManifest | undefined;
  await writeFileAtomic(
    path,
    async (writeAt) => {
      manifest = await streamCrate(structure, writeAt);
    },
    { durable: options.durable },
  );
  return manifest as CrateManifest;
}

/** The file's bytes as pieces (large arrays are not copied), checksums computed first. */
export function encodeCrate(value: unknown, inlineArrayBytes: number) {
  return framePieces(plan(value, inlineArrayBytes));
}

function framePieces(structure: Planned): { pieces: Uint8Array[]; manifest: CrateManifest } {
  const manifest = manifestOf(
    structure,
    new Date().toISOString(),
    structure.arrays.map(bytesOf).map(crc32Of),
  );
  const manifestBytes = Buffer.from(JSON.stringify(manifest), 'utf8');
  const { header, dataStart, preambleEnd } = frame(structure, manifestBytes);
  const pieces: Uint8Array[] = [header, manifestBytes, structure.meta];
  if (structure.arrays.length) pieces.push(PADDING.subarray(0, dataStart - preambleEnd));
  for (const [index, view] of structure.arrays.entries()) {
    pieces.push(bytesOf(view));
    const pad = alignUp(view.byteLength) - view.byteLength;
    if (pad && index < structure.arrays.length - 1) pieces.push(PADDING.subarray(0, pad));
  }
  return { pieces, manifest };
}

/**
 * Structure first, then the arrays (checksummed on the way), then header and manifest at the
 * start. The manifest's room is reserved with the largest checksums, so its length (and every
 * offset after it) is known before the checksums are; the real manifest is padded with spaces.
 * Bytes between arrays are never written: a hole reads as zeros.
 */
async function streamCrate(structure: Planned, writeAt: PositionalWrite): Promise<CrateManifest> {
  const createdAt = new Date().toISOString();
  const reserved = JSON.stringify(
    manifestOf(
      structure,
      createdAt,
      structure.arrays.map(() => MAX_CRC32),
    ),
  );
  const manifestLength = Buffer.byteLength(reserved);
  const { dataStart } = frameLengths(structure, manifestLength);
  await writeAt(structure.meta, HEADER_BYTES + manifestLength);
  const crcs = await writeChecksummed(
    writeAt,
    structure.arrays.map((view, index) => ({
      bytes: bytesOf(view),
      position: dataStart + (structure.offsets[index] as number),
    })),
  );
  const manifest = manifestOf(structure, createdAt, crcs);
  const text = JSON.stringify(manifest);
  const manifestBytes = Buffer.from(text + ' '.repeat(manifestLength - Buffer.byteLength(text)), 'utf8');
  const { header } = frame(structure, manifestBytes);
  await writeAt(Buffer.concat([header, manifestBytes]), 0);
  return manifest;
}

function manifestOf(structure: Planned, createdAt: string, crcs: readonly number[]): CrateManifest {
  const arrays = structure.arrays.map(
    (view, index): ArrayEntry => [
      typedArrayCode(view),
      structure.offsets[index] as number,
      view.byteLength,
      crcs[index] as number,
    ],
  );
  return { rootType: structure.rootType, types: structure.types, arrays, createdAt };
}

function frameLengths(structure: Planned, manifestLength: number) {
  const preambleEnd = HEADER_BYTES + manifestLength + structure.meta.byteLength;
  const dataStart = alignUp(preambleEnd);
  const last = structure.arrays.length - 1;
  const totalLength =
    last < 0
      ? preambleEnd
      : dataStart +
        (structure.offsets[last] as number) +
        (structure.arrays[last] as ArrayBufferView).byteLength;
  return { preambleEnd, dataStart, totalLength };
}

function frame(structure: Planned, manifestBytes: Buffer) {
  const lengths = frameLengths(structure, manifestBytes.byteLength);
  const header = encodeHeader(
    {
      version: FORMAT_VERSION,
      flags: 0,
      manifestLength: manifestBytes.byteLength,
      metaLength: structure.meta.byteLength,
      totalLength: lengths.totalLength,
    },
    manifestBytes,
    structure.meta,
  );
  return { header, ...lengths };
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
