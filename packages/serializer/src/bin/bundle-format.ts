import { crc32 } from 'node:zlib';
import { alignUp } from './binary-format.ts';

/**
 * The bundle layout: many .bin crates in one file, each readable alone (a batch's processes; a
 * task reads only its own). All integers little-endian:
 *
 *    0  magic      8 bytes  \x89 H P C B D L \n
 *    8  version    u16      1
 *   10  flags      u16      0 (readers refuse any other value)
 *   12  count      u32      number of crates
 *   16  bundleId   16 bytes random: which bundle this is (a job checks it is still its own)
 *   32  crc32      u32      CRC-32 of bytes 0-31
 *   36  reserved   u32      0
 *   40  index      count records of 24 bytes:
 *                    offset u64 | length u64 | crateCrc u32 (the crate's own header CRC-32) |
 *                    recordCrc u32 (CRC-32 of the bundle id, the record's number as u32, bytes 0-19)
 *       crates     each a complete .bin crate at its 8-aligned offset
 *
 * A record is verified alone, so reading crate i costs the header, one record and that crate. The
 * record's CRC binds it to its place and its bundle (a record copied elsewhere fails); crateCrc
 * binds it to its crate, whose own checksums cover every byte of it.
 */
export const BUNDLE_MAGIC = Buffer.from([0x89, 0x48, 0x50, 0x43, 0x42, 0x44, 0x4c, 0x0a]);
export const BUNDLE_VERSION = 1;
export const BUNDLE_HEADER_BYTES = 40;
export const BUNDLE_RECORD_BYTES = 24;
/** Where a crate's own header keeps its CRC-32 (binary-format.ts). */
export const CRATE_CRC_OFFSET = 32;
/** More crates than any batch holds (SLURM's MaxArraySize is at most 4,000,001): refused before reading the index. */
export const MAX_BUNDLE_COUNT = 16_000_000;

export interface BundleRecord {
  offset: number;
  length: number;
  crateCrc: number;
}

export function encodeBundleHeader(count: number, bundleId: Buffer): Buffer {
  const header = Buffer.alloc(BUNDLE_HEADER_BYTES);
  BUNDLE_MAGIC.copy(header, 0);
  header.writeUInt16LE(BUNDLE_VERSION, 8);
  header.writeUInt32LE(count, 12);
  bundleId.copy(header, 16);
  header.writeUInt32LE(crc32(header.subarray(0, 32)), 32);
  return header;
}

export function encodeBundleRecord(bundleId: Buffer, index: number, record: BundleRecord): Buffer {
  const bytes = Buffer.alloc(BUNDLE_RECORD_BYTES);
  bytes.writeBigUInt64LE(BigInt(record.offset), 0);
  bytes.writeBigUInt64LE(BigInt(record.length), 8);
  bytes.writeUInt32LE(record.crateCrc, 16);
  bytes.writeUInt32LE(recordChecksum(bundleId, index, bytes), 20);
  return bytes;
}

export function recordChecksum(bundleId: Uint8Array, index: number, record: Buffer): number {
  const place = Buffer.alloc(4);
  place.writeUInt32LE(index);
  return crc32(record.subarray(0, 20), crc32(place, crc32(bundleId)));
}

/** Where the first crate starts. */
export function bundleDataStart(count: number): number {
  return alignUp(BUNDLE_HEADER_BYTES + count * BUNDLE_RECORD_BYTES);
}
