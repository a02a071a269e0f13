import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const wasmFolder = join(dirname(fileURLToPath(import.meta.url)), '../wasm');
const check = async (assembler: string) =>
  (await promisify(execFile)(process.execPath, [join(wasmFolder, assembler), '--check'])).stdout;

describe('the committed WebAssembly', () => {
  it('chunk relay plugin is exactly what chunk-relay.wat assembles to', async () => {
    expect(await check('assemble-chunk-relay.mjs')).toContain('matches its source');
  });

  it('byte shuffle (byte-shuffle.wat and its bytes in byte-shuffle-wasm.ts) is exactly what its generator makes', async () => {
    expect(await check('assemble-byte-shuffle.mjs')).toContain('matches its source');
  });
});
