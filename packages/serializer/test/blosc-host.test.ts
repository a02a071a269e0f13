import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBloscHost } from '../src/hdf5/accel/blosc-host.ts';
import { patchBloscPlugin } from '../src/hdf5/accel/blosc-simd-plugin.ts';
import {
  loadH5Runtime,
  loadH5WriteRuntime,
  locateBloscPlugin,
  locatePluginDir,
  locateRelayPluginDir,
  simdBloscPluginDir,
} from '../src/hdf5/h5wasm-runtime.ts';

const simd = loadBloscHost(locateBloscPlugin());
const bloscOwn = loadBloscHost(locateBloscPlugin(), { simd: false });

/** Blosc's filter parameters: [2, 2, typesize, chunk bytes, level, shuffle, compressor]. */
const params = (typesize: number, chunkBytes: number, level: number, shuffle: number, compressor: number) => [
  2,
  2,
  typesize,
  chunkBytes,
  level,
  shuffle,
  compressor,
];

function sample(kind: string, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let seed = 2463534242;
  const next = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  if (kind === 'random') for (let i = 0; i < bytes; i++) out[i] = next() & 0xff;
  else if (kind === 'smooth') {
    const floats = new Float64Array(out.buffer, 0, Math.floor(bytes / 8));
    for (let i = 0; i < floats.length; i++) floats[i] = Math.sin(i * 1e-3) * 100 + (next() / 2 ** 32) * 1e-6;
  } else if (kind === 'arange') {
    const ints = new Int32Array(out.buffer, 0, Math.floor(bytes / 4));
    for (let i = 0; i < ints.length; i++) ints[i] = i;
  }
  return out;
}

const COMPRESSORS = { blosclz: 0, lz4: 1, lz4hc: 2, zstd: 5 };
/** Chunk sizes: tiny (not compressed), several blocks with a short last one, and (for the fast codecs) 1 MiB. */
const CHUNK_BYTES = [100, 12_296, 300_007];
const chunkSizesFor = (compressor: number) =>
  compressor <= 1 ? [...CHUNK_BYTES, (1 << 20) + 24] : CHUNK_BYTES;

describe('the SIMD Blosc plugin', () => {
  it('is what every h5wasm instance reads and writes Blosc with', async () => {
    const { simdPluginDir } = await loadH5Runtime();
    expect(simdPluginDir).toMatch(/hpc-serializer-.*blosc-simd-/);
    expect((await loadH5WriteRuntime()).simdPluginDir).toBe(simdPluginDir);
  });

  it("is placed only in a folder of the user's own, open to nobody else, and rewritten if changed", () => {
    const root = mkdtempSync(join(tmpdir(), 'hpc-simd-dir-'));
    try {
      const base = join(root, `hpc-serializer-${process.getuid?.()}`);
      const dir = simdBloscPluginDir(locatePluginDir(), root) as string;
      expect(dir.startsWith(base)).toBe(true);
      const plugin = join(dir, 'libH5Zblosc.so');
      const patched = patchBloscPlugin(readFileSync(locateBloscPlugin()));
      expect(readFileSync(plugin).equals(patched)).toBe(true);
      writeFileSync(plugin, 'not the plugin');
      expect(simdBloscPluginDir(locatePluginDir(), root)).toBe(dir);
      expect(readFileSync(plugin).equals(patched)).toBe(true);
      // A base folder others can write to is not used (the shipped plugin is).
      chmodSync(base, 0o777);
      expect(simdBloscPluginDir(locatePluginDir(), root)).toBeUndefined();
      if (process.getuid?.() === 0) {
        // Nor one that belongs to someone else (only root can set that up here).
        chmodSync(base, 0o700);
        chownSync(base, 65534, 65534);
        expect(simdBloscPluginDir(locatePluginDir(), root)).toBeUndefined();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('changes only the plugin it was made for, and says why it refuses another module', () => {
    const relay = readFileSync(join(locateRelayPluginDir(), 'libH5Zhpc_chunk_relay.so'));
    expect(() => patchBloscPlugin(relay)).toThrow(/no (name|function)/);
    const shipped = readFileSync(locateBloscPlugin());
    const patched = patchBloscPlugin(shipped);
    expect(patched.byteLength).not.toBe(shipped.byteLength);
    // The same imports and exports: only two function bodies differ.
    const shape = (bytes: Uint8Array) => {
      const module = new WebAssembly.Module(bytes);
      return JSON.stringify([WebAssembly.Module.imports(module), WebAssembly.Module.exports(module)]);
    };
    expect(shape(patched)).toBe(shape(shipped));
  });
});

describe('the Blosc host', () => {
  it.each(Object.entries(COMPRESSORS))(
    'compresses with the SIMD shuffle into exactly the frames of the plugin as shipped (%s, every type size, level and block layout)',
    (_name, compressor) => {
      let compared = 0;
      for (const typesize of [2, 3, 4, 8])
        for (const level of [1, 5, 9])
          for (const chunkBytes of chunkSizesFor(compressor))
            for (const kind of ['smooth', 'arange', 'random', 'zeros']) {
              // An edge chunk too: less data than the chunk, padded with zeros.
              for (const data of [sample(kind, chunkBytes), sample(kind, Math.floor(chunkBytes * 0.7))]) {
                const cd = params(typesize, chunkBytes, level, 1, compressor);
                const ours = simd.compress(data, chunkBytes, cd);
                const theirs = bloscOwn.compress(data, chunkBytes, cd);
                expect(
                  Buffer.from(ours).equals(Buffer.from(theirs)),
                  `${typesize} ${level} ${chunkBytes} ${kind}`,
                ).toBe(true);
                compared++;
              }
            }
      expect(compared).toBe(4 * 3 * chunkSizesFor(compressor).length * 4 * 2);
    },
  );

  it('marks shuffled frames as shuffled, and stores what Blosc cannot shrink as the chunk itself', () => {
    const chunkBytes = 1 << 16;
    const shuffled = simd.compress(sample('smooth', chunkBytes), chunkBytes, params(8, chunkBytes, 5, 1, 1));
    expect((shuffled[2] ?? 0) & 0x03).toBe(0x01); // DOSHUFFLE, not MEMCPYED
    const random = sample('random', chunkBytes);
    const stored = simd.compress(random, chunkBytes, params(8, chunkBytes, 5, 1, 1));
    expect((stored[2] ?? 0) & 0x02).toBe(0x02); // MEMCPYED: the original bytes follow the header
    expect(Buffer.from(stored.subarray(16)).equals(Buffer.from(random))).toBe(true);
  });

  it('writes into a caller buffer when one is given, and into a fresh one when it is too small', () => {
    const chunkBytes = 1 << 16;
    const data = sample('smooth', chunkBytes);
    const into = new Uint8Array(chunkBytes + 16);
    const frame = simd.compress(data, chunkBytes, params(8, chunkBytes, 5, 1, 1), into);
    expect(frame.buffer).toBe(into.buffer);
    const alone = simd.compress(data, chunkBytes, params(8, chunkBytes, 5, 1, 1));
    expect(Buffer.from(frame).equals(Buffer.from(alone))).toBe(true);
    const tooSmall = new Uint8Array(8);
    expect(simd.compress(data, chunkBytes, params(8, chunkBytes, 5, 1, 1), tooSmall).buffer).not.toBe(
      tooSmall.buffer,
    );
  });
});
