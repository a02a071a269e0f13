import { appendFile, mkdtemp, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_CHUNK_BYTES, LogCursor } from '../src/log-cursor.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpc-log-cursor-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function collector(): { print: (text: string) => void; text: () => string; pieces: () => number } {
  const parts: string[] = [];
  return { print: (text) => parts.push(text), text: () => parts.join(''), pieces: () => parts.length };
}

describe('LogCursor', () => {
  it('prints a log of several chunks in pieces, exactly, with characters split across chunk edges', async () => {
    const file = join(dir, 'big.log');
    // 3-byte and 4-byte characters so that chunk edges fall inside characters.
    const line = 'step ✓ 数据 🧪 done\n';
    const text = line.repeat(Math.ceil((3.5 * LOG_CHUNK_BYTES) / Buffer.byteLength(line)));
    await writeFile(file, text);
    const out = collector();
    const cursor = new LogCursor(file);
    expect(await cursor.printNew(out.print)).toBe('read');
    cursor.flush(out.print);
    expect(out.text()).toBe(text);
    expect(out.pieces()).toBeGreaterThanOrEqual(4);
    expect(cursor.offset).toBe(Buffer.byteLength(text));
  });

  it('prints only what was appended since the last read', async () => {
    const file = join(dir, 'grow.log');
    await writeFile(file, 'one\n');
    const cursor = new LogCursor(file);
    const first = collector();
    await cursor.printNew(first.print);
    expect(first.text()).toBe('one\n');
    await appendFile(file, 'two\n');
    const second = collector();
    await cursor.printNew(second.print);
    expect(second.text()).toBe('two\n');
    const nothing = collector();
    await cursor.printNew(nothing.print);
    expect(nothing.text()).toBe('');
  });

  it('holds back a character whose bytes arrive in two writes', async () => {
    const file = join(dir, 'split.log');
    const bytes = Buffer.from('é🧪\n');
    await writeFile(file, bytes.subarray(0, 3)); // 'é' and the first byte of the emoji
    const cursor = new LogCursor(file);
    const out = collector();
    await cursor.printNew(out.print);
    expect(out.text()).toBe('é');
    await appendFile(file, bytes.subarray(3));
    await cursor.printNew(out.print);
    expect(out.text()).toBe('é🧪\n');
  });

  it('starts again from the beginning when the file was truncated or replaced', async () => {
    const file = join(dir, 'rotate.log');
    await writeFile(file, 'a long first version\n');
    const cursor = new LogCursor(file);
    await cursor.printNew(collector().print);
    await truncate(file, 0);
    await appendFile(file, 'short\n');
    const afterTruncate = collector();
    expect(await cursor.printNew(afterTruncate.print)).toBe('restarted');
    expect(afterTruncate.text()).toBe('short\n');

    const replacement = join(dir, 'rotate.new');
    await writeFile(replacement, 'short\nreplaced\n');
    await rename(replacement, file);
    const afterReplace = collector();
    expect(await cursor.printNew(afterReplace.print)).toBe('restarted');
    expect(afterReplace.text()).toBe('short\nreplaced\n');
  });

  it('skipToEnd makes the next read print only new text; a missing file is reported, not thrown', async () => {
    const file = join(dir, 'later.log');
    const cursor = new LogCursor(file);
    expect(await cursor.printNew(collector().print)).toBe('missing');
    await writeFile(file, 'old\n');
    await cursor.skipToEnd();
    await appendFile(file, 'new\n');
    const out = collector();
    await cursor.printNew(out.print);
    expect(out.text()).toBe('new\n');
  });

  it('an unreadable log is a typed error naming the file', async () => {
    await writeFile(join(dir, 'plain'), '');
    const cursor = new LogCursor(join(dir, 'plain', 'below-a-file.log'));
    await expect(cursor.printNew(() => {})).rejects.toMatchObject({
      name: 'InputFileError',
      file: join(dir, 'plain', 'below-a-file.log'),
    });
  });
});
