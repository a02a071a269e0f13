import type { FileHandle } from 'node:fs/promises';

const MAX_READ_BYTES = 1 << 30;

/** Reads exactly `length` bytes at `position` (in ≤1 GiB calls), into `target` if given. */
export async function readFully(
  handle: FileHandle,
  position: number,
  length: number,
  target?: Uint8Array,
): Promise<Buffer> {
  const buffer = target ? Buffer.from(target.buffer, target.byteOffset, length) : Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(
      buffer,
      done,
      Math.min(MAX_READ_BYTES, length - done),
      position + done,
    );
    if (bytesRead === 0) throw new RangeError(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
  return buffer;
}
