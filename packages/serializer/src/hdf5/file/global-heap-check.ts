/**
 * HDF5's global heap (where variable-length strings such as our attributes live) has no checksum,
 * and HDF5 2.0 walks a collection's objects trusting their sizes: one damaged size makes the walk
 * stand still (a free-space object of size 0: `p = begin + 0`, H5HGcache.c) and the read never
 * returns. The guard (h5wasm-guard.ts) checks every collection HDF5 reads with this walk first.
 *
 * Layout (HDF5 file format spec, "Global Heap"): "GCOL", version 1, 3 reserved bytes, the
 * collection's size (a length), then objects: index (2), reference count (2), 4 reserved, size (a
 * length), the data padded to 8 bytes. Index 0 is the free space, whose size covers its header.
 */

const SIGNATURE = [0x47, 0x43, 0x4f, 0x4c];
const SUPERBLOCK_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
/** The collection header and each object header, with 8-byte lengths. */
const HEADER_BYTES = 16;
const OBJECT_HEADER_BYTES = 16;
/** Beyond this a length cannot be a real size in a 32-bit wasm HDF5 (its size_t would wrap). */
const LARGEST_LENGTH = 2 ** 32 - 1;

function startsWith(bytes: Uint8Array, signature: readonly number[]): boolean {
  return bytes.byteLength >= signature.length && signature.every((byte, index) => bytes[index] === byte);
}

/** The superblock's "size of lengths" when `bytes` starts with one, else undefined. */
export function superblockLengthSize(bytes: Uint8Array): number | undefined {
  if (!startsWith(bytes, SUPERBLOCK_SIGNATURE) || bytes.byteLength < 15) return undefined;
  const version = bytes[8] as number;
  return version <= 1 ? bytes[14] : bytes[10];
}

export function startsGlobalHeap(bytes: Uint8Array): boolean {
  return bytes.byteLength >= HEADER_BYTES && startsWith(bytes, SIGNATURE) && bytes[4] === 1;
}

function readLength(bytes: Uint8Array, at: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, 8);
  const high = view.getUint32(4, true);
  return high === 0 ? view.getUint32(0, true) : Number.POSITIVE_INFINITY;
}

/**
 * What is wrong with the collection starting at `start` (its first bytes), or undefined when its
 * objects tile it exactly. `readAt(offset, length)` gives the collection's bytes at an offset from
 * its start (a short answer: past the end of the file); only the object headers are read.
 */
export function globalHeapDamage(
  start: Uint8Array,
  readAt: (offset: number, length: number) => Uint8Array,
): string | undefined {
  const size = readLength(start, 8);
  if (size > LARGEST_LENGTH || size < HEADER_BYTES) return `its size (${size} bytes) is impossible`;
  if (readAt(size - 1, 1).byteLength !== 1) return `its size (${size} bytes) runs past the end of the file`;
  let at = HEADER_BYTES;
  while (at < size) {
    // HDF5 takes a tail too small for an object header as free space.
    if (at + OBJECT_HEADER_BYTES > size) return undefined;
    const header =
      at + OBJECT_HEADER_BYTES <= start.byteLength ? start.subarray(at) : readAt(at, OBJECT_HEADER_BYTES);
    if (header.byteLength < OBJECT_HEADER_BYTES) return `object header at +${at} is past the end of the file`;
    const index = (header[0] as number) | ((header[1] as number) << 8);
    const length = readLength(header, 8);
    const span = index === 0 ? length : OBJECT_HEADER_BYTES + Math.ceil(length / 8) * 8;
    if (!(span >= OBJECT_HEADER_BYTES) || at + span > size)
      return `object ${index} at +${at} has a size of ${length} bytes, which does not fit its ${size} bytes`;
    at += span;
  }
  return undefined;
}
