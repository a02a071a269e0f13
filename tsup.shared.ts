import { copyFileSync, mkdirSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from 'tsup';

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
 * Copies the wasm Blosc filter plugins h5wasm loads (from h5wasm-plugins, a dependency of
 * @hpc/serializer) into `<outDir>/plugins`, where a bundled program's plugin locator looks first.
 * `fromPackageDir` is a folder whose node_modules has @hpc/serializer.
 */
export function copyHdf5Plugins(fromPackageDir: string, outDir: string): void {
  const serializerRequire = createRequire(
    realpathSync(join(fromPackageDir, 'node_modules', '@hpc', 'serializer', 'package.json')),
  );
  const plugins = join(dirname(serializerRequire.resolve('h5wasm-plugins/package.json')), 'plugins');
  mkdirSync(join(outDir, 'plugins'), { recursive: true });
  for (const plugin of ['libH5Zblosc.so', 'libH5Zblosc2.so']) {
    copyFileSync(join(plugins, plugin), join(outDir, 'plugins', plugin));
  }
}

/** The HDF5 read worker as a bundle entry (parallel Blosc decoding in worker threads). */
export const HDF5_READ_WORKER_ENTRY = {
  'hdf5-read-worker': fileURLToPath(
    new URL('./packages/serializer/src/hdf5/read-worker.ts', import.meta.url),
  ),
};
