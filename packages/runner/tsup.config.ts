import { cpSync, realpathSync } from 'node:fs';
import { builtinModules } from 'node:module';
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

/** The lazy built-ins' stand-ins call require(); an ES module has none of its own. */
const REQUIRE_BANNER =
  "import { createRequire as __hpcCreateRequire } from 'node:module';\nconst require = __hpcCreateRequire(import.meta.url);";

/**
 * Built-ins the bundled packages import at their top level but a `.bin` crate with a plain `.mjs`
 * module may never touch (the HDF5 path: worker threads, lock sleeps, wasm digests; the logger's
 * formatting). In the runner bundle each is a small CommonJS stand-in whose properties load the
 * real module on first use: esbuild reads an import from CommonJS as a property access at each use
 * (`import_x.name`), so functions, classes and values alike load only when touched, and no ES
 * module facade of the built-in is built (that alone evaluated util's and crypto's lazy getters).
 * Measured (benchmarks/runner-startup.bench.mjs): on its own this saves nothing yet on the trivial
 * path, because two calls there still load the two costly ones: @hpc/core's temp file names
 * (randomBytes → crypto, ~4 ms) and JobContainer's isMainThread (worker_threads, ~1 ms). Once
 * those two stop, the trivial path loads neither.
 */
const LAZY_BUILTINS = ['node:crypto', 'node:util', 'node:worker_threads', 'node:timers/promises'];
const LAZY_NAMESPACE = 'hpc-lazy-builtin';

const lazyBuiltins: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'hpc-lazy-builtins',
  setup(build) {
    const filter = new RegExp(`^(${LAZY_BUILTINS.join('|')})$`);
    build.onResolve({ filter }, (args) =>
      // The stand-in's own require() of the real module stays external.
      args.namespace === LAZY_NAMESPACE
        ? { path: args.path, external: true }
        : { path: args.path, namespace: LAZY_NAMESPACE },
    );
    build.onLoad({ filter: /.*/, namespace: LAZY_NAMESPACE }, async (args) => {
      if (!builtinModules.includes(args.path.slice('node:'.length)))
        throw new Error(`${args.path} is not a Node built-in`);
      const names = Object.keys(await import(args.path)).filter((name) => name !== 'default');
      return {
        loader: 'js',
        contents: [
          'let real;',
          `const load = () => (real ??= require(${JSON.stringify(args.path)}));`,
          `for (const name of ${JSON.stringify(names)})`,
          '  Object.defineProperty(module.exports, name, { enumerable: true, get: () => load()[name] });',
        ].join('\n'),
      };
    });
  },
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
    entry: {
      'node-runner': 'src/node-runner.ts',
      'node-runner-compile-cache': 'src/compile-cache-preload.ts',
    },
    noExternal: [/^(?!h5wasm)/],
    external: ['h5wasm/node'],
    banner: { js: `#!/usr/bin/env node\n${REQUIRE_BANNER}` },
    esbuildPlugins: [lazyBuiltins],
    onSuccess: async () => {
      copyH5wasmBuild();
      copyHdf5Plugins(SERIALIZER_PACKAGE_JSON, 'dist');
    },
  }),
  // Parallel HDF5 reads and write compression run in worker threads (a read worker carries its own h5wasm).
  defineConfig({ ...RUNNER_BUNDLE, entry: HDF5_WORKER_ENTRIES, banner: {} }),
];
