import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.shared.ts';

export default [
  // The library side: where the runner is and how to start it (used by the drivers).
  libraryConfig(['src/index.ts']),
  // The runner itself: one self-contained file that needs nothing but `node` on the compute node.
  defineConfig({
    entry: { 'node-runner': 'src/main.ts' },
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
  }),
];
