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
