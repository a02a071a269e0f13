import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import v8 from 'node:v8';
import { Serializer } from '@hpc/serializer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleBin, type BinParts, deeplyNestedStructure, splitBin } from './support/bin-crafting.ts';
import { probe } from './support/probe.ts';
import { type Expectation, refusalProblems } from './support/refusal.ts';
import { scratchDir } from './support/scratch-dir.ts';

/**
 * Hand-built hostile .bin files: every checksum right, one thing wrong. Each is loaded in a fresh
 * child process (time and memory bounded) and must be refused with its typed error.
 */
let dir: string;
/** A valid crate with one 300 KB out-of-line array, split into its parts. */
let parts: BinParts;

beforeAll(async () => {
  dir = await scratchDir('hostile-bin', false);
  const file = join(dir, 'valid.bin');
  await Serializer.serializeToFile(
    { label: 'valid', values: Float64Array.from({ length: 37_500 }, (_, i) => i) },
    file,
  );
  parts = splitBin(await readFile(file));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectRefused(name: string, bytes: Buffer, expected: Expectation): Promise<void> {
  const file = join(dir, `${name}.bin`);
  await writeFile(file, bytes);
  expect(refusalProblems(await probe({ op: 'bin-load', file }), file, expected)).toEqual([]);
}

const corrupt = { tags: ['CorruptFileError'] };

describe.concurrent('hostile .bin files are refused with a typed error, before allocating', () => {
  it('the undamaged crafted file loads (the crafting itself is right)', async () => {
    const file = join(dir, 'crafted-valid.bin');
    await writeFile(file, assembleBin(parts));
    const report = await probe({ op: 'bin-load', file });
    expect(report.outcome).toMatchObject({ kind: 'loaded' });
  });

  it('overlapping manifest entries claiming 1.8 GB in a 300 KB file: refused, memory stays low', async () => {
    const entry = parts.manifest.arrays[0] as number[];
    const hostile = {
      ...parts,
      manifest: { ...parts.manifest, arrays: Array.from({ length: 6_000 }, () => entry) },
    };
    await expectRefused('overlapping', assembleBin(hostile), corrupt);
  });

  it('an array entry pointing past the end of the file', async () => {
    const [code, , byteLength] = parts.manifest.arrays[0] as number[];
    const beyond = {
      ...parts,
      manifest: { ...parts.manifest, arrays: [[code as number, 1 << 20, byteLength as number, 0]] },
    };
    await expectRefused('past-the-end', assembleBin(beyond), corrupt);
  });

  it('header version 0', async () => {
    await expectRefused('version-0', assembleBin(parts, { version: 0 }), corrupt);
  });

  it('nonzero header flags', async () => {
    await expectRefused('flags', assembleBin(parts, { flags: 1 }), corrupt);
  });

  it('nonzero reserved header bytes', async () => {
    await expectRefused('reserved', assembleBin(parts, { reserved: 0xdead }), corrupt);
  });

  it('a version-1 file (no array checksums) is refused by default', async () => {
    await expectRefused('version-1', assembleBin(parts, { version: 1 }), {
      tags: ['UnsupportedFormatVersionError'],
    });
  });

  it('a structure nested 200,000 arrays deep', async () => {
    const deep = {
      ...parts,
      manifest: { ...parts.manifest, arrays: [] },
      meta: deeplyNestedStructure(200_000),
      data: Buffer.alloc(0),
    };
    await expectRefused('deep', assembleBin(deep), corrupt);
  });

  it('a class table that revives a plain Array as a registered Process', async () => {
    const body = [1, 2, 3];
    const meta = v8.serialize([body, [body, 'reliability/FitProcess']]);
    const manifest = {
      ...parts.manifest,
      rootType: 'reliability/FitProcess',
      types: ['reliability/FitProcess'],
      arrays: [],
    };
    await expectRefused(
      'array-as-process',
      assembleBin({ ...parts, manifest, meta, data: Buffer.alloc(0) }),
      corrupt,
    );
  });
});
