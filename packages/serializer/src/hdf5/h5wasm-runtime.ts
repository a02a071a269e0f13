import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import type * as H5 from 'h5wasm';
import { simdBloscPlugin } from './accel/blosc-simd-plugin.ts';
import { BLOSC_PLUGIN, PLUGIN_FOLDER, RELAY_PLUGIN, RELAY_PLUGIN_FOLDER } from './accel/plugin-names.ts';
import { Hdf5PluginError } from './accel/worker-errors.ts';
import { type H5Guard, installGuard } from './h5wasm-guard.ts';
import { enableCompileCacheOnce, privateTempFolder } from './private-temp-folder.ts';

/**
 * The one place that loads h5wasm. It is imported lazily (the first HDF5 call pays ~100 ms for
 * the wasm compile; importing '@hpc/serializer' pays nothing) and initialised once per thread:
 *   - only the Node build ('h5wasm/node', real files on disk); the bare 'h5wasm' is a browser
 *     build whose files live in memory and vanish;
 *   - the guard (h5wasm-guard.ts): HDF5 failures become exceptions once h5wasm's C++ code has
 *     cleaned up, the instance opens only the files of its operations, traps retire it;
 *   - the plugin search list cleared (a user's HDF5_PLUGIN_PATH points at native .so files that
 *     wasm cannot load) and replaced by our wasm plugin folder, with Blosc's shuffle in SIMD
 *     (blosc-simd-plugin.ts) where that can be placed in a folder of our own.
 *
 * Writes use a second, independent instance (loadH5WriteRuntime): the same module file imported
 * under another URL, so it has its own wasm heap and its own filter registry, in which Blosc
 * (32001) is the chunk relay (wasm/chunk-relay.wat): Blosc chunks are compressed outside HDF5,
 * on worker threads, and handed to it already compressed. Reading stays on the first instance,
 * where 32001 is the real Blosc plugin.
 */
export type H5Wasm = typeof H5;
export type H5File = H5.File;
export type H5Group = H5.Group;
export type H5Dataset = H5.Dataset;
export type H5Module = H5Wasm['Module'];

export interface H5Runtime {
  h5: H5Wasm;
  module: H5Module;
  /** Which files the instance may open, HDF5's error reports, traps (h5wasm-guard.ts). */
  guard: H5Guard;
  /** Where the wasm filter plugins (libH5Zblosc.so ...) were found. */
  pluginDir: string;
  /** Blosc (32001) is the chunk relay here: Blosc chunks must arrive compressed (blosc-relay-write.ts). */
  relay: boolean;
  /** Where HDF5 finds the SIMD Blosc plugin before the shipped one; undefined: the shipped one only. */
  simdPluginDir: string | undefined;
}

/** One kind of instance (reading or writing): the current one, replaced when it is retired. */
interface Slot {
  loading: Promise<H5Runtime> | undefined;
  current: H5Runtime | undefined;
  /** Instances loaded so far: each replacement imports the module under a new URL. */
  generation: number;
}

const reader: Slot = { loading: undefined, current: undefined, generation: 0 };
const writer: Slot = { loading: undefined, current: undefined, generation: 0 };

export function loadH5Runtime(): Promise<H5Runtime> {
  return load(reader, 'hpc-reader', (url) =>
    initialise(url ? () => import(url) : () => import('h5wasm/node'), []),
  );
}

/**
 * The writing instance: Blosc chunks are written through the relay (see above). Where h5wasm is
 * bundled into the program (the hpc CLI) there is no module file to import twice: writes then
 * share the reading instance and its Blosc filter (single-threaded, as h5wasm alone does it).
 */
export function loadH5WriteRuntime(): Promise<H5Runtime> {
  if (!h5wasmModuleUrl()) return loadH5Runtime();
  return load(writer, 'hpc-writer', (url) =>
    initialise(() => import(url as string), [locateRelayPluginDir()]),
  );
}

/**
 * Takes a poisoned instance (a wasm trap, or a file HDF5 would not let go of) out of use: its
 * descriptors are closed, and the next call loads a fresh instance (the same module under a new
 * URL: a module once imported stays in memory, so each replacement costs its heap, ~16-100 MiB).
 * Where h5wasm is bundled (no module URL) no second instance can be made, and it stays.
 */
export function retireRuntime(runtime: H5Runtime): void {
  runtime.guard.poisoned = true;
  runtime.guard.closeStreams();
  for (const slot of [reader, writer]) {
    if (slot.current !== runtime || !h5wasmModuleUrl()) continue;
    slot.current = undefined;
    slot.loading = undefined;
  }
}

/** The slot's instance, loading it first; the reader's first one is 'h5wasm/node' itself. */
function load(
  slot: Slot,
  name: string,
  initialiseFrom: (url: string | undefined) => Promise<H5Runtime>,
): Promise<H5Runtime> {
  if (slot.current?.guard.poisoned) retireRuntime(slot.current);
  if (slot.loading) return slot.loading;
  const base = h5wasmModuleUrl();
  const generation = slot.generation++;
  const url =
    base && (name !== 'hpc-reader' || generation > 0) ? `${base}?instance=${name}-${generation}` : undefined;
  const loading = initialiseFrom(url).then(
    (runtime) => {
      if (slot.loading === loading) slot.current = runtime;
      return runtime;
    },
    (error: unknown) => {
      if (slot.loading === loading) slot.loading = undefined;
      throw error;
    },
  );
  slot.loading = loading;
  return loading;
}

function h5wasmModuleUrl(): string | undefined {
  try {
    const url = import.meta.resolve('h5wasm/node');
    return url.startsWith('file:') ? url : undefined;
  } catch {
    return undefined;
  }
}

async function initialise(load: () => Promise<unknown>, firstPluginDirs: string[]): Promise<H5Runtime> {
  enableCompileCacheOnce();
  const h5 = (await load()) as { default: H5Wasm };
  const module = await h5.default.ready;
  const pluginDir = locatePluginDir();
  const simdDir = simdBloscPluginDir(pluginDir);
  // HDF5 takes the first plugin that serves a filter id: the relay, where present, shadows Blosc,
  // and the SIMD Blosc shadows the shipped one. (H5PLinsert cannot append, so the list is built
  // from its end, each folder at index 0.)
  const dirs = [...firstPluginDirs, ...(simdDir ? [simdDir] : []), pluginDir];
  const guard = installGuard(module, dirs);
  while (module.get_plugin_search_paths().length > 0) module.remove_plugin_search_path(0);
  for (const dir of [...dirs].reverse()) module.insert_plugin_search_path(dir, 0);
  return {
    h5: h5.default,
    module,
    guard,
    pluginDir,
    relay: firstPluginDirs.length > 0,
    simdPluginDir: simdDir,
  };
}

const WASM_MAGIC = Buffer.from([0x00, 0x61, 0x73, 0x6d]);

/**
 * The wasm plugins (from h5wasm-plugins) ship in `plugins/` beside the built package and beside
 * every bundle (node-runner, CLI): look there first; from sources, use the workspace's
 * h5wasm-plugins.
 */
export function locatePluginDir(): string {
  const candidates: string[] = [];
  const here = dirname(fileURLToPath(import.meta.url));
  candidates.push(join(here, PLUGIN_FOLDER));
  try {
    const require = createRequire(import.meta.url);
    candidates.push(join(dirname(require.resolve('h5wasm-plugins/package.json')), PLUGIN_FOLDER));
  } catch {
    // Not resolvable from here (a bundle outside node_modules): the bundle's own folder is the answer.
  }
  return firstFolderWithPlugin(
    candidates,
    BLOSC_PLUGIN,
    `the wasm HDF5 filter plugins (${BLOSC_PLUGIN})`,
    "Reinstall @hpc/serializer (its dist/plugins holds them), or copy h5wasm-plugins@0.2.1's plugins/ folder next to your bundle",
  );
}

/** The chunk relay plugin: `relay-plugin/` beside the built package and bundles, or the package's wasm/ folder from sources. */
export function locateRelayPluginDir(): string {
  const candidates = [
    fileURLToPath(new URL(`./${RELAY_PLUGIN_FOLDER}`, import.meta.url)),
    fileURLToPath(new URL(`../../wasm/${RELAY_PLUGIN_FOLDER}`, import.meta.url)),
  ];
  return firstFolderWithPlugin(
    candidates,
    RELAY_PLUGIN,
    `the chunk relay plugin (${RELAY_PLUGIN})`,
    'Reinstall @hpc/serializer (its dist/relay-plugin holds it), or copy that folder next to your bundle',
  );
}

/** The first candidate folder holding `file` as a real wasm module (not a native .so), or a clear error. */
function firstFolderWithPlugin(candidates: string[], file: string, what: string, fix: string): string {
  for (const dir of candidates) {
    const plugin = join(dir, file);
    if (existsSync(plugin) && startsWithWasmMagic(plugin)) return dir;
  }
  throw new Hdf5PluginError(`@hpc/serializer: cannot find ${what} in ${candidates.join(' or ')}. ${fix}`);
}

/** Where the HDF5 filter plugins of this process come from (for `hpc doctor` and bug reports). */
export async function hdf5PluginFolders(): Promise<{ shipped: string; simd: string | undefined }> {
  const { pluginDir, simdPluginDir } = await loadH5Runtime();
  return { shipped: pluginDir, simd: simdPluginDir };
}

/**
 * A folder holding the SIMD Blosc plugin for h5wasm, which loads plugins only from files: a
 * per-user folder in the system temp folder, written once per plugin version (and checked byte
 * for byte before use). Undefined if that folder is not safely ours (another user's, or open to
 * others) or cannot be written: h5wasm then uses the plugin as shipped, only slower.
 */
export function simdBloscPluginDir(pluginDir: string, tempRoot = tmpdir()): string | undefined {
  try {
    const patched = simdBloscPlugin(join(pluginDir, BLOSC_PLUGIN));
    if (!patched) return undefined;
    const base = privateTempFolder(tempRoot);
    if (!base) return undefined;
    const digest = createHash('sha256').update(patched).digest('hex').slice(0, 16);
    const dir = join(base, `blosc-simd-${digest}`);
    const file = join(dir, BLOSC_PLUGIN);
    if (!existsSync(file) || !readFileSync(file).equals(patched)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const temp = `${file}.${process.pid}-${threadId}.tmp`;
      writeFileSync(temp, patched, { mode: 0o600 });
      renameSync(temp, file);
    }
    return dir;
  } catch {
    return undefined;
  }
}

/** The Blosc plugin file itself (the compressor threads run its code without HDF5). */
export function locateBloscPlugin(): string {
  return join(locatePluginDir(), BLOSC_PLUGIN);
}

function startsWithWasmMagic(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && head.equals(WASM_MAGIC);
  } finally {
    closeSync(fd);
  }
}
