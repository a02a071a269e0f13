import { defineConfig } from 'tsup';

/** The bin: one small file; @hpc/runner (and its runner bundle) stays an installed dependency. */
export default defineConfig({
  entry: { 'node-runner': 'src/main.ts' },
  format: ['esm'],
  outExtension: () => ({ js: '.mjs' }),
  target: 'node22',
  platform: 'node',
  clean: true,
  sourcemap: false,
  dts: false,
  removeNodeProtocol: false,
  banner: { js: '#!/usr/bin/env node' },
});
