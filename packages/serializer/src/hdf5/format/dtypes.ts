import {
  type StoredTypedArray,
  type TypedArrayConstructor,
  typedArrayCode,
  typedArrayConstructor,
} from '../../typed-arrays.ts';

/**
 * Typed array kinds and their HDF5 dtypes (always little-endian, always explicit: a JS number is
 * never left for h5wasm to guess, which would store it as int32).
 */
export const TYPED_ARRAY_DTYPES = {
  Int8Array: '<b',
  Uint8Array: '<B',
  Uint8ClampedArray: '<B',
  Int16Array: '<h',
  Uint16Array: '<H',
  Int32Array: '<i',
  Uint32Array: '<I',
  Float32Array: '<f',
  Float64Array: '<d',
  BigInt64Array: '<q',
  BigUint64Array: '<Q',
} as const;

export type TypedArrayName = keyof typeof TYPED_ARRAY_DTYPES;

export function isTypedArrayName(name: unknown): name is TypedArrayName {
  return typeof name === 'string' && Object.hasOwn(TYPED_ARRAY_DTYPES, name);
}

/** The stored kind of a typed array, or undefined for kinds we do not store (Float16Array, DataView). */
export function typedArrayName(view: ArrayBufferView): TypedArrayName | undefined {
  const ctor = typedArrayConstructor(typedArrayCode(view));
  return ctor && isTypedArrayName(ctor.name) ? ctor.name : undefined;
}

export function constructorFor(name: TypedArrayName): TypedArrayConstructor {
  return globalThis[name] as TypedArrayConstructor;
}

/** What an HDF5 dataset's type metadata (h5wasm's) must look like to hold this kind. */
export function matchesDtype(
  name: TypedArrayName,
  meta: { type: number; size: number; signed: boolean; littleEndian: boolean },
): boolean {
  const ctor = constructorFor(name);
  if (meta.size !== ctor.BYTES_PER_ELEMENT) return false;
  const isFloat = name === 'Float32Array' || name === 'Float64Array';
  const H5T_INTEGER = 0;
  const H5T_FLOAT = 1;
  if (isFloat) return meta.type === H5T_FLOAT;
  if (meta.type !== H5T_INTEGER) return false;
  const signed =
    name === 'Int8Array' || name === 'Int16Array' || name === 'Int32Array' || name === 'BigInt64Array';
  return meta.signed === signed;
}

/** The typed array kind that holds an HDF5 numeric dataset read by someone else's tool. */
export function typedArrayNameForDtype(meta: {
  type: number;
  size: number;
  signed: boolean;
}): TypedArrayName | undefined {
  if (meta.type === 1) return meta.size === 8 ? 'Float64Array' : meta.size === 4 ? 'Float32Array' : undefined;
  if (meta.type !== 0) return undefined;
  const table: Record<number, [TypedArrayName, TypedArrayName]> = {
    1: ['Int8Array', 'Uint8Array'],
    2: ['Int16Array', 'Uint16Array'],
    4: ['Int32Array', 'Uint32Array'],
    8: ['BigInt64Array', 'BigUint64Array'],
  };
  const pair = table[meta.size];
  return pair ? (meta.signed ? pair[0] : pair[1]) : undefined;
}

export type { StoredTypedArray };
