import { readFileSync } from 'node:fs';
import { BYTE_SHUFFLE_WASM } from './byte-shuffle-wasm.ts';
import { encodeU32, WasmReader } from './wasm-binary.ts';
import { Hdf5PluginError } from './worker-errors.ts';

/**
 * h5wasm-plugins' Blosc filter (libH5Zblosc.so) with its generic byte shuffle and unshuffle
 * replaced by WebAssembly SIMD ones (wasm/byte-shuffle.wat). The plugin is built without SIMD, and
 * those two loops are a third or more of Blosc's time; the replacements take the same arguments
 * (type size, block bytes, source, destination), give the same bytes, and touch nothing but their
 * arguments and memory 0, so only the two function bodies in the code section change. Everything
 * else (Blosc's frames, codecs, block sizes) is the plugin's own code.
 */
const REPLACED = {
  blosc_internal_shuffle_generic: 'shuffle',
  blosc_internal_unshuffle_generic: 'unshuffle',
} as const;

const SECTION_TYPE = 1;
const SECTION_IMPORT = 2;
const SECTION_FUNCTION = 3;
const SECTION_EXPORT = 7;
const SECTION_CODE = 10;
const NAME_SUBSECTION_FUNCTIONS = 1;
const I32 = 0x7f;

interface Section {
  id: number;
  /** Where the section's id byte is. */
  header: number;
  /** Custom sections' name. */
  name?: string;
  /** Where the section's content starts and ends in the module. */
  start: number;
  end: number;
}

function sections(module: Uint8Array): Section[] {
  const reader = new WasmReader(module, 8);
  const found: Section[] = [];
  while (reader.at < module.length) {
    const header = reader.at;
    const id = reader.byte();
    const size = reader.u32();
    const start = reader.at;
    const section: Section = { id, header, start, end: start + size };
    if (id === 0) section.name = reader.name();
    found.push(section);
    reader.at = start + size;
  }
  return found;
}

function section(all: Section[], id: number, name?: string): Section {
  const found = all.find((s) => s.id === id && s.name === name);
  if (!found) throw new Hdf5PluginError(`the module has no ${name ?? `section ${id}`}`);
  return found;
}

/** The code section's function bodies (each without its size prefix). */
function functionBodies(module: Uint8Array, code: Section): Uint8Array[] {
  const reader = new WasmReader(module, code.start);
  return Array.from({ length: reader.u32() }, () => {
    const size = reader.u32();
    const body = module.subarray(reader.at, reader.at + size);
    reader.at += size;
    return body;
  });
}

function importedFunctionCount(module: Uint8Array, imports: Section): number {
  const reader = new WasmReader(module, imports.start);
  let functions = 0;
  for (let count = reader.u32(); count > 0; count--) {
    reader.name();
    reader.name();
    const kind = reader.byte();
    if (kind === 0) {
      reader.u32();
      functions++;
    } else if (kind === 1) {
      reader.byte();
      reader.skipLimits();
    } else if (kind === 2) reader.skipLimits();
    else if (kind === 3) reader.at += 2;
    else throw new Hdf5PluginError(`unknown import kind ${kind}`);
  }
  return functions;
}

/** Function index → name, from the "name" custom section. */
function functionNames(module: Uint8Array, names: Section): Map<number, string> {
  const reader = new WasmReader(module, names.start);
  reader.name(); // "name"
  const found = new Map<number, string>();
  while (reader.at < names.end) {
    const id = reader.byte();
    const end = reader.u32() + reader.at;
    if (id === NAME_SUBSECTION_FUNCTIONS) {
      for (let count = reader.u32(); count > 0; count--) found.set(reader.u32(), reader.name());
    }
    reader.at = end;
  }
  return found;
}

/** True if defined function `index` takes four i32 and returns nothing, like Blosc's shuffles. */
function takesFourInts(module: Uint8Array, all: Section[], index: number): boolean {
  const functions = new WasmReader(module, section(all, SECTION_FUNCTION).start);
  const count = functions.u32();
  if (index >= count) return false;
  for (let i = 0; i < index; i++) functions.u32();
  const typeIndex = functions.u32();
  const types = new WasmReader(module, section(all, SECTION_TYPE).start);
  for (let i = 0, count = types.u32(); i < count; i++) {
    if (types.byte() !== 0x60) throw new Hdf5PluginError('unknown type form');
    const params = Array.from({ length: types.u32() }, () => types.byte());
    const results = Array.from({ length: types.u32() }, () => types.byte());
    if (i === typeIndex) return results.length === 0 && params.length === 4 && params.every((p) => p === I32);
  }
  return false;
}

/** Our two SIMD bodies by export name. */
function simdBodies(): Map<string, Uint8Array> {
  const module = new Uint8Array(Buffer.from(BYTE_SHUFFLE_WASM, 'base64'));
  const all = sections(module);
  const bodies = functionBodies(module, section(all, SECTION_CODE));
  const exports = new WasmReader(module, section(all, SECTION_EXPORT).start);
  const byName = new Map<string, Uint8Array>();
  for (let count = exports.u32(); count > 0; count--) {
    const name = exports.name();
    const kind = exports.byte();
    const index = exports.u32();
    const body = bodies[index]; // no imported functions: export index = body index
    if (kind === 0 && body) byName.set(name, body);
  }
  return byName;
}

/**
 * The plugin with the two bodies replaced. Throws (naming what it did not find) if the module is
 * not the Blosc plugin this was made for: callers then use the plugin as it is.
 */
export function patchBloscPlugin(plugin: Uint8Array): Uint8Array {
  const all = sections(plugin);
  const code = section(all, SECTION_CODE);
  const imported = importedFunctionCount(plugin, section(all, SECTION_IMPORT));
  const names = functionNames(plugin, section(all, 0, 'name'));
  const ours = simdBodies();
  const bodies = functionBodies(plugin, code);
  for (const [theirs, replacement] of Object.entries(REPLACED)) {
    const index = [...names].find(([, name]) => name === theirs)?.[0];
    if (index === undefined) throw new Hdf5PluginError(`the Blosc plugin has no function ${theirs}`);
    const defined = index - imported;
    if (!takesFourInts(plugin, all, defined))
      throw new Hdf5PluginError(`${theirs} does not have Blosc's shuffle signature`);
    bodies[defined] = ours.get(replacement) as Uint8Array;
  }
  const content = Buffer.concat([
    Buffer.from(encodeU32(bodies.length)),
    ...bodies.flatMap((body) => [Buffer.from(encodeU32(body.length)), body]),
  ]);
  return Buffer.concat([
    plugin.subarray(0, code.header),
    Buffer.from([SECTION_CODE, ...encodeU32(content.length)]),
    content,
    plugin.subarray(code.end),
  ]);
}

const patchedByPath = new Map<string, Uint8Array | undefined>();

/**
 * The plugin file at `path` with its SIMD shuffle, read and patched once per thread (the compressor
 * host and the h5wasm runtime both want it); undefined if it cannot be read or is not the plugin
 * the patch was made for: callers then use the plugin as shipped.
 */
export function simdBloscPlugin(path: string): Uint8Array | undefined {
  if (!patchedByPath.has(path)) {
    let patched: Uint8Array | undefined;
    try {
      patched = patchBloscPlugin(readFileSync(path));
    } catch {
      patched = undefined;
    }
    patchedByPath.set(path, patched);
  }
  return patchedByPath.get(path);
}
