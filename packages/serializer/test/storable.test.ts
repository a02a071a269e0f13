import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ObjectSerializer, Serializer } from '@hpc/serializer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTagged } from './bin-helpers.ts';

/** One storable-value rule set (src/storable/): both formats refuse the same values, at the same path. */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpc-storable-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const Float16 = (globalThis as { Float16Array?: new (length: number) => ArrayBufferView }).Float16Array;

const cases: { name: string; value: () => unknown; path: string; text: RegExp }[] = [
  {
    name: 'a boxed BigInt',
    value: () => ({ deep: { boxed: Object(1n) } }),
    path: '$.deep.boxed',
    text: /boxed BigInt/,
  },
  ...(Float16
    ? [
        {
          name: 'a nested Float16Array',
          value: () => ({ deep: { list: [1, { half: new Float16(4) }] } }),
          path: '$.deep.list[1].half',
          text: /Float16Array/,
        },
      ]
    : []),
];

describe('both formats refuse the same values with the same full property path', () => {
  for (const { name, value, path, text } of cases) {
    it(`.bin refuses ${name} at ${path}`, async () => {
      const error = await expectTagged(
        Serializer.serializeToFile(value(), join(dir, 'x.bin')),
        'UnsupportedValueError',
        text,
      );
      expect(error.propertyPath).toBe(path);
    });

    it(`HDF5 refuses ${name} at ${path}`, async () => {
      const crate = new ObjectSerializer(join(dir, 'x.h5'));
      const error = await expectTagged(crate.serialize(value(), '/v'), 'UnsupportedValueError', text);
      expect(error.propertyPath).toBe(path);
    });
  }

  it('has a Float16Array to test on this runtime', () => {
    expect(Float16).toBeDefined();
  });
});
