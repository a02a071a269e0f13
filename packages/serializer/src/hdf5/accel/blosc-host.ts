/// <reference path="./webassembly.d.ts" />
import { readFileSync } from 'node:fs';
import { simdBloscPlugin } from './blosc-simd-plugin.ts';
import { WasmReader } from './wasm-binary.ts';
import { Hdf5PluginError, WasmHeapExhaustedError, WorkerSafeInternalError } from './worker-errors.ts';

/**
 * Runs the Blosc compressor of h5wasm-plugins' `libH5Zblosc.so` without HDF5: the plugin is an
 * Emscripten side module, so this file plays the dynamic linker's part for it (its own memory,
 * table, stack and a small allocator) and calls the plugin's HDF5 filter function directly.
 * The bytes it returns are exactly what h5wasm would have stored for the chunk, because they come
 * from the same code with the same parameters; only where it runs changes (any thread, no HDF5).
 *
 * Compression only: the parts of the plugin that need HDF5 (set_local) or threads are not wired.
 */
export interface BloscHost {
  /**
   * Compresses one chunk of `chunkBytes` bytes (the dataset's chunk size) with the filter's
   * `cdValues` ([2, 2, typesize, chunk bytes, level, shuffle, compressor]); `data` shorter than
   * that (an edge chunk) is padded with zeros, as HDF5 pads it with the fill value. A chunk Blosc
   * cannot shrink comes back as Blosc's own uncompressed ("memcpyed") frame, 16 bytes longer,
   * where the HDF5 filter would give up (and h5wasm, which sets filters as mandatory, would fail).
   * With `into` (at least chunkBytes + 16 bytes), the frame is written there and a view of it
   * returned: no fresh memory per chunk.
   */
  compress(data: Uint8Array, chunkBytes: number, cdValues: readonly number[], into?: Uint8Array): Uint8Array;
}

export interface BloscHostOptions {
  /**
   * Run the plugin with its shuffle in WebAssembly SIMD (blosc-simd-plugin.ts; default true): the
   * same bytes, faster. False runs it exactly as shipped (tests compare the two).
   */
  simd?: boolean;
}

/** Blosc 1 frame header: version, compressor version, flags, typesize, then u32 nbytes, blocksize, cbytes. */
const BLOSC_HEADER_BYTES = 16;
const BLOSC_VERSION_FORMAT = 2;
const BLOSC_MEMCPYED = 0x02;
/** The compressor's format code (flags bits 5-7) by the compressor code in cd_values[6]. */
const COMPRESSOR_FORMATS = [0, 1, 1, 2, 3, 4] as const; // blosclz, lz4, lz4hc, snappy, zlib, zstd

/** The chunk stored as is, in the frame every Blosc 1 reader decodes with a plain copy. */
export function uncompressedBloscFrame(
  chunk: Uint8Array,
  cdValues: readonly number[],
  into?: Uint8Array,
): Uint8Array {
  const bytes = BLOSC_HEADER_BYTES + chunk.byteLength;
  const frame = into && into.byteLength >= bytes ? into.subarray(0, bytes) : new Uint8Array(bytes);
  const header = new DataView(frame.buffer, frame.byteOffset, bytes);
  const format = COMPRESSOR_FORMATS[cdValues[6] ?? 0] ?? 0;
  header.setUint8(0, BLOSC_VERSION_FORMAT);
  header.setUint8(1, 1); // the compressor's own format version (1 for every Blosc 1 codec)
  header.setUint8(2, BLOSC_MEMCPYED | (format << 5));
  header.setUint8(3, Math.min(255, cdValues[2] ?? 1));
  header.setUint32(4, chunk.byteLength, true);
  header.setUint32(8, chunk.byteLength, true); // one block
  header.setUint32(12, frame.byteLength, true);
  frame.set(chunk, BLOSC_HEADER_BYTES);
  return frame;
}

const PAGE_BYTES = 65536;
const MAX_PAGES = 32768; // 2 GiB, the wasm32 limit h5wasm has too
const STACK_BYTES = 1 << 20;
/** H5PL_TYPE_FILTER */
const FILTER_PLUGIN = 0;
/** Field offsets (in 32-bit words) of H5Z_class2_t on wasm32. */
const CLASS_ID = 1;
const CLASS_FILTER = 7;

interface DylinkMemory {
  memorySize: number;
  memoryAlign: number;
  tableSize: number;
}

/** The "dylink.0" section's memory info: how much data memory and how many table slots the module needs. */
function readDylink(module: WebAssembly.Module): DylinkMemory {
  const [section] = WebAssembly.Module.customSections(module, 'dylink.0');
  if (!section)
    throw new Hdf5PluginError('the Blosc plugin is not an Emscripten side module (no dylink.0 section)');
  const reader = new WasmReader(new Uint8Array(section), 0, "the Blosc plugin's dylink.0 section");
  while (reader.at < reader.bytes.length) {
    const type = reader.byte();
    const end = reader.u32() + reader.at;
    if (type === 1)
      return { memorySize: reader.u32(), memoryAlign: 2 ** reader.u32(), tableSize: reader.u32() };
    reader.at = end;
  }
  throw new Hdf5PluginError('the Blosc plugin has no memory info in its dylink.0 section');
}

/**
 * malloc/free for the plugin: blocks are reused by exact size, which is all Blosc needs (it asks
 * for the same few buffer sizes on every chunk), and memory grows on demand.
 */
class Heap {
  private top: number;
  private readonly memory: WebAssembly.Memory;
  private readonly sizes = new Map<number, number>();
  private readonly freeBySize = new Map<number, number[]>();

  // No parameter properties: worker threads run this file from sources with type stripping only.
  constructor(memory: WebAssembly.Memory, start: number) {
    this.memory = memory;
    this.top = align(start, 16);
  }

  malloc(bytes: number): number {
    const size = align(Math.max(bytes, 16), 16);
    const reused = this.freeBySize.get(size)?.pop();
    if (reused !== undefined) {
      this.sizes.set(reused, size);
      return reused;
    }
    const address = this.top;
    const pagesNeeded = Math.ceil((address + size) / PAGE_BYTES) - this.memory.buffer.byteLength / PAGE_BYTES;
    if (pagesNeeded > 0) {
      if (this.memory.buffer.byteLength / PAGE_BYTES + pagesNeeded > MAX_PAGES) return 0;
      this.memory.grow(pagesNeeded);
    }
    this.top = address + size;
    this.sizes.set(address, size);
    return address;
  }

  free(address: number): void {
    if (address === 0) return;
    const size = this.sizes.get(address);
    if (size === undefined) throw new WorkerSafeInternalError(`Blosc plugin freed unknown block ${address}`);
    this.sizes.delete(address);
    const list = this.freeBySize.get(size);
    if (list) list.push(address);
    else this.freeBySize.set(size, [address]);
  }
}

function align(value: number, to: number): number {
  return Math.ceil(value / to) * to;
}

export function loadBloscHost(pluginPath: string, options: BloscHostOptions = {}): BloscHost {
  const simd = options.simd === false ? undefined : simdBloscPlugin(pluginPath);
  const module = new WebAssembly.Module(simd ?? readFileSync(pluginPath));
  const dylink = readDylink(module);
  const memory = new WebAssembly.Memory({ initial: 64, maximum: MAX_PAGES });
  // [0, 1 MiB) is the stack (growing down from 1 MiB); the plugin's data follows, then the heap.
  const memoryBase = align(STACK_BYTES, dylink.memoryAlign);
  const heap = new Heap(memory, memoryBase + dylink.memorySize);
  const tableBase = 1; // slot 0 stays null, as function pointer 0 must
  const table = new WebAssembly.Table({ initial: tableBase + dylink.tableSize + 8, element: 'anyfunc' });
  const bytes = (): Uint8Array => new Uint8Array(memory.buffer);
  const words = (): Uint32Array => new Uint32Array(memory.buffer);

  const libc: Record<string, (...args: number[]) => number> = {
    malloc: (size) => heap.malloc(size),
    free: (address) => {
      heap.free(address);
      return 0;
    },
    calloc: (count, size) => {
      const address = heap.malloc(count * size);
      if (address) bytes().fill(0, address, address + count * size);
      return address;
    },
    posix_memalign: (out, _alignment, size) => {
      const address = heap.malloc(size); // every block is 16-aligned; Blosc asks for 32 only for SIMD it lacks here
      if (!address) return 12; // ENOMEM
      words()[out >>> 2] = address;
      return 0;
    },
    memcpy: (to, from, size) => {
      bytes().copyWithin(to, from, from + size);
      return to;
    },
    memmove: (to, from, size) => {
      bytes().copyWithin(to, from, from + size);
      return to;
    },
    memset: (to, value, size) => {
      bytes().fill(value, to, to + size);
      return to;
    },
    memcmp: (a, b, size) => {
      const view = bytes();
      for (let i = 0; i < size; i++) {
        const difference = (view[a + i] ?? 0) - (view[b + i] ?? 0);
        if (difference !== 0) return difference;
      }
      return 0;
    },
    strlen: (text) => bytes().indexOf(0, text) - text,
    strcmp: (a, b) => {
      const view = bytes();
      for (let i = 0; ; i++) {
        const x = view[a + i] ?? 0;
        const difference = x - (view[b + i] ?? 0);
        if (difference !== 0 || x === 0) return difference;
      }
    },
    // No environment: Blosc's BLOSC_NTHREADS & co. stay at their defaults (one thread, no env tuning).
    getenv: () => 0,
    pthread_once: (control, init) => {
      const view = new Int32Array(memory.buffer);
      if (view[control >>> 2] === 0) {
        view[control >>> 2] = 1;
        (table.get(init) as () => void)();
      }
      return 0;
    },
  };
  const quiet = () => 0; // printing, locking and error-stack calls: nothing to do single-threaded
  const unavailable = (name: string) => () => {
    throw new WorkerSafeInternalError(
      `the Blosc compressor host does not provide ${name} (only compression runs here)`,
    );
  };

  const env: Record<string, unknown> = {
    memory,
    __indirect_function_table: table,
    __stack_pointer: new WebAssembly.Global({ value: 'i32', mutable: true }, STACK_BYTES),
    __memory_base: new WebAssembly.Global({ value: 'i32', mutable: false }, memoryBase),
    __table_base: new WebAssembly.Global({ value: 'i32', mutable: false }, tableBase),
    ...libc,
  };
  const got: Record<string, Record<string, WebAssembly.Global>> = { 'GOT.mem': {}, 'GOT.func': {} };
  const placeholder = heap.malloc(64); // where imported data symbols (HDF5 error classes, stderr) point
  for (const entry of WebAssembly.Module.imports(module)) {
    if (entry.module === 'GOT.mem' || entry.module === 'GOT.func') {
      const globals = got[entry.module] as Record<string, WebAssembly.Global>;
      globals[entry.name] = new WebAssembly.Global({ value: 'i32', mutable: true }, placeholder);
    } else if (entry.module === 'env' && entry.kind === 'function' && !(entry.name in env)) {
      env[entry.name] =
        /^(H5open|H5Epush2|pthread_(?!create)|.*printf|puts|fwrite|fputc|fflush|clock|strerror|strtol)/.test(
          entry.name,
        )
          ? quiet
          : unavailable(entry.name);
    }
  }

  const instance = new WebAssembly.Instance(module, { env, ...got } as WebAssembly.Imports);
  const exports = instance.exports as Record<string, unknown>;
  // The module's own symbols reached through its GOT: data addresses are relative to memoryBase,
  // functions need a table slot.
  let nextSlot = tableBase + dylink.tableSize;
  for (const [kind, globals] of Object.entries(got)) {
    for (const [name, global] of Object.entries(globals)) {
      const own = exports[name];
      if (own === undefined) continue;
      if (kind === 'GOT.mem') global.value = memoryBase + (own as WebAssembly.Global).value;
      else {
        table.set(nextSlot, own as () => number);
        global.value = nextSlot++;
      }
    }
  }
  (exports.__wasm_apply_data_relocs as (() => void) | undefined)?.();
  (exports.__wasm_call_ctors as (() => void) | undefined)?.();

  if ((exports.H5PLget_plugin_type as () => number)() !== FILTER_PLUGIN)
    throw new Hdf5PluginError(`${pluginPath} is not an HDF5 filter plugin`);
  const classAddress = (exports.H5PLget_plugin_info as () => number)();
  const filterId = words()[(classAddress >>> 2) + CLASS_ID];
  if (filterId !== 32001) throw new Hdf5PluginError(`${pluginPath} is filter ${filterId}, not Blosc (32001)`);
  const filter = table.get(words()[(classAddress >>> 2) + CLASS_FILTER] ?? 0) as (
    flags: number,
    cdCount: number,
    cdValues: number,
    bytes: number,
    bufferSize: number,
    buffer: number,
  ) => number;
  const args = heap.malloc(64); // cd_values[8], then size_t buf_size, then void *buf

  /**
   * Runs the filter on the chunk at `input`. Returns the frame's address and length (the filter
   * freed `input`), or length 0 if Blosc could not fit the chunk (then `input` is still there).
   */
  const runFilter = (input: number, chunkBytes: number, cdValues: readonly number[]) => {
    if (cdValues.length > 8) throw new WorkerSafeInternalError('Blosc takes at most 8 filter parameters');
    const view = words();
    cdValues.forEach((value, i) => {
      view[(args >>> 2) + i] = value;
    });
    view[(args + 32) >>> 2] = chunkBytes;
    view[(args + 36) >>> 2] = input;
    const length = filter(0, cdValues.length, args, chunkBytes, args + 32, args + 36);
    return { output: words()[(args + 36) >>> 2] ?? 0, length: Math.max(0, length) };
  };
  const allocate = (bytes: number): number => {
    const address = heap.malloc(bytes);
    if (!address) throw new WasmHeapExhaustedError(bytes, `the Blosc host cannot allocate ${bytes} bytes`);
    return address;
  };
  const deliver = (frame: Uint8Array, into: Uint8Array | undefined): Uint8Array => {
    if (!into || into.byteLength < frame.byteLength) return frame.slice();
    into.set(frame);
    return into.subarray(0, frame.byteLength);
  };

  /** The frame for a chunk Blosc could not fit: the chunk as it is, in Blosc's memcpyed frame. */
  const uncompressed = (input: number, chunkBytes: number, cdValues: readonly number[], into?: Uint8Array) =>
    uncompressedBloscFrame(bytes().subarray(input, input + chunkBytes), cdValues, into);

  return {
    compress(data, chunkBytes, cdValues, into) {
      if (data.byteLength > chunkBytes)
        throw new WorkerSafeInternalError('the data is larger than the chunk');
      const input = allocate(chunkBytes);
      bytes().set(data, input);
      bytes().fill(0, input + data.byteLength, input + chunkBytes);
      const { output, length } = runFilter(input, chunkBytes, cdValues);
      // On success the filter swapped in its own buffer and freed ours; on failure ours is still there.
      const result =
        length > 0
          ? deliver(bytes().subarray(output, output + length), into)
          : uncompressed(input, chunkBytes, cdValues, into);
      heap.free(output);
      return result;
    },
  };
}
