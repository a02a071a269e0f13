import { registeredClassOf } from '@hpc/process';
import { UnsupportedValueError } from '../../errors.ts';
import { findUnstorable } from '../../storable/find-unstorable.ts';
import { FORBIDDEN_INSTANCE_KEYS, isStorableView } from '../../storable/rules.ts';
import type { StoredTypedArray } from '../../typed-arrays.ts';
import { type TypedArrayName, typedArrayName } from './dtypes.ts';
import { TAG } from './tagged-json-format.ts';

/** Writing the structure text (its format: tagged-json-format.ts). */
export interface StructureEncoding {
  json: string;
  /** Typed arrays (and large ArrayBuffers as Uint8Array) to store as datasets, by their "ds" name. */
  datasets: { name: string; view: StoredTypedArray; kind: TypedArrayName }[];
  /** Distinct class ids of the registered class instances inside (the group's hpc_types). */
  typeIds: string[];
  /** Class id of the root value when it is a registered class instance. */
  rootType: string | undefined;
}

export interface EncodeOptions {
  /** Typed arrays of at least this many bytes become datasets. */
  datasetThresholdBytes: number;
  /** Dataset name for the k-th stored array, relative to the object's group. */
  datasetName: (index: number) => string;
}

/** Something the encoder cannot store; findUnstorable (storable/) names the path before it is reported. */
class Unstorable extends Error {}

function base64(view: ArrayBufferView): string {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('base64');
}

function hasEnumerableInheritedKeys(object: object): boolean {
  for (const _ in object) return true;
  return false;
}

/** NaN, ±Infinity and -0, which JSON cannot say. */
function isSpecialNumber(value: number): boolean {
  // No division: 1 / value would run only for zeros, so optimized code meets it without type
  // feedback (zeros are rare) and is thrown away the first time one comes.
  return value - value !== 0 || Object.is(value, -0);
}

function specialNumber(value: number): { $: 'num'; v: string } {
  return { $: 'num', v: Object.is(value, -0) ? '-0' : String(value) };
}

/** Sets a field on a fresh plain object, also when the key is "__proto__". */
function setField(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** A copy of the first `count` fields of `fields`, then `key` set to `value`. */
function copyFields(
  fields: Record<string, unknown>,
  count: number,
  key: string,
  value: unknown,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = Object.keys(fields);
  for (let k = 0; k < count; k++) setField(out, keys[k] as string, fields[keys[k] as string]);
  setField(out, key, value);
  return out;
}

/**
 * The walk's state, in one object reused from call to call. A fresh object per call would get a
 * fresh hidden class whenever a GC had dropped the last one (nothing else holds it), and that
 * throws away the walk's optimized code: measured, encodes after a full GC ran 2-3x slower.
 */
interface Encoder {
  /** Every object met so far, in the order met (a Set iterates in insertion order): its position is its number. */
  seen: Set<object>;
  /** Numbers of objects, filled from `seen` only when an object is met again (rare). */
  ids: Map<object, number> | undefined;
  /** Where filling `ids` stopped: a live iterator of `seen`, which also yields objects added since. */
  unnumbered: Iterator<object> | undefined;
  threshold: number;
  datasetName: (index: number) => string;
  /** for...in lists exactly the own keys of plain objects unless Object.prototype was given enumerable keys. */
  keysByForIn: boolean;
  datasets: StructureEncoding['datasets'];
  typeIds: Set<string>;
  rootType: string | undefined;
  root: unknown;
}

/** The state object between calls (undefined while an encode runs: a nested one makes its own). */
let spareEncoder: Encoder | undefined;

function takeEncoder(root: unknown, options: EncodeOptions): Encoder {
  const state: Encoder = spareEncoder ?? {
    seen: new Set(),
    ids: undefined,
    unnumbered: undefined,
    threshold: 0,
    datasetName: options.datasetName,
    keysByForIn: true,
    datasets: [],
    typeIds: new Set(),
    rootType: undefined,
    root: undefined,
  };
  spareEncoder = undefined;
  state.seen = new Set();
  state.ids = undefined;
  state.unnumbered = undefined;
  state.threshold = options.datasetThresholdBytes;
  state.datasetName = options.datasetName;
  state.keysByForIn = !hasEnumerableInheritedKeys({});
  state.datasets = [];
  state.typeIds = new Set();
  state.rootType = undefined;
  state.root = root;
  return state;
}

/** Keeps the state object for the next call, holding nothing of this one's value. */
function returnEncoder(state: Encoder): void {
  state.seen = new Set();
  state.ids = undefined;
  state.unnumbered = undefined;
  state.datasets = [];
  state.root = undefined;
  spareEncoder = state;
}

/** Any value's JSON-ready form. */
function encodeValue(state: Encoder, value: unknown): unknown {
  switch (typeof value) {
    case 'object':
      return value === null ? null : encodeObject(state, value);
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return isSpecialNumber(value) ? specialNumber(value) : value;
    case 'undefined':
      return { $: 'u' };
    case 'bigint':
      return { $: 'big', v: value.toString() };
    default:
      throw new Unstorable(`a ${typeof value} cannot be stored`);
  }
}

/** A field or element: itself when JSON says it as it is (the common case, checked first). */
function encodeChild(state: Encoder, value: unknown): unknown {
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return value === null ? null : encodeObject(state, value);
  if (typeof value === 'number') return isSpecialNumber(value) ? specialNumber(value) : value;
  if (typeof value === 'boolean') return value;
  return encodeValue(state, value);
}

/** The number of an object met before: `ids` catches up with `seen` (once per run of new objects). */
function numberOf(state: Encoder, value: object): number {
  let ids = state.ids;
  let unnumbered = state.unnumbered;
  if (ids === undefined || unnumbered === undefined) {
    ids = new Map();
    unnumbered = state.seen.values();
    state.ids = ids;
    state.unnumbered = unnumbered;
  }
  while (ids.size < state.seen.size) ids.set(unnumbered.next().value as object, ids.size);
  return ids.get(value) as number;
}

function encodeObject(state: Encoder, value: object): unknown {
  const seen = state.seen;
  const count = seen.size;
  seen.add(value);
  if (seen.size === count) return { $: 'ref', i: numberOf(state, value) };
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) === Array.prototype) return encodeArray(state, value);
    const items = encodeItems(state, value);
    return { $: 'obj', c: instanceType(state, value), a: items };
  }
  if (ArrayBuffer.isView(value)) return encodeView(state, value);
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return encodePlain(state, value);
  if (value instanceof Map) {
    const entries = encodeEntries(state, value);
    return proto === Map.prototype
      ? { $: 'map', e: entries }
      : { $: 'obj', c: instanceType(state, value), m: entries };
  }
  if (value instanceof Set) {
    const items = encodeItems(state, value);
    return proto === Set.prototype
      ? { $: 'set', e: items }
      : { $: 'obj', c: instanceType(state, value), s: items };
  }
  const builtin = encodeBuiltin(state, value, proto);
  if (builtin !== undefined) return builtin;
  const c = instanceType(state, value);
  return { $: 'obj', c, v: encodeFields(state, value) };
}

/** A plain array: itself when every element is JSON as it is, else a copy with the tagged forms. */
function encodeArray(state: Encoder, array: unknown[]): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < array.length; i++) {
    const item = array[i];
    const encoded = encodeChild(state, item);
    if (out !== undefined) out.push(encoded);
    else if (encoded !== item) {
      out = [];
      for (let k = 0; k < i; k++) out.push(array[k]);
      out.push(encoded);
    }
  }
  return out ?? array;
}

/** A plain object: itself when every field is JSON as it is, else a copy; "esc" when it has a "$" key. */
function encodePlain(state: Encoder, object: object): unknown {
  const fields = object as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  let escaped = false;
  let index = 0;
  if (state.keysByForIn) {
    for (const key in fields) {
      const field = fields[key];
      const encoded = encodeChild(state, field);
      if (out !== undefined) setField(out, key, encoded);
      else if (encoded !== field) out = copyFields(fields, index, key, encoded);
      if (key === TAG) escaped = true;
      index++;
    }
  } else {
    const keys = Object.keys(fields);
    for (; index < keys.length; index++) {
      const key = keys[index] as string;
      const field = fields[key];
      const encoded = encodeChild(state, field);
      if (out !== undefined) setField(out, key, encoded);
      else if (encoded !== field) out = copyFields(fields, index, key, encoded);
      if (key === TAG) escaped = true;
    }
  }
  const result = out ?? fields;
  return escaped ? { $: 'esc', v: result } : result;
}

/** Own enumerable fields of a class instance, always copied (JSON.stringify would call a toJSON). */
function encodeFields(state: Encoder, object: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(object))
    setField(out, key, encodeValue(state, (object as Record<string, unknown>)[key]));
  return out;
}

function encodeItems(state: Encoder, items: Iterable<unknown>): unknown[] {
  const out: unknown[] = [];
  for (const item of items) out.push(encodeValue(state, item));
  return out;
}

function encodeEntries(state: Encoder, map: Map<unknown, unknown>): unknown[] {
  const out: unknown[] = [];
  for (const [key, entry] of map) {
    const encodedKey = encodeValue(state, key);
    out.push([encodedKey, encodeValue(state, entry)]);
  }
  return out;
}

/**
 * The class id of a registered class instance, with the checks of storable/ (exact
 * registered prototype, no forbidden or symbol keys); anything else is refused.
 */
function instanceType(state: Encoder, value: object): string {
  const proto = Object.getPrototypeOf(value);
  const entry = registeredClassOf(proto.constructor);
  if (!entry || proto !== entry.ctor.prototype) throw new Unstorable('an unregistered class instance');
  for (const key of FORBIDDEN_INSTANCE_KEYS)
    if (Object.hasOwn(value, key)) throw new Unstorable(`the key '${key}' on a class instance`);
  if (Object.getOwnPropertySymbols(value).length > 0)
    throw new Unstorable('a symbol-keyed property of a class instance');
  state.typeIds.add(entry.id);
  if (value === state.root) state.rootType = entry.id;
  return entry.id;
}

/** Built-in objects stored as tags (classified as storable/rules.ts does); undefined for anything else. */
function encodeBuiltin(state: Encoder, value: object, proto: object): unknown {
  if (value instanceof Date) {
    if (proto !== Date.prototype) return undefined;
    const time = value.getTime();
    return { $: 'date', v: Number.isNaN(time) ? null : time };
  }
  if (value instanceof RegExp) {
    if (proto !== RegExp.prototype) return undefined;
    return { $: 're', src: value.source, f: value.flags };
  }
  if (value instanceof ArrayBuffer) {
    if (proto !== ArrayBuffer.prototype) return undefined;
    return encodeBytes(state, new Uint8Array(value), 'ab');
  }
  if (value instanceof Error) {
    const out: Record<string, unknown> = {
      $: 'err',
      name: String(value.name),
      message: String(value.message),
    };
    if (typeof value.stack === 'string') out.stack = value.stack;
    if ('cause' in value) out.cause = encodeValue(state, value.cause);
    return out;
  }
  if (value instanceof Boolean || value instanceof Number || value instanceof String) {
    const ctor = value instanceof Boolean ? Boolean : value instanceof Number ? Number : String;
    if (proto !== ctor.prototype) return undefined;
    return { $: 'box', v: encodeValue(state, value.valueOf()) };
  }
  if (value instanceof BigInt) throw new Unstorable('BigInt cannot be stored');
  return undefined;
}

function encodeView(state: Encoder, value: ArrayBufferView): unknown {
  if (value instanceof DataView) return encodeBytes(state, value, 'dv');
  const kind = isStorableView(value) ? typedArrayName(value) : undefined;
  if (!kind) throw new Unstorable(`${value.constructor.name} cannot be stored (no matching HDF5 type)`);
  const view = value as StoredTypedArray;
  return view.byteLength >= state.threshold
    ? { $: 'ta', t: kind, n: view.length, ds: storeDataset(state, view, kind) }
    : { $: 'ta', t: kind, n: view.length, b64: base64(view) };
}

function encodeBytes(state: Encoder, view: ArrayBufferView, tag: 'ab' | 'dv'): unknown {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength) as StoredTypedArray;
  return view.byteLength >= state.threshold
    ? { $: tag, n: view.byteLength, ds: storeDataset(state, bytes, 'Uint8Array') }
    : { $: tag, n: view.byteLength, b64: base64(view) };
}

function storeDataset(state: Encoder, view: StoredTypedArray, kind: TypedArrayName): string {
  const name = state.datasetName(state.datasets.length);
  state.datasets.push({ name, view, kind });
  return name;
}

/**
 * The value as tagged JSON, with the typed arrays to store as datasets and the registered classes
 * it holds, in one depth-first walk: it numbers every object as it first meets it (the numbering
 * "ref" uses), finds registered class instances and refuses what cannot be stored. The walk
 * returns the value's JSON-ready form: plain data comes back as itself (no copy), and only the
 * containers on the way to something JSON cannot say (a tag, a repeated object) are copied. One
 * native JSON.stringify of that form is the structure text, so plain data costs its walk plus
 * what JSON costs. Whatever is refused is refused here, before any file is touched, with
 * the error of storable/find-unstorable.ts naming the full property path.
 */
export function encodeStructure(root: unknown, options: EncodeOptions): StructureEncoding {
  const state = takeEncoder(root, options);
  try {
    const json = JSON.stringify(encodeValue(state, root));
    return { json, datasets: state.datasets, typeIds: [...state.typeIds], rootType: state.rootType };
  } catch (error) {
    // The shared rules walk again to name the path of whatever was refused.
    const tooDeep = error instanceof RangeError && /call stack/i.test(error.message);
    const refused = tooDeep ? undefined : findUnstorable(root);
    if (refused) throw refused;
    if (tooDeep) {
      throw new UnsupportedValueError(
        '$',
        'a too deeply nested value',
        'nesting exceeds the call stack; flatten it',
      );
    }
    throw new UnsupportedValueError('$', 'a value', (error as Error).message);
  } finally {
    returnEncoder(state);
  }
}
