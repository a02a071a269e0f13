import { copyFileSync, cpSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { defineConfig } from 'tsup';
import { copyHdf5Plugins, HDF5_WORKER_ENTRIES, SERIALIZER_PACKAGE_JSON } from '../../tsup.shared.ts';

/**
 * The CLI is one self-contained program: dist/hpc.mjs plus lazily loaded chunks (a command's code
 * and the packages it needs load only when it runs), the node-runner it hands to the drivers, and
 * the wasm Blosc plugins h5wasm needs, and the dashboard's assets. Nothing else has to be installed next to it.
 */
function copyRuntimeFiles(): void {
  const runner = join('node_modules', '@hpc', 'runner', 'dist', 'node-runner.mjs');
  if (!existsSync(runner))
    throw new Error(`${runner} is missing: build @hpc/runner first (pnpm turbo run build)`);
  copyFileSync(runner, 'dist/node-runner.mjs');
  // Beside the runner, runnerCommand preloads it: the runner's code then comes from Node's compile cache.
  copyFileSync(join(dirname(runner), 'node-runner-compile-cache.mjs'), 'dist/node-runner-compile-cache.mjs');
  // The runner loads h5wasm from beside itself for HDF5 crates.
  cpSync(join(dirname(runner), 'h5wasm'), 'dist/h5wasm', { recursive: true });
  copyHdf5Plugins(SERIALIZER_PACKAGE_JSON, 'dist');
  // The dashboard's page script and stylesheet (served from disk: no network, no CDN).
  cpSync(join('src', 'dashboard', 'assets'), join('dist', 'dashboard-assets'), { recursive: true });
}

export default defineConfig({
  entry: { hpc: 'src/main.ts', 'doctor-probe': 'src/doctor-probe-process.ts', ...HDF5_WORKER_ENTRIES },
  format: ['esm'],
  outExtension: () => ({ js: '.mjs' }),
  target: 'node22',
  platform: 'node',
  noExternal: [/.*/],
  splitting: true,
  clean: true,
  sourcemap: false,
  dts: false,
  // Keep `node:` prefixes: `node:sqlite` (the SLURM job store) has no unprefixed name.
  removeNodeProtocol: false,
  // Bundle the workspace packages from their TypeScript sources (the '@hpc/source' condition).
  esbuildOptions(options) {
    options.conditions = ['@hpc/source'];
  },
  banner: {
    // Bundled CommonJS dependencies call require() for Node's built-ins.
    js: "#!/usr/bin/env node\nimport { createRequire as __hpcCreateRequire } from 'node:module';\nconst require = __hpcCreateRequire(import.meta.url);",
  },
  onSuccess: async () => copyRuntimeFiles(),
});
