#!/usr/bin/env node
// Assembles chunk-relay.wat into relay-plugin/libH5Zhpc_chunk_relay.so (an Emscripten side module).
//   node packages/serializer/wasm/assemble-chunk-relay.mjs           writes the binary
//   node packages/serializer/wasm/assemble-chunk-relay.mjs --check   exits 1 if it differs
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { encodeU32 } from '../src/hdf5/accel/wasm-binary.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const RELAY_BINARY = join(here, 'relay-plugin', 'libH5Zhpc_chunk_relay.so');

/** The dylink.0 section Emscripten's loader reads first: 38 bytes of data (class + name), 1 table slot. */
function dylinkSection() {
  const memInfo = [...encodeU32(38), ...encodeU32(2), ...encodeU32(1), ...encodeU32(0)]; // size, log2 align, table size, log2 align
  const name = [...Buffer.from('dylink.0')];
  const body = [...encodeU32(name.length), ...name, 1, ...encodeU32(memInfo.length), ...memInfo];
  return Buffer.from([0, ...encodeU32(body.length), ...body]);
}

export async function assembleChunkRelay() {
  const wabt = await wabtInit();
  const source = readFileSync(join(here, 'chunk-relay.wat'), 'utf8');
  const parsed = wabt.parseWat('chunk-relay.wat', source, { bulk_memory: true });
  try {
    parsed.validate();
    const { buffer } = parsed.toBinary({});
    const binary = Buffer.from(buffer);
    // dylink.0 must be the first section: after the 8-byte header.
    return Buffer.concat([binary.subarray(0, 8), dylinkSection(), binary.subarray(8)]);
  } finally {
    parsed.destroy();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const binary = await assembleChunkRelay();
  if (process.argv.includes('--check')) {
    const same = readFileSync(RELAY_BINARY).equals(binary);
    console.log(same ? 'relay plugin matches its source' : 'relay plugin differs from chunk-relay.wat');
    process.exit(same ? 0 : 1);
  }
  writeFileSync(RELAY_BINARY, binary);
  console.log(`wrote ${RELAY_BINARY} (${binary.length} bytes)`);
}
