import { copyFileSync, existsSync, mkdirSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from 'tsup';
import {
  BLOSC_PLUGINS,
  PLUGIN_FOLDER,
  RELAY_PLUGIN,
  RELAY_PLUGIN_FOLDER,
} from './packages/serializer/src/hdf5/accel/plugin-names.ts';

/** The one tsup setup every library package builds with: ESM, .d.ts, Node 22 target. */
export function libraryConfig(entry: Options['entry'] = ['src/index.ts'], extra: Options = {}) {
  return defineConfig({
    entry,
    format: ['esm'],
    dts: true,
    clean: true,
    target: 'node22',
    sourcemap: true,
    // Keep 'node:' prefixes: 'node:sqlite' has no unprefixed form.
    removeNodeProtocol: false,
    ...extra,
  });
}

/**
 * Copies the wasm Blosc filter plugins h5wasm loads (from h5wasm-plugins, ISC licence, with its
 * licence text) into `<outDir>/plugins`, where @hpc/serializer's plugin locator looks first.
 * `serializerPackageJson` is @hpc/serializer's package.json: h5wasm-plugins resolves from there.
 */
export function copyHdf5Plugins(serializerPackageJson: string, outDir: string): void {
  const serializerRequire = createRequire(realpathSync(serializerPackageJson));
  const pluginsPackage = dirname(serializerRequire.resolve('h5wasm-plugins/package.json'));
  mkdirSync(join(outDir, PLUGIN_FOLDER), { recursive: true });
  for (const plugin of BLOSC_PLUGINS) {
    copyFileSync(join(pluginsPackage, 'plugins', plugin), join(outDir, PLUGIN_FOLDER, plugin));
  }
  const licence = join(pluginsPackage, 'LICENSE');
  if (existsSync(licence)) copyFileSync(licence, join(outDir, PLUGIN_FOLDER, 'LICENSE.h5wasm-plugins'));
  // Our own chunk relay plugin (see packages/serializer/wasm), for the writing h5wasm instance.
  const relay = join(dirname(realpathSync(serializerPackageJson)), 'wasm', RELAY_PLUGIN_FOLDER);
  mkdirSync(join(outDir, RELAY_PLUGIN_FOLDER), { recursive: true });
  copyFileSync(join(relay, RELAY_PLUGIN), join(outDir, RELAY_PLUGIN_FOLDER, RELAY_PLUGIN));
}

/** @hpc/serializer's package.json as a workspace package that depends on it sees it. */
export const SERIALIZER_PACKAGE_JSON = join('node_modules', '@hpc', 'serializer', 'package.json');

/** The HDF5 worker threads as bundle entries: parallel Blosc decoding on read, compression on write. */
export const HDF5_WORKER_ENTRIES = {
  'hdf5-read-worker': fileURLToPath(
    new URL('./packages/serializer/src/hdf5/accel/read-worker.ts', import.meta.url),
  ),
  'hdf5-compress-worker': fileURLToPath(
    new URL('./packages/serializer/src/hdf5/accel/compress-worker.ts', import.meta.url),
  ),
};
