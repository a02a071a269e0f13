import { readFileSync } from 'node:fs';
import { mkdtemp, open, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HpcErrorTag } from '@hpc/core';
import { Process, registerClass, registerProcess } from '@hpc/process';
import { Serializer } from '@hpc/serializer';
import { beforeAll, describe, expect, it } from 'vitest';
import { craftCrate, expectTagged } from './bin-helpers.ts';

class Job extends Process<number> {
  run() {
    return 1;
  }
}
registerProcess(Job, { id: 'bin-hostile/Job' });
class Bag extends Map<string, number> {}
registerClass(Bag, { id: 'bin-hostile/Bag' });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpc-bin-hostile-'));
});

async function refused(name: string, bytes: Buffer, text: RegExp, tag: HpcErrorTag = 'CorruptFileError') {
  const file = join(dir, name);
  await writeFile(file, bytes);
  return expectTagged(Serializer.deserializeFromFile(file), tag, text);
}

const KIB = 1024;

describe('.bin layouts that lie about sizes are refused before anything is allocated', () => {
  // First in this file (its own process): the peak RSS only grows, so the bound is on the increase.
  it('6,000 overlapping 300 KB entries in a 300 KB file (1.8 GB if each were allocated): refused, peak memory unchanged', async () => {
    const data = new Uint8Array(300 * KIB);
    const arrays = Array.from({ length: 6000 }, () => [1, 0, data.length, 0]);
    const peakBefore = process.resourceUsage().maxRSS;
    await refused(
      'overlap.bin',
      craftCrate({ arrays, data }),
      /array 1 is listed at offset 0, but must start at 307200/,
    );
    expect((process.resourceUsage().maxRSS - peakBefore) * KIB).toBeLessThan(64 * KIB * KIB);
  });

  it('arrays out of order, with gaps, unaligned, past the end, or not filling the file', async () => {
    const data = new Uint8Array(1600);
    const cases: [string, unknown[], Uint8Array, RegExp][] = [
      [
        'order',
        [
          [1, 800, 800, 0],
          [1, 0, 800, 0],
        ],
        data,
        /array 0 is listed at offset 800, but must start at 0/,
      ],
      [
        'gap',
        [
          [1, 0, 400, 0],
          [1, 800, 800, 0],
        ],
        data,
        /array 1 is listed at offset 800, but must start at 400/,
      ],
      [
        'unaligned',
        [
          [0, 0, 3, 0],
          [0, 3, 5, 0],
        ],
        new Uint8Array(8),
        /array 1 .* must start at 8/,
      ],
      [
        'past-end',
        [[8, 0, 2 ** 40, 0]],
        data,
        /array 0 \(1099511627776 bytes at offset 0\) ends past the end/,
      ],
      ['short', [[1, 0, 800, 0]], data, /the arrays end at byte \d+, but the file has \d+ bytes/],
      ['extra', [], new Uint8Array(16), /\d+ bytes follow the structure, but no array is listed/],
    ];
    for (const [name, arrays, bytes, why] of cases)
      await refused(`${name}.bin`, craftCrate({ arrays, data: bytes }), why);
  });

  it('manifest entries of the wrong shape, unknown type codes and partial elements', async () => {
    const data = new Uint8Array(64);
    for (const entry of [
      5,
      [1, 0, 64],
      [1, 0, 64, 0, 0],
      [1, -8, 64, 0],
      [1, 0, 64.5, 0],
      ['1', 0, 64, 0],
      [1, 0, 64, 2 ** 32],
    ]) {
      await refused(
        `shape.bin`,
        craftCrate({ arrays: [entry], data }),
        /array 0 in the manifest (is not 4 non-negative integers|has a CRC-32 beyond 32 bits)/,
      );
    }
    await refused('code.bin', craftCrate({ arrays: [[11, 0, 64, 0]], data }), /unknown typed array code 11/);
    await refused(
      'partial.bin',
      craftCrate({ arrays: [[8, 0, 60, 0]], data: new Uint8Array(60) }),
      /60 bytes long, not a whole number of Float64Array elements/,
    );
  });

  it('a manifest that is not JSON or lacks its fields', async () => {
    for (const [text, why] of [
      ['{"types": [', /not valid JSON/],
      ['[1, 2]', /is not an object/],
      ['null', /is not an object/],
      ['{"types": "x", "arrays": [], "createdAt": ""}', /types is not a list of class ids/],
      ['{"types": [], "arrays": {}, "createdAt": ""}', /arrays is not a list/],
      ['{"types": [], "arrays": []}', /createdAt is not a string/],
      ['{"rootType": 7, "types": [], "arrays": [], "createdAt": ""}', /rootType is not a string/],
    ] as const) {
      const file = join(dir, 'manifest.bin');
      await writeFile(file, craftCrate({ manifestText: text }));
      for (const read of [Serializer.deserializeFromFile, Serializer.readManifest])
        await expectTagged(read(file), 'CorruptFileError', why);
    }
  });

  it('huge manifest and structure lengths in a small file', async () => {
    for (const [at, patch] of [
      [12, (b: Buffer) => b.writeUInt32LE(0xffff_ffff, 12)],
      [16, (b: Buffer) => b.writeBigUInt64LE(2n ** 63n, 16)],
      [16, (b: Buffer) => b.writeBigUInt64LE(2n ** 64n - 1n, 16)],
    ] as const) {
      const bytes = craftCrate();
      patch(bytes);
      await refused(
        `lengths-${at}.bin`,
        bytes,
        /header's lengths .* point past the end of the \d+-byte file/,
      );
    }
  });

  const overcommit = (() => {
    try {
      return readFileSync('/proc/sys/vm/overcommit_memory', 'utf8').trim();
    } catch {
      return 'unknown';
    }
  })();
  // With overcommit_memory=1 the kernel grants any allocation and the 1 TiB read would just run.
  it.skipIf(overcommit === '1')(
    'a valid layout that needs more memory than there is: InsufficientMemoryError, not a crash',
    async () => {
      const file = join(dir, 'sparse.bin');
      const head = craftCrate({ arrays: [[1, 0, 2 ** 40, 0]], data: new Uint8Array(0) });
      const total = Math.ceil(head.length / 8) * 8 + 2 ** 40;
      const bytes = craftCrate({ arrays: [[1, 0, 2 ** 40, 0]], data: new Uint8Array(0), totalLength: total });
      await writeFile(file, bytes);
      const handle = await open(file, 'r+');
      await handle.truncate(total); // sparse: 1 TiB of holes
      await handle.close();
      const error = await expectTagged(
        Serializer.deserializeFromFile(file),
        'InsufficientMemoryError',
        /not enough memory to load .*1099511627776 bytes for array 0/,
      );
      expect(error.file).toBe(file);
    },
  );
});

describe('.bin structures that are valid v8 but not a crate', () => {
  it('garbage, a wrong payload shape, and references to arrays the file does not have', async () => {
    await refused('not-pair.bin', craftCrate({ payload: { a: 1 } }), /not \[root, class table\]/);
    await refused('odd-table.bin', craftCrate({ payload: [1, ['x']] }), /not \[root, class table\]/);
    await refused(
      'bad-entry.bin',
      craftCrate({ payload: [1, [5, 'x']] }),
      /class table entry 0 is malformed/,
    );
    await refused(
      'missing-array.bin',
      craftCrate({ payload: [new Float64Array(64), []], inlineLimit: 8 }),
      /out-of-line array 0, but the file has 0/,
    );
  });

  it('an Array revived as a Process, a plain object as a Map subclass: refused (type confusion)', async () => {
    const list = [1, 2, 3];
    await refused(
      'array-as-process.bin',
      craftCrate({ payload: [list, [list, 'bin-hostile/Job']] }),
      /a stored Array cannot be revived as 'bin-hostile\/Job', whose instances are plain objects/,
    );
    const plain = { a: 1 };
    await refused(
      'object-as-map.bin',
      craftCrate({ payload: [plain, [plain, 'bin-hostile/Bag']] }),
      /a stored plain object cannot be revived as 'bin-hostile\/Bag', whose instances are Maps/,
    );
    const bag = new Bag([['a', 1]]);
    const file = join(dir, 'bag.bin');
    await Serializer.serializeToFile({ bag, job: new Job() }, file);
    const back = await Serializer.deserializeFromFile<{ bag: Bag; job: Job }>(file);
    expect(back.bag).toBeInstanceOf(Bag);
    expect(back.bag.get('a')).toBe(1);
    expect(back.job).toBeInstanceOf(Job);
  });
});
