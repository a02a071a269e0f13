import type { AnyClass } from '@hpc/process';
import { typedArrayCode } from '../typed-arrays.ts';

/**
 * What can be stored, for both file formats (.bin's object-graph walk and HDF5's tagged JSON
 * encoder): the one rule set, so both refuse the same values. The path-naming walk that reports a
 * refusal is find-unstorable.ts.
 */

/** Keys that would alter prototypes or constructors if written onto a revived instance. */
export const FORBIDDEN_INSTANCE_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/**
 * Built-in objects stored as they are (exact prototype; any Error). A boxed BigInt (`Object(1n)`)
 * is not one of them: HDF5's tagged JSON has no form for it, so neither format stores it.
 */
const BUILTIN_LEAVES: readonly AnyClass[] = [Date, RegExp, ArrayBuffer, Error, Boolean, Number, String];

export function isBuiltinLeaf(value: object, proto: object): boolean {
  for (const ctor of BUILTIN_LEAVES) {
    if (value instanceof ctor) return proto === ctor.prototype || value instanceof Error;
  }
  return false;
}

export function isBoxedBigInt(value: object): boolean {
  return typeof BigInt !== 'undefined' && value instanceof BigInt;
}

/** Float16Array where the runtime has it: the one typed array kind without a stored form. */
const Float16 = (globalThis as { Float16Array?: abstract new (...args: never[]) => ArrayBufferView })
  .Float16Array;

/**
 * A DataView or a typed array of a kind both formats store (typed-arrays.ts): every kind but
 * Float16Array. One instanceof check, as the .bin walk meets every view.
 */
export function isStorableView(view: ArrayBufferView): boolean {
  return Float16 === undefined || !(view instanceof Float16) || typedArrayCode(view) >= 0;
}
