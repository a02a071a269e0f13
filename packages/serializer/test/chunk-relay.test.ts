import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const assembler = join(dirname(fileURLToPath(import.meta.url)), '../wasm/assemble-chunk-relay.mjs');

describe('the chunk relay plugin', () => {
  it('is exactly what its source assembles to (the committed binary cannot drift from chunk-relay.wat)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [assembler, '--check']);
    expect(stdout).toContain('matches its source');
  });
});
