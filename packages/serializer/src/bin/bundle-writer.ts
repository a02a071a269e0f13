import { randomBytes } from 'node:crypto';
import { InternalError, writeFileAtomic } from '@hpc/core';
import { alignUp } from './binary-format.ts';
import {
  BUNDLE_HEADER_BYTES,
  BUNDLE_RECORD_BYTES,
  type BundleRecord,
  bundleDataStart,
  CRATE_CRC_OFFSET,
  encodeBundleHeader,
  encodeBundleRecord,
  MAX_BUNDLE_COUNT,
} from './bundle-format.ts';

/** A written bundle: its id (hex, for the job to check) and size. */
export interface WrittenBundle {
  bundleId: string;
  count: number;
  bytes: number;
}

/**
 * Writes crates (each as Serializer.encode gave its pieces) into one bundle file, atomically (temp
 * file, fsync, rename) with `mode`. The crates' bytes are not copied: the pieces are written as they are.
 */
export async function writeBundle(
  file: string,
  crates: readonly (readonly Uint8Array[])[],
  options: { mode?: number; durable?: boolean } = {},
): Promise<WrittenBundle> {
  if (crates.length > MAX_BUNDLE_COUNT)
    throw new InternalError(
      `writeBundle: a bundle holds at most ${MAX_BUNDLE_COUNT} crates, not ${crates.length}`,
    );
  const bundleId = randomBytes(16);
  const records: Buffer[] = [];
  const body: Uint8Array[] = [];
  let offset = bundleDataStart(crates.length);
  const padding = (to: number, from: number) => (to > from ? [Buffer.alloc(to - from)] : []);
  crates.forEach((pieces, index) => {
    const length = pieces.reduce((sum, piece) => sum + piece.byteLength, 0);
    const record: BundleRecord = { offset, length, crateCrc: crateCrcOf(pieces) };
    records.push(encodeBundleRecord(bundleId, index, record));
    body.push(...pieces);
    const next = alignUp(offset + length);
    body.push(...padding(next, offset + length));
    offset = next;
  });
  const indexEnd = BUNDLE_HEADER_BYTES + records.length * BUNDLE_RECORD_BYTES;
  const content = [
    encodeBundleHeader(crates.length, bundleId),
    ...records,
    ...padding(bundleDataStart(crates.length), indexEnd),
    ...body,
  ];
  await writeFileAtomic(file, content, {
    ...(options.mode !== undefined ? { mode: options.mode } : {}),
    ...(options.durable !== undefined ? { durable: options.durable } : {}),
  });
  return { bundleId: bundleId.toString('hex'), count: crates.length, bytes: offset };
}

/** The CRC-32 a crate's header carries (bytes 32-35), from its first piece: the encoder's header. */
function crateCrcOf(pieces: readonly Uint8Array[]): number {
  const head = pieces[0];
  if (!head || head.byteLength < CRATE_CRC_OFFSET + 4)
    throw new InternalError(
      'writeBundle: a crate must start with its whole header (the pieces Serializer.encode gives)',
    );
  return Buffer.from(head.buffer, head.byteOffset, head.byteLength).readUInt32LE(CRATE_CRC_OFFSET);
}
