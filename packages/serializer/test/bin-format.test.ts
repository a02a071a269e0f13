import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Process, registerProcess } from '@hpc/process';
import { FORMAT_VERSION, Serializer } from '@hpc/serializer';
import { beforeAll, describe, expect, it } from 'vitest';
import { craftCrate, expectTagged, regionsOf } from './bin-helpers.ts';

class Holder extends Process<number> {
  values = new Float64Array(0);
  bytes = new Int8Array(0);
  lookup = new Map<string, number[]>();
  run() {
    return this.values.length;
  }
}
registerProcess(Holder, { id: 'bin-format/Holder' });

function holder(doubles: number): Holder {
  const value = new Holder();
  value.values = Float64Array.from({ length: doubles }, (_, i) => Math.sin(i) * 1e3);
  value.bytes = Int8Array.from({ length: 70_001 }, (_, i) => i % 127); // odd length: padding after it
  value.lookup.set('a', [1, 2, 3]);
  return value;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpc-bin-format-'));
});

describe('.bin format version 2', () => {
  // 800 KB of arrays is built as pieces in memory; 12 MiB is streamed (header and manifest last).
  for (const [path, doubles] of [
    ['in memory', 100_000],
    ['streamed', 1_500_000],
  ] as const) {
    it(`(${path}) puts every array's CRC-32 in the manifest and covers the header's own bytes with the header CRC`, async () => {
      const file = join(dir, `layout-${doubles}.bin`);
      const value = holder(doubles);
      const manifest = await Serializer.serializeToFile(value, file);
      const bytes = await readFile(file);
      const regions = regionsOf(bytes);
      expect(bytes.readUInt16LE(8)).toBe(FORMAT_VERSION);
      expect(FORMAT_VERSION).toBe(2);
      expect(bytes.readUInt16LE(10)).toBe(0);
      expect(bytes.readUInt32LE(36)).toBe(0);
      expect(Number(bytes.readBigUInt64LE(24))).toBe(bytes.length);
      const headerCrc = crc32(
        bytes.subarray(...regions.structure),
        crc32(bytes.subarray(...regions.manifest), crc32(bytes.subarray(0, 32))),
      );
      expect(bytes.readUInt32LE(32)).toBe(headerCrc);
      expect(regions.manifestJson.arrays).toEqual(manifest.arrays);
      expect(manifest.arrays).toHaveLength(2);
      for (const [index, [start, end]] of regions.arrays.entries()) {
        expect(start % 8).toBe(0);
        expect(manifest.arrays[index]?.[3]).toBe(crc32(bytes.subarray(start, end)));
      }
      expect(regions.arrays.at(-1)?.[1]).toBe(bytes.length);
      for (const [start, end] of regions.padding)
        expect([...bytes.subarray(start, end)].every((b) => b === 0)).toBe(true);
      expect(await Serializer.deserializeFromFile(file)).toStrictEqual(value);
    });
  }

  it('encode() gives the same layout as serializeToFile', async () => {
    const file = join(dir, 'encoded.bin');
    const value = holder(10_000);
    await writeFile(file, Buffer.concat(Serializer.encode(value)));
    expect(await Serializer.deserializeFromFile(file)).toStrictEqual(value);
  });
});

describe('.bin header fields that are refused', () => {
  it('version 0, naming the field', async () => {
    const file = join(dir, 'v0.bin');
    await writeFile(file, craftCrate({ version: 0 }));
    await expectTagged(
      Serializer.deserializeFromFile(file),
      'CorruptFileError',
      /header field 'version' is 0/,
    );
  });

  it('nonzero flags and reserved bytes, naming the field', async () => {
    for (const [field, crate] of [
      ['flags', { flags: 4 }],
      ['reserved', { reserved: 1 << 24 }],
    ] as const) {
      const file = join(dir, `${field}.bin`);
      await writeFile(file, craftCrate(crate));
      for (const read of [Serializer.deserializeFromFile, Serializer.readManifest]) {
        await expectTagged(read(file), 'CorruptFileError', new RegExp(`header field '${field}' is 0x`));
      }
    }
  });

  it('version 1 (no array checksums): refused, saying to re-create it; read only on explicit request', async () => {
    const file = join(dir, 'v1.bin');
    const values = Float64Array.from({ length: 10_000 }, (_, i) => i);
    const data = new Uint8Array(values.buffer);
    await writeFile(
      file,
      craftCrate({
        version: 1,
        payload: [{ values }, []],
        inlineLimit: 1024,
        arrays: [[8, 0, data.length]],
        data,
      }),
    );
    for (const read of [Serializer.deserializeFromFile, Serializer.readManifest]) {
      const error = await expectTagged(
        read(file),
        'UnsupportedFormatVersionError',
        /format version 1 by an older @hpc, without checksums.*re-create it.*acceptVersion1WithoutChecksums: true/,
      );
      expect(error.version).toBe(1);
    }
    const legacy = { acceptVersion1WithoutChecksums: true };
    expect(await Serializer.deserializeFromFile(file, legacy)).toStrictEqual({ values });
    expect((await Serializer.readManifest(file, legacy)).arrays).toEqual([[8, 0, data.length]]);
    // The version-1 checksum did not cover the header: a version-2 reader's checksum does.
    const asV2 = craftCrate({
      payload: [{ values }, []],
      inlineLimit: 1024,
      arrays: [[8, 0, data.length]],
      data,
    });
    asV2.writeUInt16LE(1, 8);
    await writeFile(file, asV2);
    await expectTagged(Serializer.deserializeFromFile(file, legacy), 'CorruptFileError', /checksum mismatch/);
  });
});
