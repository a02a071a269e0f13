import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as H5 from 'h5wasm';

/**
 * The one place that loads h5wasm. It is imported lazily (the first HDF5 call pays ~100 ms for
 * the wasm compile; importing '@hpc/serializer' pays nothing) and initialised once per thread:
 *   - only the Node build ('h5wasm/node', real files on disk); the bare 'h5wasm' is a browser
 *     build whose files live in memory and vanish;
 *   - the throwing error handler, so HDF5 failures become exceptions instead of stderr noise;
 *   - the plugin search list cleared (a user's HDF5_PLUGIN_PATH points at native .so files that
 *     wasm cannot load) and replaced by our wasm plugin folder.
 */
export type H5Wasm = typeof H5;
export type H5File = H5.File;
export type H5Group = H5.Group;
export type H5Dataset = H5.Dataset;
export type H5Module = H5Wasm['Module'];

export interface H5Runtime {
  h5: H5Wasm;
  module: H5Module;
  /** Where the wasm filter plugins (libH5Zblosc.so ...) were found. */
  pluginDir: string;
}

let runtime: Promise<H5Runtime> | undefined;

export function loadH5Runtime(): Promise<H5Runtime> {
  runtime ??= initialise().catch((error: unknown) => {
    runtime = undefined;
    throw error;
  });
  return runtime;
}

async function initialise(): Promise<H5Runtime> {
  const h5 = (await import('h5wasm/node')) as unknown as { default: H5Wasm };
  const module = await h5.default.ready;
  module.activate_throwing_error_handler();
  while (module.get_plugin_search_paths().length > 0) module.remove_plugin_search_path(0);
  const pluginDir = locatePluginDir();
  module.insert_plugin_search_path(pluginDir, 0);
  return { h5: h5.default, module, pluginDir };
}

const BLOSC_PLUGIN = 'libH5Zblosc.so';
const WASM_MAGIC = Buffer.from([0x00, 0x61, 0x73, 0x6d]);

/**
 * The wasm plugins (from h5wasm-plugins) ship in `plugins/` beside the built package and beside
 * every bundle (node-runner, CLI): look there first; from sources, use the workspace's
 * h5wasm-plugins.
 */
export function locatePluginDir(): string {
  const candidates: string[] = [];
  const here = dirname(fileURLToPath(import.meta.url));
  candidates.push(join(here, 'plugins'));
  try {
    const require = createRequire(import.meta.url);
    candidates.push(join(dirname(require.resolve('h5wasm-plugins/package.json')), 'plugins'));
  } catch {
    // Not resolvable from here (a bundle outside node_modules): the bundle's own folder is the answer.
  }
  for (const dir of candidates) {
    const plugin = join(dir, BLOSC_PLUGIN);
    if (existsSync(plugin) && startsWithWasmMagic(plugin)) return dir;
  }
  throw new Error(
    `@hpc/serializer: cannot find the wasm HDF5 filter plugins (${BLOSC_PLUGIN}) in ${candidates.join(' or ')}. Reinstall @hpc/serializer (its dist/plugins holds them), or copy h5wasm-plugins@0.2.1's plugins/ folder next to your bundle`,
  );
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
