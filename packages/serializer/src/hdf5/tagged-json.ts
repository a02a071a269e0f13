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
}

export interface EncodeOptions {
  /** Registered class instances and their ids (from summarizeGraph). */
  instanceTypes: ReadonlyMap<object, string>;
  /** Typed arrays of at least this many bytes become datasets. */
  datasetThresholdBytes: number;
  /** Dataset name for the k-th stored array, relative to the object's group. */
  datasetName: (index: number) => string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function base64(view: ArrayBufferView): string {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('base64');
}

export function encodeStructure(root: unknown, options: EncodeOptions): StructureEncoding {
  const ids = new Map<object, number>();
  const datasets: StructureEncoding['datasets'] = [];
  const { instanceTypes, datasetThresholdBytes } = options;

  const storeView = (view: StoredTypedArray, kind: TypedArrayName): string => {
    const name = options.datasetName(datasets.length);
    datasets.push({ name, view, kind });
    return name;
  };

  const encodeFields = (value: object): { [key: string]: Json } => {
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(value)) {
      const encoded = encode((value as Record<string, unknown>)[key]);
      if (key === '__proto__')
        Object.defineProperty(out, key, {
          value: encoded,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else out[key] = encoded;
    }
    return out;
  };

  const encodeArray = (value: unknown[]): Json[] => {
    const out: Json[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = encode(value[i]);
    return out;
  };

  const encodeBytes = (view: ArrayBufferView, tag: string): Json => {
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    if (view.byteLength >= datasetThresholdBytes)
      return { [TAG]: tag, n: view.byteLength, ds: storeView(bytes as StoredTypedArray, 'Uint8Array') };
    return { [TAG]: tag, n: view.byteLength, b64: base64(view) };
  };

  /** The body of an object that has just been numbered. */
  const encodeObject = (value: object): Json => {
    const typeId = instanceTypes.get(value);
    if (typeId !== undefined) {
      if (Array.isArray(value)) return { [TAG]: 'obj', c: typeId, a: encodeArray(value) };
      if (value instanceof Map) return { [TAG]: 'obj', c: typeId, m: mapEntries(value) };
      if (value instanceof Set) return { [TAG]: 'obj', c: typeId, s: setEntries(value) };
      return { [TAG]: 'obj', c: typeId, v: encodeFields(value) };
    }
    if (Array.isArray(value)) return encodeArray(value);
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      const fields = encodeFields(value);
      return Object.hasOwn(value, TAG) ? { [TAG]: 'esc', v: fields } : fields;
    }
    if (ArrayBuffer.isView(value)) {
      if (value instanceof DataView) return encodeBytes(value, 'dv');
      const kind = typedArrayName(value);
      if (!kind) throw new TypeError(`${value.constructor.name} cannot be stored (no matching HDF5 type)`);
      const view = value as StoredTypedArray;
      if (view.byteLength >= datasetThresholdBytes)
        return { [TAG]: 'ta', t: kind, n: view.length, ds: storeView(view, kind) };
      return { [TAG]: 'ta', t: kind, n: view.length, b64: base64(view) };
    }
    if (value instanceof Date) {
      const time = value.getTime();
      return { [TAG]: 'date', v: Number.isNaN(time) ? null : time };
    }
    if (value instanceof Map) return encodeMap(value);
    if (value instanceof Set) return encodeSet(value);
    if (value instanceof RegExp) return { [TAG]: 're', src: value.source, f: value.flags };
    if (value instanceof Error) {
      const out: { [key: string]: Json } = { [TAG]: 'err', name: value.name, message: value.message };
      if (typeof value.stack === 'string') out.stack = value.stack;
      if ('cause' in value) out.cause = encode(value.cause);
      return out;
    }
    if (value instanceof ArrayBuffer) return encodeBytes(new Uint8Array(value), 'ab');
    if (value instanceof Number || value instanceof String || value instanceof Boolean)
      return { [TAG]: 'box', v: encode(value.valueOf()) };
    throw new TypeError(`${proto?.constructor?.name ?? 'this object'} cannot be stored`);
  };

  const mapEntries = (value: Map<unknown, unknown>): Json[] => {
    const entries: Json[] = [];
    for (const [key, entry] of value) entries.push([encode(key), encode(entry)]);
    return entries;
  };

  const setEntries = (value: Set<unknown>): Json[] => {
    const entries: Json[] = [];
    for (const entry of value) entries.push(encode(entry));
    return entries;
  };

  const encodeMap = (value: Map<unknown, unknown>): Json => ({ [TAG]: 'map', e: mapEntries(value) });
  const encodeSet = (value: Set<unknown>): Json => ({ [TAG]: 'set', e: setEntries(value) });

  const encode = (value: unknown): Json => {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'number':
        if (Number.isFinite(value) && !(value === 0 && 1 / value < 0)) return value;
        return { [TAG]: 'num', v: Object.is(value, -0) ? '-0' : String(value) };
      case 'undefined':
        return { [TAG]: 'u' };
      case 'bigint':
        return { [TAG]: 'big', v: value.toString() };
      case 'object': {
        if (value === null) return null;
        const seen = ids.get(value);
        if (seen !== undefined) return { [TAG]: 'ref', i: seen };
        ids.set(value, ids.size);
        return encodeObject(value);
      }
      default:
        // Functions and symbols were refused by summarizeGraph before we got here.
        throw new TypeError(`a ${typeof value} cannot be stored`);
    }
  };

  const json = JSON.stringify(encode(root));
  return { json, datasets };
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

/**
 * Rebuilds the value from the parsed JSON, reusing the parsed objects in place. Never runs code
 * from the file: only built-in constructors are called, class instances are plain objects until
 * reviveInstances gives them a registered prototype.
 */
export function parseStructure(json: string, corrupt: (detail: string) => never): unknown {
  try {
    return JSON.parse(json);
  } catch (error) {
    return corrupt(`the object structure is not valid JSON (${(error as Error).message})`);
  }
}

/** A typed array or buffer stored as a dataset, as the structure names it. */
export interface DatasetRef {
  name: string;
  kind: TypedArrayName;
  length: number;
}

/** Every dataset the parsed structure refers to (to read them all, possibly in parallel, before decoding). */
export function collectDatasetRefs(parsed: unknown): DatasetRef[] {
  const refs: DatasetRef[] = [];
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
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
    for (const key of Object.keys(tagged)) visit(tagged[key]);
  };
  visit(parsed);
  return refs;
}

export function decodeStructure(parsed: unknown, context: DecodeContext): DecodedStructure {
  const objects: object[] = [];
  const instances: DecodedStructure['instances'] = [];
  const corrupt: (detail: string) => never = context.corrupt;

  const string = (tagged: Record<string, unknown>, key: string): string => {
    const value = tagged[key];
    if (typeof value !== 'string') corrupt(`a "${String(tagged[TAG])}" value lacks its "${key}" string`);
    return value;
  };

  const length = (tagged: Record<string, unknown>): number => {
    const n = tagged.n;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
      corrupt(`a "${String(tagged[TAG])}" value has an impossible length`);
    return n;
  };

  const fromBase64 = (tagged: Record<string, unknown>, bytes: number): Buffer => {
    const buffer = Buffer.from(string(tagged, 'b64'), 'base64');
    if (buffer.byteLength !== bytes)
      corrupt(`an inline array holds ${buffer.byteLength} bytes, not the ${bytes} it declares`);
    return buffer;
  };

  const bytesValue = (tagged: Record<string, unknown>): ArrayBuffer => {
    const n = length(tagged);
    if (typeof tagged.ds === 'string')
      return (context.loadDataset(tagged.ds, 'Uint8Array', n) as Uint8Array).buffer as ArrayBuffer;
    const buffer = fromBase64(tagged, n);
    return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + n) as ArrayBuffer;
  };

  const typedArray = (tagged: Record<string, unknown>): StoredTypedArray => {
    const kind = tagged.t;
    if (!isTypedArrayName(kind)) corrupt(`unknown typed array kind ${JSON.stringify(kind)}`);
    const n = length(tagged);
    if (typeof tagged.ds === 'string') return context.loadDataset(tagged.ds, kind, n);
    const ctor = globalThis[kind];
    const buffer = fromBase64(tagged, n * ctor.BYTES_PER_ELEMENT);
    const copy = new ctor(n) as StoredTypedArray;
    new Uint8Array(copy.buffer).set(buffer);
    return copy;
  };

  const decodeFieldsInPlace = (fields: Record<string, unknown>): void => {
    for (const key of Object.keys(fields)) {
      const value = fields[key];
      if (typeof value !== 'object' || value === null) continue;
      const decoded = decode(value);
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
  };

  const decodeArrayInPlace = (array: unknown[]): void => {
    for (let i = 0; i < array.length; i++) {
      const value = array[i];
      if (typeof value === 'object' && value !== null) array[i] = decode(value);
    }
  };

  const entriesOf = (tagged: Record<string, unknown>): unknown[] => {
    const entries = tagged.e;
    if (!Array.isArray(entries)) corrupt(`a "${String(tagged[TAG])}" value lacks its entries`);
    return entries;
  };

  const decodeMapBody = (entries: unknown[], map: Map<unknown, unknown>): void => {
    for (const entry of entries) {
      if (!Array.isArray(entry) || entry.length !== 2) corrupt('a Map entry is not a [key, value] pair');
      const key = decodeAny(entry[0]);
      map.set(key, decodeAny(entry[1]));
    }
  };

  const decodeSetBody = (entries: unknown[], set: Set<unknown>): void => {
    for (const entry of entries) set.add(decodeAny(entry));
  };

  const decodeAny = (value: unknown): unknown =>
    typeof value === 'object' && value !== null ? decode(value) : value;

  const register = <T extends object>(object: T): T => {
    objects.push(object);
    return object;
  };

  const decode = (value: object): unknown => {
    if (Array.isArray(value)) {
      register(value);
      decodeArrayInPlace(value);
      return value;
    }
    const tagged = value as Record<string, unknown>;
    const tag = tagged[TAG];
    if (tag === undefined) {
      register(value);
      decodeFieldsInPlace(tagged);
      return value;
    }
    switch (tag) {
      case 'ref': {
        const index = tagged.i;
        const target = typeof index === 'number' ? objects[index] : undefined;
        if (!target) corrupt(`a reference points to object ${String(index)}, which does not precede it`);
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
        return corrupt(`unknown special number ${JSON.stringify(text)}`);
      }
      case 'big': {
        const text = string(tagged, 'v');
        if (!/^-?\d+$/.test(text))
          corrupt(`a BigInt is not a decimal integer: ${JSON.stringify(text.slice(0, 40))}`);
        return BigInt(text);
      }
      case 'esc': {
        const fields = tagged.v;
        if (typeof fields !== 'object' || fields === null || Array.isArray(fields))
          corrupt('an escaped object has no fields');
        register(fields);
        decodeFieldsInPlace(fields as Record<string, unknown>);
        return fields;
      }
      case 'obj': {
        const typeId = string(tagged, 'c');
        let object: object;
        if (Array.isArray(tagged.a)) {
          object = register(tagged.a);
          decodeArrayInPlace(tagged.a);
        } else if (Array.isArray(tagged.m)) {
          const map = register(new Map());
          decodeMapBody(tagged.m, map);
          object = map;
        } else if (Array.isArray(tagged.s)) {
          const set = register(new Set());
          decodeSetBody(tagged.s, set);
          object = set;
        } else {
          const fields = tagged.v;
          if (typeof fields !== 'object' || fields === null || Array.isArray(fields))
            corrupt(`an instance of '${typeId}' has no body`);
          object = register(fields);
          decodeFieldsInPlace(fields as Record<string, unknown>);
        }
        instances.push({ object, typeId });
        return object;
      }
      case 'map': {
        const map = register(new Map());
        decodeMapBody(entriesOf(tagged), map);
        return map;
      }
      case 'set': {
        const set = register(new Set());
        decodeSetBody(entriesOf(tagged), set);
        return set;
      }
      case 'ta':
        return register(typedArray(tagged));
      case 'ab':
        return register(bytesValue(tagged));
      case 'dv':
        return register(new DataView(bytesValue(tagged)));
      case 'date': {
        const time = tagged.v;
        if (time !== null && typeof time !== 'number') corrupt('a Date holds no time');
        return register(new Date(time === null ? Number.NaN : time));
      }
      case 're': {
        try {
          return register(new RegExp(string(tagged, 'src'), string(tagged, 'f')));
        } catch (error) {
          if (error instanceof SyntaxError) corrupt(`a RegExp does not compile (${error.message})`);
          throw error;
        }
      }
      case 'err': {
        const name = string(tagged, 'name');
        const ctor = Object.hasOwn(ERROR_TYPES, name) ? (ERROR_TYPES[name] as ErrorConstructor) : Error;
        const error = register(new ctor(string(tagged, 'message')));
        if (error.name !== name)
          Object.defineProperty(error, 'name', { value: name, writable: true, configurable: true });
        if (typeof tagged.stack === 'string')
          Object.defineProperty(error, 'stack', { value: tagged.stack, writable: true, configurable: true });
        if ('cause' in tagged)
          Object.defineProperty(error, 'cause', {
            value: decodeAny(tagged.cause),
            writable: true,
            configurable: true,
          });
        return error;
      }
      case 'box': {
        const inner = decodeAny(tagged.v);
        if (typeof inner !== 'number' && typeof inner !== 'string' && typeof inner !== 'boolean')
          corrupt('a boxed primitive holds no primitive');
        return register(Object(inner) as object);
      }
      default:
        return corrupt(`unknown tag ${JSON.stringify(tag)}`);
    }
  };

  try {
    return { root: decodeAny(parsed), instances };
  } catch (error) {
    if (error instanceof RangeError && /call stack/i.test(error.message))
      corrupt('the object structure is nested too deeply to decode');
    throw error;
  }
}
