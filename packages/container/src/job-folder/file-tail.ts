import { open } from 'node:fs/promises';

/** The last `lines` lines of a text file (reads at most the last `maxBytes`); '' if it is missing. */
export async function tailFile(file: string, lines = 20, maxBytes = 64 * 1024): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const text = buffer.toString('utf8').replace(/\n$/, '');
    return text.split('\n').slice(-lines).join('\n');
  } finally {
    await handle.close();
  }
}
