import { copyFileSync, existsSync, mkdirSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig } from 'tsup';

/**
 * The CLI is one self-contained program: dist/hpc.mjs plus lazily loaded chunks (a command's code
 * and the packages it needs load only when it runs), the node-runner it hands to the drivers, and
 * the wasm Blosc plugins h5wasm needs. Nothing else has to be installed next to it.
 */
function copyRuntimeFiles(): void {
  const runner = join('node_modules', '@hpc', 'node-runner', 'dist', 'node-runner.mjs');
  if (!existsSync(runner))
    throw new Error(`${runner} is missing: build @hpc/node-runner first (pnpm turbo run build)`);
  copyFileSync(runner, 'dist/node-runner.mjs');
  const serializerRequire = createRequire(
    realpathSync(join('node_modules', '@hpc', 'serializer', 'package.json')),
  );
  const plugins = join(dirname(serializerRequire.resolve('h5wasm-plugins/package.json')), 'plugins');
  mkdirSync('dist/plugins', { recursive: true });
  for (const plugin of ['libH5Zblosc.so', 'libH5Zblosc2.so'])
    copyFileSync(join(plugins, plugin), join('dist/plugins', plugin));
}

export default defineConfig({
  entry: { hpc: 'src/main.ts' },
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
