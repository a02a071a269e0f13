/**
 * Any result value as plain JSON for `--json`: BigInt as a decimal string, typed arrays as arrays,
 * Map as an object (string keys) or an array of [key, value] pairs, Set as an array, Date as ISO
 * text, errors as { name, message, stack }, class instances as their own fields, cycles as
 * "[Circular]". Never throws.
 */
export function toJsonValue(value: unknown, seen = new Set<object>()): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'string':
    case 'boolean':
      return value;
    case 'function':
    case 'symbol':
      return null;
  }
  const object = value as object;
  if (seen.has(object)) return '[Circular]';
  seen.add(object);
  try {
    if (object instanceof Date) return Number.isNaN(object.getTime()) ? null : object.toISOString();
    if (ArrayBuffer.isView(object)) {
      if (object instanceof DataView)
        return Array.from(new Uint8Array(object.buffer, object.byteOffset, object.byteLength));
      return Array.from(object as unknown as ArrayLike<number | bigint>, (item) => toJsonValue(item, seen));
    }
    if (object instanceof ArrayBuffer) return Array.from(new Uint8Array(object));
    if (Array.isArray(object)) return object.map((item) => toJsonValue(item, seen));
    if (object instanceof Set) return [...object].map((item) => toJsonValue(item, seen));
    if (object instanceof Map) {
      const entries = [...object.entries()];
      if (entries.every(([key]) => typeof key === 'string')) {
        return Object.fromEntries(entries.map(([key, item]) => [key, toJsonValue(item, seen)]));
      }
      return entries.map(([key, item]) => [toJsonValue(key, seen), toJsonValue(item, seen)]);
    }
    if (object instanceof Error)
      return { name: object.name, message: object.message, stack: object.stack ?? null };
    const plain: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(object)) plain[key] = toJsonValue(item, seen);
    return plain;
  } finally {
    seen.delete(object);
  }
}
