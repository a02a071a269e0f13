import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Process, registerClass, registerProcess } from '@hpc/process';
import { ObjectSerializer, Serializer } from '@hpc/serializer';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanHome, ESC, makeHome, runHpc } from './hpc-process.ts';

/** Classes registered only in this test process: the CLI never knows them, so it cannot revive anything. */
class InspectedSample {
  weights = new Float32Array(50_000);
}
class InspectedProcess extends Process {
  values = new Float64Array(100_000).fill(1.5);
  small = new Int32Array(4);
  sample = new InspectedSample();
  run() {
    return 0;
  }
}
registerClass(InspectedSample, { id: 'test/InspectedSample' });
registerProcess(InspectedProcess, { id: 'test/InspectedProcess' });

let home: string;
let bin: string;
let h5: string;

beforeAll(async () => {
  assertBuilt();
  home = await makeHome();
  bin = join(home, 'process.bin');
  h5 = join(home, 'crates.h5');
  await Serializer.serializeToFile(new InspectedProcess(), bin);
  const crate = new ObjectSerializer(h5);
  await crate.serialize(new InspectedProcess(), '/experiments/run1');
  await crate.serialize(new InspectedProcess(), '/experiments/run2', { codec: 'gzip' });
  await crate.serialize({ plain: [1, 2, 3] }, '/settings');
});
afterAll(() => cleanHome(home));

describe('hpc inspect', () => {
  it('shows a binary crate: root type, all types, out-of-line arrays with dtype, shape and size', async () => {
    const result = await runHpc(['inspect', bin], { home });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('@hpc binary crate');
    expect(result.stdout).toContain('root:   test/InspectedProcess');
    expect(result.stdout).toContain('types:  test/InspectedProcess, test/InspectedSample');
    expect(result.stdout).toMatch(/#0\s+Float64Array\s+\[100000\]\s+781\.3 KiB\s+none/);
    expect(result.stdout).toMatch(/#1\s+Float32Array\s+\[50000\]\s+195\.3 KiB\s+none/);
    expect(result.stdout).not.toContain(ESC);
  });

  it('--json for a binary crate', async () => {
    const result = await runHpc(['inspect', bin, '--json'], { home });
    const info = JSON.parse(result.stdout);
    expect(info).toMatchObject({
      format: 'hpc-binary',
      rootType: 'test/InspectedProcess',
      types: ['test/InspectedProcess', 'test/InspectedSample'],
    });
    expect(info.arrays[0]).toMatchObject({
      index: 0,
      dtype: 'Float64Array',
      shape: [100_000],
      bytes: 800_000,
      codec: 'none',
    });
  });

  it('shows the tree of objects in an HDF5 crate with their types and codecs', async () => {
    const result = await runHpc(['inspect', h5], { home });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('3 stored objects');
    expect(result.stdout).toMatch(
      /├─ experiments\/\n│ {2}├─ run1 {2}test\/InspectedProcess\n│ {2}│ {2}types: test\/InspectedProcess, test\/InspectedSample · codec: blosc-lz4/,
    );
    expect(result.stdout).toMatch(/│ {2}└─ run2 {2}test\/InspectedProcess\n.*codec: gzip/);
    expect(result.stdout).toMatch(/└─ settings {2}\(plain value\)/);
    const json = JSON.parse((await runHpc(['inspect', h5, '--json'], { home })).stdout);
    expect(json.objects.map((object: { path: string }) => object.path)).toEqual([
      '/experiments/run1',
      '/experiments/run2',
      '/settings',
    ]);
    expect(json.objects[0].arrays).toEqual([
      {
        name: 'arrays/0',
        dtype: 'Float64Array',
        shape: [100_000],
        chunks: [100_000],
        codec: 'blosc lz4 level=5 shuffle',
        bytes: 800_000,
      },
      {
        name: 'arrays/1',
        dtype: 'Float32Array',
        shape: [50_000],
        chunks: [50_000],
        codec: 'blosc lz4 level=5 shuffle',
        bytes: 200_000,
      },
    ]);
    expect(json.objects[1].arrays[0]).toMatchObject({ dtype: 'Float64Array', codec: 'gzip level=4' });
    expect(result.stdout).toMatch(/arrays\/0\s+Float64Array\s+\[100000\]/);
  });

  it('refuses files that are not crates, and damaged crates, with exit 1', async () => {
    const junk = join(home, 'junk.bin');
    await writeFile(junk, 'just some text\n');
    const notOurs = await runHpc(['inspect', junk], { home });
    expect(notOurs.exitCode).toBe(1);
    expect(notOurs.stderr).toContain('is neither an @hpc binary crate nor an HDF5 file');

    const truncated = join(home, 'truncated.bin');
    const bytes = await import('node:fs/promises').then(({ readFile }) => readFile(bin));
    await writeFile(truncated, bytes.subarray(0, 1000));
    const damaged = await runHpc(['inspect', truncated], { home });
    expect(damaged.exitCode).toBe(1);
    expect(damaged.stderr).toMatch(/truncated/);

    const missing = await runHpc(['inspect', join(home, 'nope.h5')], { home });
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('file not found');

    const folder = await runHpc(['inspect', home], { home });
    expect(folder.exitCode).toBe(1);
    expect(folder.stderr).toBe(`hpc inspect: ${home}: is a folder, not a file\n`);

    const fifo = join(home, 'a-pipe.bin');
    await execa('mkfifo', [fifo]);
    const pipe = await runHpc(['inspect', fifo], { home, timeoutMs: 10_000 });
    expect(pipe.exitCode).toBe(1);
    expect(pipe.stderr).toContain('is not a regular file');
  });
});
