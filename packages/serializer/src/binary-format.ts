/**
 * The .bin crate layout (all integers little-endian):
 *
 *   0  magic        8 bytes  \x89 H P C S E R \n
 *   8  version      u16
 *  10  flags        u16      (0; reserved)
 *  12  manifestLen  u32      UTF-8 JSON manifest
 *  16  metaLen      u64      v8 structured-serialization payload
 *  24  totalLen     u64      the whole file's length (catches truncation)
 *  32  crc32        u32      of manifest + meta
 *  36  reserved     u32
 *  40  manifest, meta, then each large typed array's raw bytes, 8-byte aligned
 *
 * Large typed arrays live outside the v8 payload so they are written from and read into their
 * own memory with no intermediate copy.
 */
export const MAGIC = Buffer.from([0x89, 0x48, 0x50, 0x43, 0x53, 0x45, 0x52, 0x0a]);
export const HDF5_MAGIC = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 40;
export const ARRAY_ALIGNMENT = 8;

/** What a reader can learn without decoding any object. */
export interface CrateManifest {
  /** Class id of the root object, if it is a registered class instance. */
  rootType: string | undefined;
  /** Every class id stored in the file. */
  types: string[];
  /** Out-of-line arrays: [typed array code, absolute byte offset, byte length]. */
  arrays: [number, number, number][];
  createdAt: string;
}

export interface Header {
  version: number;
  flags: number;
  manifestLength: number;
  metaLength: number;
  totalLength: number;
  crc32: number;
}

export function encodeHeader(header: Header): Buffer {
  const buffer = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(buffer, 0);
  buffer.writeUInt16LE(header.version, 8);
  buffer.writeUInt16LE(header.flags, 10);
  buffer.writeUInt32LE(header.manifestLength, 12);
  buffer.writeBigUInt64LE(BigInt(header.metaLength), 16);
  buffer.writeBigUInt64LE(BigInt(header.totalLength), 24);
  buffer.writeUInt32LE(header.crc32, 32);
  return buffer;
}

/** Reads the fixed header; magic is checked by the caller so it can say what the file is instead. */
export function decodeHeader(buffer: Buffer): Header {
  return {
    version: buffer.readUInt16LE(8),
    flags: buffer.readUInt16LE(10),
    manifestLength: buffer.readUInt32LE(12),
    metaLength: Number(buffer.readBigUInt64LE(16)),
    totalLength: Number(buffer.readBigUInt64LE(24)),
    crc32: buffer.readUInt32LE(32),
  };
}

export function alignUp(offset: number): number {
  return Math.ceil(offset / ARRAY_ALIGNMENT) * ARRAY_ALIGNMENT;
}
