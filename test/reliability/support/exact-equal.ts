/**
 * Exact comparison of a loaded value with the original, stricter than vitest's toEqual: numbers
 * (also typed array elements) by Object.is, so NaN, -0 and every float bit pattern count; the
 * same prototypes (registered classes revived as themselves); and the same sharing structure (an
 * object met twice in one graph must be one object met twice in the other, cycles included).
 * Returns undefined when equal, else where and how the two differ.
 */
const MAX_DEPTH = 5_000;

export function describeDifference(original: unknown, loaded: unknown): string | undefined {
  return new Comparison().compare(original, loaded, '$', 0);
}

/** One comparison: the pairing of objects met so far, both ways, is what checks the sharing. */
class Comparison {
  private readonly leftToRight = new Map<object, object>();
  private readonly rightToLeft = new Map<object, object>();

  compare(a: unknown, b: unknown, path: string, depth: number): string | undefined {
    if (typeof a !== typeof b) return `${path}: ${typeof a} became ${typeof b}`;
    if (typeof a !== 'object' || a === null || b === null) {
      return Object.is(a, b) ? undefined : `${path}: ${show(a)} became ${show(b)}`;
    }
    const left = a as object;
    const right = b as object;
    if (depth > MAX_DEPTH) return `${path}: nested deeper than ${MAX_DEPTH} levels`;
    const pairedRight = this.leftToRight.get(left);
    const pairedLeft = this.rightToLeft.get(right);
    if (pairedRight !== undefined || pairedLeft !== undefined) {
      return pairedRight === right && pairedLeft === left
        ? undefined
        : `${path}: the sharing of objects differs (a shared or circular reference changed)`;
    }
    this.leftToRight.set(left, right);
    this.rightToLeft.set(right, left);
    if (Object.getPrototypeOf(left) !== Object.getPrototypeOf(right))
      return `${path}: prototype ${protoName(left)} became ${protoName(right)}`;
    return this.builtin(left, right, path, depth) ?? this.ownFields(left, right, path, depth);
  }

  private builtin(a: object, b: object, path: string, depth: number): string | undefined {
    if (ArrayBuffer.isView(a)) return compareElements(a, b as ArrayBufferView, path);
    if (a instanceof ArrayBuffer)
      return compareElements(new Uint8Array(a), new Uint8Array(b as ArrayBuffer), path);
    if (a instanceof Date)
      return this.compare(a.getTime(), (b as Date).getTime(), `${path}.getTime()`, depth);
    if (a instanceof RegExp) {
      const other = b as RegExp;
      if (a.source !== other.source || a.flags !== other.flags || a.lastIndex !== other.lastIndex)
        return `${path}: ${String(a)} became ${String(other)}`;
    }
    if (a instanceof Error) {
      const other = b as Error;
      for (const key of ['name', 'message', 'stack', 'cause'] as const) {
        const difference = this.compare(a[key], other[key], `${path}.${key}`, depth + 1);
        if (difference) return difference;
      }
    }
    if (a instanceof Map) return this.entries([...a], [...(b as Map<unknown, unknown>)], path, depth);
    if (a instanceof Set) return this.entries([...a], [...(b as Set<unknown>)], path, depth);
    if (a instanceof Number || a instanceof String || a instanceof Boolean)
      return this.compare(a.valueOf(), (b as typeof a).valueOf(), `${path}.valueOf()`, depth);
    return undefined;
  }

  private entries(a: unknown[], b: unknown[], path: string, depth: number): string | undefined {
    if (a.length !== b.length) return `${path}: ${a.length} entries became ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const difference = this.compare(a[i], b[i], `${path}.entry(${i})`, depth + 1);
      if (difference) return difference;
    }
    return undefined;
  }

  private ownFields(a: object, b: object, path: string, depth: number): string | undefined {
    if (ArrayBuffer.isView(a) || a instanceof ArrayBuffer) return undefined;
    const keys = ownKeysBut(a);
    const otherKeys = ownKeysBut(b);
    if (keys.length !== otherKeys.length || keys.some((key, i) => key !== otherKeys[i]))
      return `${path}: keys [${keys.map(String).join(',')}] became [${otherKeys.map(String).join(',')}]`;
    for (const key of keys) {
      const left = Object.getOwnPropertyDescriptor(a, key) as PropertyDescriptor;
      const right = Object.getOwnPropertyDescriptor(b, key) as PropertyDescriptor;
      if (left.enumerable !== right.enumerable || 'value' in left !== 'value' in right)
        return `${path}.${String(key)}: the property's kind changed`;
      const difference = this.compare(left.value, right.value, `${path}.${String(key)}`, depth + 1);
      if (difference) return difference;
    }
    return undefined;
  }
}

/** Own keys in order; an Error's stack is compared above (engines differ in where they keep it). */
function ownKeysBut(value: object): (string | symbol)[] {
  return Reflect.ownKeys(value).filter((key) => !(value instanceof Error && key === 'stack'));
}

function compareElements(a: ArrayBufferView, b: ArrayBufferView, path: string): string | undefined {
  if (a.constructor !== b.constructor) return `${path}: ${a.constructor.name} became ${b.constructor.name}`;
  if (a.byteLength !== b.byteLength) return `${path}: ${a.byteLength} bytes became ${b.byteLength}`;
  if (a instanceof DataView) {
    const left = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    return compareElements(left, new Uint8Array(b.buffer, b.byteOffset, b.byteLength), path);
  }
  const left = a as unknown as ArrayLike<number | bigint>;
  const right = b as unknown as ArrayLike<number | bigint>;
  for (let i = 0; i < left.length; i++) {
    if (!Object.is(left[i], right[i])) return `${path}[${i}]: ${show(left[i])} became ${show(right[i])}`;
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
