/**
 * Prototype pollution check: a snapshot of the built-in prototypes and constructors a loader
 * could reach (every own property: its name, kind and value identity), compared after each load.
 * A file that sets Object.prototype.polluted, replaces Array.prototype.push or adds a global is
 * reported by name.
 */
const WATCHED: Record<string, object> = {
  'Object.prototype': Object.prototype,
  'Array.prototype': Array.prototype,
  'Function.prototype': Function.prototype,
  'Map.prototype': Map.prototype,
  'Set.prototype': Set.prototype,
  'Date.prototype': Date.prototype,
  'RegExp.prototype': RegExp.prototype,
  'Error.prototype': Error.prototype,
  'String.prototype': String.prototype,
  'Number.prototype': Number.prototype,
  'BigInt.prototype': BigInt.prototype,
  'Promise.prototype': Promise.prototype,
  'TypedArray.prototype': Object.getPrototypeOf(Uint8Array.prototype) as object,
  'Float64Array.prototype': Float64Array.prototype,
  'ArrayBuffer.prototype': ArrayBuffer.prototype,
  Object,
  Array,
  JSON,
  globalThis,
};

export type PrototypeSnapshot = Map<string, string | object | undefined>;

export function snapshotPrototypes(): PrototypeSnapshot {
  const snapshot: PrototypeSnapshot = new Map();
  for (const [name, target] of Object.entries(WATCHED)) {
    snapshot.set(`${name} [[Prototype]]`, Object.getPrototypeOf(target) ?? undefined);
    snapshot.set(`${name} extensible`, String(Object.isExtensible(target)));
    // Node adds symbol-keyed globals lazily (undici's dispatcher); a file could only add named ones.
    const keys = target === globalThis ? Object.getOwnPropertyNames(target) : Reflect.ownKeys(target);
    for (const key of keys) {
      const descriptor = Object.getOwnPropertyDescriptor(target, key) as PropertyDescriptor;
      const label = `${name}.${String(key)}`;
      // Accessors are compared by their functions; data by identity (objects) or value.
      snapshot.set(label, descriptor.get ?? descriptor.set ?? valueIdentity(descriptor.value));
    }
  }
  return snapshot;
}

function valueIdentity(value: unknown): string | object | undefined {
  if ((typeof value === 'object' && value !== null) || typeof value === 'function') return value;
  return typeof value === 'bigint' ? `${value}n` : String(value);
}

/** What changed since `before`, e.g. ["Object.prototype.polluted added"]; [] when nothing did. */
export function prototypeChanges(before: PrototypeSnapshot, after = snapshotPrototypes()): string[] {
  const changes: string[] = [];
  for (const [label, value] of after) {
    if (!before.has(label)) changes.push(`${label} added`);
    else if (before.get(label) !== value) changes.push(`${label} changed`);
  }
  for (const label of before.keys()) if (!after.has(label)) changes.push(`${label} removed`);
  return changes;
}
