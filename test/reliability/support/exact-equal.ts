/**
 * Exact comparison of a loaded value with the original, stricter than vitest's toEqual: numbers
 * (also typed array elements) by Object.is, so NaN, -0 and every float bit pattern count; the
 * same prototypes (registered classes revived as themselves); and the same sharing structure (an
 * object met twice in one graph must be one object met twice in the other, cycles included).
 * Returns undefined when equal, else where and how the two differ.
 */
type Pairing = { leftToRight: Map<object, object>; rightToLeft: Map<object, object> };

const MAX_DEPTH = 5_000;

export function describeDifference(original: unknown, loaded: unknown): string | undefined {
  const pairing: Pairing = { leftToRight: new Map(), rightToLeft: new Map() };
  return compare(original, loaded, '$', pairing, 0);
}

function compare(a: unknown, b: unknown, path: string, pairing: Pairing, depth: number): string | undefined {
  if (typeof a !== typeof b) return `${path}: ${typeof a} became ${typeof b}`;
  if (typeof a !== 'object' || a === null || b === null) {
    return Object.is(a, b) ? undefined : `${path}: ${show(a)} became ${show(b)}`;
  }
  const left = a as object;
  const right = b as object;
  if (depth > MAX_DEPTH) return `${path}: nested deeper than ${MAX_DEPTH} levels`;
  const pairedRight = pairing.leftToRight.get(left);
  const pairedLeft = pairing.rightToLeft.get(right);
  if (pairedRight !== undefined || pairedLeft !== undefined) {
    return pairedRight === right && pairedLeft === left
      ? undefined
      : `${path}: the sharing of objects differs (a shared or circular reference changed)`;
  }
  pairing.leftToRight.set(left, right);
  pairing.rightToLeft.set(right, left);
  if (Object.getPrototypeOf(left) !== Object.getPrototypeOf(right))
    return `${path}: prototype ${protoName(left)} became ${protoName(right)}`;
  return (
    compareBuiltin(left, right, path, pairing, depth) ?? compareOwnFields(left, right, path, pairing, depth)
  );
}

function compareBuiltin(
  a: object,
  b: object,
  path: string,
  pairing: Pairing,
  depth: number,
): string | undefined {
  if (ArrayBuffer.isView(a)) return compareBytesOrElements(a, b as ArrayBufferView, path);
  if (a instanceof ArrayBuffer)
    return compareBytesOrElements(new Uint8Array(a), new Uint8Array(b as ArrayBuffer), path);
  if (a instanceof Date)
    return compare(a.getTime(), (b as Date).getTime(), `${path}.getTime()`, pairing, depth);
  if (a instanceof RegExp) {
    const other = b as RegExp;
    if (a.source !== other.source || a.flags !== other.flags || a.lastIndex !== other.lastIndex)
      return `${path}: ${String(a)} became ${String(other)}`;
  }
  if (a instanceof Error) {
    const other = b as Error;
    for (const key of ['name', 'message', 'stack', 'cause'] as const) {
      const difference = compare(a[key], other[key], `${path}.${key}`, pairing, depth + 1);
      if (difference) return difference;
    }
  }
  if (a instanceof Map)
    return compareEntries([...a], [...(b as Map<unknown, unknown>)], path, pairing, depth);
  if (a instanceof Set) return compareEntries([...a], [...(b as Set<unknown>)], path, pairing, depth);
  if (a instanceof Number || a instanceof String || a instanceof Boolean)
    return compare(a.valueOf(), (b as typeof a).valueOf(), `${path}.valueOf()`, pairing, depth);
  return undefined;
}

function compareBytesOrElements(a: ArrayBufferView, b: ArrayBufferView, path: string): string | undefined {
  if (a.constructor !== b.constructor) return `${path}: ${a.constructor.name} became ${b.constructor.name}`;
  if (a.byteLength !== b.byteLength) return `${path}: ${a.byteLength} bytes became ${b.byteLength}`;
  if (a instanceof DataView) {
    const left = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    return compareBytesOrElements(left, new Uint8Array(b.buffer, b.byteOffset, b.byteLength), path);
  }
  const left = a as unknown as ArrayLike<number | bigint>;
  const right = b as unknown as ArrayLike<number | bigint>;
  for (let i = 0; i < left.length; i++) {
    if (!Object.is(left[i], right[i])) return `${path}[${i}]: ${show(left[i])} became ${show(right[i])}`;
  }
  return undefined;
}

function compareEntries(
  a: unknown[],
  b: unknown[],
  path: string,
  pairing: Pairing,
  depth: number,
): string | undefined {
  if (a.length !== b.length) return `${path}: ${a.length} entries became ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    const difference = compare(a[i], b[i], `${path}.entry(${i})`, pairing, depth + 1);
    if (difference) return difference;
  }
  return undefined;
}

function compareOwnFields(
  a: object,
  b: object,
  path: string,
  pairing: Pairing,
  depth: number,
): string | undefined {
  if (ArrayBuffer.isView(a) || a instanceof ArrayBuffer) return undefined;
  const keys = Reflect.ownKeys(a).filter((key) => !(a instanceof Error && key === 'stack'));
  const otherKeys = Reflect.ownKeys(b).filter((key) => !(b instanceof Error && key === 'stack'));
  if (keys.length !== otherKeys.length || keys.some((key, i) => key !== otherKeys[i]))
    return `${path}: keys [${keys.map(String).join(',')}] became [${otherKeys.map(String).join(',')}]`;
  for (const key of keys) {
    const left = Object.getOwnPropertyDescriptor(a, key) as PropertyDescriptor;
    const right = Object.getOwnPropertyDescriptor(b, key) as PropertyDescriptor;
    if (left.enumerable !== right.enumerable || 'value' in left !== 'value' in right)
      return `${path}.${String(key)}: the property's kind changed`;
    const difference = compare(left.value, right.value, `${path}.${String(key)}`, pairing, depth + 1);
    if (difference) return difference;
  }
  return undefined;
}

function protoName(value: object): string {
  const proto = Object.getPrototypeOf(value);
  return proto === null ? 'null' : (proto.constructor?.name ?? 'an anonymous prototype');
}

function show(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' && Object.is(value, -0)) return '-0';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'object' && value !== null) return `an object (${protoName(value)})`;
  return String(value);
}
