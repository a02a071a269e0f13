import { cpSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig, type Options } from 'tsup';
import {
  copyHdf5Plugins,
  HDF5_WORKER_ENTRIES,
  libraryConfig,
  SERIALIZER_PACKAGE_JSON,
} from '../../tsup.shared.ts';

const RUNNER_BUNDLE: Options = {
  format: ['esm'],
  outExtension: () => ({ js: '.mjs' }),
  target: 'node22',
  platform: 'node',
  noExternal: [/.*/],
  splitting: false,
  removeNodeProtocol: false,
  clean: false,
  sourcemap: false,
  banner: { js: '#!/usr/bin/env node' },
};

/** h5wasm's Node build (4 MB of inlined wasm) sits beside the runner, loaded only for HDF5 crates. */
function copyH5wasmBuild(): void {
  // h5wasm exports only an "import" condition, so locate its folder beside @hpc/serializer's.
  const serializerDir = realpathSync(join('node_modules', '@hpc', 'serializer'));
  const h5wasmNode = join(realpathSync(join(serializerDir, 'node_modules', 'h5wasm')), 'dist', 'node');
  cpSync(h5wasmNode, join('dist', 'h5wasm'), { recursive: true });
}

export default [
  // The library side: where the runner is and how to start it (used by the drivers).
  libraryConfig(['src/index.ts']),
  // The runner itself: one small self-contained file that needs nothing but `node` on the compute
  // node for binary crates. HDF5 crates also use dist/h5wasm/ and dist/plugins/ beside it.
  defineConfig({
    ...RUNNER_BUNDLE,
    entry: { 'node-runner': 'src/node-runner.ts' },
    noExternal: [/^(?!h5wasm)/],
    external: ['h5wasm/node'],
    onSuccess: async () => {
      copyH5wasmBuild();
      copyHdf5Plugins(SERIALIZER_PACKAGE_JSON, 'dist');
    },
  }),
  // Parallel HDF5 reads and write compression run in worker threads (a read worker carries its own h5wasm).
  defineConfig({ ...RUNNER_BUNDLE, entry: HDF5_WORKER_ENTRIES, banner: {} }),
];
