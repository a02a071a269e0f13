/** The typed array kinds a file may hold, by a stable code; only these are ever constructed on read. */
/** Index = the type code stored in .bin manifests. */
export const TYPED_ARRAYS = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
] as const;

export type StoredTypedArray = InstanceType<(typeof TYPED_ARRAYS)[number]>;
export type TypedArrayConstructor = (typeof TYPED_ARRAYS)[number];

export function typedArrayCode(view: ArrayBufferView): number {
  for (let code = 0; code < TYPED_ARRAYS.length; code++) {
    // biome-ignore lint/style/noNonNullAssertion: code is in range.
    if (view instanceof TYPED_ARRAYS[code]!) return code;
  }
  return -1;
}

export function typedArrayConstructor(code: number): TypedArrayConstructor | undefined {
  return TYPED_ARRAYS[code];
}
