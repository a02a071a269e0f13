import { registeredClassOf } from '@hpc/process';
import { UnsupportedValueError } from '../errors.ts';
import { summarizeGraph } from '../object-graph.ts';
import type { StoredTypedArray } from '../typed-arrays.ts';
import { isTypedArrayName, type TypedArrayName, typedArrayName } from './dtypes.ts';

/**
 * The object's structure as one JSON document (stored as UTF-8 bytes in one dataset): JSON
 * values stay themselves; anything JSON cannot say is an object whose "$" key names a tag.
 *
 *   {"$":"ref","i":n}           the n-th object already met (shared and circular references)
 *   {"$":"u"}                    undefined
 *   {"$":"num","v":"NaN"}        NaN, Infinity, -Infinity, -0
 *   {"$":"big","v":"123"}        BigInt, decimal
 *   {"$":"date","v":ms}          Date (ms since the epoch; null for an invalid date)
 *   {"$":"map","e":[[k,v],...]}  Map;  {"$":"set","e":[...]} Set
 *   {"$":"re","src":..,"f":..}   RegExp
 *   {"$":"err","name","message","stack","cause"?}   Error
 *   {"$":"box","v":..}           new Number/String/Boolean(...)
 *   {"$":"ta","t":"Float64Array","n":len,"ds":"arrays/0"}   typed array stored as a dataset
 *   {"$":"ta","t":"Int32Array","n":len,"b64":"..."}          small typed array inline (little-endian bytes)
 *   {"$":"ab","n":len,"b64"|"ds"}   ArrayBuffer;  {"$":"dv",...} DataView, as "ab"
 *   {"$":"obj","c":"my-lab/Fit","v":{fields}}   instance of a registered class: its own fields
 *                                               ("a":[...], "m":[[k,v]...], "s":[...] for
 *                                               registered Array/Map/Set subclasses)
 *   {"$":"esc","v":{...}}        a plain object that itself has a "$" key
 *
 * Objects are numbered 0, 1, 2... in the order a depth-first walk first meets them (arrays,
 * plain objects and every tag that stands for an object); "ref" points back by that number.
 */

export const TAG = '$';

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

/** Keys that would alter prototypes or constructors if written onto a revived instance. */
const FORBIDDEN_INSTANCE_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** Something the encoder cannot store; summarizeGraph is asked to name the path before it is reported. */
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
 * The class id of a registered class instance, with the checks summarizeGraph makes (exact
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

/** Built-in objects stored as tags (classified as summarizeGraph does); undefined for anything else. */
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
  const kind = typedArrayName(value);
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
 * summarizeGraph's error naming the property path.
 */
export function encodeStructure(root: unknown, options: EncodeOptions): StructureEncoding {
  const state = takeEncoder(root, options);
  try {
    const json = JSON.stringify(encodeValue(state, root));
    return { json, datasets: state.datasets, typeIds: [...state.typeIds], rootType: state.rootType };
  } catch (error) {
    // summarizeGraph walks again to name the path of a function, symbol or unregistered class.
    summarizeGraph(root);
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
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

/** What the decoder needs from the file: a typed array for each "ds" reference. */
export interface DecodeContext {
  /** Reads dataset `name` (relative to the object's group) as `kind`, checking it holds exactly `length` elements. */
  loadDataset: (name: string, kind: TypedArrayName, length: number) => StoredTypedArray;
  /** Throws the caller's CorruptFileError. */
  corrupt: (detail: string) => never;
}

export interface DecodedStructure {
  root: unknown;
  /** Objects to give a class prototype (checked against the registry by reviveInstances). */
  instances: { object: object; typeId: string }[];
}

const ERROR_TYPES: Record<string, ErrorConstructor> = {
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
};

/** The parsed structure text, and whether it can hold any tag at all. */
export interface ParsedStructure {
  value: unknown;
  /**
   * False when the text has no "$" anywhere: then it holds no tag, no reference and no dataset,
   * and the parsed JSON is already the value (plain data skips the decoding walk entirely).
   */
  tagged: boolean;
}

/**
 * Parses the structure text. Rebuilding the value from it (decodeStructure) reuses the parsed
 * objects in place. Never runs code from the file: only built-in constructors are called, class
 * instances are plain objects until reviveInstances gives them a registered prototype.
 */
export function parseStructure(json: string, corrupt: (detail: string) => never): ParsedStructure {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    return corrupt(`the object structure is not valid JSON (${(error as Error).message})`);
  }
  return { value, tagged: json.includes(TAG) };
}

/** A typed array or buffer stored as a dataset, as the structure names it. */
export interface DatasetRef {
  name: string;
  kind: TypedArrayName;
  length: number;
}

/** Every dataset the parsed structure refers to (to read them all, possibly in parallel, before decoding). */
export function collectDatasetRefs(parsed: ParsedStructure): DatasetRef[] {
  const refs: DatasetRef[] = [];
  if (parsed.tagged) collectRefs(parsed.value, refs);
  return refs;
}

function collectRefs(node: unknown, refs: DatasetRef[]): void {
  if (typeof node !== 'object' || node === null) return;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const item = node[i];
      if (typeof item === 'object' && item !== null) collectRefs(item, refs);
    }
    return;
  }
  const tagged = node as Record<string, unknown>;
  const tag = tagged[TAG];
  if (
    (tag === 'ta' || tag === 'ab' || tag === 'dv') &&
    typeof tagged.ds === 'string' &&
    typeof tagged.n === 'number'
  ) {
    const kind = tag === 'ta' ? tagged.t : 'Uint8Array';
    if (isTypedArrayName(kind)) refs.push({ name: tagged.ds, kind, length: tagged.n });
    return;
  }
  for (const key in tagged) {
    if (!Object.hasOwn(tagged, key)) continue;
    const value = tagged[key];
    if (typeof value === 'object' && value !== null) collectRefs(value, refs);
  }
}

/** The decoding walk's state, one object reused from call to call (for the reason given at Encoder). */
interface Decoder {
  objects: object[];
  instances: DecodedStructure['instances'];
  context: DecodeContext | undefined;
}

let spareDecoder: Decoder | undefined;

export function decodeStructure(parsed: ParsedStructure, context: DecodeContext): DecodedStructure {
  if (!parsed.tagged) return { root: parsed.value, instances: [] };
  const state: Decoder = spareDecoder ?? { objects: [], instances: [], context: undefined };
  spareDecoder = undefined;
  state.objects = [];
  state.instances = [];
  state.context = context;
  try {
    return { root: decodeAny(state, parsed.value), instances: state.instances };
  } catch (error) {
    if (error instanceof RangeError && /call stack/i.test(error.message))
      context.corrupt('the object structure is nested too deeply to decode');
    throw error;
  } finally {
    state.objects = [];
    state.instances = [];
    state.context = undefined;
    spareDecoder = state;
  }
}

function contextOf(state: Decoder): DecodeContext {
  return state.context as DecodeContext;
}

/** Throws the caller's CorruptFileError. */
function corruptIn(state: Decoder, detail: string): never {
  return contextOf(state).corrupt(detail);
}

function decodeAny(state: Decoder, value: unknown): unknown {
  return typeof value === 'object' && value !== null ? decodeNode(state, value) : value;
}

function tagString(state: Decoder, tagged: Record<string, unknown>, key: string): string {
  const value = tagged[key];
  if (typeof value !== 'string')
    corruptIn(state, `a "${String(tagged[TAG])}" value lacks its "${key}" string`);
  return value;
}

function tagLength(state: Decoder, tagged: Record<string, unknown>): number {
  const n = tagged.n;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
    corruptIn(state, `a "${String(tagged[TAG])}" value has an impossible length`);
  return n;
}

function fromBase64(state: Decoder, tagged: Record<string, unknown>, bytes: number): Buffer {
  const buffer = Buffer.from(tagString(state, tagged, 'b64'), 'base64');
  if (buffer.byteLength !== bytes)
    corruptIn(state, `an inline array holds ${buffer.byteLength} bytes, not the ${bytes} it declares`);
  return buffer;
}

function decodeBytes(state: Decoder, tagged: Record<string, unknown>): ArrayBuffer {
  const n = tagLength(state, tagged);
  if (typeof tagged.ds === 'string')
    return (contextOf(state).loadDataset(tagged.ds, 'Uint8Array', n) as Uint8Array).buffer as ArrayBuffer;
  const buffer = fromBase64(state, tagged, n);
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + n) as ArrayBuffer;
}

function decodeTypedArray(state: Decoder, tagged: Record<string, unknown>): StoredTypedArray {
  const kind = tagged.t;
  if (!isTypedArrayName(kind)) corruptIn(state, `unknown typed array kind ${JSON.stringify(kind)}`);
  const n = tagLength(state, tagged);
  if (typeof tagged.ds === 'string') return contextOf(state).loadDataset(tagged.ds, kind, n);
  const ctor = globalThis[kind];
  const buffer = fromBase64(state, tagged, n * ctor.BYTES_PER_ELEMENT);
  const copy = new ctor(n) as StoredTypedArray;
  new Uint8Array(copy.buffer).set(buffer);
  return copy;
}

function decodeFieldsInPlace(state: Decoder, fields: Record<string, unknown>): void {
  for (const key in fields) {
    const value = fields[key];
    if (typeof value !== 'object' || value === null || !Object.hasOwn(fields, key)) continue;
    const decoded = decodeNode(state, value);
    if (decoded === value) continue;
    if (key === '__proto__')
      Object.defineProperty(fields, key, {
        value: decoded,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else fields[key] = decoded;
  }
}

function decodeArrayInPlace(state: Decoder, array: unknown[]): void {
  for (let i = 0; i < array.length; i++) {
    const value = array[i];
    if (typeof value === 'object' && value !== null) array[i] = decodeNode(state, value);
  }
}

function entriesOf(state: Decoder, tagged: Record<string, unknown>): unknown[] {
  const entries = tagged.e;
  if (!Array.isArray(entries)) corruptIn(state, `a "${String(tagged[TAG])}" value lacks its entries`);
  return entries;
}

function decodeMapBody(state: Decoder, entries: unknown[], map: Map<unknown, unknown>): void {
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length !== 2)
      corruptIn(state, 'a Map entry is not a [key, value] pair');
    const key = decodeAny(state, entry[0]);
    map.set(key, decodeAny(state, entry[1]));
  }
}

function decodeSetBody(state: Decoder, entries: unknown[], set: Set<unknown>): void {
  for (const entry of entries) set.add(decodeAny(state, entry));
}

function register<T extends object>(state: Decoder, object: T): T {
  state.objects.push(object);
  return object;
}

function decodeNode(state: Decoder, value: object): unknown {
  if (Array.isArray(value)) {
    state.objects.push(value);
    decodeArrayInPlace(state, value);
    return value;
  }
  const tagged = value as Record<string, unknown>;
  const tag = tagged[TAG];
  if (tag === undefined) {
    state.objects.push(value);
    decodeFieldsInPlace(state, tagged);
    return value;
  }
  return decodeTagged(state, tagged, tag);
}

function decodeTagged(state: Decoder, tagged: Record<string, unknown>, tag: unknown): unknown {
  switch (tag) {
    case 'ref': {
      const index = tagged.i;
      const target = typeof index === 'number' ? state.objects[index] : undefined;
      if (!target)
        corruptIn(state, `a reference points to object ${String(index)}, which does not precede it`);
      return target;
    }
    case 'u':
      return undefined;
    case 'num': {
      const text = tagged.v;
      if (text === 'NaN') return Number.NaN;
      if (text === 'Infinity') return Number.POSITIVE_INFINITY;
      if (text === '-Infinity') return Number.NEGATIVE_INFINITY;
      if (text === '-0') return -0;
      return corruptIn(state, `unknown special number ${JSON.stringify(text)}`);
    }
    case 'big': {
      const text = tagString(state, tagged, 'v');
      if (!/^-?\d+$/.test(text))
        corruptIn(state, `a BigInt is not a decimal integer: ${JSON.stringify(text.slice(0, 40))}`);
      return BigInt(text);
    }
    case 'esc': {
      const fields = tagged.v;
      if (typeof fields !== 'object' || fields === null || Array.isArray(fields))
        corruptIn(state, 'an escaped object has no fields');
      register(state, fields);
      decodeFieldsInPlace(state, fields as Record<string, unknown>);
      return fields;
    }
    case 'obj': {
      const typeId = tagString(state, tagged, 'c');
      let object: object;
      if (Array.isArray(tagged.a)) {
        object = register(state, tagged.a);
        decodeArrayInPlace(state, tagged.a);
      } else if (Array.isArray(tagged.m)) {
        const map = register(state, new Map());
        decodeMapBody(state, tagged.m, map);
        object = map;
      } else if (Array.isArray(tagged.s)) {
        const set = register(state, new Set());
        decodeSetBody(state, tagged.s, set);
        object = set;
      } else {
        const fields = tagged.v;
        if (typeof fields !== 'object' || fields === null || Array.isArray(fields))
          corruptIn(state, `an instance of '${typeId}' has no body`);
        object = register(state, fields);
        decodeFieldsInPlace(state, fields as Record<string, unknown>);
      }
      state.instances.push({ object, typeId });
      return object;
    }
    case 'map': {
      const map = register(state, new Map());
      decodeMapBody(state, entriesOf(state, tagged), map);
      return map;
    }
    case 'set': {
      const set = register(state, new Set());
      decodeSetBody(state, entriesOf(state, tagged), set);
      return set;
    }
    case 'ta':
      return register(state, decodeTypedArray(state, tagged));
    case 'ab':
      return register(state, decodeBytes(state, tagged));
    case 'dv':
      return register(state, new DataView(decodeBytes(state, tagged)));
    case 'date': {
      const time = tagged.v;
      if (time !== null && typeof time !== 'number') corruptIn(state, 'a Date holds no time');
      return register(state, new Date(time === null ? Number.NaN : time));
    }
    case 're': {
      try {
        return register(state, new RegExp(tagString(state, tagged, 'src'), tagString(state, tagged, 'f')));
      } catch (error) {
        if (error instanceof SyntaxError) corruptIn(state, `a RegExp does not compile (${error.message})`);
        throw error;
      }
    }
    case 'err': {
      const name = tagString(state, tagged, 'name');
      const ctor = Object.hasOwn(ERROR_TYPES, name) ? (ERROR_TYPES[name] as ErrorConstructor) : Error;
      const error = register(state, new ctor(tagString(state, tagged, 'message')));
      if (error.name !== name)
        Object.defineProperty(error, 'name', { value: name, writable: true, configurable: true });
      if (typeof tagged.stack === 'string')
        Object.defineProperty(error, 'stack', { value: tagged.stack, writable: true, configurable: true });
      if ('cause' in tagged)
        Object.defineProperty(error, 'cause', {
          value: decodeAny(state, tagged.cause),
          writable: true,
          configurable: true,
        });
      return error;
    }
    case 'box': {
      const inner = decodeAny(state, tagged.v);
      if (typeof inner !== 'number' && typeof inner !== 'string' && typeof inner !== 'boolean')
        corruptIn(state, 'a boxed primitive holds no primitive');
      return register(state, Object(inner) as object);
    }
    default:
      return corruptIn(state, `unknown tag ${JSON.stringify(tag)}`);
  }
}
