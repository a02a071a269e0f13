import { crc32 } from 'node:zlib';

/**
 * The .bin crate layout, format version 2 (all integers little-endian):
 *
 *    0  magic        8 bytes  \x89 H P C S E R \n
 *    8  version      u16      2
 *   10  flags        u16      0 (none are defined; readers refuse any other value)
 *   12  manifestLen  u32      bytes of the manifest
 *   16  metaLen      u64      bytes of the structure
 *   24  totalLen     u64      the whole file's length (catches truncation and appended bytes)
 *   32  crc32        u32      CRC-32 of bytes 0-31, then the manifest, then the structure
 *   36  reserved     u32      0 (readers refuse any other value)
 *   40  manifest     UTF-8 JSON {"rootType"?, "types", "arrays", "createdAt"}, possibly followed
 *                    by spaces (the streaming writer reserves room for the checksums)
 *       structure    v8 structured serialization of [root, [object, classId, object, classId, ...]]
 *       padding      zeros up to a multiple of 8: the data start (only when there are arrays)
 *       arrays       the raw bytes of each out-of-line typed array, in manifest order. Entry
 *                    [typeCode, offset, byteLength, crc32]: typeCode indexes TYPED_ARRAYS, the
 *                    bytes are at dataStart + offset, crc32 is the CRC-32 of exactly those bytes.
 *                    The first array is at offset 0, each next one at the previous one's end
 *                    rounded up to 8 (zeros between, never read), and the last one ends the file.
 *
 * So every byte that decides what a read returns is under a CRC-32 (zlib's, as Python's
 * zlib.crc32), and the layout is checked whole before anything is allocated. Large typed arrays
 * live outside the structure so they are written from and read into their own memory with no
 * intermediate copy.
 *
 * Version 1 (before checksums of the array bytes): the same, except that crc32 covered only the
 * manifest and the structure, and array entries were [typeCode, offset, byteLength].
 */
export const MAGIC = Buffer.from([0x89, 0x48, 0x50, 0x43, 0x53, 0x45, 0x52, 0x0a]);
export const HDF5_MAGIC = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
export const FORMAT_VERSION = 2;
/** The version without array checksums, read only on explicit request. */
export const UNCHECKED_FORMAT_VERSION = 1;
export const HEADER_BYTES = 40;
/** Bytes 0-31: what the header checksum covers of the header itself. */
const HEADER_CHECKED_BYTES = 32;
export const ARRAY_ALIGNMENT = 8;
export const MAX_CRC32 = 0xffff_ffff;

/**
 * An out-of-line array: [typed array code, offset from the data start, byte length, CRC-32].
 * The CRC-32 is missing only in version-1 files (read with `acceptVersion1WithoutChecksums`).
 */
export type ArrayEntry = [code: number, offset: number, byteLength: number, crc32?: number];

/** What a reader can learn without decoding any object. */
export interface CrateManifest {
  /** Class id of the root object, if it is a registered class instance. */
  rootType: string | undefined;
  /** Every class id stored in the file. */
  types: string[];
  /** Out-of-line arrays, in file order. */
  arrays: ArrayEntry[];
  createdAt: string;
}

export interface Header {
  version: number;
  flags: number;
  manifestLength: number;
  metaLength: number;
  totalLength: number;
  crc32: number;
  reserved: number;
}

/** The header for a manifest and structure, with its checksum. */
export function encodeHeader(
  fields: Omit<Header, 'crc32' | 'reserved'>,
  manifest: Uint8Array,
  meta: Uint8Array,
): Buffer {
  const buffer = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(buffer, 0);
  buffer.writeUInt16LE(fields.version, 8);
  buffer.writeUInt16LE(fields.flags, 10);
  buffer.writeUInt32LE(fields.manifestLength, 12);
  buffer.writeBigUInt64LE(BigInt(fields.metaLength), 16);
  buffer.writeBigUInt64LE(BigInt(fields.totalLength), 24);
  buffer.writeUInt32LE(headerChecksum(fields.version, buffer, manifest, meta), 32);
  return buffer;
}

/** Reads the fixed header; magic is checked by the caller so it can say what the file is instead. */
export function decodeHeader(buffer: Buffer): Header {
  return {
    version: buffer.readUInt16LE(8),
    flags: buffer.readUInt16LE(10),
    manifestLength: buffer.readUInt32LE(12),
    // Beyond 2^53 the value is inexact, but then it is beyond any file's length and refused.
    metaLength: Number(buffer.readBigUInt64LE(16)),
    totalLength: Number(buffer.readBigUInt64LE(24)),
    crc32: buffer.readUInt32LE(32),
    reserved: buffer.readUInt32LE(36),
  };
}

/** The header's CRC-32 as `version` defines it (version 1 did not cover the header itself). */
export function headerChecksum(version: number, header: Buffer, manifest: Uint8Array, meta: Uint8Array) {
  const start = version === UNCHECKED_FORMAT_VERSION ? 0 : crc32(header.subarray(0, HEADER_CHECKED_BYTES));
  return crc32(meta, crc32(manifest, start));
}

export function alignUp(offset: number): number {
  return Math.ceil(offset / ARRAY_ALIGNMENT) * ARRAY_ALIGNMENT;
}
