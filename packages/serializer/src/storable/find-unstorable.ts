import { type AnyClass, registeredClassOf } from '@hpc/process';
import { UnsupportedValueError } from '../errors.ts';
import { FORBIDDEN_INSTANCE_KEYS, isBoxedBigInt, isBuiltinLeaf, isStorableView } from './rules.ts';

/**
 * The first value under `root` that cannot be stored, as an error naming its full property path
 * ($.deep.boxed, $.list[2], $.map.get("k")); undefined when everything can be stored. The fast
 * walks of both formats refuse without paths and call this on their error path only.
 */
export function findUnstorable(root: unknown): UnsupportedValueError | undefined {
  const seen = new Set<object>();
  const find = (value: unknown, path: string): UnsupportedValueError | undefined => {
    if (typeof value === 'function') {
      return new UnsupportedValueError(
        path,
        `a function (${value.name || 'anonymous'})`,
        'functions are code, not data; store the data it needs instead',
      );
    }
    if (typeof value === 'symbol')
      return new UnsupportedValueError(
        path,
        `a symbol (${String(value)})`,
        'symbols cannot be stored; use a string',
      );
    if (typeof value !== 'object' || value === null || seen.has(value)) return undefined;
    seen.add(value);
    const refused = refuseObject(value, path);
    if (refused) return refused;
    if (value instanceof Map) {
      let index = 0;
      for (const [key, entry] of value) {
        const found = find(key, `${path}.<key ${index}>`) ?? find(entry, `${path}.get(${describeKey(key)})`);
        if (found) return found;
        index++;
      }
      return undefined;
    }
    if (value instanceof Set) {
      let index = 0;
      for (const entry of value) {
        const found = find(entry, `${path}.<entry ${index++}>`);
        if (found) return found;
      }
      return undefined;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const found = find(value[i], `${path}[${i}]`);
        if (found) return found;
      }
      return undefined;
    }
    if (ArrayBuffer.isView(value)) return undefined;
    for (const key of Object.keys(value)) {
      const found = find((value as Record<string, unknown>)[key], `${path}${formatKey(key)}`);
      if (found) return found;
    }
    return undefined;
  };
  return find(root, '$');
}

/** The object itself (not what it holds) refused: a boxed BigInt, a Float16Array, an unregistered instance... */
function refuseObject(value: object, path: string): UnsupportedValueError | undefined {
  if (ArrayBuffer.isView(value)) {
    if (isStorableView(value)) return undefined;
    return new UnsupportedValueError(
      path,
      `a ${value.constructor?.name ?? 'typed array'}`,
      'this typed array kind has no stored form; copy it into a Float32Array or Uint16Array',
    );
  }
  if (isBoxedBigInt(value)) {
    return new UnsupportedValueError(
      path,
      'a boxed BigInt (Object(1n))',
      'boxed BigInts have no stored form; store the bigint primitive (value.valueOf())',
    );
  }
  const proto = Object.getPrototypeOf(value);
  const plain =
    proto === Object.prototype ||
    proto === null ||
    proto === Array.prototype ||
    proto === Map.prototype ||
    proto === Set.prototype;
  if (plain || isBuiltinLeaf(value, proto)) return undefined;
  const symbols = Object.getOwnPropertySymbols(value);
  if (symbols.length > 0) {
    return new UnsupportedValueError(
      `${path}[${String(symbols[0])}]`,
      'a symbol-keyed property of a class instance',
      'symbol keys are not stored; use a string key',
    );
  }
  const ctor = proto?.constructor as AnyClass | undefined;
  const entry = ctor ? registeredClassOf(ctor) : undefined;
  const name = ctor?.name || 'anonymous class';
  if (!entry || proto !== entry.ctor.prototype) {
    return new UnsupportedValueError(
      path,
      `an instance of unregistered class ${name}`,
      `call registerClass(${name}, { module: import.meta.url }) (or registerProcess for a Process) in the module that defines it`,
    );
  }
  for (const key of FORBIDDEN_INSTANCE_KEYS) {
    if (Object.hasOwn(value, key))
      return new UnsupportedValueError(
        `${path}.${key}`,
        `the key '${key}' on an instance of ${name}`,
        'this key would change prototypes when the object is revived',
      );
  }
  return undefined;
}

function formatKey(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function describeKey(key: unknown): string {
  return typeof key === 'string' ? JSON.stringify(key) : typeof key === 'object' ? 'object' : String(key);
}
