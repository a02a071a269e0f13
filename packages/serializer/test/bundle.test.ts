import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBundle, readBundleEntry, readBundleInfo, Serializer, writeBundle } from '@hpc/serializer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpc-bundle-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const values = [
  { i: 0, label: 'zero' },
  { i: 1, data: new Float64Array(100_000).map((_, k) => k * 0.5) },
  { i: 2, nested: { list: [1, 'two', 3n] } },
];

async function written(name: string) {
  const file = join(dir, name);
  const bundle = await writeBundle(
    file,
    values.map((value) => Serializer.encode(value, { inlineArrayBytes: 1024 })),
  );
  return { file, bundle };
}

describe('bundles of crates', () => {
  it('reads back each crate alone, exactly, with the id writeBundle returned; private by default', async () => {
    const { file, bundle } = await written('ok.bin');
    expect(bundle.count).toBe(3);
    expect(await readBundleInfo(file)).toEqual({ bundleId: bundle.bundleId, count: 3 });
    for (const [index, value] of values.entries()) {
      const entry = await readBundleEntry(file, index);
      expect(entry.value).toEqual(value);
      expect(entry.info.bundleId).toBe(bundle.bundleId);
    }
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('an open bundle reads any of its crates, in any order, with one header check', async () => {
    const { file, bundle } = await written('open.bin');
    const reader = await openBundle(file);
    try {
      expect(reader.info).toEqual({ bundleId: bundle.bundleId, count: 3 });
      for (const index of [2, 0, 1, 2]) expect(await reader.read(index)).toEqual(values[index]);
      await expect(reader.read(3)).rejects.toMatchObject({ _tag: 'CorruptFileError', file });
    } finally {
      await reader.close();
    }
  });

  it('refuses a crate number it does not hold', async () => {
    const { file } = await written('range.bin');
    await expect(readBundleEntry(file, 3)).rejects.toMatchObject({ _tag: 'CorruptFileError' });
    await expect(readBundleEntry(file, -1)).rejects.toMatchObject({ _tag: 'CorruptFileError' });
  });

  it('every flipped byte of the header, index and crates is a typed error or the exact value', async () => {
    const { file } = await written('flips.bin');
    const original = await readFile(file);
    const damaged = join(dir, 'damaged.bin');
    let wrong = 0;
    // Every byte of header and index, then a stride through the crates.
    const positions = [...Array(120).keys(), ...Array.from({ length: 160 }, (_, k) => 120 + k * 5021)];
    for (const position of positions.filter((p) => p < original.length)) {
      const bytes = Buffer.from(original);
      bytes[position] = (bytes[position] as number) ^ 0x5a;
      await writeFile(damaged, bytes);
      for (const [index, value] of values.entries()) {
        try {
          const { value: loaded } = await readBundleEntry(damaged, index);
          if (JSON.stringify(loaded, replacer) !== JSON.stringify(value, replacer)) wrong++;
        } catch (error) {
          expect((error as { _tag?: string })._tag).toMatch(
            /CorruptFileError|NotASerializedFileError|UnsupportedFormatVersionError/,
          );
        }
      }
    }
    expect(wrong).toBe(0);
  });

  it('a record copied into another place of the index is refused (it is bound to its number)', async () => {
    const { file } = await written('swap.bin');
    const bytes = Buffer.from(await readFile(file));
    bytes.copy(bytes, 40, 40 + 24, 40 + 48); // record 1 over record 0
    await writeFile(file, bytes);
    await expect(readBundleEntry(file, 0)).rejects.toMatchObject({ _tag: 'CorruptFileError' });
    expect((await readBundleEntry(file, 1)).value).toEqual(values[1]);
  });

  it('a file that is not a bundle is NotASerializedFileError naming it', async () => {
    const file = join(dir, 'plain.bin');
    await Serializer.serializeToFile({ a: 1 }, file);
    await expect(readBundleEntry(file, 0)).rejects.toMatchObject({ _tag: 'NotASerializedFileError', file });
  });
});

function replacer(_key: string, value: unknown) {
  if (typeof value === 'bigint') return `${value}n`;
  if (ArrayBuffer.isView(value)) return Array.from(value as Float64Array);
  return value;
}
