import { WasmHeapExhaustedError } from '../accel/worker-errors.ts';
import type { H5Module } from '../h5wasm-runtime.ts';

/**
 * Attribute values, read without h5wasm's high-level reader: that one frees variable-length
 * memory even after a failed read, which on a damaged global heap frees whatever the buffer held
 * (heap damage: later loads failed one way or another depending on what came before). Here a
 * buffer starts zeroed, only a read that succeeded is reclaimed, and sizes are checked first.
 */
const H5T_INTEGER = 0;
const H5T_STRING = 3;
const SPACE_PADDED = 2;
/** Longest string attribute read (class id lists, codec labels and dates are far shorter). */
const MAX_STRING_BYTES = 16 << 20;

type AttributeMetadata = ReturnType<H5Module['get_attribute_metadata']>;

/** Reads the attribute's raw (little-endian) bytes into a zeroed heap buffer and hands it to `use`. */
function withAttributeBytes<T>(
  module: H5Module,
  fileId: bigint,
  path: string,
  name: string,
  bytes: number,
  use: (pointer: number) => T,
): T {
  const pointer = module._malloc(Math.max(bytes, 1));
  if (!pointer)
    throw new WasmHeapExhaustedError(
      bytes,
      `the wasm heap could not allocate ${bytes} bytes for attribute ${name}`,
    );
  try {
    module.HEAPU8.fill(0, pointer, pointer + bytes);
    module.get_attribute_data(fileId, path, name, BigInt(pointer));
    return use(pointer);
  } finally {
    module._free(pointer);
  }
}

/** A scalar integer attribute as a number; undefined when it is not a scalar integer that fits one. */
export function readIntegerAttribute(
  module: H5Module,
  fileId: bigint,
  path: string,
  name: string,
): number | undefined {
  const meta = module.get_attribute_metadata(fileId, path, name);
  if (meta.type !== H5T_INTEGER || meta.total_size !== 1 || ![1, 2, 4, 8].includes(meta.size))
    return undefined;
  const value = withAttributeBytes(module, fileId, path, name, meta.size, (pointer) => {
    const view = new DataView(module.HEAPU8.buffer, pointer, meta.size);
    if (meta.size === 8) return Number(meta.signed ? view.getBigInt64(0, true) : view.getBigUint64(0, true));
    if (meta.size === 4) return meta.signed ? view.getInt32(0, true) : view.getUint32(0, true);
    if (meta.size === 2) return meta.signed ? view.getInt16(0, true) : view.getUint16(0, true);
    return meta.signed ? view.getInt8(0) : view.getUint8(0);
  });
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * A uint32 array attribute of exactly `count` elements (a scalar counts as one). `wrong` is called
 * (and must throw) with what is wrong before anything is allocated.
 */
export function readUint32ArrayAttribute(
  module: H5Module,
  fileId: bigint,
  path: string,
  name: string,
  count: number,
  wrong: (detail: string) => never,
): Uint32Array {
  const meta = module.get_attribute_metadata(fileId, path, name);
  if (meta.type !== H5T_INTEGER || meta.size !== 4 || meta.signed || (meta.shape?.length ?? 0) > 1)
    wrong(
      `is not a uint32 array (class ${meta.type}, ${meta.size} bytes, shape ${JSON.stringify(meta.shape)})`,
    );
  if (meta.total_size !== count) wrong(`holds ${meta.total_size} values, not ${count}`);
  return withAttributeBytes(
    module,
    fileId,
    path,
    name,
    count * 4,
    (pointer) => new Uint32Array(module.HEAPU8.slice(pointer, pointer + count * 4).buffer),
  );
}

/** A scalar string attribute; undefined when it is not one. */
export function readStringAttribute(
  module: H5Module,
  fileId: bigint,
  path: string,
  name: string,
): string | undefined {
  const meta = module.get_attribute_metadata(fileId, path, name);
  if (meta.type !== H5T_STRING || meta.total_size !== 1) return undefined;
  if (!meta.vlen) {
    if (meta.size > MAX_STRING_BYTES) return undefined;
    return withAttributeBytes(module, fileId, path, name, meta.size, (pointer) =>
      fixedString(module.HEAPU8.subarray(pointer, pointer + meta.size), meta),
    );
  }
  return withAttributeBytes(module, fileId, path, name, meta.size, (pointer) => {
    const text = new DataView(module.HEAPU8.buffer).getUint32(pointer, true);
    const heap = module.HEAPU8;
    const end = text === 0 ? 0 : heap.indexOf(0, text);
    const value =
      text === 0 || end < 0 || end - text > MAX_STRING_BYTES
        ? undefined
        : Buffer.from(heap.buffer, heap.byteOffset + text, end - text).toString('utf8');
    module.reclaim_vlen_memory(fileId, path, name, BigInt(pointer));
    return text === 0 ? '' : value;
  });
}

function fixedString(bytes: Uint8Array, meta: AttributeMetadata): string {
  const end = bytes.indexOf(0);
  const text = Buffer.from(end < 0 ? bytes : bytes.subarray(0, end)).toString('utf8');
  return meta.strpad === SPACE_PADDED ? text.trimEnd() : text;
}
