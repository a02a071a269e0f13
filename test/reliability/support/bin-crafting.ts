/**
 * Byte-crafted .bin files, built to the documented layout (packages/serializer/src/bin/binary-format.ts)
 * so that every checksum is right and only the hostile part is wrong: a reader must find it by
 * checking the layout, not by a failed CRC. A crate written by Serializer is split into its
 * parts, changed, and assembled again in the version it was written in, or another: version 2
 * (the header CRC covers header bytes 0-31, the manifest and the structure; entries carry each
 * array's CRC-32) or version 1 (the CRC covers only manifest and structure; entries have no CRC).
 */
import { crc32 } from 'node:zlib';

const MAGIC = Buffer.from([0x89, 0x48, 0x50, 0x43, 0x53, 0x45, 0x52, 0x0a]);
const HEADER_BYTES = 40;

export type ArrayEntry = number[];

export interface BinParts {
  /** The format version the crate was written in. */
  version: number;
  manifest: { rootType?: string; types: string[]; arrays: ArrayEntry[]; createdAt: string };
  meta: Buffer;
  /** Everything after the padding that follows the structure: the out-of-line arrays. */
  data: Buffer;
}

export interface AssembleOptions {
  version?: number;
  flags?: number;
  reserved?: number;
}

const alignUp = (offset: number) => Math.ceil(offset / 8) * 8;

export function splitBin(bytes: Buffer): BinParts {
  if (!bytes.subarray(0, 8).equals(MAGIC)) throw new Error('not a .bin crate');
  const manifestLength = bytes.readUInt32LE(12);
  const metaLength = Number(bytes.readBigUInt64LE(16));
  const manifestEnd = HEADER_BYTES + manifestLength;
  const preambleEnd = manifestEnd + metaLength;
  const manifest = JSON.parse(
    bytes.subarray(HEADER_BYTES, manifestEnd).toString('utf8'),
  ) as BinParts['manifest'];
  const data = manifest.arrays.length ? bytes.subarray(alignUp(preambleEnd)) : Buffer.alloc(0);
  return { version: bytes.readUInt16LE(8), manifest, meta: bytes.subarray(manifestEnd, preambleEnd), data };
}

/** Array entries as `version` writes them: with the CRC-32 of the bytes they point at (v2), or without (v1). */
function entriesFor(version: number, parts: BinParts): ArrayEntry[] {
  return parts.manifest.arrays.map(([code, offset, byteLength, crc]) => {
    const base = [code as number, offset as number, byteLength as number];
    if (version === 1) return base;
    const bytes = parts.data.subarray(offset as number, (offset as number) + (byteLength as number));
    return [...base, crc ?? crc32(bytes)];
  });
}

export function assembleBin(parts: BinParts, options: AssembleOptions = {}): Buffer {
  const version = options.version ?? parts.version;
  // A version no @hpc writes (0) gets the checksums of the version the crate was written in.
  const rules = version === 1 || version === 2 ? version : parts.version;
  const manifest = Buffer.from(
    JSON.stringify({ ...parts.manifest, arrays: entriesFor(rules, parts) }),
    'utf8',
  );
  const preambleEnd = HEADER_BYTES + manifest.byteLength + parts.meta.byteLength;
  const padding = parts.data.byteLength ? Buffer.alloc(alignUp(preambleEnd) - preambleEnd) : Buffer.alloc(0);
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt16LE(version, 8);
  header.writeUInt16LE(options.flags ?? 0, 10);
  header.writeUInt32LE(manifest.byteLength, 12);
  header.writeBigUInt64LE(BigInt(parts.meta.byteLength), 16);
  header.writeBigUInt64LE(BigInt(preambleEnd + padding.byteLength + parts.data.byteLength), 24);
  const start = rules === 1 ? 0 : crc32(header.subarray(0, 32));
  header.writeUInt32LE(crc32(parts.meta, crc32(manifest, start)), 32);
  header.writeUInt32LE(options.reserved ?? 0, 36);
  return Buffer.concat([header, manifest, parts.meta, padding, parts.data]);
}

/**
 * A v8 structured-serialization payload of [nested, []] where `nested` is `depth` arrays inside
 * one another: 'A' <length> opens a dense array, '$' <properties> <length> closes it.
 */
export function deeplyNestedStructure(depth: number): Buffer {
  const open = Buffer.from([0x41, 0x01]);
  const close = Buffer.from([0x24, 0x00, 0x01]);
  const innermost = Buffer.from([0x41, 0x00, 0x24, 0x00, 0x00]);
  const emptyTable = Buffer.from([0x41, 0x00, 0x24, 0x00, 0x00]);
  return Buffer.concat([
    Buffer.from([0xff, 0x0f, 0x41, 0x02]),
    ...Array.from({ length: depth }, () => open),
    innermost,
    ...Array.from({ length: depth }, () => close),
    emptyTable,
    Buffer.from([0x24, 0x00, 0x02]),
  ]);
}
